"""Dead letters as events in the consuming service's own store, and their re-drive.

A delivery that cannot be processed becomes a `DeadLetter` aggregate, saved together with its
tracking position, so the partition moves on and the letter cannot be recorded twice. Once
the cause is fixed, re-driving applies the policy to the stored message and marks the letter
re-driven in the same transaction as the effects: a second re-drive is refused, so the
message takes effect exactly once.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from shared.contracts.envelope import IntegrationEvent
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import Conflict, Invalid
from shared.kernel.meta import Meta


def redrivable(raw: str) -> IntegrationEvent:
    """The envelope a dead letter holds; a letter that holds none cannot be re-driven."""
    try:
        return IntegrationEvent.model_validate_json(raw)
    except ValueError:
        raise Invalid(
            "the message is not a valid envelope and cannot be re-driven",
            field="dead_letter",
            rule="valid_envelope",
        ) from None


class DeadLetter(ClockedAggregate):
    @staticmethod
    def create_id(source: str, **_: Any) -> Any:
        return aggregate_id("deadletter", source)

    class Recorded(ClockedAggregate.Created):
        source: str
        stream: str
        position: int | None
        reason: str
        raw: str

    @event(Recorded)
    def __init__(
        self, source: str, stream: str, position: int | None, reason: str, raw: str
    ) -> None:
        self.source = source
        self.stream = stream
        self.position = position
        self.reason = reason
        self.raw = raw
        self.redriven = False

    def redrive(self, meta: Meta) -> None:
        if self.redriven:
            raise Conflict(
                f"dead letter {self.source} was re-driven already", field="dead_letter", rule="once"
            )
        self._redriven(meta=meta)

    class Redriven(ClockedAggregate.Event):
        meta: Meta

    @event(Redriven)
    def _redriven(self, meta: Meta) -> None:
        self.redriven = True

    def summary(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "source": self.source,
            "stream": self.stream,
            "position": self.position,
            "reason": self.reason,
            "redriven": self.redriven,
            "recorded_at": self.created_on,
        }
