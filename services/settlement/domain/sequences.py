"""Gapless document numbers, one sequence per kind and year."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.domain import event

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id

#: Issues the next number of a document kind: CN credit note, AC allowance certificate,
#: RN return note, DN debit note, JV journal voucher.
Numbering = Callable[[str], str]


class DocumentSequence(ClockedAggregate):
    """Gapless numbers of one document kind in one year, e.g. CN-2026-000042."""

    @staticmethod
    def create_id(kind: str, year: int, **_: Any) -> Any:
        return aggregate_id("settlement.document-sequence", f"{kind}-{year}")

    class Started(ClockedAggregate.Created):
        kind: str
        year: int

    @event(Started)
    def __init__(self, kind: str, year: int) -> None:
        self.kind = kind
        self.year = year
        self.last = 0

    class Issued(ClockedAggregate.Event):
        serial: int
        document: str

    @event(Issued)
    def _issued(self, serial: int, document: str) -> None:
        self.last = serial

    def next(self) -> str:
        document = f"{self.kind}-{self.year}-{self.last + 1:06d}"
        self._issued(serial=self.last + 1, document=document)
        return document
