"""Notifications' Application: plans deliveries from upstream events (`policies`), records
their outcomes, and keeps the webhook subscriptions."""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import ClassVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from services.notifications.commands import (
    ChangeSubscription,
    Redeliver,
    Subscribe,
    SubscriptionCommand,
)
from services.notifications.domain import (
    Backoff,
    CaseContacts,
    Delivery,
    Webhooks,
)
from services.notifications.egress import Egress
from services.notifications.messages import Templates
from services.notifications.policies import plan
from services.notifications.rules import NotificationRules
from shared.kernel.errors import NotFound
from shared.kernel.meta import SYSTEM_ACTOR, Meta, command_meta, for_case
from shared.platform.eventstore import ServiceApplication
from shared.platform.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    """How this installation's emails are addressed."""

    sender: str
    reply_to: str

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2]

    def reply_address(self, number: str) -> str:
        """The reply address carrying the case number (sub-addressing, RFC 5233), so a
        customer's answer can be filed under the case."""
        local, _, domain = self.reply_to.rpartition("@")
        return f"{local}+{number}@{domain}"


@dataclass(frozen=True)
class Outcome:
    """What an attempt came to: accepted, or failed with the receiver's answer."""

    ok: bool
    status_code: int | None
    detail: str
    #: No retry can succeed (a mail server's 5xx, a deleted subscription): park at once.
    permanent: bool = False


class NotificationsApplication(ServiceApplication):
    name = "notifications"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(
        self,
        env: dict[str, str] | None,
        rules: NotificationRules,
        templates: Templates,
        mail: Mail,
        backoff: Backoff,
        horizon: timedelta,
        egress: Egress,
    ) -> None:
        super().__init__(env)
        self.rules = rules
        self.templates = templates
        self.mail = mail
        self.backoff = backoff
        self.horizon = horizon
        self.egress = egress
        #: The consumer's policy: the deliveries each upstream event calls for (`policies`).
        self.policy = partial(plan, self)

    @classmethod
    def of(cls, env: dict[str, str] | None, settings: Settings) -> NotificationsApplication:
        from zoneinfo import ZoneInfo

        return cls(
            env,
            NotificationRules.load(settings.notification_rules_file),
            Templates(ZoneInfo(settings.business_timezone)),
            Mail(settings.mail_from, settings.mail_reply_to),
            Backoff(
                timedelta(seconds=settings.delivery_first_retry_seconds),
                timedelta(seconds=settings.delivery_longest_retry_seconds),
                timedelta(seconds=settings.delivery_retry_window_seconds),
            ),
            timedelta(seconds=settings.notification_horizon_seconds),
            Egress(settings.refused_networks),
        )

    # Queries -------------------------------------------------------------------------------

    def contacts(self, number: str) -> CaseContacts | None:
        try:
            return self.repository.get(CaseContacts.create_id(number))
        except AggregateNotFoundError:
            return None

    def webhooks(self) -> Webhooks:
        try:
            return self.repository.get(Webhooks.ID)
        except AggregateNotFoundError:
            return Webhooks()

    def delivery(self, delivery_id: UUID | str) -> Delivery:
        try:
            return self.repository.get(UUID(str(delivery_id)))
        except (AggregateNotFoundError, ValueError):
            raise NotFound(f"no delivery {delivery_id}") from None

    # Commands ------------------------------------------------------------------------------

    def manage(self, command: SubscriptionCommand, meta: Meta) -> Webhooks:
        if isinstance(command, Subscribe | ChangeSubscription) and command.url is not None:
            self.egress.check_url(command.url)
        return self.change_retrying(self.webhooks, lambda webhooks: command.run(webhooks, meta))

    def redeliver(self, command: Redeliver, meta: Meta) -> Delivery:
        def load() -> Delivery:
            return self.delivery(command.delivery_id)

        def run(delivery: Delivery) -> None:
            command.run(delivery, for_case(meta, delivery.case_number))

        return self.change_retrying(load, run)

    def record(self, delivery_id: UUID, outcome: Outcome) -> Delivery:
        """Record an attempt's outcome on the delivery (after the attempt, never before)."""

        def load() -> Delivery:
            return self.delivery(delivery_id)

        def run(delivery: Delivery) -> None:
            meta = _system_meta(delivery)
            if outcome.ok:
                delivery.succeed(outcome.status_code, outcome.detail, meta)
            elif outcome.permanent:
                delivery.park(outcome.detail, meta, outcome.status_code)
            else:
                delivery.fail(outcome.status_code, outcome.detail, self.backoff, meta)

        return self.change_retrying(load, run)

    def case_streams(self, number: str) -> list[UUID]:
        contacts = CaseContacts.create_id(number)
        return [contacts] if contacts in self.repository else []


def new_subscription_secret() -> str:
    """A webhook secret in the Standard Webhooks form (`whsec_` and 24 random bytes in
    base64), shown to the admin once, at creation."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_subscription_id() -> str:
    return str(uuid4())


def _system_meta(delivery: Delivery) -> Meta:
    meta = for_case(command_meta(SYSTEM_ACTOR), delivery.case_number)
    return {**meta, "correlation_id": delivery.correlation_id}
