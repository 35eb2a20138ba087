"""Two transports behind one interface: Kafka in production, the HTTP feed embedded.

A `Subscription` yields batches of `Delivery`s and is told when a batch's effects are
committed (`commit`), which is when Kafka offsets move; a `Publisher` sends envelopes keyed
by case number. The tracking consumer and the relay only ever see these two shapes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.contracts.envelope import IntegrationEvent


@dataclass(frozen=True)
class Delivery:
    """One message as received. `event` is None when the bytes are not a valid envelope."""

    raw: bytes
    source: str  # where it came from, for logs and dead letters: "topic[partition]@offset"
    partition_key: str  # the tracking stream suffix: "feed" or "topic:partition"
    event: IntegrationEvent | None
    error: str | None = None

    @property
    def stream(self) -> str:
        """The tracking stream: positions are strictly increasing within it, except redeliveries.

        The relay publishes a producer's log in order, so within one partition (or the one
        HTTP feed) the producer's positions only grow; a position at or below the recorded
        one is a redelivery or a re-publication, and is skipped.
        """
        producer = self.event.producer if self.event else "unknown"
        return f"{producer}#{self.partition_key}"


class Subscription(Protocol):
    def batches(self) -> AsyncIterator[Sequence[Delivery]]: ...

    async def commit(self, batch: Sequence[Delivery]) -> None: ...

    async def dead_letter(self, delivery: Delivery, reason: str) -> None: ...

    def lag(self) -> dict[tuple[str, str], int]:
        """Positions not yet consumed, per (upstream, partition), as last seen."""
        ...

    def caught_up(self) -> bool:
        """Everything upstream had published when last asked has been processed (False
        until the subscription has asked at least once; True while the upstream cannot be
        read, since no backlog can be waited for then)."""
        ...

    async def close(self) -> None: ...


class Publisher(Protocol):
    async def pin_partitions(self) -> None:
        """Take the topic's partitions as they are now (the relay does on taking its lease)."""
        ...

    async def publish(self, events: Sequence[IntegrationEvent]) -> None: ...

    async def close(self) -> None: ...


def parse_delivery(raw: bytes, source: str, partition_key: str) -> Delivery:
    try:
        event = IntegrationEvent.from_bytes(raw)
    except ValueError as error:
        return Delivery(raw, source, partition_key, None, f"not a valid envelope: {error}")
    return Delivery(raw, source, partition_key, event)
