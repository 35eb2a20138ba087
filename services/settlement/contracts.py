"""Settlement's domain events -> the ERP contract (shared/contracts/settlement.py)."""

from __future__ import annotations

from typing import Any

from services.settlement.domain import ReceivableHold, Settlement
from shared.contracts import settlement as c
from shared.outbox import Published


def to_integration(e: Any) -> Published | None:
    mapping = _MAPPINGS.get(type(e))
    if mapping is None:
        return None
    type_, build = mapping
    return Published(type_, 1, e.meta["case_number"], e.timestamp, build(e).model_dump(mode="json"))


def _fields(model: Any):
    """The contract's fields straight from the event's attributes of the same names."""
    return lambda e: model(
        **{name: getattr(e, name) for name in model.model_fields if hasattr(e, name)}
    )


_MAPPINGS: dict[type, tuple[str, Any]] = {
    Settlement.Opened: ("settlement.SettlementOpened", _fields(c.SettlementOpenedV1)),
    Settlement.ReturnNoteIssued: ("settlement.ReturnNoteIssued", _fields(c.ReturnNoteIssuedV1)),
    Settlement.ReturnReceived: ("settlement.ReturnReceived", _fields(c.ReturnReceivedV1)),
    Settlement.HeldForDecision: ("settlement.HeldForDecision", _fields(c.HeldForDecisionV1)),
    Settlement.OverReceiptDecided: (
        "settlement.OverReceiptDecided",
        _fields(c.OverReceiptDecidedV1),
    ),
    Settlement.RefundApproved: ("settlement.RefundApproved", _fields(c.RefundApprovedV1)),
    Settlement.CreditNoteIssued: ("settlement.CreditNoteIssued", _fields(c.CreditNoteIssuedV1)),
    Settlement.Ordered: ("settlement.OrderPlaced", _fields(c.OrderPlacedV1)),
    Settlement.AllowanceIssued: ("settlement.AllowanceIssued", _fields(c.AllowanceIssuedV1)),
    Settlement.CompensationAgreed: (
        "settlement.CompensationAgreed",
        _fields(c.CompensationAgreedV1),
    ),
    Settlement.CostRecorded: ("settlement.CostRecorded", _fields(c.CostRecordedV1)),
    Settlement.CostsConfirmed: ("settlement.CostsConfirmed", _fields(c.CostsConfirmedV1)),
    Settlement.CostsApportioned: ("settlement.CostsApportioned", _fields(c.CostsApportionedV1)),
    Settlement.ChargedBack: ("settlement.ChargeBackRaised", _fields(c.ChargeBackRaisedV1)),
    Settlement.PenaltyAssessed: ("settlement.PenaltyAssessed", _fields(c.PenaltyAssessedV1)),
    Settlement.VoucherPosted: ("settlement.VoucherPosted", _fields(c.VoucherPostedV1)),
    Settlement.Completed: ("settlement.SettlementCompleted", _fields(c.SettlementCompletedV1)),
    ReceivableHold.Placed: ("settlement.ReceivableHoldPlaced", _fields(c.ReceivableHoldPlacedV1)),
    ReceivableHold.Released: (
        "settlement.ReceivableHoldReleased",
        _fields(c.ReceivableHoldReleasedV1),
    ),
}
