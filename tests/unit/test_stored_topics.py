"""Events stored before an aggregate was split into parts still replay, years later.

A stored event names its class by topic, `module:Class.Event`. When the settlement's and the
case's aggregates were split into parts by concept, new events got the parts' topics
(`services.settlement.domain.returns:Returns.ReturnReceived`); the topics stored before
(`services.settlement.domain:Settlement.ReturnReceived`) must resolve to the very class that
applies the event, or an auditor's replay of an old case would fail.
"""

from eventsourcing.utils import get_topic, resolve_topic

from services.settlement.commands import (
    AgreeCompensation,
    ApportionCosts,
    AssessPenalty,
    Complete,
    IssueAllowance,
    IssueCreditNote,
    Order,
    Receive,
    ReverseVoucher,
)
from services.settlement.domain import Settlement
from tests.support.settlement_story import act, opened
from tests.unit.test_settlement_money import signed_off


def stored_before_the_split(topic: str, module: str, aggregate: str) -> str:
    """The topic the same event was stored under when `aggregate` lived in `module`."""
    return f"{module}:{aggregate}.{topic.rsplit('.', 1)[1]}"


def test_a_settlements_events_stored_before_the_split_resolve_to_the_classes_applying_them():
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
            {"kind": "allowance", "amount": "100.00"},
            {"kind": "compensation", "amount": "88.88"},
        ]
    )
    act(app, Receive(number, part_no="PCB-7731", quantity=12, received_by="wh"))
    act(app, IssueCreditNote(number))
    act(app, Order(number, kind="replacement", part_no="PCB-7731", quantity=2, unit_cost="150.00"))
    act(
        app,
        IssueAllowance(
            number,
            mode="per_unit",
            value="2.50",
            lines=[{"part_no": "PCB-7731", "quantity": 4, "unit_price": "200.00", "tax_rate": "0"}],
        ),
    )
    act(app, AgreeCompensation(number, amount="88.88", kind="batch_recall", payee="D-9"))
    signed_off(app, number)
    act(app, ApportionCosts(number, parties=[{"kind": "customer", "name": "C", "ratio": "100"}]))
    act(
        app,
        AssessPenalty(
            number, target_kind="person", target="E-1", basis="fine", value="20", reason="late"
        ),
    )
    first = next(iter(app.settlement(number).vouchers))
    act(app, ReverseVoucher(number, voucher=first, reason="typo"))
    act(app, Complete(number, completed_by="fin-wang"))

    settlement = app.settlement(number)
    stored = list(app.recorder.select_events(settlement.id))
    kinds = {s.topic.rsplit(".", 1)[1] for s in stored}
    assert {"ReturnReceived", "VoucherPosted", "CostsApportioned", "PenaltyAssessed"} <= kinds
    for record in stored:
        old = stored_before_the_split(record.topic, "services.settlement.domain", "Settlement")
        assert resolve_topic(old) is resolve_topic(record.topic), old
        assert getattr(Settlement, old.rsplit(".", 1)[1]) is resolve_topic(record.topic)
    assert resolve_topic("services.settlement.domain:Settlement") is Settlement
    assert get_topic(Settlement) == "services.settlement.domain.settlement:Settlement"
