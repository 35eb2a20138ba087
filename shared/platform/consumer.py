"""The tracking consumer: bus -> handler, each effect committed with its upstream position.

For every delivery: a position already tracked is skipped (a redelivery); otherwise the
handler runs, writing its effects and the position in one transaction. A handler that keeps
failing is retried a bounded number of times, then the delivery is dead-lettered with the
reason and its position recorded, so one poison message never stalls its partition for long.
A message whose data breaks its contract (`ContractBroken`) is kept without its position: no
producer publishes one, so its claimed position is not trusted to move the tracking.
Offsets are committed only after all of that (`Subscription.commit`).

A handler that can apply a page (`PageHandler`) gets each run of consecutive deliveries of
one stream at once, a run of one too: one transaction, one tracking position (the page's
last), so a crash replays the page whole and positions only move forward; the transaction
reads the tracked position itself, which spares the `is_processed` round trip. A page that
fails for any reason but an outage is applied again one delivery at a time, which finds the
poison message and dead-letters it alone.

An unavailable store is not a bad message: while the database is down or restarting, the
delivery waits and is tried again (backing off up to `MAX_PAUSE`), without using up its
attempts, so an outage stalls the partition but never dead-letters a good event.

Nor is a concurrent write: another worker saving the same aggregate first (a gapless
document sequence that workers of several partitions all number from) refuses this one's
events (optimistic concurrency). The delivery is applied again on fresh state after a short
random pause, up to `MAX_CONFLICTS` times, without using up its attempts: three workers
numbering return notes at once lost three races in a row and dead-lettered a good approval.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Protocol, runtime_checkable

from eventsourcing import persistence
from sqlalchemy import exc as sqlalchemy_exc

from shared.contracts import ContractBroken, Unprocessable
from shared.contracts.envelope import IntegrationEvent
from shared.kernel.meta import current_correlation
from shared.platform import tracing
from shared.platform.bus import Delivery, Subscription

log = logging.getLogger(__name__)

MAX_PAUSE = 5.0
#: How often a delivery whose save lost a race to another writer is applied again.
MAX_CONFLICTS = 50
OUTAGES = (
    ConnectionError,
    TimeoutError,
    persistence.OperationalError,
    persistence.InterfaceError,
    persistence.ConnectionUnavailableError,
    sqlalchemy_exc.OperationalError,
    sqlalchemy_exc.InterfaceError,
)


#: SQLSTATE classes of a database that is unreachable or going away, not of a bad statement:
#: connection exception, insufficient resources, operator intervention (shutting down).
OUTAGE_SQLSTATE_CLASSES = ("08", "53", "57")


def store_unavailable(error: BaseException) -> bool:
    """Whether the error says the store (or the way to it) is down, not that the work is bad."""
    if isinstance(error, sqlalchemy_exc.DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        if error.connection_invalidated or sqlstate[:2] in OUTAGE_SQLSTATE_CLASSES:
            return True
    return isinstance(error, OUTAGES)


def concurrent_write(error: BaseException) -> bool:
    """Whether another writer got there first (a version or a tracking row taken): the work
    is good, and applied again on the newer state it decides differently or not at all."""
    return isinstance(error, persistence.IntegrityError | sqlalchemy_exc.IntegrityError)


class Handler(Protocol):
    """What a service plugs into the consumer; implementations own the transaction."""

    @property
    def reacts_to(self) -> frozenset[str] | None:
        """The only event types the handler needs delivered; None: every one."""
        ...

    async def is_processed(self, stream: str, position: int) -> bool: ...

    async def record_position(self, stream: str, position: int) -> None:
        """Count everything up to `position` of `stream` as consumed.

        Used by `shared.platform.transport_switch`.
        """
        ...

    async def handle(self, event: IntegrationEvent, stream: str) -> bool:
        """Apply the event's effects with tracking (stream, event.position) atomically.

        Returns False when the position turned out to be recorded already.
        """
        ...

    async def record_dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Store the dead letter (and, for a parsed event, its tracking) atomically."""
        ...


@runtime_checkable
class PageHandler(Handler, Protocol):
    """A handler that applies consecutive events of one stream in one transaction."""

    async def handle_page(self, events: Sequence[IntegrationEvent], stream: str) -> int:
        """Apply the events after the stream's recorded position, with the page's last
        position, atomically; returns how many were applied (0: all recorded before)."""
        ...


def unseen(events: Sequence[IntegrationEvent], recorded: int | None) -> list[IntegrationEvent]:
    """The events of a page past the recorded position, each past the one before it: a
    producer re-publishing after a crash repeats older positions within a partition."""
    kept: list[IntegrationEvent] = []
    for event in events:
        if event.position > (kept[-1].position if kept else (recorded or 0)):
            kept.append(event)
    return kept


def pages(batch: Sequence[Delivery]) -> list[list[Delivery]]:
    """The batch cut into runs of consecutive readable deliveries of one stream; an
    unreadable delivery is a page of its own."""
    cut: list[list[Delivery]] = []
    for delivery in batch:
        last = cut[-1][-1] if cut else None
        if (
            last is not None
            and delivery.event is not None
            and last.event is not None
            and last.stream == delivery.stream
        ):
            cut[-1].append(delivery)
        else:
            cut.append([delivery])
    return cut


class TrackingConsumer:
    def __init__(
        self,
        name: str,
        handler: Handler,
        subscription: Subscription,
        max_attempts: int,
        kill_after_effect: bool = False,
    ) -> None:
        self.name = name
        self.handler = handler
        self.subscription = subscription
        self.max_attempts = max_attempts
        self.kill_after_effect = kill_after_effect
        self.processed = 0
        self.skipped = 0
        self.dead_lettered = 0
        #: True while a batch is being applied; shutdown waits for it to finish.
        self.busy = False

    async def run(self) -> None:
        async for batch in self.subscription.batches():
            await self.process_batch(batch)

    async def process_batch(self, batch: Sequence[Delivery]) -> None:
        self.busy = True
        try:
            for page in pages(batch):
                await self._process_page(page)
            if self.kill_after_effect and self.processed:
                # Fault injection for tests: effects and positions are committed, offsets not.
                os.kill(os.getpid(), signal.SIGKILL)
            await self.subscription.commit(batch)
        finally:
            self.busy = False

    async def _process_page(self, page: Sequence[Delivery]) -> None:
        if page[0].event is None or not isinstance(self.handler, PageHandler):
            await self._one_by_one(page)
            return
        try:
            await self._through_outages(
                page[0].source, partial(self._apply_page, self.handler, page)
            )
        except Exception as error:
            log.warning(
                "%s: page %s..%s failed (%s: %s); applying it one event at a time",
                self.name,
                page[0].source,
                page[-1].source,
                type(error).__name__,
                error,
            )
            await self._one_by_one(page)

    async def _one_by_one(self, page: Sequence[Delivery]) -> None:
        for delivery in page:
            await self._through_outages(delivery.source, partial(self._process, delivery))

    async def _apply_page(self, handler: PageHandler, page: Sequence[Delivery]) -> None:
        events = [d.event for d in page if d.event is not None]
        correlations = {event.correlation_id for event in events}
        current_correlation.set(str(correlations.pop()) if len(correlations) == 1 else None)
        with tracing.consuming_page(self.name.split("<-")[0], events):
            applied = await handler.handle_page(events, page[0].stream)
        self.processed += applied
        self.skipped += len(events) - applied

    async def _through_outages(self, source: str, work: Callable[[], Awaitable[None]]) -> None:
        pause = 0.1
        while True:
            try:
                await work()
                return
            except Exception as error:
                if not store_unavailable(error):
                    raise
                log.warning(
                    "%s: store unavailable (%s: %s); %s waits %.1f s",
                    self.name,
                    type(error).__name__,
                    error,
                    source,
                    pause,
                )
                await asyncio.sleep(pause)
                pause = min(MAX_PAUSE, pause * 2)

    async def _process(self, delivery: Delivery) -> None:
        event = delivery.event
        if event is None:
            await self._dead_letter(delivery, delivery.error or "unreadable message")
            return
        if await self.handler.is_processed(delivery.stream, event.position):
            self.skipped += 1
            return
        current_correlation.set(str(event.correlation_id))
        with tracing.consuming(self.name.split("<-")[0], event):
            await self._apply(delivery, event)

    async def _apply(self, delivery: Delivery, event: IntegrationEvent) -> None:
        attempt = conflicts = 0
        while True:
            try:
                if await self.handler.handle(event, delivery.stream):
                    self.processed += 1
                else:
                    self.skipped += 1
                return
            except Exception as error:
                if store_unavailable(error):
                    raise
                if concurrent_write(error) and conflicts < MAX_CONFLICTS:
                    conflicts += 1
                    await asyncio.sleep(random.uniform(0, min(1.0, 0.01 * 2**conflicts)))
                    continue
                attempt += 1
                reason = f"{type(error).__name__}: {error}"
                if attempt >= self.max_attempts or isinstance(error, Unprocessable):
                    log.exception("%s: giving up on %s", self.name, delivery.source)
                    # A broken contract's claims are not trusted: kept as unreadable bytes
                    # are, its position does not move the tracking (a forged position past
                    # the producer's would have every real event after it skipped).
                    untrusted = isinstance(error, ContractBroken)
                    await self._dead_letter(
                        replace(delivery, event=None) if untrusted else delivery, reason
                    )
                    return
                log.warning(
                    "%s: attempt %d on %s failed: %s", self.name, attempt, delivery.source, reason
                )
                await asyncio.sleep(0.05 * 2**attempt)

    async def _dead_letter(self, delivery: Delivery, reason: str) -> None:
        await self.subscription.dead_letter(delivery, reason)
        await self.handler.record_dead_letter(delivery, reason)
        self.dead_lettered += 1
