"""Intake's request and response bodies (Create / Read / command shapes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from services.intake.domain import Channel, Complaint, Nature
from services.intake.taxonomy import LEVEL_1_FLAGS, LEVEL_2_FLAGS, Taxonomy
from shared.kernel.money import at_minor_unit
from shared.kernel.values import (
    MAX_TEXT,
    MINOR_UNIT_RULE,
    Amount,
    CaseNumberText,
    Instant,
    Rate,
    below_minor_unit,
)
from shared.platform.schemas import Currency, Strict

Text200 = Field(min_length=1, max_length=200)

#: The longest text value of a subject's attribute. Checked by `Subject`'s validator, which
#: names the attribute; declared on the type so the OpenAPI states the bound.
ATTRIBUTE_TEXT = 200
AttributeText = Annotated[str, WithJsonSchema({"type": "string", "maxLength": ATTRIBUTE_TEXT})]


class Complainant(Strict):
    name: str = Text200
    type: Literal["consumer", "distributor", "key_account", "vip", "other"] = "consumer"
    customer_id: str | None = Field(default=None, max_length=100)
    contact: str | None = Field(default=None, max_length=200)
    foreign: bool = Field(default=False, description="A foreign customer (longer deadlines)")
    over_receipt_tolerance: Rate | None = Field(
        default=None,
        description="The customer's own over-receipt ratio (客户超量允收比率, 0 to 1), used "
        "instead of the company default when returns are booked",
    )


class Subject(Strict):
    product: str | None = Field(default=None, max_length=200)
    order_no: str | None = Field(default=None, max_length=100)
    part_no: str | None = Field(default=None, max_length=100)
    batch: str | None = Field(default=None, max_length=100, description="Batch / date code")
    quantity_inspected: int | None = Field(default=None, ge=0, le=10**12)
    quantity_defective: int | None = Field(default=None, ge=0, le=10**12)
    region: str | None = Field(default=None, max_length=100)
    site: str | None = Field(default=None, max_length=200)
    attributes: dict[str, float | bool | AttributeText] = Field(
        default_factory=dict,
        max_length=30,
        description="Measured or diagnostic facts routing rules may use, e.g. "
        '{"signal_dbm": -97, "sim_ok": true}; names are identifiers of at most 50 '
        "characters, text values at most 200",
    )

    @field_validator("attributes")
    @classmethod
    def _attribute_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, item in value.items():
            if not name.isidentifier() or len(name) > 50:
                raise PydanticCustomError(
                    "attribute_name",
                    "attribute name {name} must be an identifier of at most 50 characters",
                    {"name": repr(name[:60])},
                )
            if isinstance(item, str) and len(item) > ATTRIBUTE_TEXT:
                raise PydanticCustomError(
                    "attribute_length",
                    "attribute {name} is longer than {most} characters",
                    {"name": repr(name), "most": ATTRIBUTE_TEXT},
                )
        return value

    @field_validator("quantity_defective")
    @classmethod
    def _defective_within_inspected(cls, defective: int | None, info: ValidationInfo) -> int | None:
        inspected = info.data.get("quantity_inspected")
        if defective is not None and inspected is not None and defective > inspected:
            raise PydanticCustomError(
                "within_inspected",
                "must not exceed quantity_inspected ({inspected})",
                {"inspected": inspected},
            )
        return defective


class ProblemStatement(Strict):
    """5W1H (seed 004). `what` and `where` are required: without them nobody can act."""

    who: str | None = Field(default=None, max_length=500)
    what: str = Field(min_length=1, max_length=2000)
    when: str | None = Field(default=None, max_length=200)
    where: str = Field(min_length=1, max_length=500)
    why: str | None = Field(default=None, max_length=2000)
    how_many: str | None = Field(default=None, max_length=200)


class Demands(Strict):
    remedy: (
        Literal["return", "exchange", "repair", "allowance", "compensation", "apology", "other"]
        | None
    ) = None
    currency: Currency | None = None
    amount: Amount | None = None

    @field_validator("amount")
    @classmethod
    def _money(cls, amount: str | None, info: ValidationInfo) -> str | None:
        currency = info.data.get("currency")
        if amount is None:
            return amount
        if currency is None:
            raise PydanticCustomError("currency_required", "an amount claimed needs its currency")
        if problem := below_minor_unit(amount, currency):
            raise PydanticCustomError(MINOR_UNIT_RULE, problem)
        return at_minor_unit(amount, currency)


class ComplaintCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "phone",
                    "nature": "quality",
                    "complainant": {
                        "name": "Zhang San",
                        "type": "key_account",
                        "customer_id": "C-1001",
                    },
                    "subject": {
                        "part_no": "PCB-7731",
                        "batch": "2645",
                        "quantity_inspected": 500,
                        "quantity_defective": 12,
                        "region": "East",
                    },
                    "problem": {"what": "solder bridges on J3", "where": "customer's SMT line 2"},
                    "description": "12 of 500 boards short on J3",
                    "demands": {"remedy": "return", "amount": "2400.00", "currency": "CNY"},
                }
            ]
        },
    )

    channel: Channel
    nature: Nature
    received_at: Instant | None = Field(default=None, description="Defaults to now.")
    complainant: Complainant
    subject: Subject = Subject()
    problem: ProblemStatement
    description: str = Field(min_length=1, max_length=MAX_TEXT)
    demands: Demands = Demands()
    flags: list[Literal[tuple(sorted(LEVEL_1_FLAGS | LEVEL_2_FLAGS))]] = Field(  # type: ignore[valid-type]
        default_factory=list,
        max_length=10,
        description="What the desk knows that raises severity (docs/domain §3).",
    )
    backdating_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Admins only: why the complaint is registered into a month whose report "
        "is final (the report is then amended)",
    )


class ComplaintRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "2611-0042",
                    "status": "registered",
                    "cycle": 1,
                    "received_at": "2026-11-05T02:00:00Z",
                    "channel": {"code": "phone", "zh-CN": "电话/热线", "en": "Phone / hotline"},
                    "classification": {
                        "nature": {"code": "quality", "zh-CN": "品质", "en": "Quality"},
                        "severity": {
                            "code": "level_2",
                            "zh-CN": "二级（重要）",
                            "en": "Level 2 (important)",
                        },
                        "fault_class": None,
                        "online_level": None,
                        "cause": None,
                    },
                    "complainant": {
                        "name": "Zhang San",
                        "type": "key_account",
                        "customer_id": "C-1001",
                        "contact": None,
                        "foreign": False,
                    },
                    "subject": {
                        "part_no": "PCB-7731",
                        "batch": "2645",
                        "quantity_inspected": 500,
                        "quantity_defective": 12,
                    },
                    "problem": {"what": "solder bridges on J3", "where": "SMT line 2"},
                    "description": "12 of 500 boards short on J3",
                    "demands": {"remedy": "return", "amount": "2400.00", "currency": "CNY"},
                    "taken_by": "clerk-wang",
                    "flags": [],
                    "acknowledge_due": "2026-11-06T02:00:00Z",
                    "acknowledged_at": None,
                    "validity": None,
                    "repeat_of": {},
                    "evidence": [],
                    "outcome": None,
                    "version": 1,
                }
            ]
        }
    )
    number: str
    status: str
    cycle: int
    received_at: datetime
    channel: dict[str, Any]
    classification: dict[str, Any]
    complainant: dict[str, Any]
    subject: dict[str, Any]
    problem: dict[str, Any]
    description: str
    demands: dict[str, Any]
    taken_by: str
    flags: list[str]
    acknowledge_due: datetime | None
    backdating_reason: str | None = None
    acknowledged_at: datetime | None
    validity: dict[str, Any] | None
    repeat_of: dict[str, list[str]]
    evidence: list[dict[str, Any]]
    outcome: dict[str, Any] | None
    version: int

    @classmethod
    def of(cls, c: Complaint, taxonomy: Taxonomy) -> ComplaintRead:
        return cls(
            number=c.number,
            status=c.status,
            cycle=c.cycle,
            received_at=c.received_at,
            channel=taxonomy.labelled("channel", c.channel) or {},
            classification={k: taxonomy.labelled(k, v) for k, v in c.classification.items()},
            complainant=c.complainant,
            subject=c.subject,
            problem=c.problem,
            description=c.description,
            demands=c.demands,
            taken_by=c.taken_by,
            flags=c.flags,
            acknowledge_due=c.acknowledge_due,
            backdating_reason=c.backdating_reason,
            acknowledged_at=c.acknowledged_at,
            validity=c.validity,
            repeat_of=c.repeat_of,
            evidence=[{"sha256": k, **v} for k, v in c.evidence.items()],
            outcome=c.outcome,
            version=c.version,
        )


class ComplaintSummary(BaseModel):
    number: str
    received_at: datetime
    status: str
    channel: str
    nature: str
    severity: str
    customer_name: str
    part_no: str | None
    batch: str | None
    cycle: int


class ComplaintPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "number": "2611-0042",
                            "received_at": "2026-11-05T02:00:00Z",
                            "status": "registered",
                            "channel": "phone",
                            "nature": "quality",
                            "severity": "level_2",
                            "customer_name": "Zhang San",
                            "part_no": "PCB-7731",
                            "batch": "2645",
                            "cycle": 1,
                        }
                    ],
                    "next_cursor": "WyIyMDI2LTExLTA1VDAyOjAwOjAwKzAwOjAwIiwgIjI2MTEtMDA0MiJd",
                }
            ]
        }
    )
    items: list[ComplaintSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class Acknowledgement(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reply": "We received your complaint and will answer within 3 working days.",
                }
            ]
        }
    )
    reply: str = Field(min_length=1, max_length=5000)


class Judgement(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "valid": False,
                    "reason": "damage from storage in a wet warehouse",
                    "reply": "Stored at 90% humidity; see the handling guide, p. 4.",
                }
            ]
        }
    )
    valid: bool
    reason: str = Field(min_length=1, max_length=5000)
    reply: str | None = Field(
        default=None, max_length=5000, description="Required when not valid: the explained reply"
    )


class Classification(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "confirmed by lab",
                    "cause": "technical_defect",
                    "severity": "level_2",
                }
            ]
        }
    )
    reason: str = Field(min_length=1, max_length=2000)
    nature: str | None = Field(default=None, max_length=100)
    fault_class: str | None = Field(default=None, max_length=100)
    online_level: str | None = Field(default=None, max_length=100)
    severity: str | None = Field(default=None, max_length=100)
    cause: str | None = Field(default=None, max_length=100)

    def changes(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump(exclude={"reason"}).items() if v is not None}


class RepeatLink(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"earlier": "2611-0007"}]})
    earlier: CaseNumberText


class Confirmation(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"satisfaction": 4, "comment": "Replacement arrived on time."}]
        }
    )
    satisfaction: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=5000)


class Reason(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reason": "The customer settled it with the distributor."}]
        }
    )
    reason: str = Field(min_length=1, max_length=5000)


class RepeatCandidate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "2611-0007",
                    "received_at": "2026-11-01T03:00:00Z",
                    "matched_on": ["part_no", "batch"],
                }
            ]
        }
    )
    number: str
    received_at: datetime
    matched_on: list[str]


class TimelineEntry(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "position": 1,
                    "type": "Registered",
                    "at": "2026-11-05T02:00:00Z",
                    "actor": {"id": "clerk-wang", "role": "clerk"},
                    "correlation_id": "5b0c7f9e-4a7e-4d0b-9a43-2f0f5c1d7a11",
                    "data": {"number": "2611-0042", "channel": "phone"},
                }
            ]
        }
    )
    position: int = Field(description="Version of the complaint stream")
    type: str
    at: datetime
    actor: dict[str, Any] | None
    correlation_id: str | None
    data: dict[str, Any]
