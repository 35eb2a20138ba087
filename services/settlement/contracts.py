"""Settlement's domain events -> the ERP contract (shared/contracts/settlement.py)."""

from __future__ import annotations

from services.settlement.domain import ReceivableHold, Settlement
from shared.contracts import settlement as c
from shared.platform.outbox import contract_for, copied

to_integration = contract_for(
    {
        Settlement.Opened: ("settlement.SettlementOpened", copied(c.SettlementOpenedV1)),
        Settlement.Supplemented: (
            "settlement.SettlementSupplemented",
            copied(c.SettlementSupplementedV1),
        ),
        Settlement.ToleranceChanged: (
            "settlement.ToleranceChanged",
            copied(c.ToleranceChangedV1),
        ),
        Settlement.ReturnNoteIssued: ("settlement.ReturnNoteIssued", copied(c.ReturnNoteIssuedV1)),
        Settlement.ReturnReceived: ("settlement.ReturnReceived", copied(c.ReturnReceivedV1)),
        Settlement.HeldForDecision: ("settlement.HeldForDecision", copied(c.HeldForDecisionV1)),
        Settlement.OverReceiptDecided: (
            "settlement.OverReceiptDecided",
            copied(c.OverReceiptDecidedV1),
        ),
        Settlement.RefundApproved: ("settlement.RefundApproved", copied(c.RefundApprovedV1)),
        Settlement.CreditNoteIssued: ("settlement.CreditNoteIssued", copied(c.CreditNoteIssuedV1)),
        Settlement.Ordered: ("settlement.OrderPlaced", copied(c.OrderPlacedV1)),
        Settlement.AllowanceIssued: ("settlement.AllowanceIssued", copied(c.AllowanceIssuedV1)),
        Settlement.CompensationAgreed: (
            "settlement.CompensationAgreed",
            copied(c.CompensationAgreedV1),
        ),
        Settlement.CostRecorded: ("settlement.CostRecorded", copied(c.CostRecordedV1)),
        Settlement.CostsConfirmed: ("settlement.CostsConfirmed", copied(c.CostsConfirmedV1)),
        Settlement.CostsApportioned: ("settlement.CostsApportioned", copied(c.CostsApportionedV1)),
        Settlement.ChargedBack: ("settlement.ChargeBackRaised", copied(c.ChargeBackRaisedV1)),
        Settlement.PenaltyAssessed: ("settlement.PenaltyAssessed", copied(c.PenaltyAssessedV1)),
        Settlement.VoucherPosted: ("settlement.VoucherPosted", copied(c.VoucherPostedV1)),
        Settlement.Completed: ("settlement.SettlementCompleted", copied(c.SettlementCompletedV1)),
        ReceivableHold.Placed: (
            "settlement.ReceivableHoldPlaced",
            copied(c.ReceivableHoldPlacedV1),
        ),
        ReceivableHold.Released: (
            "settlement.ReceivableHoldReleased",
            copied(c.ReceivableHoldReleasedV1),
        ),
    }
)
