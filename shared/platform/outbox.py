"""Reading a service's notification log as integration events: the outbox.

The notification log is the outbox: every stored domain event has a position in it, in commit
order. Each service supplies a `contract` function that turns the domain events it publishes
into `Published` drafts and ignores internal ones. Both the relay (to Kafka) and the HTTP feed
read through the same `OutboxReader`, so both transports carry identical envelopes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification
from pydantic import BaseModel

from shared.contracts import Unprocessable, parse
from shared.contracts.common import version_of
from shared.contracts.envelope import IntegrationEvent, stable_event_id
from shared.kernel.meta import Actor
from shared.platform.withheld import WithheldEvent


@dataclass(frozen=True)
class Published:
    """What a service's contract makes of one domain event."""

    type: str
    schema_version: int
    case_number: str
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


Contract = Callable[[Any], Published | None]
Builder = Callable[[Any], Any]


def copied(model: type[BaseModel]) -> Builder:
    """Build a contract from the event's attributes of the same names.

    An absent or None attribute leaves an optional field to its default (older events lack
    newer fields); a required field gets the value as it is.
    """

    def build(event: Any) -> Any:
        values = {}
        for name, spec in model.model_fields.items():
            value = getattr(event, name, None)
            if value is not None or spec.is_required():
                values[name] = value
        return model(**values)

    return build


def contract_for(
    mappings: dict[type, tuple[str, Builder]],
    occurred_at: dict[type, Callable[[Any], datetime]] | None = None,
) -> Contract:
    """A service's contract: domain event type -> (public type, payload builder).

    The case number comes from the event's meta; the time it occurred is the event's
    timestamp unless `occurred_at` says otherwise for a type (e.g. when it was received).
    """
    times = occurred_at or {}

    def to_integration(event: Any) -> Published | None:
        mapping = mappings.get(type(event))
        if mapping is None:
            return None
        type_, build = mapping
        data = build(event)
        at = times.get(type(event), lambda e: e.timestamp)(event)
        return Published(
            type_,
            version_of(type(data)),
            event.meta["case_number"],
            at,
            data.model_dump(mode="json"),
        )

    return to_integration


@dataclass(frozen=True)
class Withholding:
    """A stored event its contract refused: skipped in order, to be recorded and repaired."""

    position: int
    domain_type: str
    case_number: str
    occurred_at: datetime
    reason: str
    meta: dict[str, Any]


@dataclass(frozen=True)
class OutboxPage:
    events: list[IntegrationEvent]
    next_after: int  # the last position scanned (published or not)
    head: int  # the newest position in the log
    withheld: list[Withholding] = field(default_factory=list)
    #: Each event's envelope as JSON bytes, in the order of `events`.
    encoded: list[bytes] = field(default_factory=list)


#: What a log position turned into: an envelope (with its bytes), a withholding, or nothing
#: (an internal event).
_Mapped = tuple[IntegrationEvent, bytes] | Withholding | None
#: Positions whose mapping is kept: a log position never changes, and every follower (the
#: feed's consumers, the relay) reads the same recent positions.
CACHED_POSITIONS = 20_000


class OutboxReader:
    def __init__(
        self, producer: str, recorder: ApplicationRecorder, mapper: Mapper, contract: Contract
    ) -> None:
        self.producer = producer
        self.recorder = recorder
        self.mapper = mapper
        self.contract = contract
        self._mapped: OrderedDict[int, _Mapped] = OrderedDict()
        self._lock = threading.Lock()

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def read(self, after: int, limit: int) -> OutboxPage:
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        events, encoded, withheld = [], [], []
        for notification in notifications:
            mapped = self._map_once(notification)
            if isinstance(mapped, Withholding):
                withheld.append(mapped)
            elif mapped is not None:
                events.append(mapped[0])
                encoded.append(mapped[1])
        next_after = notifications[-1].id if notifications else after
        return OutboxPage(events, next_after, self.head(), withheld, encoded)

    def _map_once(self, notification: Notification) -> _Mapped:
        with self._lock:
            if notification.id in self._mapped:
                return self._mapped[notification.id]
        mapped = self._map(notification)
        with self._lock:
            self._mapped[notification.id] = mapped
            if len(self._mapped) > CACHED_POSITIONS:
                self._mapped.popitem(last=False)
        return mapped

    def _map(self, notification: Notification) -> _Mapped:
        domain_event: Any = self.mapper.to_domain_event(notification)
        try:
            draft = self._draft(domain_event)
            if draft is None:
                return None
            # What every consumer checks first, checked here: an event they would all
            # dead-letter is withheld instead, where its producer can see and repair it.
            parse(draft.type, draft.schema_version, draft.data, draft.case_number)
        except (ValueError, TypeError, KeyError, Unprocessable) as refused:  # pydantic's too
            return _withholding(notification.id, domain_event, refused)
        meta = getattr(domain_event, "meta", None) or {}
        causation = meta.get("causation_id")
        event = IntegrationEvent(
            event_id=stable_event_id(
                self.producer, notification.originator_id, notification.originator_version
            ),
            type=draft.type,
            schema_version=draft.schema_version,
            case_number=draft.case_number,
            occurred_at=draft.occurred_at,
            recorded_at=domain_event.timestamp,
            producer=self.producer,
            position=notification.id,
            causation_id=UUID(causation) if causation else None,
            correlation_id=UUID(meta["correlation_id"]),
            actor=Actor(**meta["actor"]),
            data=draft.data,
        )
        return event, event.to_bytes()

    def _draft(self, domain_event: Any) -> Published | None:
        """The service's contract for its events; a repaired withheld event as repaired."""
        if isinstance(domain_event, WithheldEvent.Repaired):
            return Published(
                domain_event.type,
                domain_event.schema_version,
                domain_event.case_number,
                domain_event.occurred_at,
                domain_event.data,
            )
        return self.contract(domain_event)


def _withholding(position: int, domain_event: Any, refused: Exception) -> Withholding:
    meta = getattr(domain_event, "meta", None) or {}
    return Withholding(
        position=position,
        domain_type=type(domain_event).__qualname__,
        case_number=meta.get("case_number") or "",
        occurred_at=domain_event.timestamp,
        reason=f"{type(refused).__name__}: {refused}"[:4000],
        meta=meta,
    )
