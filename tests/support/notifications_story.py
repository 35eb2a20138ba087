"""Notifications told the story: the four producers' events planned into deliveries, on an
in-memory store, and outcomes recorded as a dispatcher would."""

from __future__ import annotations

from services.notifications.application import NotificationsApplication
from services.notifications.domain import Delivery
from services.notifications.rules import NotificationRules
from shared.platform.outbox import OutboxReader
from shared.platform.settings import Settings
from tests.support.builders import IN_MEMORY

QUIET_FREE = NotificationRules.load().model_copy(update={"quiet_hours": None})


def notifications_app(rules: NotificationRules = QUIET_FREE) -> NotificationsApplication:
    settings = Settings(service="notifications")
    app = NotificationsApplication.of(dict(IN_MEMORY), settings)
    app.rules = rules
    return app


def plan_all(notifications: NotificationsApplication, *producers) -> list[Delivery]:
    """Plan every event of the producers, as the consumer would: (app, name, contract)."""
    planned = []
    for app, name, contract in producers:
        for event in OutboxReader(name, app.recorder, app.mapper, contract).read(0, 10_000).events:
            changed = notifications.policy(event)
            notifications.save(*changed)
            planned += [a for a in changed if isinstance(a, Delivery)]
    return planned
