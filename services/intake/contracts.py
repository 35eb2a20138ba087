"""Intake's domain events -> public integration events (shared/contracts/intake.py)."""

from __future__ import annotations

from typing import Any

from services.intake.domain import Complaint
from shared.contracts.intake import ComplaintRegisteredV1
from shared.outbox import Published


def to_integration(e: Any) -> Published | None:
    if isinstance(e, Complaint.Registered):
        data = ComplaintRegisteredV1(
            number=e.number,
            received_at=e.received_at,
            channel=e.channel,
            nature=e.nature,
            complainant=e.complainant,
            subject=e.subject,
            description=e.description,
            demands=e.demands,
            taken_by=e.taken_by,
        )
        return Published(
            "intake.ComplaintRegistered", 1, e.number, e.received_at, data.model_dump(mode="json")
        )
    return None
