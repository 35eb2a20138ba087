"""The relay: a service's notification log -> Kafka, in order, at least once.

Nothing is published from a request handler. The relay reads the outbox after the position
it recorded, publishes a page, waits for every acknowledgement, and only then records the
new position (in the service's own store, as the tracking row `relay:kafka`). A crash
between publish and record re-publishes that page; the envelopes keep their event ids and
positions, and consumers skip what they have seen.
"""

from __future__ import annotations

import asyncio
import logging

from eventsourcing.persistence import Tracking

from shared.platform.bus import Publisher
from shared.platform.eventstore import ServiceApplication
from shared.platform.logwatch import RECHECK_SECONDS
from shared.platform.outbox import OutboxReader
from shared.platform.threads import run_sync

log = logging.getLogger(__name__)

RELAY_STREAM = "relay:kafka"
#: The longest an idle relay waits before reading the outbox again anyway.
IDLE_SECONDS = 5.0


class Relay:
    def __init__(
        self,
        app: ServiceApplication,
        outbox: OutboxReader,
        publisher: Publisher,
        batch_size: int,
        poll_interval: float,
    ) -> None:
        self.app = app
        self.outbox = outbox
        self.publisher = publisher
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.busy = False

    async def run_once(self) -> int:
        """Relay one page; returns how many positions it advanced."""
        self.busy = True
        try:
            return await self._relay_page()
        finally:
            self.busy = False

    async def flush(self, seconds: float) -> None:
        """At shutdown: publish what is left in the outbox, for at most `seconds`."""
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline and await self.run_once():
            pass

    async def _relay_page(self) -> int:
        after = await run_sync(self.app.tracked_position, RELAY_STREAM) or 0
        page = await run_sync(self.outbox.read, after, self.batch_size)
        if page.next_after == after:
            return 0
        if page.withheld:  # recorded before moving past them: never lost, never a stall
            await run_sync(self.app.withhold, page.withheld)
        if page.events:
            await self.publisher.publish(page.events)
        await run_sync(
            self.app.process_recorder.insert_tracking, Tracking(RELAY_STREAM, page.next_after)
        )
        log.debug("relayed %d events up to %d", len(page.events), page.next_after)
        return page.next_after - after

    async def run(self) -> None:
        """Relay pages while there are any; then wait for a record (this process's, or on
        PostgreSQL any process's: `shared.platform.pg_wakeups`), or for the head to move, looked at
        every second. It partitions by the topic's partitions as they are when it starts."""
        pinned = False
        while True:
            since = self.app.watch.generation
            try:
                if not pinned:
                    await self.publisher.pin_partitions()
                    pinned = True
                advanced = await self.run_once()
            except Exception:
                log.exception("relay failed; retrying")
                await asyncio.sleep(self.poll_interval * 5)
                continue
            if not advanced:
                await self.app.watch.wait(since, IDLE_SECONDS, RECHECK_SECONDS, self._head)

    async def _head(self) -> int:
        return await run_sync(self.outbox.head)
