"""Notifications' aggregates: each delivery, the webhook subscriptions, what a case's contacts are.

A `Delivery` is one message about one upstream event to one recipient over one channel. It is
recorded (`Queued`, with the exact text to send) before it is attempted, and its outcome after
(`Sent`, `AttemptFailed`, `Parked`), so the log says what was sent to whom and when, and a
restarted dispatcher finds what is still owed. Its id is derived from the event, the channel
and the recipient: the same event planned again (a redelivered message) is the same delivery.
"""

from services.notifications.domain.codes import PENDING, Audience, Channel, Status
from services.notifications.domain.contacts import CaseContacts
from services.notifications.domain.delivery import Backoff, Delivery
from services.notifications.domain.webhooks import MAX_SUBSCRIPTIONS, Subscription, Webhooks

__all__ = [
    "MAX_SUBSCRIPTIONS",
    "PENDING",
    "Audience",
    "Backoff",
    "CaseContacts",
    "Channel",
    "Delivery",
    "Status",
    "Subscription",
    "Webhooks",
]
