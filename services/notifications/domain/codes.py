"""Notifications' codes: channels, audiences and delivery statuses."""

from __future__ import annotations

from enum import StrEnum


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
