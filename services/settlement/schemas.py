"""Settlement's request and answer models: finance's commands and the settlement as read.

Values (amounts, prices, rates, shares) are the shared types of `shared.kernel.values`, the same as
the published contracts, so whatever these accept settlement can publish.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.settlement.domain import Settlement, SettlementStatus
from services.settlement.policy import SettlementPolicy
from shared.contracts.common import PARTY_KINDS
from shared.kernel.principal import Role
from shared.kernel.values import Percent, PositiveAmount, Rate, UnitPrice
from shared.platform.schemas import Strict


class Receipt(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"part_no": "PCB-7731", "quantity": 7}]}
    )
    part_no: str = Field(min_length=1, max_length=100)
    quantity: int = Field(gt=0, le=10**9)


class Decision(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "part_no": "PCB-7731",
                    "accept": False,
                    "reason": "one board extra: send it back",
                }
            ]
        }
    )
    part_no: str = Field(min_length=1, max_length=100)
    accept: bool = Field(description="Refund the actual quantity (true) or the approved one")
    reason: str = Field(min_length=1, max_length=2000)


class OrderRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "replacement",
                    "part_no": "PCB-7731",
                    "quantity": 12,
                    "unit_cost": "150.00",
                }
            ]
        }
    )
    kind: Literal["replacement", "rework"]
    part_no: str = Field(min_length=1, max_length=100)
    quantity: int = Field(gt=0, le=10**9)
    unit_cost: UnitPrice


class InvoicedLine(Strict):
    part_no: str | None = Field(default=None, max_length=100)
    quantity: int = Field(gt=0, le=10**9)
    unit_price: UnitPrice
    tax_rate: Rate = "0"


class Allowance(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mode": "percent",
                    "value": "5",
                    "lines": [
                        {
                            "part_no": "PCB-7731",
                            "quantity": 488,
                            "unit_price": "200.00",
                            "tax_rate": "0.13",
                        }
                    ],
                }
            ]
        }
    )
    mode: Literal["per_unit", "percent"]
    value: PositiveAmount = Field(description="Per unit: an amount; percent: 0 to 100")
    lines: list[InvoicedLine] = Field(min_length=1, max_length=200)


class Compensation(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"amount": "300.00", "kind": "compensation", "payee": "C-1001"}]
        }
    )
    amount: PositiveAmount
    kind: Literal["compensation", "batch_recall"] = "compensation"
    payee: str = Field(min_length=1, max_length=200)


class Cost(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "item": "sorting_at_customer",
                    "amount": "680.00",
                    "accounting_unit": "quality",
                    "owner": "cqe-ma",
                }
            ]
        }
    )
    item: str = Field(min_length=1, max_length=100, examples=["return_freight"])
    amount: PositiveAmount
    accounting_unit: str = Field(min_length=1, max_length=100)
    owner: str = Field(min_length=1, max_length=200)


class CostHeader(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"inspected": 500, "defective": 12}]})
    inspected: int = Field(gt=0, le=10**12)
    defective: int = Field(ge=0, le=10**12)


#: The sign-off of the cost sheet each role gives: the signer's role comes from the token.
SIGN_OFF_BY_ROLE = {
    Role.manager: "manager",
    Role.finance: "finance",
    Role.quality_engineer: "customer_quality_engineer",
    Role.product_manager: "product_management",
}


class SignOff(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "finance"}]})
    role: (
        Literal["manager", "finance", "customer_quality_engineer", "product_management"] | None
    ) = Field(
        default=None,
        description="Optional: the sign-off is the one the token's role gives; "
        "if given, it must be that one",
    )


class ToleranceChange(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"tolerance": "0.02", "reason": "framework contract §7: 2% over-receipt"}]
        }
    )
    tolerance: Rate = Field(description="The customer's over-receipt ratio, 0 to 1")
    reason: str = Field(min_length=1, max_length=2000)


class Share(Strict):
    kind: Literal[PARTY_KINDS]  # type: ignore[valid-type]
    name: str = Field(min_length=1, max_length=200)
    ratio: Percent = Field(description="Percent; all ratios total exactly 100")


class Apportionment(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "parties": [
                        {"kind": "carrier", "name": "SF Express", "ratio": "40"},
                        {"kind": "supplier", "name": "StencilCo", "ratio": "30"},
                        {"kind": "internal_unit", "name": "SMT", "ratio": "30"},
                    ],
                }
            ]
        }
    )
    parties: list[Share] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="Omitted: the split the investigation proposed (`proposed_apportionment`)",
    )
    reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Required when the parties differ from the proposed split",
    )


class Penalty(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target_kind": "person",
                    "target": "li-lei",
                    "basis": "fine",
                    "value": "20.00",
                    "reason": "first-contact responsibility broken",
                }
            ]
        }
    )
    target_kind: Literal["person", "unit"]
    target: str = Field(min_length=1, max_length=200)
    basis: Literal["share_of_loss", "fine"]
    value: PositiveAmount = Field(description="Fine: an amount; share of the loss: a percent")
    reason: str = Field(min_length=1, max_length=2000)


class Reversal(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"voucher": "JV-2026-000042", "reason": "booked twice"}]}
    )
    voucher: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=2000)


class SettlementRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "2611-0042",
                    "cycle": 1,
                    "status": "open",
                    "currency": "CNY",
                    "customer": {
                        "name": "Zhang San",
                        "type": "key_account",
                        "customer_id": "C-1001",
                    },
                    "remedies": [
                        {
                            "kind": "return",
                            "amount": "2400.00",
                            "quantity": 12,
                            "unit_price": "200.00",
                            "part_no": "PCB-7731",
                            "tax_rate": "0.13",
                        }
                    ],
                    "approved_total": "2400.00",
                    "return_note": "RN-2026-000042",
                    "received": {"PCB-7731": 12},
                    "held": {},
                    "credit_note": {
                        "document": "CN-2026-000042",
                        "net": "2400.00",
                        "tax": "312.00",
                        "gross": "2712.00",
                    },
                    "allowances": [],
                    "compensations": [],
                    "orders": [],
                    "costs": [],
                    "cost_header": None,
                    "sign_offs": {},
                    "costs_confirmed": False,
                    "apportionment": None,
                    "penalties": [],
                    "vouchers": {
                        "JV-2026-000101": {
                            "source": "credit_note:CN-2026-000042",
                            "lines": [],
                            "reverses": None,
                            "reversed_by": None,
                        }
                    },
                    "customer_total": "2712.00",
                    "approvals": [
                        {
                            "event_id": "0b6f2f0e-4a51-5d1e-9a53-6f3d3c1f5a10",
                            "approval_no": 1,
                            "approver_id": "mgr-li",
                            "level": "manager",
                            "remedies": [{"kind": "return", "amount": "2400.00"}],
                        }
                    ],
                    "tolerance": {"ratio": "0.05", "source": "company_default"},
                    "version": 5,
                }
            ]
        }
    )
    number: str
    cycle: int
    status: SettlementStatus
    currency: str
    customer: dict[str, Any]
    remedies: list[dict[str, Any]]
    approved_total: str
    return_note: str | None
    received: dict[str, int]
    held: dict[str, dict[str, Any]]
    credit_note: dict[str, Any] | None
    allowances: list[dict[str, Any]]
    compensations: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    costs: list[dict[str, Any]]
    cost_header: dict[str, Any] | None
    sign_offs: dict[str, str]
    costs_confirmed: bool
    apportionment: list[dict[str, Any]] | None
    proposed_apportionment: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The investigation's responsible parties and shares, offered as the split",
    )
    penalties: list[dict[str, Any]]
    vouchers: dict[str, dict[str, Any]]
    customer_total: str
    approvals: list[dict[str, Any]] = Field(
        description="The approvals that bound what is paid: the first, then supplements"
    )
    tolerance: dict[str, str] = Field(
        description="The over-receipt ratio in force and its source "
        "(settlement, customer or company_default)"
    )
    version: int

    @classmethod
    def of(cls, s: Settlement, policy: SettlementPolicy) -> SettlementRead:
        return cls(
            number=s.number,
            cycle=s.cycle,
            status=s.status,
            currency=s.currency,
            customer=s.customer,
            remedies=s.remedies,
            approved_total=s.total_amount,
            return_note=s.return_note,
            received=s.received,
            held=s.held,
            credit_note=s.credit_note,
            allowances=s.allowances,
            compensations=s.compensations,
            orders=s.orders,
            costs=s.costs,
            cost_header=s.cost_header,
            sign_offs=s.sign_offs,
            costs_confirmed=s.costs_confirmed,
            apportionment=s.apportionment,
            proposed_apportionment=s.proposed_apportionment,
            penalties=s.penalties,
            vouchers=s.vouchers,
            customer_total=str(s.customer_total.amount),
            approvals=s.approvals,
            tolerance=dict(
                zip(("ratio", "source"), map(str, s.tolerance_in_force(policy)), strict=True)
            ),
            version=s.version,
        )
