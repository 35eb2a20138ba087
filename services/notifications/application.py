"""Notifications' Application: plans deliveries from upstream events, records their outcomes,
and keeps the webhook subscriptions.

Planning is the consumer's policy: an upstream event, with the rules and the case's contacts,
becomes `Delivery` aggregates saved in the same transaction as the consumer's position, so a
planned message is never lost and never planned twice. Sending is the dispatcher's job,
after the plan is stored (`services.notifications.dispatcher`).
"""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from pydantic import BaseModel

from services.notifications.commands import Redeliver, SubscriptionCommand
from services.notifications.domain import (
    Audience,
    Backoff,
    CaseContacts,
    Channel,
    Delivery,
    Subscription,
    Webhooks,
)
from services.notifications.messages import Templates
from services.notifications.rules import NotificationRules, Rule, email_address
from shared.contracts import intake, parse, routing
from shared.contracts.envelope import IntegrationEvent
from shared.kernel import clock
from shared.kernel.errors import NotFound
from shared.kernel.meta import SYSTEM_ACTOR, Meta, caused_by, command_meta, for_case
from shared.platform.eventstore import ServiceApplication
from shared.platform.settings import Settings

log = logging.getLogger(__name__)

#: What the case contacts are learnt from: the registration and the unit's assignments.
CONTACT_TYPES = frozenset(
    {"intake.ComplaintRegistered", "routing.CaseAssigned", "routing.CaseReassigned"}
)

STAFF = frozenset({Audience.handler, Audience.manager, Audience.reports})


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
    ) -> None:
        super().__init__(env)
        self.rules = rules
        self.templates = templates
        self.mail = mail
        self.backoff = backoff
        self.horizon = horizon

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
        )

    # Planning (the consumer's policy) ------------------------------------------------------

    def plan(self, event: IntegrationEvent) -> list[Any]:
        """The deliveries an upstream event calls for, and the case contacts it changes.

        An event that rules or contacts read is read through its contract: typed, and
        refused (dead-lettered) if it breaks it. Webhooks forward the envelope as published.
        """
        changed: list[Any] = []
        payload = None
        if event.type in self.rules.event_types or event.type in CONTACT_TYPES:
            payload = parse(event.type, event.schema_version, event.data)
        contacts = self._note_contacts(event, payload, changed)
        if clock.now() - event.recorded_at > self.horizon:
            log.info(
                "%s of %s is older than the horizon: told to nobody", event.type, event.case_number
            )
            return changed
        if payload is not None:
            data = payload.model_dump(mode="json")
            for rule in self.rules.matching(event.type, data):
                changed += self._emails(event, data, rule, contacts)
        changed += [self._webhook(event, s) for s in self.webhooks().matching(event.type)]
        return [a for a in changed if not (isinstance(a, Delivery) and a.id in self.repository)]

    def _note_contacts(
        self, event: IntegrationEvent, payload: BaseModel | None, changed: list[Any]
    ) -> CaseContacts | None:
        meta = caused_by(event, SYSTEM_ACTOR)
        found = self.contacts(event.case_number)
        if isinstance(payload, intake.ComplaintRegisteredV1) and found is None:
            party = payload.complainant
            found = CaseContacts(
                number=event.case_number,
                customer_name=party.name,
                customer_address=email_address(party.contact),
                language="en" if party.foreign else "zh-CN",
                meta=meta,
            )
            changed.append(found)
        elif isinstance(payload, routing.CaseAssignedV1 | routing.CaseReassignedV1) and found:
            found.note_unit(payload.unit, meta)
            changed.append(found)
        return found

    def _emails(
        self,
        event: IntegrationEvent,
        data: dict[str, Any],
        rule: Rule,
        contacts: CaseContacts | None,
    ) -> list[Delivery]:
        if rule.audience is Audience.customer:
            if contacts is None or contacts.customer_address is None:
                return []  # no email address given: the clerk replies another way
            recipients = [(contacts.customer_address, contacts.language)]
        else:
            unit = data.get("unit") or (contacts.unit if contacts else None)
            language: str = self.rules.directory.staff_language
            addresses = self.rules.staff_addresses(rule.audience, unit, data.get("level"))
            recipients = [(address, language) for address in addresses]
        now = clock.now()
        held = None
        if rule.audience in STAFF and not rule.urgent and self.rules.quiet_hours:
            held = self.rules.quiet_hours.held_until(now, self.templates.zone)
        context = {
            "number": event.case_number,
            "event_type": event.type,
            "data": data,
            "customer": contacts.customer_name if contacts else "",
            "unit": contacts.unit if contacts else None,
            "occurred_at": self.templates.local(event.occurred_at),
        }
        deliveries = []
        for address, language in recipients:
            text = self.templates.render(rule.template, language, context)
            delivery_id = Delivery.create_id(str(event.event_id), Channel.email, address)
            content = {
                "from": self.mail.sender,
                "to": address,
                "reply_to": self.mail.reply_address(event.case_number),
                "message_id": f"<{delivery_id}@{self.mail.domain}>",
                "subject": text.subject,
                "body": text.body,
                "language": language,
            }
            deliveries.append(
                self._queued(event, Channel.email, rule.audience, address, content, held or now)
            )
        return deliveries

    def _webhook(self, event: IntegrationEvent, subscription: Subscription) -> Delivery:
        content = {"body": event.model_dump_json()}
        return self._queued(
            event, Channel.webhook, Audience.subscriber, subscription.id, content, clock.now()
        )

    def _queued(
        self,
        event: IntegrationEvent,
        channel: Channel,
        audience: Audience,
        recipient: str,
        content: dict[str, Any],
        not_before: datetime,
    ) -> Delivery:
        return Delivery(
            event_id=str(event.event_id),
            event_type=event.type,
            channel=channel.value,
            audience=audience.value,
            recipient=recipient,
            content=content,
            not_before=not_before,
            give_up_at=not_before + self.backoff.window,
            meta=caused_by(event, SYSTEM_ACTOR),
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
