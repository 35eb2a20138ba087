"""Intake's Application: commands and queries over complaints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.intake.domain import Complaint, NumberSequence
from shared.case_number import CaseNumber, aggregate_id, numbering_period
from shared.errors import Conflict, NotFound
from shared.eventstore import ServiceApplication
from shared.meta import Meta, for_case

#: Concurrent registrations in one month conflict on the number sequence; each retry
#: re-reads it. Under 20 concurrent clients a handful of retries is plenty.
MAX_NUMBERING_ATTEMPTS = 50


@dataclass(frozen=True)
class Registration:
    received_at: datetime
    channel: str
    nature: str
    complainant: dict[str, Any]
    subject: dict[str, Any]
    description: str
    demands: dict[str, Any]
    taken_by: str


class IntakeApplication(ServiceApplication):
    name = "intake"

    def __init__(self, env: dict[str, str], business_timezone: str) -> None:
        super().__init__(env)
        self.business_timezone = business_timezone

    def register(self, registration: Registration, meta: Meta) -> Complaint:
        """Number and record a complaint, atomically with its serial."""
        period = numbering_period(registration.received_at, self.business_timezone)
        for _ in range(MAX_NUMBERING_ATTEMPTS):
            sequence = self._sequence(period)
            number = sequence.next_case_number()
            complaint = Complaint(
                number=number,
                received_at=registration.received_at,
                channel=registration.channel,
                nature=registration.nature,
                complainant=registration.complainant,
                subject=registration.subject,
                description=registration.description,
                demands=registration.demands,
                taken_by=registration.taken_by,
                meta=for_case(meta, number),
            )
            try:
                self.save(sequence, complaint)
            except IntegrityError:
                continue
            return complaint
        raise Conflict("too many concurrent registrations; retry the request")

    def _sequence(self, period: str) -> NumberSequence:
        try:
            return self.repository.get(aggregate_id("intake.number-sequence", period))
        except AggregateNotFoundError:
            return NumberSequence(period=period)

    def complaint(self, number: str) -> Complaint:
        CaseNumber.parse(number)
        try:
            return self.repository.get(aggregate_id("intake.complaint", number))
        except AggregateNotFoundError:
            raise NotFound(f"no complaint {number}") from None
