"""Intake's aggregates: the complaint as the customer made it, and the monthly number sequence.

Command methods check their rules first (raising `Conflict`/`Invalid`) and only then trigger
an event, so a refused command leaves no event (the eventsourcing idiom: public command,
private `@event` method that only mutates).
"""

from services.intake.domain.codes import CLASSIFICATION_SCHEMES, CLOSED, Channel, Nature, Status
from services.intake.domain.complaint import Complaint
from services.intake.domain.idempotency import IdempotencyKey
from services.intake.domain.sequence import NumberSequence

__all__ = [
    "CLASSIFICATION_SCHEMES",
    "CLOSED",
    "Channel",
    "Complaint",
    "IdempotencyKey",
    "Nature",
    "NumberSequence",
    "Status",
]
