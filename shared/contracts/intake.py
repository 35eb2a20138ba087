"""Contracts published by intake on `complaints.intake.v1`."""

from __future__ import annotations

from pydantic import Field

from shared.contracts.common import Contract, Party
from shared.kernel.values import CaseNumberText, DecimalText, Instant


class Subject(Contract):
    product: str | None = None
    order_no: str | None = None
    part_no: str | None = None
    batch: str | None = None
    quantity_inspected: int | None = None
    quantity_defective: int | None = None
    region: str | None = None
    site: str | None = None
    attributes: dict[str, float | bool | str] = Field(default_factory=dict)


class Demands(Contract):
    remedy: str | None = None
    amount: DecimalText | None = None
    currency: str | None = None


class ProblemStatement(Contract):
    """5W1H (seed 004): who, what, when, where, why, how many."""

    who: str | None = None
    what: str
    when: str | None = None
    where: str
    why: str | None = None
    how_many: str | None = None


class ComplaintRegisteredV1(Contract):
    number: CaseNumberText = Field(description="Case number YYMM-NNNN, as in the envelope")
    received_at: Instant
    channel: str
    nature: str
    complainant: Party
    subject: Subject
    description: str
    demands: Demands
    taken_by: str = Field(description="First-contact owner (首问负责人)")
    problem: ProblemStatement | None = Field(default=None, description="Added compatibly")
    severity: str | None = Field(default=None, description="level_1..level_3 at registration")
    severity_rule: str | None = Field(default=None, description="Which rule set the severity")
    flags: list[str] = Field(default_factory=list)
    acknowledge_due: Instant | None = None
    backdating_reason: str | None = Field(
        default=None,
        description="Why an admin registered this complaint into a month whose report was "
        "final; the month's report is amended",
    )


class ComplaintAcknowledgedV1(Contract):
    reply: str
    acknowledged_at: Instant
    on_time: bool = Field(description="Within the acknowledgement deadline (24 h by default)")


class ComplaintJudgedV1(Contract):
    valid: bool
    reason: str
    reply: str | None = Field(description="The explained reply; required when not valid")


class ComplaintClassifiedV1(Contract):
    changes: dict[str, str] = Field(description="scheme -> code, only what changed")
    reason: str


class RepeatLinkedV1(Contract):
    earlier: CaseNumberText
    matched_on: list[str]


class RepeatUnlinkedV1(Contract):
    earlier: CaseNumberText
    reason: str


class EvidenceAttachedV1(Contract):
    sha256: str
    filename: str
    content_type: str
    size: int


class OutcomeConfirmedV1(Contract):
    satisfaction: int = Field(ge=1, le=5)
    comment: str | None = None


class ComplaintReopenedV1(Contract):
    cycle: int = Field(description="The new handling cycle, 2 for the first reopening")
    previous_cycle: int
    reason: str


class ComplaintWithdrawnV1(Contract):
    reason: str
