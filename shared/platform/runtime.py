"""Wiring of a service's background work: the relay and the consumers, per transport.

`kafka`: the relay publishes the outbox to the service's topic; one consumer group reads the
upstream topics. `http` (embedded default): no relay is needed, the outbox is served as the
feed; one consumer per upstream polls its feed. Either way the same `TrackingConsumer` and
`Handler` run, so the transport is configuration only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from shared.platform.audit.checkpoints import Sealer
from shared.platform.audit.keys import RotationRecorder
from shared.platform.audit.signing import CheckpointSigner
from shared.platform.auth.tokens import ServiceCredentials
from shared.platform.bus.httpfeed import HttpFeedSubscription
from shared.platform.consumer import Handler, TrackingConsumer
from shared.platform.eventstore import ServiceApplication
from shared.platform.handlers import ApplicationHandler, Policy
from shared.platform.leadership import Leader, lease_for
from shared.platform.outbox import Contract, OutboxReader
from shared.platform.pg_wakeups import PostgresWakeups
from shared.platform.relay import Relay
from shared.platform.settings import AuditSettings, Settings
from shared.platform.threads import drain, run_sync

log = logging.getLogger(__name__)

#: How long shutdown waits for work in hand, and for the relay's last pages.
GRACE_SECONDS = 10.0
#: How long shutdown waits for each connection (a consumer, a producer) to close.
CLOSE_SECONDS = 5.0

PositionOf = Callable[[str], Awaitable[int | None]]


#: The tracking row of how far the audit topic acknowledged this store's checkpoints.
AUDIT_TOPIC_STREAM = "audit#topic"


@dataclass(frozen=True)
class TrackedMark:
    """A position kept as a tracking row of the application's own store."""

    app: ServiceApplication
    stream: str

    def position(self) -> int:
        return self.app.tracked_position(self.stream) or 0

    def advance(self, position: int) -> None:
        self.app.track(self.stream, position)


def sealer_for(audit: AuditSettings, app: ServiceApplication) -> Sealer:
    """The store's sealer, which also records the link-key rotations in the store."""
    ring = app.mapper.ring
    sealer = Sealer(
        audit.store,
        app.recorder,
        ring.first_key,
        audit.checkpoint_dir,
        audit.checkpoint_interval_seconds,
        CheckpointSigner.of_installation(audit.signing_key_file),
    )
    switch = timedelta(seconds=audit.key_switch_seconds)
    sealer.rotations = RotationRecorder(app, ring, switch)
    return sealer


@dataclass
class ServiceRuntime:
    settings: Settings
    app: ServiceApplication | None = None  # the store whose outbox is relayed
    outbox: OutboxReader | None = None
    handler: Handler | None = None
    tracked_position: PositionOf | None = None  # where a feed consumer resumes
    relay: Relay | None = None
    #: Pins the store's log with checkpoints; where the relay runs (one per store).
    sealer: Sealer | None = None
    #: Further long-running work of the service (e.g. projecting its own read models).
    background: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    #: Which of it runs in one process at a time, each under a lease of its name
    #: (`shared.platform.leadership`): a scheduler, a dispatcher. The relay and the sealer
    #: share one.
    leased: frozenset[str] = frozenset()
    consumers: list[TrackingConsumer] = field(default_factory=list)
    publishing: Leader | None = None
    #: On PostgreSQL: the listener turning other processes' inserts into wake-ups.
    wakeups: PostgresWakeups | None = None
    #: Called when background work stops with an error (after it is logged). The command
    #: line stops the process with it, so that its supervisor starts a fresh one rather than
    #: the process lingering without its consumer or relay; `/ready` says so meanwhile.
    on_failure: Callable[[], None] = lambda: None
    failed: bool = False
    _leaders: list[Leader] = field(default_factory=list)
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @classmethod
    def for_application(
        cls,
        settings: Settings,
        app: ServiceApplication,
        contract: Contract,
        policy: Policy | None = None,
        background: dict[str, Callable[[], Awaitable[None]]] | None = None,
        handler: Handler | None = None,
        tracked_position: PositionOf | None = None,
        leased: frozenset[str] = frozenset(),
    ) -> ServiceRuntime:
        """The runtime of an event-sourced service: its outbox, and what it consumes — its
        policy, or a handler of its own (analytics projects into SQL instead)."""

        async def app_position(stream: str) -> int | None:
            return await run_sync(app.tracked_position, stream)

        return cls(
            settings,
            app=app,
            outbox=OutboxReader(settings.service.value, app.recorder, app.mapper, contract),
            handler=handler or (ApplicationHandler(app, policy) if policy else None),
            tracked_position=tracked_position or app_position,
            background=dict(background or {}),
            # One sealer per store, where its single relay runs (under the same lease).
            sealer=sealer_for(settings.audit, app) if settings.relay_enabled else None,
            leased=leased,
        )

    async def start(self) -> None:
        """Consumers first, then the background work, which may wait on their progress."""
        s = self.settings
        # Other processes' inserts wake this one's followers, and an API replica's readers.
        wakeups = PostgresWakeups.of(self.app, cases=not s.consumers_enabled) if self.app else None
        if wakeups is not None:
            self.wakeups = wakeups
            wakeups.start()
            self._closers.append(lambda: run_sync(wakeups.stop))
        publishing: dict[str, Callable[[], Awaitable[None]]] = {}
        if self.sealer is not None:
            publishing["audit-sealer"] = self.sealer.run
        if s.transport == "kafka":
            await self._start_kafka()
            if self.relay is not None:
                publishing["relay"] = self.relay.run
        elif s.consumers_enabled and self.handler:
            credentials = ServiceCredentials(s.auth)
            for upstream in s.upstreams:
                start_after = 0
                if self.tracked_position:
                    start_after = await self.tracked_position(f"{upstream.value}#feed") or 0
                reacts_to = self.handler.reacts_to
                subscription = HttpFeedSubscription(
                    upstream.value,
                    s.upstream_url(upstream),
                    start_after,
                    s.poll_interval_seconds,
                    credentials.headers,
                    wait=s.feed_wait_seconds,
                    types=None
                    if reacts_to is None
                    else frozenset(t for t in reacts_to if t.startswith(f"{upstream.value}.")),
                    passed=self.handler.record_position,
                )
                self._consume(f"{s.service.value}<-{upstream.value}", subscription)
        if publishing:  # one publisher of the log at a time, however many replicas
            self.publishing = self._lead("publishing", "relay", publishing)
        for name, work in self.background.items():
            if name in self.leased:
                self._lead(name, name, {name: work})
            else:
                self._spawn(name, work())

    def _lead(
        self, name: str, lease: str, works: dict[str, Callable[[], Awaitable[None]]]
    ) -> Leader:
        leader = Leader(lease_for(self.settings.storage, lease), name)
        self._leaders.append(leader)
        self._spawn(f"{lease}-leader", leader.run(works))
        return leader

    def stopping(self) -> None:
        """The server stops taking requests (a signal): waiting reads answer now."""
        if self.app is not None:
            self.app.watch.close()

    async def _start_kafka(self) -> None:
        from shared.platform.bus.kafka import CheckpointPublisher, KafkaPublisher, KafkaSubscription

        s = self.settings
        if s.relay_enabled and self.app and self.outbox:
            publisher = KafkaPublisher(s.kafka)
            await publisher.start()
            self._closers.append(publisher.close)
            if self.sealer is not None:
                checkpoints = CheckpointPublisher(s.kafka)
                await checkpoints.start()
                self._closers.append(checkpoints.close)
                self.sealer.publisher = checkpoints
                self.sealer.published = TrackedMark(self.app, AUDIT_TOPIC_STREAM)
            self.relay = Relay(
                self.app, self.outbox, publisher, s.relay_batch_size, s.poll_interval_seconds
            )
        if s.consumers_enabled and self.handler and s.upstreams:
            subscription = KafkaSubscription(s.kafka, s.upstreams)
            await subscription.start()
            self._consume(f"{s.service.value}<-kafka", subscription)

    async def _last_pages(self) -> None:
        """Publish what is left in the outbox, and pin what the last moments stored."""
        if self.relay is not None:
            with contextlib.suppress(Exception):
                await self.relay.flush(GRACE_SECONDS)
        if self.sealer is not None:
            try:
                await run_sync(self.sealer.seal)
            except Exception:
                log.exception("audit: the last checkpoint before shutdown failed")

    def _consume(self, name: str, subscription) -> None:
        assert self.handler is not None
        consumer = TrackingConsumer(
            name,
            self.handler,
            subscription,
            self.settings.consumer_max_attempts,
            kill_after_effect=self.settings.fault_kill_after_effect,
        )
        self.consumers.append(consumer)
        self._closers.append(subscription.close)
        self._spawn(name, consumer.run())

    def _spawn(self, name: str, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s stopped with an error", name)
                self.failed = True
                self.on_failure()
                raise

        self._tasks.append(asyncio.create_task(guarded(), name=name))

    def _busy(self) -> bool:
        return any(c.busy for c in self.consumers) or bool(self.relay and self.relay.busy)

    def consumers_caught_up(self) -> bool:
        """Whether this process's consumers have processed what their upstreams published
        (True when it runs none: another process consumes)."""
        return all(c.subscription.caught_up() for c in self.consumers)

    def tasks_alive(self) -> bool:
        return all(not t.done() for t in self._tasks)

    async def stop(self) -> None:
        """Graceful, within bounds: let a batch or page in hand finish, cancel, flush the
        relay, close. Each wait is bounded: a Kafka consumer caught in a group's rebalance
        can take minutes to leave, and a shutdown must end (whatever is not closed in time is
        left to the process's exit; every effect is tracked, so the next start resumes)."""
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and self._busy():  # noqa: ASYNC110 - bounded
            await asyncio.sleep(0.05)
        leading = self.publishing is not None and self.publishing.leading
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=GRACE_SECONDS)
        for task in self._tasks:
            if task.done() and not task.cancelled():
                task.exception()  # logged by `_spawn` already
        await drain()
        if leading:  # still holding the lease: nobody else publishes meanwhile
            await self._last_pages()
        for leader in self._leaders:
            await leader.lease.release()

        for close in reversed(self._closers):
            await _closed_in_time(close)
        self._tasks.clear()
        self._closers.clear()
        self._leaders.clear()


async def _closed_in_time(close: Callable[[], Awaitable[None]]) -> None:
    try:
        await asyncio.wait_for(close(), CLOSE_SECONDS)
    except TimeoutError:
        log.warning("shutdown: %s did not finish in %s s; left to the exit", close, CLOSE_SECONDS)
    except Exception:
        log.warning("shutdown: %s failed", close, exc_info=True)
