"""Dead letters as events in the consuming service's own store.

A delivery that cannot be processed becomes a `DeadLetter` aggregate, saved together with its
tracking position, so the partition moves on and the letter cannot be recorded twice. Its id
derives from where it came from; re-driving it later is a command on the same aggregate.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from shared.case_number import aggregate_id
from shared.eventstore import ClockedAggregate


class DeadLetter(ClockedAggregate):
    @staticmethod
    def create_id(source: str, **_: Any) -> Any:
        return aggregate_id("deadletter", source)

    @event("Recorded")
    def __init__(
        self, source: str, stream: str, position: int | None, reason: str, raw: str
    ) -> None:
        self.source = source
        self.stream = stream
        self.position = position
        self.reason = reason
        self.raw = raw
