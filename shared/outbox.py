"""Reading a service's notification log as integration events: the outbox.

The notification log is the outbox: every stored domain event has a position in it, in commit
order. Each service supplies a `contract` function that turns the domain events it publishes
into `Published` drafts and ignores internal ones. Both the relay (to Kafka) and the HTTP feed
read through the same `OutboxReader`, so both transports carry identical envelopes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper

from shared.envelope import Actor, IntegrationEvent, stable_event_id


@dataclass(frozen=True)
class Published:
    """What a service's contract makes of one domain event."""

    type: str
    schema_version: int
    case_number: str
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


Contract = Callable[[Any], Published | None]


@dataclass(frozen=True)
class OutboxPage:
    events: list[IntegrationEvent]
    next_after: int  # the last position scanned (published or not)
    head: int  # the newest position in the log


class OutboxReader:
    def __init__(
        self, producer: str, recorder: ApplicationRecorder, mapper: Mapper, contract: Contract
    ) -> None:
        self.producer = producer
        self.recorder = recorder
        self.mapper = mapper
        self.contract = contract

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def read(self, after: int, limit: int) -> OutboxPage:
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        events = []
        for notification in notifications:
            domain_event = self.mapper.to_domain_event(notification)
            draft = self.contract(domain_event)
            if draft is None:
                continue
            meta = getattr(domain_event, "meta", None) or {}
            causation = meta.get("causation_id")
            events.append(
                IntegrationEvent(
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
            )
        next_after = notifications[-1].id if notifications else after
        return OutboxPage(events=events, next_after=next_after, head=self.head())
