"""Contracts published by settlement on `complaints.settlement.v1`: what ERP/finance reads.

Every money field is a decimal string exact to the currency's minor unit, with `currency`
beside it. Vouchers always balance: the sum of `debit` equals the sum of `credit`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.contracts.common import DECIMAL_PATTERN, Contract, Party, RemedyLine

Amount = Field(pattern=DECIMAL_PATTERN, description="Decimal string, exact to the minor unit")


class SettlementOpenedV1(Contract):
    customer: Party
    remedies: list[RemedyLine]
    total_amount: str = Amount
    currency: str
    cycle: int = 1


class ReturnNoteIssuedV1(Contract):
    document: str = Field(description="成品退货单 number, RN-YYYY-NNNNNN")
    lines: list[dict[str, Any]]


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
    unit_price: str = Amount
    tax_rate: str
    net: str = Amount
    tax: str = Amount
    gross: str = Amount


class RefundApprovedV1(Contract):
    lines: list[MoneyLine]
    net: str = Amount
    tax: str = Amount
    gross: str = Amount
    currency: str


class CreditNoteIssuedV1(Contract):
    document: str = Field(description="CN-YYYY-NNNNNN")
    net: str = Amount
    tax: str = Amount
    gross: str = Amount
    currency: str


class OrderPlacedV1(Contract):
    kind: Literal["replacement", "rework"]
    part_no: str
    quantity: int
    cost: str = Amount
    currency: str


class AllowanceIssuedV1(Contract):
    document: str = Field(description="销货折让证明单 number, AC-YYYY-NNNNNN")
    mode: Literal["per_unit", "percent"]
    value: str
    lines: list[MoneyLine]
    net: str = Amount
    tax: str = Amount
    gross: str = Amount
    currency: str


class CompensationAgreedV1(Contract):
    amount: str = Amount
    kind: Literal["compensation", "batch_recall"]
    payee: str
    currency: str


class CostRecordedV1(Contract):
    item: str
    amount: str = Amount
    accounting_unit: str
    owner: str
    currency: str


class CostsConfirmedV1(Contract):
    total: str = Amount
    currency: str


class CostsApportionedV1(Contract):
    total: str = Amount
    shares: list[dict[str, Any]] = Field(description="kind, name, ratio (percent), amount")
    currency: str


class ChargeBackRaisedV1(Contract):
    party_kind: Literal["carrier", "supplier", "distributor", "customer"]
    party: str
    method: Literal[
        "deducted_from_freight_payable", "debit_note", "rebate_deduction", "customer_borne"
    ]
    amount: str = Amount
    document: str | None = Field(default=None, description="Debit note DN-YYYY-NNNNNN")
    currency: str


class PenaltyAssessedV1(Contract):
    target_kind: Literal["person", "unit"]
    target: str
    basis: Literal["share_of_loss", "fine"]
    value: str
    amount: str = Amount
    reason: str
    currency: str


class VoucherLine(Contract):
    account: str
    code: str
    name: str
    debit: str = Amount
    credit: str = Amount
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
    total_amount: str = Field(
        pattern=DECIMAL_PATTERN, description="Credited or paid to the customer, gross"
    )
    currency: str
    completed_by: str
