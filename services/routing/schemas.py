"""Routing's request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.routing.domain import FISHBONE, LADDER, Case, CaseStatus
from services.routing.rules import OPERATOR_NAMES
from shared.contracts.common import PARTY_KINDS
from shared.kernel.values import Amount, Instant, Rate, Share, UnitPrice
from shared.platform.schemas import Currency, Strict

#: A name in a map: a 5W1H question, a fishbone category.
Label = Annotated[str, Field(max_length=50)]
#: One finding of an investigation: a why, a cause, the answer to a 5W1H question.
Finding = Annotated[str, Field(max_length=2000)]

RULES_EXAMPLE: dict[str, Any] = {
    "version": "2026.12-1",
    "rules": [
        {
            "id": "quality",
            "unit": "quality_management",
            "role": "handler",
            "when": [{"fact": "nature", "op": "eq", "value": "quality"}],
            "description": "quality",
        },
        {"id": "catch-all", "unit": "customer_service", "when": []},
    ],
}


class Reason(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "waiting for the customer's samples"}]}
    )
    reason: str = Field(min_length=1, max_length=2000)


class Reassignment(Reason):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reason": "the carrier damaged it: logistics", "unit": "logistics"}]
        }
    )
    unit: str = Field(min_length=1, max_length=100)
    pin: bool = Field(
        default=True,
        description="Keep the case with this unit when facts change (no reassignment by rule)",
    )


class Pin(Reason):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"pinned": True, "reason": "QA keeps it: batch issue"}]}
    )
    pinned: bool


class Extension(Reason):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "supplier analysis pending",
                    "due": "2026-11-12T02:00:00Z",
                }
            ]
        }
    )
    due: Instant


class Party(Strict):
    kind: Literal[PARTY_KINDS]  # type: ignore[valid-type]
    name: str = Field(min_length=1, max_length=200)
    share: Share = Field(description="Percent of responsibility; all shares total 100")


class Investigation(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "problem": {
                        "who": "SMT line 2",
                        "what": "solder bridges",
                        "where": "J3",
                        "when": "week 45",
                        "why": "paste too thick",
                        "how_many": "12 of 500",
                    },
                    "five_whys": [
                        "bridges",
                        "paste too thick",
                        "stencil worn",
                        "no stencil life limit",
                        "no PM plan",
                    ],
                    "fishbone": {"machine": ["stencil worn"], "method": ["no stencil life limit"]},
                    "root_cause": "stencil used beyond its life",
                    "responsible_parties": [
                        {"kind": "internal_unit", "name": "SMT", "share": "70"},
                        {"kind": "supplier", "name": "StencilCo", "share": "30"},
                    ],
                }
            ]
        }
    )
    problem: dict[Label, Finding] = Field(
        max_length=20, description="5W1H: who, what, when, where, why, how_many"
    )
    five_whys: list[Finding] = Field(default_factory=list, max_length=10)
    fishbone: dict[Label, Annotated[list[Finding], Field(max_length=20)]] = Field(
        default_factory=dict,
        max_length=len(FISHBONE),
        description="Causes by category (at most 20 each): " + ", ".join(FISHBONE),
    )
    root_cause: str = Field(min_length=1, max_length=5000)
    responsible_parties: list[Party] = Field(default_factory=list, max_length=20)


class RemedyLine(Strict):
    kind: Literal["return", "exchange", "repair", "allowance", "compensation"]
    amount: Amount = Field(
        description="Exact to the currency's minor unit; with a quantity and unit price, "
        "quantity × unit price rounded half-up to it"
    )
    quantity: int | None = Field(default=None, ge=0, le=10**9)
    unit_price: UnitPrice | None = None
    part_no: str | None = Field(default=None, max_length=100)
    tax_rate: Rate | None = None


class Action(Strict):
    kind: Literal["corrective", "preventive"]
    description: str = Field(min_length=1, max_length=2000)
    owner: str = Field(min_length=1, max_length=200)
    due: date


class Proposal(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "currency": "CNY",
                    "remedies": [
                        {
                            "kind": "return",
                            "amount": "2400.00",
                            "quantity": 12,
                            "unit_price": "200.00",
                            "part_no": "PCB-7731",
                        }
                    ],
                    "actions": [
                        {
                            "kind": "corrective",
                            "description": "recalibrate reflow oven",
                            "owner": "pe-zhao",
                            "due": "2026-12-01",
                        }
                    ],
                }
            ]
        },
    )
    remedies: list[RemedyLine] = Field(min_length=1, max_length=100)
    currency: Currency
    actions: list[Action] = Field(default_factory=list, max_length=50)


class Memo(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from_unit": "finance",
                    "text": "The allowance exceeds the customer's annual rebate.",
                }
            ]
        }
    )
    from_unit: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=5000)


class Rejection(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Propose rework before a refund."}]}
    )
    reason: str = Field(min_length=1, max_length=2000)


class FollowUp(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "responsible_dealt_with": "SMT lead warned per reward/penalty notice",
                    "people_briefed": "SMT shift briefed on stencil checks",
                }
            ]
        }
    )
    responsible_dealt_with: str | None = Field(default=None, max_length=5000)
    people_briefed: str | None = Field(default=None, max_length=5000)


class CaseRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "2611-0042",
                    "status": "proposed",
                    "cycle": 1,
                    "unit": "quality_management",
                    "role": "handler",
                    "severity": "level_2",
                    "escalation": "unit_handler",
                    "nature": "quality",
                    "channel": "phone",
                    "clocks": {
                        "close": {
                            "started_at": "2026-11-05T02:00:00Z",
                            "due": "2026-11-18T02:00:00Z",
                            "fired": [],
                            "state": "running",
                            "paused_at": None,
                            "extensions": [],
                            "cycle": 1,
                        }
                    },
                    "investigation": None,
                    "remedies": [
                        {
                            "kind": "return",
                            "amount": "2400.00",
                            "quantity": 12,
                            "unit_price": "200.00",
                            "part_no": "PCB-7731",
                        }
                    ],
                    "actions": [],
                    "total_amount": "2400.00",
                    "currency": "CNY",
                    "approval": None,
                    "approvals": [],
                    "approved_total": None,
                    "memos": [],
                    "follow_up": {},
                    "late_steps": [],
                    "version": 9,
                }
            ]
        }
    )
    number: str
    status: CaseStatus
    cycle: int
    unit: str | None
    role: str | None
    severity: str
    escalation: str
    nature: str
    channel: str
    clocks: dict[str, dict[str, Any]]
    investigation: dict[str, Any] | None
    remedies: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    total_amount: str | None
    currency: str | None
    approval: dict[str, Any] | None
    approvals: list[dict[str, Any]] = Field(
        description="This cycle's approvals, the first and its supplements"
    )
    approved_total: str | None = Field(description="What this cycle's approvals cover together")
    classification: dict[str, str] = Field(
        default_factory=dict, description="Intake's cause, fault class and online level"
    )
    pinned: dict[str, Any] | None = Field(
        default=None, description="A manager's pin to the unit, with the reason"
    )
    memos: list[dict[str, Any]]
    follow_up: dict[str, str]
    late_steps: list[dict[str, Any]]
    version: int

    @classmethod
    def of(cls, case: Case) -> CaseRead:
        return cls(
            number=case.number,
            status=case.status,
            cycle=case.cycle,
            unit=case.unit,
            role=case.role,
            severity=case.severity,
            escalation=LADDER[case.escalation_level],
            nature=case.nature,
            channel=case.channel,
            clocks={name: state.shown() for name, state in case.clocks.items()},
            investigation=case.investigation,
            remedies=case.remedies,
            actions=case.actions,
            total_amount=str(case.total.amount) if case.total else None,
            currency=case.total.currency if case.total else None,
            approval=case.approval,
            approvals=case.approvals,
            approved_total=str(case.approved_total.amount) if case.approved_total else None,
            classification=case.classification,
            pinned=case.pinned,
            memos=case.memos,
            follow_up=case.follow_up,
            late_steps=case.late_steps,
            version=case.version,
        )


class QueueItem(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "2611-0042",
                    "unit": "quality_management",
                    "status": "assigned",
                    "severity": "level_2",
                    "cycle": 1,
                    "escalation": "unit_handler",
                    "next_due": "2026-11-06T02:00:00Z",
                }
            ]
        }
    )
    number: str
    unit: str | None
    status: CaseStatus
    severity: str
    cycle: int
    escalation: str
    next_due: datetime


class QueuePage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "number": "2611-0042",
                            "unit": "quality_management",
                            "status": "assigned",
                            "severity": "level_2",
                            "cycle": 1,
                            "escalation": "unit_handler",
                            "next_due": "2026-11-06T02:00:00Z",
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )
    items: list[QueueItem]
    next_cursor: str | None


#: One value a condition compares a fact with: text, a number or a yes/no.
RuleValue = Annotated[str, Field(max_length=200)] | int | float | bool


class RuleCondition(Strict):
    fact: str = Field(
        min_length=1,
        max_length=50,
        description="A case fact (channel, nature, severity, cause, fault_class, online_level, "
        "customer_type, foreign, region, product, part_no, responsible) or a subject attribute",
    )
    op: Literal[OPERATOR_NAMES] = Field(  # type: ignore[valid-type]
        description="`lt`, `lte`, `gt`, `gte` take a number; `in` a list of values; "
        "`contains` holds when the fact is a list (e.g. `responsible`) holding the value"
    )
    value: RuleValue | Annotated[list[RuleValue], Field(max_length=100)]


class RoutingRule(Strict):
    id: str = Field(min_length=1, max_length=100, description="Unique within the rule set")
    unit: str = Field(min_length=1, max_length=100, description="The unit it assigns")
    role: str = Field(default="handler", min_length=1, max_length=50)
    when: list[RuleCondition] = Field(
        default_factory=list, max_length=20, description="All must hold; none: a catch-all"
    )
    description: str = Field(default="", max_length=500)


class RoutingRules(Strict):
    """A rule set to publish: the first rule whose conditions all hold decides."""

    model_config = ConfigDict(json_schema_extra={"examples": [RULES_EXAMPLE]})
    version: str = Field(min_length=1, max_length=50, description="New at each publication")
    rules: list[RoutingRule] = Field(
        min_length=1,
        max_length=200,
        description="In order; ids unique; the last a catch-all (no conditions)",
    )


class DryRun(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "facts": {
                        "nature": "network",
                        "sim_ok": True,
                        "handset_ok": True,
                        "signal_dbm": -97,
                    }
                }
            ]
        }
    )
    facts: dict[str, Any] = Field(
        max_length=50,
        examples=[{"nature": "network", "sim_ok": True, "handset_ok": True, "signal_dbm": -97}],
    )
