"""Notifications' HTTP API: webhook subscriptions, and the log of what was sent to whom."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from services.notifications import read_models
from services.notifications.access import Admin, Reader
from services.notifications.application import new_subscription_id, new_subscription_secret
from services.notifications.commands import (
    ChangeSubscription,
    Pause,
    Redeliver,
    RotateSecret,
    Subscribe,
    Unsubscribe,
)
from services.notifications.dependencies import NotifyingDep
from services.notifications.domain import Status
from services.notifications.schemas import (
    CreatedSubscription,
    DeliveryPage,
    DeliveryRead,
    DeliveryRow,
    NewSubscription,
    SecretRotation,
    SubscriptionChange,
    SubscriptionPage,
    SubscriptionRead,
)
from shared.kernel.errors import NotFound
from shared.kernel.meta import command_meta
from shared.kernel.values import CaseNumberText
from shared.platform.http import CommandRoute
from shared.platform.schemas import decode_cursor, encode_cursor
from shared.platform.threads import run_sync

Cursor = Annotated[str | None, Query(max_length=300)]
Limit = Annotated[int, Query(ge=1, le=read_models.MAX_PAGE_SIZE)]

router = APIRouter(route_class=CommandRoute)
webhooks = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=CommandRoute)
deliveries = APIRouter(prefix="/deliveries", tags=["deliveries"], route_class=CommandRoute)


@webhooks.post(
    "",
    status_code=201,
    response_model=CreatedSubscription,
    summary="Subscribe a URL to event types; the signing secret is shown in this answer only",
)
def subscribe(notifying: NotifyingDep, body: NewSubscription, who: Admin) -> CreatedSubscription:
    command = Subscribe(
        new_subscription_id(),
        body.url,
        tuple(body.event_types),
        body.description,
        new_subscription_secret(),
    )
    state = notifying.app.manage(command, command_meta(who.actor))
    created = state.get(state.newest or command.subscription_id)
    return CreatedSubscription(**SubscriptionRead.of(created).model_dump(), secret=created.secret)


@webhooks.get("", response_model=SubscriptionPage, summary="The subscriptions (never secrets)")
def list_subscriptions(
    notifying: NotifyingDep, who: Reader, cursor: Cursor = None, limit: Limit = 50
) -> SubscriptionPage:
    found = sorted(
        notifying.app.webhooks().subscriptions.values(), key=lambda s: (s.created_at, s.id)
    )
    if cursor:
        after = decode_cursor(cursor)
        found = [s for s in found if (s.created_at, s.id) > after]
    page = found[:limit]
    more = len(found) > limit
    return SubscriptionPage(
        items=[SubscriptionRead.of(s) for s in page],
        next_cursor=encode_cursor(page[-1].created_at, page[-1].id) if more else None,
    )


@webhooks.get("/{subscription_id}", response_model=SubscriptionRead, summary="A subscription")
def read_subscription(
    notifying: NotifyingDep, subscription_id: str, who: Reader
) -> SubscriptionRead:
    return SubscriptionRead.of(notifying.app.webhooks().get(subscription_id))


@webhooks.patch(
    "/{subscription_id}",
    response_model=SubscriptionRead,
    summary="Change the URL, event types or description; what is left out stays",
)
def change_subscription(
    notifying: NotifyingDep, subscription_id: str, body: SubscriptionChange, who: Admin
) -> SubscriptionRead:
    types = None if body.event_types is None else tuple(body.event_types)
    command = ChangeSubscription(subscription_id, body.url, types, body.description)
    state = notifying.app.manage(command, command_meta(who.actor))
    return SubscriptionRead.of(state.get(subscription_id))


@webhooks.post(
    "/{subscription_id}/pause",
    response_model=SubscriptionRead,
    summary="Pause: no new deliveries; those pending are parked (re-deliverable)",
)
def pause(notifying: NotifyingDep, subscription_id: str, who: Admin) -> SubscriptionRead:
    state = notifying.app.manage(Pause(subscription_id, True), command_meta(who.actor))
    return SubscriptionRead.of(state.get(subscription_id))


@webhooks.post("/{subscription_id}/resume", response_model=SubscriptionRead, summary="Resume")
def resume(notifying: NotifyingDep, subscription_id: str, who: Admin) -> SubscriptionRead:
    state = notifying.app.manage(Pause(subscription_id, False), command_meta(who.actor))
    return SubscriptionRead.of(state.get(subscription_id))


@webhooks.post(
    "/{subscription_id}/secret-rotation",
    response_model=CreatedSubscription,
    summary="A new signing secret, shown in this answer only; the old one signs on for a while",
)
def rotate_secret(
    notifying: NotifyingDep,
    subscription_id: str,
    who: Admin,
    body: Annotated[SecretRotation | None, Body()] = None,
) -> CreatedSubscription:
    overlap = timedelta(hours=(body or SecretRotation()).overlap_hours)
    command = RotateSecret(subscription_id, new_subscription_secret(), overlap)
    state = notifying.app.manage(command, command_meta(who.actor))
    rotated = state.get(subscription_id)
    return CreatedSubscription(**SubscriptionRead.of(rotated).model_dump(), secret=rotated.secret)


@webhooks.delete("/{subscription_id}", status_code=204, summary="Delete a subscription")
def unsubscribe(notifying: NotifyingDep, subscription_id: str, who: Admin) -> Response:
    notifying.app.manage(Unsubscribe(subscription_id), command_meta(who.actor))
    return Response(status_code=204)


@webhooks.get(
    "/{subscription_id}/deliveries",
    response_model=DeliveryPage,
    summary="The subscription's delivery log: status, attempts, the receiver's last answer",
)
async def subscription_log(
    notifying: NotifyingDep,
    subscription_id: str,
    who: Reader,
    status: Status | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DeliveryPage:
    """A deleted subscription's log stays readable; an id that never had one is 404."""
    found = await _page(notifying, limit, cursor, recipient=subscription_id, status=status)
    if (
        not found.items
        and cursor is None
        and not await _ever_subscribed(notifying, subscription_id)
    ):
        raise NotFound(f"no webhook subscription {subscription_id}")
    return found


async def _ever_subscribed(notifying: NotifyingDep, subscription_id: str) -> bool:
    """Subscribed now, or once: deliveries to it are logged."""
    webhooks = await run_sync(notifying.app.webhooks)
    if subscription_id in webhooks.subscriptions:
        return True
    return bool(await read_models.page(notifying.engine, recipient=subscription_id, limit=1))


@deliveries.get(
    "", response_model=DeliveryPage, summary="What was sent (or is owed), by case or status"
)
async def list_deliveries(
    notifying: NotifyingDep,
    who: Reader,
    case: CaseNumberText | None = None,
    status: Status | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DeliveryPage:
    return await _page(notifying, limit, cursor, case_number=case, status=status)


async def _page(
    notifying: NotifyingDep,
    limit: int,
    cursor: str | None,
    *,
    status: Status | None,
    recipient: str | None = None,
    case_number: str | None = None,
) -> DeliveryPage:
    rows = await read_models.page(
        notifying.engine,
        recipient=recipient,
        case_number=case_number,
        status=status.value if status else None,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    page = [DeliveryRow.model_validate(row) for row in rows[:limit]]
    more = len(rows) > limit
    return DeliveryPage(
        items=page,
        next_cursor=encode_cursor(page[-1].queued_at, page[-1].id) if more else None,
    )


@deliveries.get("/{delivery_id}", response_model=DeliveryRead, summary="A delivery and its text")
def read_delivery(notifying: NotifyingDep, delivery_id: str, who: Reader) -> DeliveryRead:
    return DeliveryRead.of(notifying.app.delivery(delivery_id))


@deliveries.post(
    "/{delivery_id}/redelivery",
    response_model=DeliveryRead,
    summary="Deliver a parked (or sent) message again, for another retry window",
)
def redeliver(notifying: NotifyingDep, delivery_id: str, who: Admin) -> DeliveryRead:
    window = timedelta(seconds=notifying.retry_window_seconds)
    delivery = notifying.app.redeliver(Redeliver(delivery_id, window), command_meta(who.actor))
    return DeliveryRead.of(delivery)


router.include_router(webhooks)
router.include_router(deliveries)
