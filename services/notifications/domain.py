"""Notifications' aggregates: each delivery, the webhook subscriptions, what a case's contacts are.

A `Delivery` is one message about one upstream event to one recipient over one channel. It is
recorded (`Queued`, with the exact text to send) before it is attempted, and its outcome after
(`Sent`, `AttemptFailed`, `Parked`), so the log says what was sent to whom and when, and a
restarted dispatcher finds what is still owed. Its id is derived from the event, the channel
and the recipient: the same event planned again (a redelivered message) is the same delivery.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.kernel import clock
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import Conflict, Invalid, NotFound
from shared.kernel.meta import Meta

#: How many webhook subscriptions an installation may hold (a list is read whole).
MAX_SUBSCRIPTIONS = 100


class Channel(StrEnum):
    email = "email"
    webhook = "webhook"


class Audience(StrEnum):
    """Who a message is for: the rules address audiences, the directory resolves them."""

    customer = "customer"
    handler = "handler"
    manager = "manager"
    reports = "reports"
    subscriber = "subscriber"


class Status(StrEnum):
    queued = "queued"  # recorded, not yet attempted
    retrying = "retrying"  # attempted and failed; tried again at `retry_at`
    sent = "sent"  # the receiver accepted it
    parked = "parked"  # given up on; an admin may deliver it again


PENDING = frozenset({Status.queued, Status.retrying})


@dataclass(frozen=True)
class Backoff:
    """Retries: exponential from `first`, capped at `longest`, with jitter, for `window`.

    The jitter ("equal jitter": half the delay fixed, half random) spreads the retries of
    many deliveries that failed together, so a receiver coming back is not stampeded.
    """

    first: timedelta
    longest: timedelta
    window: timedelta

    def delay(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        full = min(self.longest, self.first * (2 ** min(attempt - 1, 30)))
        half = full / 2
        return half + half * (rng or random).random()


class Delivery(ClockedAggregate):
    @staticmethod
    def create_id(event_id: str, channel: str, recipient: str, **_: Any) -> UUID:
        return aggregate_id("notifications.delivery", f"{event_id}/{channel}/{recipient}")

    class Queued(ClockedAggregate.Created):
        event_id: str
        event_type: str
        channel: str
        audience: str
        recipient: str
        content: dict[str, Any]
        not_before: datetime
        give_up_at: datetime
        meta: Meta

    @event(Queued)
    def __init__(
        self,
        event_id: str,
        event_type: str,
        channel: str,
        audience: str,
        recipient: str,
        content: dict[str, Any],
        not_before: datetime,
        give_up_at: datetime,
        meta: Meta,
    ) -> None:
        self.event_id = event_id
        self.event_type = event_type
        self.channel = Channel(channel)
        self.audience = Audience(audience)
        self.recipient = recipient
        self.content = content
        self.case_number: str = meta["case_number"]
        #: The flow this delivery belongs to; its outcomes are recorded in the same flow.
        self.correlation_id: str = meta["correlation_id"]
        self.status = Status.queued
        self.due_at: datetime | None = not_before
        self.give_up_at = give_up_at
        self.attempts = 0
        self.last_status_code: int | None = None
        self.last_error: str | None = None

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    def is_due(self, now: datetime) -> bool:
        return self.pending and self.due_at is not None and self.due_at <= now

    # Outcomes of an attempt ------------------------------------------------------------------

    def succeed(self, status_code: int | None, detail: str, meta: Meta) -> None:
        if not self.pending:
            return  # a twin attempt recorded first; the receiver deduplicates by id
        self._sent(
            **self._about(),
            attempt=self.attempts + 1,
            status_code=status_code,
            detail=detail[:500],
            meta=meta,
        )

    def _about(self) -> dict[str, str]:
        """What an outcome repeats of the delivery, so its published event stands alone."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "channel": self.channel.value,
            "audience": self.audience.value,
        }

    class Sent(ClockedAggregate.Event):
        event_id: str
        event_type: str
        channel: str
        audience: str
        attempt: int
        status_code: int | None
        detail: str
        meta: Meta

    @event(Sent)
    def _sent(
        self,
        event_id: str,
        event_type: str,
        channel: str,
        audience: str,
        attempt: int,
        status_code: int | None,
        detail: str,
        meta: Meta,
    ) -> None:
        self.attempts = attempt
        self.status = Status.sent
        self.due_at = None
        self.last_status_code = status_code
        self.last_error = None

    def fail(self, status_code: int | None, error: str, backoff: Backoff, meta: Meta) -> None:
        """Count a failed attempt: retry after the backoff, or park once past the window."""
        if not self.pending:
            return
        attempt = self.attempts + 1
        retry_at = clock.now() + backoff.delay(attempt)
        error = error[:500]
        if retry_at > self.give_up_at:
            reason = f"gave up after {attempt} attempts: {error}"
            self._parked(
                **self._about(), attempt=attempt, status_code=status_code, reason=reason, meta=meta
            )
        else:
            self._attempt_failed(
                attempt=attempt, status_code=status_code, error=error, retry_at=retry_at, meta=meta
            )

    class AttemptFailed(ClockedAggregate.Event):
        attempt: int
        status_code: int | None
        error: str
        retry_at: datetime
        meta: Meta

    @event(AttemptFailed)
    def _attempt_failed(
        self, attempt: int, status_code: int | None, error: str, retry_at: datetime, meta: Meta
    ) -> None:
        self.attempts = attempt
        self.status = Status.retrying
        self.due_at = retry_at
        self.last_status_code = status_code
        self.last_error = error

    def park(self, reason: str, meta: Meta, status_code: int | None = None) -> None:
        """Give up now: no retry can succeed (refused for good, subscription gone)."""
        if self.pending:
            self._parked(
                **self._about(),
                attempt=self.attempts + 1,
                status_code=status_code,
                reason=reason[:500],
                meta=meta,
            )

    class Parked(ClockedAggregate.Event):
        event_id: str
        event_type: str
        channel: str
        audience: str
        attempt: int
        status_code: int | None
        reason: str
        meta: Meta

    @event(Parked)
    def _parked(
        self,
        event_id: str,
        event_type: str,
        channel: str,
        audience: str,
        attempt: int,
        status_code: int | None,
        reason: str,
        meta: Meta,
    ) -> None:
        self.attempts = attempt
        self.status = Status.parked
        self.due_at = None
        self.last_status_code = status_code
        self.last_error = reason

    # Manual re-delivery ----------------------------------------------------------------------

    def redeliver(self, window: timedelta, meta: Meta) -> None:
        """Queue a parked or sent delivery again (a receiver lost it, or was fixed)."""
        if self.pending:
            raise Conflict(
                "the delivery is still pending; it is attempted when due",
                field="delivery",
                rule="pending",
            )
        now = clock.now()
        self._requeued(not_before=now, give_up_at=now + window, meta=meta)

    class Requeued(ClockedAggregate.Event):
        not_before: datetime
        give_up_at: datetime
        meta: Meta

    @event(Requeued)
    def _requeued(self, not_before: datetime, give_up_at: datetime, meta: Meta) -> None:
        self.status = Status.queued
        self.due_at = not_before
        self.give_up_at = give_up_at


class CaseContacts(ClockedAggregate):
    """What notifications must remember of a case from earlier events: whom to write to.

    Later events (an acknowledgement, a reminder) do not repeat the customer's address or
    the unit handling the case; this keeps them, as the upstream events said.
    """

    @staticmethod
    def create_id(number: str, **_: Any) -> UUID:
        return aggregate_id("notifications.case-contacts", number)

    class Noted(ClockedAggregate.Created):
        number: str
        customer_name: str
        customer_address: str | None
        language: str
        meta: Meta

    @event(Noted)
    def __init__(
        self,
        number: str,
        customer_name: str,
        customer_address: str | None,
        language: str,
        meta: Meta,
    ) -> None:
        self.number = number
        self.customer_name = customer_name
        self.customer_address = customer_address
        self.language = language
        self.unit: str | None = None

    def note_unit(self, unit: str, meta: Meta) -> None:
        if unit != self.unit:
            self._unit_noted(unit=unit, meta=meta)

    class UnitNoted(ClockedAggregate.Event):
        unit: str
        meta: Meta

    @event(UnitNoted)
    def _unit_noted(self, unit: str, meta: Meta) -> None:
        self.unit = unit


@dataclass(frozen=True)
class Subscription:
    id: str
    url: str
    event_types: tuple[str, ...]
    description: str
    secret: str
    created_at: datetime
    paused: bool = False

    def wants(self, event_type: str) -> bool:
        """Exact types, a producer's every type (`routing.*`), or everything (`*`)."""
        producer = event_type.split(".")[0]
        return any(t in ("*", event_type, f"{producer}.*") for t in self.event_types)

    def summary(self) -> dict[str, Any]:
        """What anyone allowed to list subscriptions sees: never the secret."""
        return {
            "id": self.id,
            "url": self.url,
            "event_types": list(self.event_types),
            "description": self.description,
            "created_at": self.created_at,
            "status": "paused" if self.paused else "active",
        }


class Webhooks(ClockedAggregate):
    """The installation's webhook subscriptions, in one aggregate: a handful, read at every
    planned event, and changed rarely (a conflict between two admins is retried)."""

    ID = aggregate_id("notifications.webhooks", "installation")

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return Webhooks.ID

    class Started(ClockedAggregate.Created):
        pass

    @event(Started)
    def __init__(self) -> None:
        self.subscriptions: dict[str, Subscription] = {}
        #: The newest subscription: what a replayed creation request is answered with.
        self.newest: str | None = None

    def get(self, subscription_id: str) -> Subscription:
        try:
            return self.subscriptions[subscription_id]
        except KeyError:
            raise NotFound(f"no webhook subscription {subscription_id}") from None

    def matching(self, event_type: str) -> list[Subscription]:
        return [s for s in self.subscriptions.values() if not s.paused and s.wants(event_type)]

    def subscribe(
        self,
        subscription_id: str,
        url: str,
        event_types: list[str],
        description: str,
        secret: str,
        meta: Meta,
    ) -> None:
        if subscription_id in self.subscriptions:
            return  # the same request again
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise Invalid(
                f"at most {MAX_SUBSCRIPTIONS} subscriptions; delete one first",
                field="subscriptions",
                rule="max_count",
            )
        self._subscribed(
            subscription_id=subscription_id,
            url=url,
            event_types=event_types,
            description=description,
            secret=secret,
            created_at=clock.now(),
            meta=meta,
        )

    class Subscribed(ClockedAggregate.Event):
        subscription_id: str
        url: str
        event_types: list[str]
        description: str
        secret: str
        created_at: datetime
        meta: Meta

    @event(Subscribed)
    def _subscribed(
        self,
        subscription_id: str,
        url: str,
        event_types: list[str],
        description: str,
        secret: str,
        created_at: datetime,
        meta: Meta,
    ) -> None:
        self.subscriptions[subscription_id] = Subscription(
            subscription_id, url, tuple(event_types), description, secret, created_at
        )
        self.newest = subscription_id

    def pause(self, subscription_id: str, paused: bool, meta: Meta) -> None:
        if self.get(subscription_id).paused != paused:
            self._paused(subscription_id=subscription_id, paused=paused, meta=meta)

    class PauseChanged(ClockedAggregate.Event):
        subscription_id: str
        paused: bool
        meta: Meta

    @event(PauseChanged)
    def _paused(self, subscription_id: str, paused: bool, meta: Meta) -> None:
        old = self.subscriptions[subscription_id]
        self.subscriptions[subscription_id] = Subscription(
            old.id, old.url, old.event_types, old.description, old.secret, old.created_at, paused
        )

    def unsubscribe(self, subscription_id: str, meta: Meta) -> None:
        self.get(subscription_id)
        self._unsubscribed(subscription_id=subscription_id, meta=meta)

    class Unsubscribed(ClockedAggregate.Event):
        subscription_id: str
        meta: Meta

    @event(Unsubscribed)
    def _unsubscribed(self, subscription_id: str, meta: Meta) -> None:
        del self.subscriptions[subscription_id]
