"""Intake's domain events -> public integration events (shared/contracts/intake.py)."""

from __future__ import annotations

from typing import Any

from services.intake.domain import Complaint
from shared.contracts import intake as c
from shared.outbox import Published


def to_integration(e: Any) -> Published | None:
    if isinstance(e, Complaint.Registered):
        data = c.ComplaintRegisteredV1(
            number=e.number,
            received_at=e.received_at,
            channel=e.channel,
            nature=e.nature,
            complainant=e.complainant,
            subject=e.subject,
            description=e.description,
            demands=e.demands,
            taken_by=e.taken_by,
            problem=e.problem,
            severity=e.severity,
            severity_rule=e.severity_rule,
            flags=e.flags or [],
            acknowledge_due=e.acknowledge_due,
        )
        return Published(
            "intake.ComplaintRegistered", 1, e.number, e.received_at, data.model_dump(mode="json")
        )
    mapping = _MAPPINGS.get(type(e))
    if mapping is None:
        return None
    type_, build = mapping
    return Published(type_, 1, e.meta["case_number"], e.timestamp, build(e).model_dump(mode="json"))


_MAPPINGS: dict[type, tuple[str, Any]] = {
    Complaint.Acknowledged: (
        "intake.ComplaintAcknowledged",
        lambda e: c.ComplaintAcknowledgedV1(
            reply=e.reply, acknowledged_at=e.acknowledged_at, on_time=e.on_time
        ),
    ),
    Complaint.Judged: (
        "intake.ComplaintJudged",
        lambda e: c.ComplaintJudgedV1(valid=e.valid, reason=e.reason, reply=e.reply),
    ),
    Complaint.Classified: (
        "intake.ComplaintClassified",
        lambda e: c.ComplaintClassifiedV1(changes=e.changes, reason=e.reason),
    ),
    Complaint.RepeatLinked: (
        "intake.RepeatLinked",
        lambda e: c.RepeatLinkedV1(earlier=e.earlier, matched_on=e.matched_on),
    ),
    Complaint.RepeatUnlinked: (
        "intake.RepeatUnlinked",
        lambda e: c.RepeatUnlinkedV1(earlier=e.earlier, reason=e.reason),
    ),
    Complaint.EvidenceAttached: (
        "intake.EvidenceAttached",
        lambda e: c.EvidenceAttachedV1(
            sha256=e.sha256, filename=e.filename, content_type=e.content_type, size=e.size
        ),
    ),
    Complaint.OutcomeConfirmed: (
        "intake.OutcomeConfirmed",
        lambda e: c.OutcomeConfirmedV1(satisfaction=e.satisfaction, comment=e.comment),
    ),
    Complaint.Reopened: (
        "intake.ComplaintReopened",
        lambda e: c.ComplaintReopenedV1(
            cycle=e.cycle, previous_cycle=e.previous_cycle, reason=e.reason
        ),
    ),
    Complaint.Withdrawn: (
        "intake.ComplaintWithdrawn",
        lambda e: c.ComplaintWithdrawnV1(reason=e.reason),
    ),
}
