"""Contracts published by settlement on `complaints.settlement.v1`: what ERP/finance reads.

Every money field is a decimal string exact to the currency's minor unit, with `currency`
beside it. Vouchers always balance: the sum of `debit` equals the sum of `credit`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.contracts.common import Contract, Party, RemedyLine
from shared.kernel.values import DecimalText, Rate

Amount = Field(description="Decimal string, exact to the minor unit")


class ApprovalRef(Contract):
    """The approval (routing.RemedyApproved) that covers a settlement's money."""

    event_id: str | None = Field(description="The approval's integration event id")
    approval_no: int | None = Field(description="1 for the first approval, 2... supplements")
    approver_id: str | None = None
    level: str | None = Field(default=None, description="The approver's authority level")


class SettlementOpenedV1(Contract):
    customer: Party
    remedies: list[RemedyLine]
    total_amount: DecimalText = Amount
    currency: str
    cycle: int = 1
    approval: ApprovalRef | None = Field(
        default=None, description="The approval in force that covers this document"
    )


class SettlementSupplementedV1(Contract):
    approval: ApprovalRef
    remedies: list[RemedyLine] = Field(description="The supplement's own remedies")
    total_amount: DecimalText = Field(description="The supplement's own total")
    cumulative_total: DecimalText = Field(description="What the cycle's approvals now cover")
    currency: str


class ToleranceChangedV1(Contract):
    tolerance: Rate = Field(description="The over-receipt ratio now in force on the settlement")
    previous: DecimalText
    reason: str


class ReturnNoteIssuedV1(Contract):
    document: str = Field(description="成品退货单 number, RN-YYYY-NNNNNN")
    lines: list[dict[str, Any]]
    approval: ApprovalRef | None = Field(
        default=None, description="The approval whose return lines the note is for"
    )


class ReturnReceivedV1(Contract):
    part_no: str
    quantity: int
    total_received: int
    received_by: str


class HeldForDecisionV1(Contract):
    part_no: str
    approved: int
    received: int
    limit: str = Field(description="approved × (1 + over-receipt tolerance)")


class OverReceiptDecidedV1(Contract):
    part_no: str
    accept: bool
    reason: str


class MoneyLine(Contract):
    part_no: str | None = None
    quantity: int
    unit_price: DecimalText = Amount
    tax_rate: str
    net: DecimalText = Amount
    tax: DecimalText = Amount
    gross: DecimalText = Amount


class RefundApprovedV1(Contract):
    lines: list[MoneyLine]
    net: DecimalText = Amount
    tax: DecimalText = Amount
    gross: DecimalText = Amount
    currency: str
    tolerance: DecimalText | None = Field(
        default=None, description="The over-receipt ratio the quantities were judged by"
    )
    tolerance_source: Literal["settlement", "customer", "company_default"] | None = Field(
        default=None,
        description="Where the ratio came from: finance's change on the settlement, the "
        "customer's own, or the company default",
    )


class CreditNoteIssuedV1(Contract):
    document: str = Field(description="CN-YYYY-NNNNNN")
    net: DecimalText = Amount
    tax: DecimalText = Amount
    gross: DecimalText = Amount
    currency: str
    approval: ApprovalRef | None = Field(
        default=None, description="The approval in force that covers this document"
    )


class OrderPlacedV1(Contract):
    kind: Literal["replacement", "rework"]
    part_no: str
    quantity: int
    cost: DecimalText = Amount
    currency: str
    approval: ApprovalRef | None = Field(
        default=None, description="The approval in force that covers this document"
    )
    voucher: str | None = Field(
        default=None,
        description="The voucher that books it; a VoucherPosted reversing it undoes the order",
    )


class AllowanceIssuedV1(Contract):
    document: str = Field(description="销货折让证明单 number, AC-YYYY-NNNNNN")
    mode: Literal["per_unit", "percent"]
    value: str
    lines: list[MoneyLine]
    net: DecimalText = Amount
    tax: DecimalText = Amount
    gross: DecimalText = Amount
    currency: str
    approval: ApprovalRef | None = Field(
        default=None, description="The approval in force that covers this document"
    )
    voucher: str | None = Field(
        default=None,
        description="The voucher that books it; a VoucherPosted reversing it undoes the payment",
    )


class CompensationAgreedV1(Contract):
    amount: DecimalText = Amount
    kind: Literal["compensation", "batch_recall"]
    payee: str
    currency: str
    approval: ApprovalRef | None = Field(
        default=None, description="The approval in force that covers this document"
    )
    voucher: str | None = Field(
        default=None,
        description="The voucher that books it; a VoucherPosted reversing it undoes the payment",
    )


class CostRecordedV1(Contract):
    item: str
    amount: DecimalText = Amount
    accounting_unit: str
    owner: str
    currency: str


class CostsConfirmedV1(Contract):
    total: DecimalText = Amount
    currency: str


class CostsApportionedV1(Contract):
    total: DecimalText = Amount
    shares: list[dict[str, Any]] = Field(description="kind, name, ratio (percent), amount")
    currency: str
    proposed: list[dict[str, Any]] | None = Field(
        default=None,
        description="The split the investigation proposed (kind, name, ratio), if any",
    )
    reason: str | None = Field(
        default=None, description="Why finance split it otherwise than proposed"
    )


class ChargeBackRaisedV1(Contract):
    party_kind: Literal["carrier", "supplier", "distributor", "customer"]
    party: str
    method: Literal[
        "deducted_from_freight_payable", "debit_note", "rebate_deduction", "customer_borne"
    ]
    amount: DecimalText = Amount
    document: str | None = Field(default=None, description="Debit note DN-YYYY-NNNNNN")
    currency: str


class PenaltyAssessedV1(Contract):
    target_kind: Literal["person", "unit"]
    target: str
    basis: Literal["share_of_loss", "fine"]
    value: str
    amount: DecimalText = Amount
    reason: str
    currency: str


class VoucherLine(Contract):
    account: str
    code: str
    name: str
    debit: DecimalText = Amount
    credit: DecimalText = Amount
    memo: str = ""
    party: str | None = None


class VoucherPostedV1(Contract):
    voucher: str = Field(description="传票 number, JV-YYYY-NNNNNN")
    source: str = Field(description="The effect it books, e.g. credit_note:CN-2026-000001")
    currency: str
    lines: list[VoucherLine]
    reverses: str | None = Field(default=None, description="The voucher this one reverses")


class ReceivableHoldPlacedV1(Contract):
    customer: Party
    part_nos: list[str]


class ReceivableHoldReleasedV1(Contract):
    reason: str
    normal_collection: bool = Field(
        description="True when the complaint was not valid: "
        "collect on the normal terms (002 §九.14)"
    )


class SettlementCompletedV1(Contract):
    total_amount: DecimalText = Field(description="Credited or paid to the customer, gross")
    currency: str
    completed_by: str
