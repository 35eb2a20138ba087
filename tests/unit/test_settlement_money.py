"""The money of a complaint, exact to the cent, for ERP and finance."""

from dataclasses import replace
from decimal import Decimal

import pytest

from services.settlement.accounting import is_balanced
from services.settlement.application import SettlementApplication
from services.settlement.commands import (
    AgreeCompensation,
    ApportionCosts,
    AssessPenalty,
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
from services.settlement.domain.costs import MAX_COST_LINES
from services.settlement.domain.penalties import MAX_PENALTIES
from services.settlement.domain.state import MAX_DOCUMENTS
from services.settlement.policy import shipped_policy
from shared.kernel import clock
from shared.kernel.errors import Conflict, Invalid
from tests.support.builders import IN_MEMORY
from tests.support.settlement_story import CUSTOMER, act, approval, opened


def vouchers(app, number):
    return app.settlement(number).vouchers


@pytest.mark.parametrize(
    ("approved", "received", "held", "refunded"),
    [
        (100, 90, False, 90),  # fewer came back: refund what came
        (100, 105, False, 105),  # over, but exactly at the 5% tolerance: the actual quantity
        (100, 106, True, None),  # beyond the tolerance: held for a decision
    ],
)
def test_the_refund_follows_the_actual_quantity_within_the_tolerance(
    approved, received, held, refunded
):
    app, number = opened(
        remedies=[
            {
                "kind": "return",
                "amount": str(approved * 10),
                "quantity": approved,
                "unit_price": "10.00",
                "part_no": "P-1",
            }
        ]
    )
    act(app, Receive(number, part_no="P-1", quantity=received, received_by="wh"))
    settlement = app.settlement(number)
    assert bool(settlement.held) is held
    if held:
        with pytest.raises(Conflict, match="decision"):
            act(app, IssueCreditNote(number))
        return
    assert settlement.refund_quantity("P-1", app.settlement_policy) == refunded
    act(app, IssueCreditNote(number))
    assert app.settlement(number).credit_note["net"] == f"{refunded * 10}.00"


#: A hundred parts approved for return at 10.00 each.
HUNDRED_RETURNED = [
    {
        "kind": "return",
        "amount": "1000.00",
        "quantity": 100,
        "unit_price": "10.00",
        "part_no": "P-1",
    }
]


def test_the_customers_own_tolerance_wins_over_the_company_default():
    app, number = opened(
        customer={**CUSTOMER, "over_receipt_tolerance": "0.10"},
        remedies=HUNDRED_RETURNED,
    )
    act(app, Receive(number, part_no="P-1", quantity=110, received_by="wh"))
    assert not app.settlement(number).held
    act(app, Receive(number, part_no="P-1", quantity=1, received_by="wh"))
    assert app.settlement(number).held["P-1"]["received"] == 111


def test_the_company_default_tolerance_is_the_policy_the_application_is_given():
    policy = replace(shipped_policy(), default_over_receipt_tolerance=Decimal("0.10"))
    app = SettlementApplication(dict(IN_MEMORY), policy=policy)
    event = approval(remedies=HUNDRED_RETURNED)
    app.save(*app.policy(event))
    act(app, Receive(event.case_number, part_no="P-1", quantity=110, received_by="wh"))
    settlement = app.settlement(event.case_number)
    assert not settlement.held
    assert settlement.tolerance_in_force(app.settlement_policy) == (
        Decimal("0.10"),
        "company_default",
    )


@pytest.mark.parametrize(("accept", "refunded"), [(True, 106), (False, 100)])
def test_a_recorded_decision_settles_an_over_receipt(accept, refunded):
    app, number = opened(remedies=HUNDRED_RETURNED)
    act(app, Receive(number, part_no="P-1", quantity=60, received_by="wh"))
    act(app, Receive(number, part_no="P-1", quantity=46, received_by="wh"))  # partial receipts
    act(app, DecideOverReceipt(number, part_no="P-1", accept=accept, reason="checked"))
    act(app, IssueCreditNote(number))
    assert app.settlement(number).credit_note["net"] == f"{refunded * 10}.00"


def test_tax_is_per_line_and_rounded_half_up_at_the_documented_points():
    app, number = opened(
        remedies=[
            {
                "kind": "return",
                "amount": "0.35",
                "quantity": 1,
                "unit_price": "0.35",
                "part_no": "A",
                "tax_rate": "0.13",
            },
            {
                "kind": "return",
                "amount": "0.35",
                "quantity": 1,
                "unit_price": "0.35",
                "part_no": "B",
                "tax_rate": "0.13",
            },
        ]
    )
    for part in ("A", "B"):
        act(app, Receive(number, part_no=part, quantity=1, received_by="wh"))
    act(app, IssueCreditNote(number))
    # 0.35 × 13% = 0.0455 -> 0.05 per line; 0.10 in total (not round(0.091) = 0.09).
    note = app.settlement(number).credit_note
    assert (note["net"], note["tax"], note["gross"]) == ("0.70", "0.10", "0.80")


def test_a_second_credit_note_is_refused_and_nothing_is_doubled():
    app, number = opened()
    act(app, Receive(number, part_no="PCB-7731", quantity=12, received_by="wh"))
    act(app, IssueCreditNote(number))
    before = len(vouchers(app, number))
    with pytest.raises(Conflict, match="issued already"):
        act(app, IssueCreditNote(number))
    assert len(vouchers(app, number)) == before


def test_a_redelivered_approval_opens_no_second_settlement():
    app, number = opened()
    assert app.policy(approval(number)) == []


def test_an_allowance_per_unit_or_percent_is_certified_and_booked():
    app, number = opened(remedies=[{"kind": "allowance", "amount": "605.00"}])
    act(
        app,
        IssueAllowance(
            number,
            mode="per_unit",
            value="2.50",
            lines=[{"part_no": "P-1", "quantity": 240, "unit_price": "10.00", "tax_rate": "0.13"}],
        ),
    )
    act(
        app,
        IssueAllowance(
            number,
            mode="percent",
            value="5",
            lines=[{"part_no": "P-2", "quantity": 3, "unit_price": "33.33", "tax_rate": "0"}],
        ),
    )
    first, second = app.settlement(number).allowances
    assert (first["net"], first["tax"], first["gross"]) == ("600.00", "78.00", "678.00")
    assert second["net"] == "5.00"  # 3 × 33.33 × 5% = 4.9995 -> 5.00
    assert first["document"] != second["document"]
    assert first["approval"]["approver_id"] == "mgr-li"
    with pytest.raises(Conflict, match=r"beyond the 605\.00 CNY approved") as refused:
        act(
            app,
            IssueAllowance(
                number,
                mode="per_unit",
                value="0.01",
                lines=[{"quantity": 1, "unit_price": "10.00"}],
            ),
        )
    assert refused.value.rule == "within_approval"
    with pytest.raises(Invalid, match="exceed"):
        act(
            app,
            IssueAllowance(
                number,
                mode="per_unit",
                value="11.00",
                lines=[{"quantity": 1, "unit_price": "10.00"}],
            ),
        )


def signed_off(app, number):
    act(
        app,
        RecordCost(
            number,
            item="return_freight",
            amount="333.33",
            accounting_unit="logistics",
            owner="log-he",
        ),
    )
    act(
        app,
        RecordCost(
            number,
            item="custom:lab tests",
            amount="666.67",
            accounting_unit="quality",
            owner="cqe-ma",
        ),
    )
    for role in ("manager", "finance", "customer_quality_engineer", "product_management"):
        act(app, SignOffCosts(number, role=role, by=role))


def test_the_cost_sheet_needs_four_sign_offs_then_is_frozen():
    app, number = opened()
    with pytest.raises(Invalid):
        act(
            app, RecordCost(number, item="champagne", amount="1.00", accounting_unit="x", owner="y")
        )
    act(app, SetCostHeader(number, inspected=500, defective=12))
    assert app.settlement(number).cost_header["defect_rate"] == "0.0240"
    signed_off(app, number)
    settlement = app.settlement(number)
    assert settlement.costs_confirmed
    assert settlement.cost_total.amount == Decimal("1000.00")
    with pytest.raises(Conflict):
        act(app, RecordCost(number, item="travel", amount="1.00", accounting_unit="x", owner="y"))


def test_costs_are_apportioned_exactly_charged_back_by_kind_and_frozen():
    app, number = opened()
    signed_off(app, number)
    with pytest.raises(Invalid) as refused:
        act(
            app,
            ApportionCosts(
                number,
                parties=[
                    {"kind": "carrier", "name": "SF", "ratio": "50"},
                    {"kind": "supplier", "name": "S", "ratio": "49.99"},
                ],
            ),
        )
    assert refused.value.rule == "ratios_total_100"
    act(
        app,
        ApportionCosts(
            number,
            parties=[
                {"kind": "carrier", "name": "SF Express", "ratio": "33.3333"},
                {"kind": "supplier", "name": "StencilCo", "ratio": "33.3333"},
                {"kind": "distributor", "name": "East Trading", "ratio": "33.3334"},
            ],
        ),
    )
    shares = app.settlement(number).apportionment
    assert [s["amount"] for s in shares] == ["333.33", "333.33", "333.34"]
    sources = [v["source"] for v in vouchers(app, number).values()]
    assert sum(s.startswith("charge_back:") for s in sources) == 3
    with pytest.raises(Conflict, match="frozen"):
        act(
            app, ApportionCosts(number, parties=[{"kind": "carrier", "name": "SF", "ratio": "100"}])
        )


@pytest.mark.parametrize(
    ("value", "ok"),
    [("9.99", False), ("10.00", True), ("50.00", True), ("50.01", False), ("10.005", False)],
)
def test_fines_are_bounded_and_exact_to_the_cent(value, ok):
    app, number = opened()
    arguments = {
        "target_kind": "person",
        "target": "li-lei",
        "basis": "fine",
        "value": value,
        "reason": "first-contact responsibility broken",
    }
    if ok:
        act(app, AssessPenalty(number, **arguments))
    else:
        with pytest.raises(Invalid):
            act(app, AssessPenalty(number, **arguments))


def test_a_settlement_keeps_a_bounded_number_of_cost_lines_and_penalties():
    """Both are shown whole with the settlement, so each is bounded."""
    app, number = opened()
    for i in range(MAX_COST_LINES):
        act(
            app, RecordCost(number, item="travel", amount="1.00", accounting_unit="q", owner=f"{i}")
        )
    with pytest.raises(Conflict) as refused:
        act(app, RecordCost(number, item="travel", amount="1.00", accounting_unit="q", owner="x"))
    assert refused.value.rule == "cost_lines_limit"
    fine = {"target_kind": "unit", "basis": "fine", "value": "10.00", "reason": "late report"}
    for i in range(MAX_PENALTIES):
        act(app, AssessPenalty(number, target=f"unit-{i}", **fine))
    with pytest.raises(Conflict) as refused:
        act(app, AssessPenalty(number, target="one-more", **fine))
    assert refused.value.rule == "penalties_limit"


def test_a_settlement_keeps_a_bounded_number_of_allowances_compensations_and_orders():
    """Money within the approval may not be paid out a cent at a time without end: each kind
    of document is shown whole with the settlement, so each is bounded."""
    app, number = opened(
        remedies=[
            {"kind": "allowance", "amount": "200.00"},
            {"kind": "compensation", "amount": "200.00"},
            {"kind": "exchange", "amount": "200.00"},
        ]
    )
    line = {"part_no": "P-1", "quantity": 1, "unit_price": "10.00", "tax_rate": "0"}
    allowance = IssueAllowance(number, mode="per_unit", value="1.00", lines=[line])
    compensation = AgreeCompensation(number, amount="1.00", kind="compensation", payee="C-1")
    order = Order(number, kind="replacement", part_no="P-1", quantity=1, unit_cost="1.00")
    for command, rule in [
        (allowance, "allowances_limit"),
        (compensation, "compensations_limit"),
        (order, "orders_limit"),
    ]:
        for _ in range(MAX_DOCUMENTS):
            act(app, command)
        with pytest.raises(Conflict) as refused:
            act(app, command)
        assert refused.value.rule == rule
    settlement = app.settlement(number)
    assert len(settlement.allowances) == len(settlement.compensations) == MAX_DOCUMENTS
    assert len(settlement.orders) == MAX_DOCUMENTS


def test_a_share_of_the_loss_is_charged_to_the_person_responsible():
    app, number = opened(remedies=[{"kind": "compensation", "amount": "2000.00"}])
    act(app, AgreeCompensation(number, amount="2000.00", kind="compensation", payee="C-1001"))
    act(
        app,
        AssessPenalty(
            number,
            target_kind="person",
            target="li-lei",
            basis="share_of_loss",
            value="2.5",
            reason="packing error",
        ),
    )
    assert app.settlement(number).penalties[0]["amount"] == "50.00"


def test_a_correction_is_a_reversal_voucher_never_an_edit():
    app, number = opened(remedies=[{"kind": "compensation", "amount": "500.00"}])
    act(app, AgreeCompensation(number, amount="500.00", kind="compensation", payee="C-1"))
    [posted] = vouchers(app, number)
    act(app, ReverseVoucher(number, voucher=posted, reason="wrong payee"))
    original, reversal = vouchers(app, number).values()
    assert reversal["reverses"] == posted
    assert original["reversed_by"] is not None
    assert [line["debit"] for line in reversal["lines"]] == [
        line["credit"] for line in original["lines"]
    ]
    with pytest.raises(Conflict):
        act(app, ReverseVoucher(number, voucher=posted, reason="again"))


def test_voucher_lines_state_both_sides_at_the_minor_unit_however_the_amount_was_spelled():
    """An ERP's journal import reads `"12.50"` and `"0.00"`; the lines said `"12.5"` and `"0"`."""
    app, number = opened(remedies=[{"kind": "compensation", "amount": "12.5"}])
    act(app, AgreeCompensation(number, amount="12.5", kind="compensation", payee="C-1"))
    assert app.settlement(number).compensations[0]["amount"] == "12.50"
    [voucher] = vouchers(app, number).values()
    assert [(line["debit"], line["credit"]) for line in voucher["lines"]] == [
        ("12.50", "0.00"),
        ("0.00", "12.50"),
    ]


def test_every_voucher_of_a_full_settlement_balances_and_numbers_are_gapless():
    app, number = opened(
        remedies=[
            {
                "kind": "return",
                "amount": "2400.00",
                "quantity": 12,
                "unit_price": "200.00",
                "part_no": "PCB-7731",
                "tax_rate": "0.13",
            },
            {"kind": "exchange", "amount": "300.00"},
            {"kind": "compensation", "amount": "88.88"},
        ]
    )
    act(app, Receive(number, part_no="PCB-7731", quantity=12, received_by="wh"))
    act(app, IssueCreditNote(number))
    act(app, Order(number, kind="replacement", part_no="PCB-7731", quantity=2, unit_cost="150.00"))
    act(app, AgreeCompensation(number, amount="88.88", kind="batch_recall", payee="D-9"))
    signed_off(app, number)
    act(app, ApportionCosts(number, parties=[{"kind": "customer", "name": "C", "ratio": "100"}]))
    posted = vouchers(app, number)
    assert all(is_balanced(v["lines"]) for v in posted.values())
    year = clock.now().year
    assert sorted(posted) == [f"JV-{year}-{i:06d}" for i in range(1, len(posted) + 1)]


def test_completion_needs_the_credit_note_when_goods_come_back_and_releases_the_hold():
    app, number = opened()
    with pytest.raises(Conflict, match="credit note"):
        act(app, Complete(number, completed_by="fin"))
    act(app, Receive(number, part_no="PCB-7731", quantity=12, received_by="wh"))
    act(app, IssueCreditNote(number))
    act(app, Complete(number, completed_by="fin"))
    assert app.settlement(number).status == "completed"
