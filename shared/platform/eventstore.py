"""The base of every service's `eventsourcing` Application, and its persistence settings.

Each service has its own store (its own SQLite file in the embedded default, its own
PostgreSQL database in production). The recorder is a *process* recorder, so that a consumer
can write the events it produces together with the upstream position it consumed, in one
transaction: that is what makes consumers idempotent by construction.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import unquote, urlsplit
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    ProcessRecorder,
    Tracking,
    Transcoding,
)
from eventsourcing.utils import get_topic

from shared.kernel.commands import Command
from shared.kernel.errors import Conflict
from shared.kernel.meta import Meta, command_meta, for_case
from shared.kernel.principal import Principal
from shared.platform import idempotency, preconditions
from shared.platform.audit.chain import ChainMapper
from shared.platform.audit.keys import KeyRing
from shared.platform.idempotency import AnsweredRequest, IdempotentRequest
from shared.platform.logwatch import LogWatch
from shared.platform.outbox import Withholding
from shared.platform.schema_lock import schema_lock
from shared.platform.secrets import installation_secret, private_dir
from shared.platform.settings import Settings
from shared.platform.withheld import WithheldEvent

A = TypeVar("A", bound=Aggregate)
log = logging.getLogger(__name__)
#: Notifications read per query when counting through the log.
COUNT_PAGE = 1000
#: Attempts at a command whose aggregate keeps being changed by other writers.
CONCURRENT_ATTEMPTS = 20


def persistence_env(settings: Settings) -> dict[str, str]:
    """The `eventsourcing` environment for a service's own store."""
    audit = {
        "AUDIT_KEY_FILE": str(settings.audit.key_file),
        "AUDIT_KEY_RING_DIR": str(settings.audit.key_ring_dir),
    }
    store = settings.storage
    if not store.postgres:
        private_dir(store.data_dir)
        return {
            **audit,
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(store.sqlite_file()),
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    url = urlsplit(store.postgres_url)
    return {
        **audit,
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": store.database_name(),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "complaints"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": str(store.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(store.pool_size),
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "POSTGRES_LOCK_TIMEOUT": "10",
    }


class ServiceApplication(Application):
    """Base Application: process recorder, shared transcodings, tracked processing."""

    transcodings: ClassVar[Sequence[type[Transcoding]]] = ()
    mapper: ChainMapper

    def __init__(self, env: Any = None) -> None:
        with schema_lock(env or {}):
            super().__init__(env)
        self.mapper.recorder = self.recorder
        #: Wakes whoever waits for the log to grow (feed, relay, projector) at each record.
        self.watch = LogWatch()
        #: Called with the domain events of every recorded transaction (e.g. for metrics).
        self.on_recorded: list[Any] = [lambda events: self.watch.appended(_cases_of(events))]

    def construct_mapper(self) -> ChainMapper:
        """Every stored event is sealed with its stream link (see `shared.platform.audit.chain`).

        The keys come from `AUDIT_KEY_FILE` and the ring in `AUDIT_KEY_RING_DIR` (the
        service's settings); an in-memory store, which lives and dies with the process, gets
        a random key.
        """
        key_file, ring_dir = self.env.get("AUDIT_KEY_FILE"), self.env.get("AUDIT_KEY_RING_DIR")
        ring = (
            KeyRing(installation_secret(Path(key_file)), Path(ring_dir) if ring_dir else None)
            if key_file
            else KeyRing.in_memory()
        )
        return ChainMapper(self.construct_transcoder(), ring)

    def construct_snapshot_store(self) -> EventStore:
        """Snapshots are a cache of state, not history: stored unsealed, outside the chain."""
        recorder = self.factory.aggregate_recorder(purpose="snapshots")
        return self.factory.event_store(mapper=Mapper(self.mapper.transcoder), recorder=recorder)

    def _record(self, processing_event: ProcessingEvent) -> Any:
        recordings = super()._record(processing_event)
        for hook in self.on_recorded:
            hook(processing_event.events)
        return recordings

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    @property
    def process_recorder(self) -> ProcessRecorder:
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in self.transcodings:
            transcoder.register(transcoding())

    def change_retrying(
        self,
        load: Callable[[], A],
        command: Callable[[A], Sequence[Any] | None],
        authorize: Callable[[A], None] | None = None,
    ) -> A:
        """Run `command` on a freshly loaded aggregate and save it, again if need be.

        Another writer (a consumer applying an upstream event, a concurrent request) may save
        the same aggregate between our load and our save; the store then refuses our events
        (optimistic concurrency). We reload and run the command again, so it decides on the
        newer state, rather than answer a 500. `command` may return further aggregates it
        changed (e.g. document sequences), saved in the same transaction.

        Each attempt checks, on the aggregate as it loaded it: the caller (`authorize`), then
        the request's `If-Match` (`shared.platform.preconditions`; after the caller, so one
        who may not act learns nothing of the version), then runs the command.

        A request with an Idempotency-Key (`shared.platform.idempotency`) is recorded in that same
        transaction, so a retry, even after a crash between commit and answer, is answered
        with the aggregate as this command left it, and runs nothing again.
        """
        request, condition = idempotency.take(), preconditions.take()
        for _ in range(CONCURRENT_ATTEMPTS):
            if request is not None and (answered := self.answered(request)) is not None:
                return preconditions.answering(condition, answered)
            aggregate = load()
            if authorize is not None:
                authorize(aggregate)
            if condition is not None:
                condition.check(aggregate.version)
            changed = [*(command(aggregate) or ())]
            if request is not None:
                changed.append(AnsweredRequest.of(request, aggregate))
            try:
                self.save(aggregate, *changed)
            except IntegrityError:
                continue
            return preconditions.answering(condition, aggregate)
        raise Conflict("too many concurrent changes; retry the request")

    def answered(self, request: IdempotentRequest) -> Any:
        """The aggregate as a request with this Idempotency-Key was first answered, or None.

        Checked inside the retry loop: a concurrent twin that saved first is then replayed.
        """
        try:
            record: AnsweredRequest = self.repository.get(request.record_id)
        except AggregateNotFoundError:
            return None
        record.check(request)
        request.replayed = True
        return self.repository.get(UUID(record.stream), version=record.version)

    def run_command(
        self,
        load: Callable[[], A],
        command: Command[A],
        meta: Meta,
        authorize: Callable[[A], None] | None = None,
    ) -> A:
        """Run one command on a case's aggregate and save what it recorded.

        `authorize` checks the caller against the aggregate as this attempt loaded it, so
        inside the retry: a concurrent change (a reassignment to another unit) makes our
        save conflict, and the retry checks the caller again on the newer state.
        """
        return self.change_retrying(
            load,
            lambda aggregate: command.run(aggregate, for_case(meta, command.number)),
            authorize,
        )

    def withhold(self, items: Sequence[Withholding]) -> None:
        """Record events the outbox could not publish (once each), and say so loudly."""
        for item in items:
            if WithheldEvent.create_id(item.position) in self.repository:
                continue
            log.error(
                "outbox: event at position %d (%s, case %s) withheld: %s",
                item.position,
                item.domain_type,
                item.case_number,
                item.reason,
            )
            record = WithheldEvent(
                position=item.position,
                domain_type=item.domain_type,
                case_number=item.case_number,
                occurred_at=item.occurred_at,
                reason=item.reason,
                meta=item.meta,
            )
            with contextlib.suppress(IntegrityError):  # a feed and a relay, at once
                self.save(record)

    def withheld(self, after: int = 0, limit: int = 50) -> tuple[list[WithheldEvent], int]:
        """Events withheld from the outbox, oldest first, recorded after log position
        `after`; and the position to ask after for the next page (`after` when none)."""
        notifications = self.recorder.select_notifications(
            start=after,
            limit=limit,
            topics=[get_topic(WithheldEvent.Withheld)],
            inclusive_of_start=False,
        )
        events: list[WithheldEvent] = [self.repository.get(n.originator_id) for n in notifications]
        return events, notifications[-1].id if notifications else after

    def unrepaired_withheld(self) -> int:
        """How many withheld events nobody has repaired yet, counted from the log's
        notifications alone (readiness and metrics ask often; no aggregate is loaded)."""
        withheld, repaired = get_topic(WithheldEvent.Withheld), get_topic(WithheldEvent.Repaired)
        waiting: set[UUID | str] = set()
        after = 0
        while True:
            notifications = self.recorder.select_notifications(
                start=after, limit=COUNT_PAGE, topics=[withheld, repaired], inclusive_of_start=False
            )
            for n in notifications:
                if n.topic == withheld:
                    waiting.add(n.originator_id)
                else:
                    waiting.discard(n.originator_id)
            if len(notifications) < COUNT_PAGE:
                return len(waiting)
            after = notifications[-1].id

    def act_on(self, load: Callable[[], Any], command: Command[Any], who: Principal) -> Any:
        """A caller's command, recorded as the caller's and authorized by the aggregate's own
        `check_actor` on the state the command runs on, inside its retry."""
        return self.run_command(
            load,
            command,
            command_meta(who.actor),
            authorize=lambda aggregate: aggregate.check_actor(who),
        )

    def case_streams(self, number: str) -> list[UUID]:
        """The ids of this store's aggregates that belong to case `number` (for audit)."""
        return []

    def ping(self) -> bool:
        """Readiness: the store answers a query (raises if it cannot)."""
        self.recorder.max_notification_id()
        return True

    def is_processed(self, tracking: Tracking) -> bool:
        return self.process_recorder.has_tracking_id(
            tracking.application_name, tracking.notification_id
        )

    def tracked_position(self, stream: str) -> int | None:
        return self.process_recorder.max_tracking_id(stream)

    def track(self, stream: str, position: int) -> None:
        """Record a position reached outside any event (e.g. checkpoints published)."""
        self.process_recorder.insert_tracking(Tracking(stream, position))

    def save_tracked(self, tracking: Tracking, *aggregates: Any) -> bool:
        """Save the aggregates' new events and the upstream position in one transaction.

        Returns False when the position was already recorded (a redelivery): nothing is
        written then, because the tracking insert fails the whole transaction.
        """
        processing: ProcessingEvent[Any] = ProcessingEvent(tracking=tracking)
        processing.collect_events(*aggregates)
        try:
            if processing.events:
                self._record(processing)
            else:
                self.process_recorder.insert_tracking(tracking)
        except IntegrityError:
            if self.is_processed(tracking):
                return False
            raise
        return True


def _cases_of(events: Sequence[Any]) -> set[str]:
    """The case numbers the recorded events are about (events of no case have none)."""
    return {
        number
        for event in events
        if (number := (getattr(event, "meta", None) or {}).get("case_number"))
    }
