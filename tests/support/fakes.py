"""In-memory stand-ins for the bus, for unit tests only (integration tests use real Kafka)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from shared.contracts.envelope import IntegrationEvent
from shared.platform.bus import Delivery


class ListSubscription:
    """Yields the given batches once, recording commits and dead letters."""

    def __init__(self, *batches: Sequence[Delivery]) -> None:
        self._batches = batches
        self.committed: list[Sequence[Delivery]] = []
        self.dead_letters: list[tuple[str, str]] = []

    async def batches(self) -> AsyncIterator[Sequence[Delivery]]:
        for batch in self._batches:
            yield batch

    async def commit(self, batch: Sequence[Delivery]) -> None:
        self.committed.append(batch)

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        self.dead_letters.append((delivery.source, reason))

    def lag(self) -> dict[tuple[str, str], int]:
        return {}

    def caught_up(self) -> bool:
        return True

    async def close(self) -> None:
        pass


class RecordingPublisher:
    def __init__(self, fail_times: int = 0) -> None:
        self.sent: list[IntegrationEvent] = []
        self.fail_times = fail_times

    async def pin_partitions(self) -> None:
        pass

    async def publish(self, events: Sequence[IntegrationEvent]) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("broker unavailable")
        self.sent.extend(events)

    async def close(self) -> None:
        pass


def feed_delivery(event: IntegrationEvent, partition_key: str = "feed") -> Delivery:
    return Delivery(event.to_bytes(), f"test@{event.position}", partition_key, event)
