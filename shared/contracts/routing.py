"""Contracts published by routing on `complaints.routing.v1`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from shared.contracts.common import Contract, Party, RemedyLine
from shared.kernel.values import DecimalText, Instant


class StopCause(StrEnum):
    """Why a deadline clock stopped: its step was done, or the case cut it short."""

    #: The step was done (acknowledged, concluded, reported, confirmed, closed).
    completed = "completed"
    not_valid = "not_valid"
    withdrawn = "withdrawn"
    reopened = "reopened"
    #: The case closed while this step's clock still ran (a step that was never needed).
    closed = "closed"


class CaseAssignedV1(Contract):
    unit: str
    rule_id: str = Field(description="The routing rule that decided")
    ruleset_version: str
    role: str | None = None
    trace: list[dict[str, Any]] = Field(
        default_factory=list, description="Every rule tried and why it failed"
    )


class CaseReassignedV1(Contract):
    unit: str
    previous_unit: str
    reason: str
    rule_id: str | None = Field(
        default=None,
        description="The routing rule that moved it, when changed facts did (absent: a manager)",
    )
    ruleset_version: str | None = None
    role: str | None = None
    trace: list[dict[str, Any]] = Field(
        default_factory=list, description="Every rule tried and why it failed"
    )


class CaseEscalatedV1(Contract):
    level: str = Field(description="unit_manager, deputy_general_manager or senior_management")
    reason: str


class ClockStartedV1(Contract):
    clock: str = Field(
        description="acknowledge, answer, unit_conclusion, investigation_report, close, "
        "customer_confirmation (the deadline policy may name others)"
    )
    started_at: Instant
    due: Instant
    policy_version: str


class ClockChangedV1(Contract):
    clock: str
    change: Literal["paused", "resumed", "extended", "rebaselined"]
    due: Instant | None = None
    reason: str


class ClockStoppedV1(Contract):
    clock: str
    at: Instant = Field(
        description="When the step happened: the causing event's time, not when routing "
        "processed it"
    )
    met: bool = Field(description="Stopped on or before its due time")
    reason: str
    cause: StopCause | None = Field(
        default=None,
        description="Why it stopped; `completed` counts towards the step's on-time rate "
        "(absent only on events published before it was added)",
    )


class TimerFiredV1(Contract):
    """A warning, reminder (催办单) or escalation: the envelope's `case_number` names the case."""

    clock: str
    timer: Literal["warning", "reminder", "escalation"] = Field(
        description="reminder = 催办 to the unit; escalation = one level up"
    )
    unit: str = Field(description="The unit the case is with, which the reminder is for")
    due: Instant
    level: str | None = Field(
        default=None,
        description="The case's escalation level when it fired: unit_handler, unit_manager, "
        "deputy_general_manager or senior_management (who is to be told)",
    )


class OverdueReviewRequestedV1(Contract):
    """After closing, a step that ran late goes to review for its reason (洽办单, 002 §十四)."""

    clock: str
    cycle: int
    unit: str = Field(description="The unit the case was with when it closed")
    due: Instant
    done_at: Instant = Field(description="When the step was done or cut short")
    extensions: list[dict[str, Any]] = Field(
        default_factory=list, description="Extensions granted, with their reasons"
    )


class ResponsibleParty(Contract):
    kind: str = Field(description="internal_unit, person, carrier, supplier, distributor, customer")
    name: str
    share: DecimalText = Field(description="Percent of responsibility")


class InvestigationRecordedV1(Contract):
    problem: dict[str, Any]
    five_whys: list[str]
    fishbone: dict[str, list[str]]
    root_cause: str
    responsible_parties: list[ResponsibleParty]


class CorrectiveAction(Contract):
    kind: Literal["corrective", "preventive"]
    description: str
    owner: str
    due: str = Field(description="ISO date")


class RemedyProposedV1(Contract):
    remedies: list[RemedyLine]
    total_amount: DecimalText
    currency: str
    actions: list[CorrectiveAction] = Field(default_factory=list)


class MemoFiledV1(Contract):
    from_unit: str
    author: str
    text: str


class RemedyApprovedV1(Contract):
    approver_id: str
    approver_level: str
    required_level: str
    remedies: list[RemedyLine]
    total_amount: DecimalText
    currency: str
    customer: Party
    unit: str
    responsible_parties: list[ResponsibleParty] = Field(default_factory=list)
    cycle: int = 1
    subject: dict[str, Any] = Field(default_factory=dict)
    approval_no: int = Field(
        default=1,
        description="1 for the cycle's first approval; 2, 3, ... for supplements to it. "
        "`remedies` and `total_amount` are this approval's own; money may be paid up to "
        "what all approvals of the cycle cover together",
    )
    cumulative_total: DecimalText | None = Field(
        default=None,
        description="What the cycle's approvals cover together; the authority was checked "
        "against it",
    )
    authority_verified: bool | None = Field(
        default=None, description="The approver's authority came from a verified token"
    )


class RemedyRejectedV1(Contract):
    approver_id: str
    reason: str


class CaseReopenedV1(Contract):
    cycle: int
    reason: str


class CaseClosedV1(Contract):
    outcome: Literal["closed", "not_valid", "withdrawn"]
    reason: str
