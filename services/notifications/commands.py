"""Notifications' commands: the webhook subscriptions an admin manages, and re-delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.notifications.domain import Delivery, Webhooks
from shared.kernel.meta import Meta


@dataclass(frozen=True)
class Subscribe:
    subscription_id: str
    url: str
    event_types: tuple[str, ...]
    description: str
    secret: str

    def run(self, webhooks: Webhooks, meta: Meta) -> None:
        webhooks.subscribe(
            self.subscription_id,
            self.url,
            list(self.event_types),
            self.description,
            self.secret,
            meta,
        )


@dataclass(frozen=True)
class ChangeSubscription:
    """What is None stays as it is."""

    subscription_id: str
    url: str | None
    event_types: tuple[str, ...] | None
    description: str | None

    def run(self, webhooks: Webhooks, meta: Meta) -> None:
        types = None if self.event_types is None else list(self.event_types)
        webhooks.change(self.subscription_id, self.url, types, self.description, meta)


@dataclass(frozen=True)
class Pause:
    subscription_id: str
    paused: bool

    def run(self, webhooks: Webhooks, meta: Meta) -> None:
        webhooks.pause(self.subscription_id, self.paused, meta)


@dataclass(frozen=True)
class Unsubscribe:
    subscription_id: str

    def run(self, webhooks: Webhooks, meta: Meta) -> None:
        webhooks.unsubscribe(self.subscription_id, meta)


@dataclass(frozen=True)
class RotateSecret:
    subscription_id: str
    secret: str
    overlap: timedelta

    def run(self, webhooks: Webhooks, meta: Meta) -> None:
        webhooks.rotate_secret(self.subscription_id, self.secret, self.overlap, meta)


SubscriptionCommand = Subscribe | ChangeSubscription | Pause | Unsubscribe | RotateSecret


@dataclass(frozen=True)
class Redeliver:
    """Queue a sent or parked delivery again, for another retry window."""

    delivery_id: str
    window: timedelta

    def run(self, delivery: Delivery, meta: Meta) -> None:
        delivery.redeliver(self.window, meta)
