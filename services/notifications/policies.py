"""Notifications' reaction to upstream events: planning who is told what.

An upstream event, with the rules and the case's contacts, becomes `Delivery` aggregates
saved in the same transaction as the consumer's position, so a planned message is never
lost and never planned twice. Sending is the dispatcher's job, after the plan is stored
(`services.notifications.dispatcher`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from services.notifications.domain import Audience, CaseContacts, Channel, Delivery, Subscription
from services.notifications.rules import Rule, email_address
from shared.contracts import intake, parse, routing
from shared.contracts.envelope import IntegrationEvent
from shared.kernel import clock
from shared.kernel.meta import SYSTEM_ACTOR, caused_by

if TYPE_CHECKING:
    from services.notifications.application import NotificationsApplication

log = logging.getLogger(__name__)

#: What the case contacts are learnt from: the registration and the unit's assignments.
CONTACT_TYPES = frozenset(
    {"intake.ComplaintRegistered", "routing.CaseAssigned", "routing.CaseReassigned"}
)

STAFF = frozenset({Audience.handler, Audience.manager, Audience.reports})


def plan(app: NotificationsApplication, event: IntegrationEvent) -> list[Any]:
    """The deliveries an upstream event calls for, and the case contacts it changes.

    An event that rules or contacts read is read through its contract: typed, and
    refused (dead-lettered) if it breaks it. Webhooks forward the envelope as published.
    """
    changed: list[Any] = []
    payload = None
    if event.type in app.rules.event_types or event.type in CONTACT_TYPES:
        payload = parse(event.type, event.schema_version, event.data, event.case_number)
    contacts = _note_contacts(app, event, payload, changed)
    if clock.now() - event.recorded_at > app.horizon:
        log.info(
            "%s of %s is older than the horizon: told to nobody", event.type, event.case_number
        )
        return changed
    if payload is not None:
        data = payload.model_dump(mode="json")
        for rule in app.rules.matching(event.type, data):
            changed += _emails(app, event, data, rule, contacts)
    changed += [_webhook(app, event, s) for s in app.webhooks().matching(event.type)]
    return [a for a in changed if not (isinstance(a, Delivery) and a.id in app.repository)]


def _note_contacts(
    app: NotificationsApplication,
    event: IntegrationEvent,
    payload: BaseModel | None,
    changed: list[Any],
) -> CaseContacts | None:
    meta = caused_by(event, SYSTEM_ACTOR)
    found = app.contacts(event.case_number)
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
    app: NotificationsApplication,
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
        language: str = app.rules.directory.staff_language
        addresses = app.rules.staff_addresses(rule.audience, unit, data.get("level"))
        recipients = [(address, language) for address in addresses]
    now = clock.now()
    held = None
    if rule.audience in STAFF and not rule.urgent and app.rules.quiet_hours:
        held = app.rules.quiet_hours.held_until(now, app.templates.zone)
    context = {
        "number": event.case_number,
        "event_type": event.type,
        "data": data,
        "customer": contacts.customer_name if contacts else "",
        "unit": contacts.unit if contacts else None,
        "occurred_at": app.templates.local(event.occurred_at),
    }
    deliveries = []
    for address, language in recipients:
        text = app.templates.render(rule.template, language, context)
        delivery_id = Delivery.create_id(str(event.event_id), Channel.email, address)
        content = {
            "from": app.mail.sender,
            "to": address,
            "reply_to": app.mail.reply_address(event.case_number),
            "message_id": f"<{delivery_id}@{app.mail.domain}>",
            "subject": text.subject,
            "body": text.body,
            "language": language,
        }
        deliveries.append(
            _queued(app, event, Channel.email, rule.audience, address, content, held or now)
        )
    return deliveries


def _webhook(
    app: NotificationsApplication, event: IntegrationEvent, subscription: Subscription
) -> Delivery:
    content = {"body": event.model_dump_json()}
    return _queued(
        app, event, Channel.webhook, Audience.subscriber, subscription.id, content, clock.now()
    )


def _queued(
    app: NotificationsApplication,
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
        give_up_at=not_before + app.backoff.window,
        meta=caused_by(event, SYSTEM_ACTOR),
    )
