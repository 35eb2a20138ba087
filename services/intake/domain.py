"""Intake's aggregates: the complaint, and the monthly number sequence that names it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import event

from shared.case_number import aggregate_id
from shared.eventstore import ClockedAggregate
from shared.meta import Meta


class Channel(StrEnum):
    """受理渠道 (DOMAIN §2)."""

    phone = "phone"
    letter = "letter"
    fax = "fax"
    email = "email"
    walk_in = "walk_in"
    comment_book = "comment_book"
    web_form = "web_form"
    chat = "chat"
    social_media = "social_media"
    regulator = "regulator"
    consumer_association = "consumer_association"
    media = "media"
    head_office = "head_office"


class Nature(StrEnum):
    """Nature of the complaint (seeds 000, 002): quality-related or not, and which kind."""

    quality = "quality"
    transport = "transport"
    repair = "repair"
    delivery = "delivery"
    service = "service"
    billing = "billing"
    other = "other"


class NumberSequence(ClockedAggregate):
    """The serials of one numbering period `YYMM`: gapless, never reused.

    Registering a complaint issues the next serial and creates the complaint in one atomic
    save; two concurrent registrations conflict on this aggregate's version and one retries,
    so no serial is ever skipped or given twice.
    """

    @staticmethod
    def create_id(period: str, **_: Any) -> Any:
        return aggregate_id("intake.number-sequence", period)

    @event("Started")
    def __init__(self, period: str) -> None:
        self.period = period
        self.last_serial = 0

    @event("SerialIssued")
    def issue(self, serial: int, case_number: str) -> None:
        self.last_serial = serial

    def next_case_number(self) -> str:
        serial = self.last_serial + 1
        case_number = f"{self.period}-{serial:04d}"
        self.issue(serial=serial, case_number=case_number)
        return case_number


class Complaint(ClockedAggregate):
    @staticmethod
    def create_id(number: str, **_: Any) -> Any:
        return aggregate_id("intake.complaint", number)

    @event("Registered")
    def __init__(
        self,
        number: str,
        received_at: datetime,
        channel: str,
        nature: str,
        complainant: dict[str, Any],
        subject: dict[str, Any],
        description: str,
        demands: dict[str, Any],
        taken_by: str,
        meta: Meta,
    ) -> None:
        self.number = number
        self.received_at = received_at
        self.channel = channel
        self.nature = nature
        self.complainant = complainant
        self.subject = subject
        self.description = description
        self.demands = demands
        self.taken_by = taken_by
        self.status = "registered"
