"""Cases told end to end through all four services, touching every event type.

Used by the contract tests (every published type validates) and the audit tests (the
stores replay to the state they were left in), on whatever stores the apps are built on.
"""

from __future__ import annotations

from datetime import timedelta

from services.intake.commands import (
    Acknowledge,
    AttachEvidence,
    Classify,
    Confirm,
    Judge,
    RejectOutcome,
    UnlinkRepeat,
    Withdraw,
)
from services.intake.contracts import to_integration as intake_contract
from services.routing.commands import (
    Approve,
    Close,
    ExtendClock,
    FileMemo,
    PauseClock,
    Propose,
    Reassign,
    Rebaseline,
    RecordFollowUp,
    Reject,
    ResumeClock,
)
from services.routing.contracts import to_integration as routing_contract
from services.settlement.commands import (
    AgreeCompensation,
    ApportionCosts,
    AssessPenalty,
    ChangeTolerance,
    Complete,
    DecideOverReceipt,
    IssueAllowance,
    IssueCreditNote,
    Order,
    Receive,
    RecordCost,
    ReverseVoucher,
    SetCostHeader,
    SignOffCosts,
)
from services.settlement.contracts import to_integration as settlement_contract
from shared.kernel.clock import ManualClock
from shared.kernel.meta import Actor, command_meta
from shared.platform.outbox import OutboxReader
from tests.support.builders import TAXONOMY, clerk_meta, registration
from tests.support.routing_story import AUTHORITY, HANDLER, MANAGER, investigated, proposed

FINANCE = command_meta(Actor(id="fin-zhou", role="finance"))


def outbox(app, producer, contract):
    return OutboxReader(producer, app.recorder, app.mapper, contract).read(0, 10_000).events


def pump(source, producer, contract, target, seen):
    """Deliver `source`'s new events to `target`'s policy, like a consumer would."""
    for event in outbox(source, producer, contract):
        if (target.name, event.event_id) not in seen:
            seen.add((target.name, event.event_id))
            target.save(*target.policy(event))


def lifecycle(
    intake, routing, settlement, analytics, machine: ManualClock, seen: set | None = None
) -> tuple[str, str]:
    """Two cases through every service, touching every published event type.

    The first is handled, settled, rejected by the customer, handled again, confirmed and
    closed; the second is withdrawn. Returns their numbers. `seen` remembers what was
    delivered, so the story can be told again on the same apps.
    """
    received = machine.now()
    seen = set() if seen is None else seen

    def flow():
        pump(intake, "intake", intake_contract, settlement, seen)
        pump(intake, "intake", intake_contract, routing, seen)
        pump(routing, "routing", routing_contract, settlement, seen)
        pump(settlement, "settlement", settlement_contract, intake, seen)
        pump(settlement, "settlement", settlement_contract, routing, seen)

    first = intake.register(registration(received_at=received), clerk_meta()).complaint.number
    second = intake.register(
        registration(received_at=received, channel="media"), clerk_meta()
    ).complaint.number
    intake.link_repeat(second, first, clerk_meta())
    intake.change(UnlinkRepeat(second, earlier=first, reason="other defect"), clerk_meta())
    intake.change(Acknowledge(first, reply="noted"), clerk_meta())
    intake.change(
        Classify(
            first, changes={"cause": "technical_defect"}, reason="confirmed", taxonomy=TAXONOMY
        ),
        clerk_meta(),
    )
    intake.change(
        AttachEvidence(
            first, sha256="a" * 64, filename="j3.jpg", content_type="image/jpeg", size=10
        ),
        clerk_meta(),
    )
    intake.change(Judge(first, valid=True, reason="ok", reply=None), clerk_meta())
    flow()

    routing.change(Reassign(first, unit="after_sales", reason="repair issue"), MANAGER)
    routing.change(PauseClock(first, name="close", reason="waiting"), HANDLER)
    routing.change(ResumeClock(first, name="close", reason="back"), HANDLER)
    due = routing.case(first).clocks["close"].due
    routing.change(
        ExtendClock(
            first,
            name="close",
            due=due + timedelta(days=1),
            reason="lab",
            policy=routing.policy_in_force,
        ),
        MANAGER,
    )
    routing.change(
        Rebaseline(first, policy=routing.policy_in_force, reason="policy check"), MANAGER
    )
    machine.advance(timedelta(days=2, hours=17))
    routing.fire_due_timers([first], machine.now())
    investigated(routing, first)
    routing.change(FileMemo(first, from_unit="finance", author="f", text="ok"), HANDLER)
    proposed(routing, first)
    routing.change(Reject(first, approver_id="m", reason="redo"), MANAGER)
    routing.change(
        Propose(
            first,
            currency="CNY",
            actions=[
                {
                    "kind": "corrective",
                    "description": "new stencil",
                    "owner": "pe",
                    "due": "2026-12-01",
                }
            ],
            remedies=[
                {
                    "kind": "return",
                    "amount": "2400.00",
                    "quantity": 12,
                    "unit_price": "200.00",
                    "part_no": "PCB-7731",
                    "tax_rate": "0.13",
                },
                {"kind": "compensation", "amount": "500.00"},
                {"kind": "exchange", "amount": "300.00"},
                {"kind": "allowance", "amount": "1000.00"},
            ],
            authority=AUTHORITY,
        ),
        HANDLER,
    )
    routing.change(
        Approve(first, approver_id="m", approver_level="manager", authority=AUTHORITY), MANAGER
    )
    routing.change(
        Propose(
            first,
            currency="CNY",
            actions=[],
            remedies=[{"kind": "compensation", "amount": "200.00"}],
            authority=AUTHORITY,
        ),
        HANDLER,
    )
    routing.change(
        Approve(first, approver_id="m", approver_level="manager", authority=AUTHORITY), MANAGER
    )
    flow()
    money_story(settlement, first)
    flow()
    intake.change(RejectOutcome(first, reason="too little"), clerk_meta())
    flow()
    intake.change(Withdraw(second, reason="solved"), clerk_meta())
    flow()
    investigated(routing, first)
    proposed(routing, first)

    routing.change(
        Approve(first, approver_id="m", approver_level="manager", authority=AUTHORITY), MANAGER
    )
    flow()
    settlement.act(Complete(first, completed_by="fin-zhou"), FINANCE)
    flow()
    intake.change(Confirm(first, satisfaction=4, comment="fine"), clerk_meta())
    flow()
    routing.change(
        RecordFollowUp(first, responsible_dealt_with="fined", people_briefed="briefed"), HANDLER
    )
    routing.change(Close(first), MANAGER)
    analytics.raise_alert(
        "2645",
        {"East": [first], "West": ["2611-0007"], "North": ["2611-0009"]},
        30,
        {**clerk_meta(), "case_number": first},
    )
    analytics.publish("2026-10", 1, "final", {"received": 2}, clerk_meta())
    return first, second


def money_story(settlement, number):
    """Every effect finance books on a settlement, in the order a case would see them."""
    act = settlement.act
    act(ChangeTolerance(number, tolerance="0.08", reason="contract §7"), FINANCE)
    act(Receive(number, part_no="PCB-7731", quantity=10, received_by="wh-sun"), FINANCE)
    act(Receive(number, part_no="PCB-7731", quantity=3, received_by="wh-sun"), FINANCE)
    act(
        DecideOverReceipt(
            number, part_no="PCB-7731", accept=False, reason="one board extra: send back"
        ),
        FINANCE,
    )
    act(IssueCreditNote(number), FINANCE)
    act(
        Order(number, kind="replacement", part_no="PCB-7731", quantity=2, unit_cost="150.00"),
        FINANCE,
    )
    act(
        IssueAllowance(
            number,
            mode="percent",
            value="5",
            lines=[
                {"part_no": "PCB-7731", "quantity": 100, "unit_price": "200.00", "tax_rate": "0.13"}
            ],
        ),
        FINANCE,
    )
    act(AgreeCompensation(number, amount="500.00", kind="compensation", payee="C-1001"), FINANCE)
    act(AgreeCompensation(number, amount="200.00", kind="compensation", payee="C-1001"), FINANCE)
    act(
        RecordCost(
            number,
            item="return_freight",
            amount="320.00",
            accounting_unit="logistics",
            owner="log-he",
        ),
        FINANCE,
    )
    act(
        RecordCost(
            number,
            item="sorting_at_customer",
            amount="680.00",
            accounting_unit="quality",
            owner="cqe-ma",
        ),
        FINANCE,
    )
    act(SetCostHeader(number, inspected=500, defective=12), FINANCE)
    for role in ("manager", "finance", "customer_quality_engineer", "product_management"):
        act(SignOffCosts(number, role=role, by=f"{role}-signer"), FINANCE)
    act(
        ApportionCosts(
            number,
            parties=[
                {"kind": "carrier", "name": "SF Express", "ratio": "40"},
                {"kind": "supplier", "name": "StencilCo", "ratio": "30"},
                {"kind": "internal_unit", "name": "SMT", "ratio": "30"},
            ],
            reason="the carrier's damage report came after the investigation",
        ),
        FINANCE,
    )
    act(
        AssessPenalty(
            number,
            target_kind="person",
            target="li-lei",
            basis="fine",
            value="20.00",
            reason="first-contact responsibility broken",
        ),
        FINANCE,
    )
    first_voucher = sorted(settlement.settlement(number).vouchers)[0]
    act(ReverseVoucher(number, voucher=first_voucher, reason="booked twice"), FINANCE)
    act(Complete(number, completed_by="fin-zhou"), FINANCE)
