"""The installation's webhook subscriptions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.kernel import clock
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import Invalid, NotFound
from shared.kernel.meta import Meta

#: How many webhook subscriptions an installation may hold (a list is read whole).
MAX_SUBSCRIPTIONS = 100


@dataclass(frozen=True)
class Subscription:
    id: str
    url: str
    event_types: tuple[str, ...]
    description: str
    secret: str
    created_at: datetime
    paused: bool = False
    #: After a rotation, the secret it replaced, still signing until `previous_until`.
    previous_secret: str | None = None
    previous_until: datetime | None = None

    def signing_secrets(self, now: datetime) -> tuple[str, ...]:
        """The secrets a delivery is signed with now: the current one, and the one it
        replaced while the rotation's overlap lasts (a receiver verifies with either)."""
        if self.previous_secret and self.previous_until and now < self.previous_until:
            return (self.secret, self.previous_secret)
        return (self.secret,)

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
            "previous_secret_until": self.previous_until,
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
            created_at=self.now(),
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

    def change(
        self,
        subscription_id: str,
        url: str | None,
        event_types: list[str] | None,
        description: str | None,
        meta: Meta,
    ) -> None:
        """A new URL, event types or description; what is not given stays. Deliveries not
        yet made go to the new URL; the event types decide from the next event on."""
        old = self.get(subscription_id)
        new = replace(
            old,
            url=old.url if url is None else url,
            event_types=old.event_types if event_types is None else tuple(event_types),
            description=old.description if description is None else description,
        )
        if new != old:
            self._changed(
                subscription_id=subscription_id,
                url=new.url,
                event_types=list(new.event_types),
                description=new.description,
                meta=meta,
            )

    class Changed(ClockedAggregate.Event):
        subscription_id: str
        url: str
        event_types: list[str]
        description: str
        meta: Meta

    @event(Changed)
    def _changed(
        self, subscription_id: str, url: str, event_types: list[str], description: str, meta: Meta
    ) -> None:
        self.subscriptions[subscription_id] = replace(
            self.subscriptions[subscription_id],
            url=url,
            event_types=tuple(event_types),
            description=description,
        )

    def pause(self, subscription_id: str, paused: bool, meta: Meta) -> None:
        if self.get(subscription_id).paused != paused:
            self._paused(subscription_id=subscription_id, paused=paused, meta=meta)

    class PauseChanged(ClockedAggregate.Event):
        subscription_id: str
        paused: bool
        meta: Meta

    @event(PauseChanged)
    def _paused(self, subscription_id: str, paused: bool, meta: Meta) -> None:
        self.subscriptions[subscription_id] = replace(
            self.subscriptions[subscription_id], paused=paused
        )

    def rotate_secret(
        self, subscription_id: str, secret: str, overlap: timedelta, meta: Meta
    ) -> None:
        """A new signing secret; the old one also signs for `overlap`, so receivers switch
        without refusing a delivery (Standard Webhooks: several signatures, any may match)."""
        self.get(subscription_id)
        self._secret_rotated(
            subscription_id=subscription_id,
            secret=secret,
            # Compared with the wall clock at each attempt, so taken from it (ADR 37).
            previous_until=clock.now() + overlap,
            meta=meta,
        )

    class SecretRotated(ClockedAggregate.Event):
        subscription_id: str
        secret: str
        previous_until: datetime
        meta: Meta

    @event(SecretRotated)
    def _secret_rotated(
        self, subscription_id: str, secret: str, previous_until: datetime, meta: Meta
    ) -> None:
        old = self.subscriptions[subscription_id]
        self.subscriptions[subscription_id] = replace(
            old, secret=secret, previous_secret=old.secret, previous_until=previous_until
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
