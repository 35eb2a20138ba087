"""HTTP-feed transport of the embedded default: read `GET /events?after=N&limit=M` upstream.

Each service serves its own outbox as an ordered feed; downstream consumers read it and
resume from their tracked position. Once caught up, a consumer long-polls (`wait`): the
upstream answers as soon as it records something, so a step reaches the next service
without waiting for a poll, and an idle system does not spin. The same feed lets an ERP
catch up without Kafka.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import httpx

from shared.contracts.envelope import IntegrationEvent
from shared.platform.bus import Delivery

log = logging.getLogger(__name__)

FEED_PAGE_LIMIT = 500


class HttpFeedSubscription:
    def __init__(
        self,
        producer: str,
        base_url: str,
        start_after: int,
        poll_interval: float,
        credentials: Callable[[], dict[str, str]],
        wait: int = 0,
        types: frozenset[str] | None = None,
        passed: Callable[[str, int], Awaitable[None]] | None = None,
    ) -> None:
        """`credentials` gives the Authorization header for each poll (tokens expire);
        `wait`: how long a request may wait upstream for news once caught up (0: poll);
        `types`: the only types to be sent (None: all), so that a follower is neither sent
        nor woken by events it has no reaction to; `passed(stream, position)` records how
        far an answer without events moved the follower past the others, so that its
        tracking says how far it has read (its lag after a restart, a transport switch)."""
        self.credentials = credentials
        self.producer = producer
        self.base_url = base_url.rstrip("/")
        self.after = start_after
        self.head = start_after
        self.poll_interval = poll_interval
        self.wait = wait
        self.types = sorted(types) if types is not None else None
        self.passed = passed
        self._caught_up = False
        self._client = httpx.AsyncClient(timeout=10.0 + wait)

    async def start(self) -> None:
        """Nothing to connect: the upstream may start later, and polling waits for it."""

    async def batches(self) -> AsyncIterator[Sequence[Delivery]]:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            wait = self.wait if self._caught_up else 0
            try:
                response = await self._client.get(
                    f"{self.base_url}/events",
                    params={
                        "after": self.after,
                        "limit": FEED_PAGE_LIMIT,
                        "wait": wait,
                        **({"types": self.types} if self.types is not None else {}),
                    },
                    headers=self.credentials(),
                )
                response.raise_for_status()
                page = response.json()
            except (httpx.HTTPError, ValueError) as error:
                log.info("feed %s not reachable yet: %s", self.base_url, error)
                # Nothing can be waited for from an upstream that cannot be read: work that
                # waits for consumers to catch up (timers) must not stop for it.
                self._caught_up = True
                await asyncio.sleep(self.poll_interval * 5)
                continue
            batch = []
            for item in page["events"]:
                event = IntegrationEvent.model_validate(item)
                batch.append(
                    Delivery(
                        raw=event.to_bytes(),
                        source=f"feed:{self.producer}@{event.position}",
                        partition_key="feed",
                        event=event,
                    )
                )
            moved = page["next_after"] > self.after
            self.after = page["next_after"]
            self.head = page["head"]
            if batch:
                yield batch  # resumed once the consumer has processed the batch
            elif moved and self.types is not None and self.passed is not None:
                await self.passed(f"{self.producer}#feed", self.after)
            self._caught_up = page["next_after"] >= page["head"]
            if self._caught_up and not batch and loop.time() - asked < self.poll_interval:
                # Nothing new, answered at once: polling (wait=0), or news the feed does not
                # publish (internal events). Ask again after the poll interval.
                await asyncio.sleep(self.poll_interval)

    async def commit(self, batch: Sequence[Delivery]) -> None:
        """The tracking position in the consumer's store is the only cursor a feed needs."""

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Dead letters of the feed transport live in the consumer's own store only."""

    def lag(self) -> dict[tuple[str, str], int]:
        return {(self.producer, "feed"): max(0, self.head - self.after)}

    def caught_up(self) -> bool:
        return self._caught_up

    async def close(self) -> None:
        await self._client.aclose()
