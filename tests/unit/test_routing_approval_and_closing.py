"""Investigation, proposal, approval by authority, and the closing gate (四不放过)."""

from datetime import timedelta

import pytest

from services.routing.commands import (
    Approve,
    Close,
    FileMemo,
    Propose,
    RecordFollowUp,
    RecordInvestigation,
    Reject,
)
from services.routing.domain import Case
from services.routing.domain.approval import MAX_APPROVALS, MAX_MEMOS
from shared.kernel import clock
from shared.kernel.errors import Conflict, Forbidden, Invalid
from tests.support.routing_story import (
    AUTHORITY,
    HANDLER,
    MANAGER,
    investigated,
    opened,
    proposed,
    react,
    upstream,
)
from tests.support.timing import RECEIVED


@pytest.mark.parametrize(
    ("amount", "required", "refused", "accepted"),
    [
        ("100000.00", "manager", None, "manager"),
        ("100000.01", "deputy_general_manager", "manager", "deputy_general_manager"),
        ("150000.00", "deputy_general_manager", "manager", "deputy_general_manager"),
        ("150000.01", "general_manager", "deputy_general_manager", "general_manager"),
    ],
)
def test_the_approver_must_have_the_authority_the_amount_needs(amount, required, refused, accepted):
    from decimal import Decimal

    assert AUTHORITY.required_level(Decimal(amount), "CNY") == required
    routing, number = opened()
    proposed(routing, number, amount)
    if refused:
        version = routing.case(number).version
        with pytest.raises(Forbidden, match=f"needs approval by {required}"):
            routing.change(
                Approve(number, approver_id="x", approver_level=refused, authority=AUTHORITY),
                MANAGER,
            )
        assert routing.case(number).version == version
    routing.change(
        Approve(number, approver_id="boss", approver_level=accepted, authority=AUTHORITY), MANAGER
    )
    assert routing.case(number).status == "approved"


def test_a_currency_without_thresholds_cannot_be_proposed():
    routing, number = opened()
    with pytest.raises(Invalid) as refused:
        proposed(routing, number, "100.00", currency="USD")
    assert (refused.value.field, refused.value.rule) == ("currency", "approval_thresholds")


def refused_proposal(remedies: list[dict]) -> Invalid:
    """Why a handler's proposal of `remedies`, on a case just opened, is refused."""
    routing, number = opened()
    with pytest.raises(Invalid) as refused:
        routing.change(
            Propose(number, currency="CNY", actions=[], remedies=remedies, authority=AUTHORITY),
            HANDLER,
        )
    return refused.value


def test_amounts_must_equal_quantity_times_price():
    line = {"kind": "return", "amount": "2401.00", "quantity": 12, "unit_price": "200.00"}
    assert refused_proposal([line]).field == "remedies.0.amount"


@pytest.mark.parametrize("kind", ["compensation", "allowance"])
def test_money_alone_is_never_proposed_at_zero(kind):
    refused = refused_proposal(
        [{"kind": "repair", "amount": "0"}, {"kind": kind, "amount": "0.00"}]
    )
    assert (refused.field, refused.rule) == ("remedies.1.amount", "positive")


def test_a_proposed_amount_is_kept_at_the_minor_unit_however_typed():
    routing, number = opened()
    proposed(routing, number, "0240.5")
    assert routing.case(number).remedies[0]["amount"] == "240.50"


def test_a_rejected_proposal_goes_back_to_the_unit_with_the_reason():
    routing, number = opened()
    investigated(routing, number)
    proposed(routing, number)
    routing.change(Reject(number, approver_id="mgr-li", reason="too generous"), MANAGER)
    assert routing.case(number).status == "investigated"
    proposed(routing, number, "1200.00")
    assert routing.case(number).total.amount == 1200


def test_responsibility_shares_must_total_100_percent():
    routing, number = opened()
    with pytest.raises(Invalid) as refused:
        routing.change(
            RecordInvestigation(
                number,
                problem={},
                five_whys=[],
                fishbone={},
                root_cause="x",
                responsible_parties=[{"kind": "carrier", "name": "SF", "share": "60"}],
            ),
            HANDLER,
        )
    assert refused.value.rule == "shares_total_100"


def test_a_memo_is_kept_on_the_case():
    routing, number = opened()
    routing.change(
        FileMemo(
            number,
            from_unit="finance",
            author="fin-zhou",
            text="allowance exceeds the customer's annual rebate",
        ),
        HANDLER,
    )
    assert routing.case(number).memos[0]["from_unit"] == "finance"


def test_a_case_keeps_a_bounded_number_of_memos():
    routing, number = opened()
    for i in range(MAX_MEMOS):
        routing.change(FileMemo(number, "finance", "fin-zhou", f"remark {i}"), HANDLER)
    version = routing.case(number).version
    with pytest.raises(Conflict) as refused:
        routing.change(FileMemo(number, "finance", "fin-zhou", "one more"), HANDLER)
    assert refused.value.rule == "memo_limit"
    assert routing.case(number).version == version
    assert len(routing.case(number).memos) == MAX_MEMOS


def test_a_cycle_keeps_a_bounded_number_of_supplements():
    routing, number = opened()
    investigated(routing, number)
    approve = Approve(number, approver_id="mgr-li", approver_level="manager", authority=AUTHORITY)
    for _ in range(MAX_APPROVALS):
        proposed(routing, number, amount="100.00")
        routing.change(approve, MANAGER)
    with pytest.raises(Conflict) as refused:
        proposed(routing, number, amount="100.00")
    assert refused.value.rule == "approvals_limit"
    assert len(routing.case(number).approvals) == MAX_APPROVALS


def missing(routing, number):
    return {m["field"] for m in routing.case(number).missing_to_close(clock.now())}


def test_every_closing_condition_is_named_until_it_holds(time_machine):
    routing, number = opened(received_at=RECEIVED)
    assert missing(routing, number) == {
        "validity",
        "cause_found",
        "responsible_dealt_with",
        "people_briefed",
        "corrective_actions",
        "settlement_complete",
        "customer_confirmation",
    }
    with pytest.raises(Conflict) as refused:
        routing.change(Close(number), MANAGER)
    assert len(refused.value.errors) == 7

    react(
        routing,
        upstream(
            number,
            "intake.ComplaintJudged",
            {"valid": True, "reason": "defect confirmed", "reply": None},
        ),
    )
    investigated(routing, number)
    assert "cause_found" not in missing(routing, number)
    proposed(routing, number, actions=False)
    assert "corrective_actions" in missing(routing, number)
    proposed(routing, number)
    routing.change(
        Approve(number, approver_id="mgr-li", approver_level="manager", authority=AUTHORITY),
        MANAGER,
    )
    routing.change(
        RecordFollowUp(
            number, responsible_dealt_with="SMT line lead fined per 奖罚通知单", people_briefed=None
        ),
        HANDLER,
    )
    assert missing(routing, number) == {
        "people_briefed",
        "settlement_complete",
        "customer_confirmation",
    }
    routing.change(
        RecordFollowUp(
            number,
            responsible_dealt_with=None,
            people_briefed="SMT shift briefed on stencil checks",
        ),
        HANDLER,
    )
    react(
        routing,
        upstream(
            number,
            "settlement.SettlementCompleted",
            {"total_amount": "2400.00", "currency": "CNY", "completed_by": "fin-zhou"},
            producer="settlement",
        ),
    )
    assert missing(routing, number) == {"customer_confirmation"}

    time_machine.advance(timedelta(days=7, seconds=1))  # the confirmation window passes
    assert missing(routing, number) == set()
    routing.change(Close(number), MANAGER)
    assert routing.case(number).status == "closed"


def test_a_customer_confirmation_opens_the_gate_at_once(time_machine):
    routing, number = opened(received_at=RECEIVED)
    react(
        routing,
        upstream(number, "intake.ComplaintJudged", {"valid": True, "reason": "ok", "reply": None}),
    )
    investigated(routing, number)
    proposed(routing, number)
    routing.change(
        Approve(number, approver_id="m", approver_level="manager", authority=AUTHORITY), MANAGER
    )
    routing.change(
        RecordFollowUp(number, responsible_dealt_with="done", people_briefed="done"), HANDLER
    )
    react(
        routing,
        upstream(
            number,
            "settlement.SettlementCompleted",
            {"total_amount": "2400.00", "currency": "CNY", "completed_by": "f"},
            producer="settlement",
        ),
    )
    react(routing, upstream(number, "intake.OutcomeConfirmed", {"satisfaction": 5}))
    assert missing(routing, number) == set()


def test_late_steps_are_listed_for_review_after_closing(time_machine):
    routing, number = opened(received_at=RECEIVED)
    react(
        routing,
        upstream(number, "intake.ComplaintJudged", {"valid": True, "reason": "ok", "reply": None}),
    )
    time_machine.set(RECEIVED + timedelta(days=4))  # the investigation report is a day late
    investigated(routing, number)
    late = routing.case(number).late_steps
    assert [step["clock"] for step in late] == ["investigation_report"]
    assert reviews(routing, number) == []  # reviewed after closing, not before

    react(routing, upstream(number, "intake.ComplaintWithdrawn", {"reason": "solved"}))
    # Withdrawn on day 4: the acknowledgement and the unit's conclusion were overdue too.
    late = [(step["clock"], step["cycle"]) for step in routing.case(number).late_steps]
    assert ("investigation_report", 1) in late
    assert reviews(routing, number) == late  # one review for each late step


def reviews(routing, number):
    """The overdue reviews (洽办) published for a case."""
    case = routing.case(number)
    return [
        (e.clock, e.cycle)
        for e in routing.events.get(case.id)
        if isinstance(e, Case.OverdueReviewRequested)
    ]


def test_not_valid_at_intake_closes_the_case_and_stops_its_clocks(time_machine):
    routing, number = opened(received_at=RECEIVED)
    react(
        routing,
        upstream(
            number,
            "intake.ComplaintJudged",
            {"valid": False, "reason": "misuse", "reply": "see manual"},
        ),
    )
    case = routing.case(number)
    assert case.status == "not_valid"
    assert all(state.state == "stopped" for state in case.clocks.values())


def test_a_reopened_complaint_starts_a_new_handling_cycle(time_machine):
    routing, number = opened(received_at=RECEIVED)
    investigated(routing, number)
    proposed(routing, number)
    routing.change(
        Approve(number, approver_id="m", approver_level="manager", authority=AUTHORITY), MANAGER
    )
    time_machine.advance(timedelta(days=1))
    react(
        routing,
        upstream(
            number,
            "intake.ComplaintReopened",
            {"cycle": 2, "previous_cycle": 1, "reason": "too little"},
        ),
    )
    case = routing.case(number)
    assert (case.cycle, case.status, case.investigation, case.remedies) == (2, "assigned", None, [])
    assert case.clocks["close"].cycle == 2
    assert case.clocks["close"].state == "running"
