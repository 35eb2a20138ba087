"""Intake's public contract: which domain events leave the service, and in what shape."""

from __future__ import annotations

from typing import Any

from services.intake.domain import Complaint
from shared.outbox import Published


def to_integration(domain_event: Any) -> Published | None:
    if isinstance(domain_event, Complaint.Registered):
        e = domain_event
        return Published(
            type="intake.ComplaintRegistered",
            schema_version=1,
            case_number=e.number,
            occurred_at=e.received_at,
            data={
                "number": e.number,
                "received_at": e.received_at.isoformat(),
                "channel": e.channel,
                "nature": e.nature,
                "complainant": e.complainant,
                "subject": e.subject,
                "description": e.description,
                "demands": e.demands,
                "taken_by": e.taken_by,
            },
        )
    return None
