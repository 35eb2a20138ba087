"""Case numbers issued gaplessly per month, one sequence aggregate a month (002 §八)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id


class NumberSequence(ClockedAggregate):
    """The serials of one numbering period `YYMM`: gapless, never reused.

    Registering a complaint issues the next serial and creates the complaint in one atomic
    save; two concurrent registrations conflict on this aggregate's version and one retries,
    so no serial is ever skipped or given twice.
    """

    @staticmethod
    def create_id(period: str, **_: Any) -> Any:
        return aggregate_id("intake.number-sequence", period)

    class Started(ClockedAggregate.Created):
        period: str

    @event(Started)
    def __init__(self, period: str) -> None:
        self.period = period
        self.last_serial = 0

    class SerialIssued(ClockedAggregate.Event):
        serial: int
        case_number: str

    @event(SerialIssued)
    def issue(self, serial: int, case_number: str) -> None:
        self.last_serial = serial

    def upcoming_case_number(self) -> str:
        """The number `next_case_number` will issue (nothing is issued)."""
        return f"{self.period}-{self.last_serial + 1:04d}"

    def next_case_number(self) -> str:
        case_number = self.upcoming_case_number()
        self.issue(serial=self.last_serial + 1, case_number=case_number)
        return case_number
