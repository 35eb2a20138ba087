"""Notifications' request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from services.notifications.domain import Delivery, Subscription
from shared.contracts import CATALOG
from shared.platform.schemas import Strict

PRODUCERS = frozenset(spec.producer for spec in CATALOG)
TYPES = frozenset(spec.type for spec in CATALOG)
WHEN = "2026-12-03T02:00:00Z"
SUBSCRIPTION_ID = "0b6f5d7e-3c1a-4f7e-9a53-6c8f5e2d1a90"


#: What a subscription may name: a published type, every type of a producer, or every type.
SUBSCRIBABLE = ("*", *sorted(f"{producer}.*" for producer in PRODUCERS), *sorted(TYPES))


def _event_type(value: str) -> str:
    """One of `SUBSCRIBABLE`: documented as that list, refused by name otherwise."""
    if value in SUBSCRIBABLE:
        return value
    raise PydanticCustomError(
        "unknown_event_type",
        "{value} is not a published event type, `<producer>.*` or `*`",
        {"value": repr(value[:100])},
    )


def _webhook_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError("http_url", "must be an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise PydanticCustomError(
            "no_credentials", "must not carry credentials; the signature authenticates us"
        )
    return value


EventType = Annotated[
    str,
    AfterValidator(_event_type),
    WithJsonSchema({"type": "string", "enum": list(SUBSCRIBABLE)}),
]
WebhookUrl = Annotated[
    str,
    Field(
        max_length=2000,
        description="Absolute http:// or https:// URL, without user or password",
    ),
    AfterValidator(_webhook_url),
]


class NewSubscription(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://erp.example.com/hooks/complaints",
                    "event_types": ["settlement.*", "routing.CaseClosed"],
                    "description": "ERP: settlement documents and closures",
                }
            ]
        },
    )
    url: WebhookUrl
    event_types: list[EventType] = Field(min_length=1, max_length=50)
    description: str = Field(default="", max_length=200)


class SubscriptionChange(Strict):
    """What a subscription changes to; a field left out stays as it is."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"event_types": ["settlement.*", "routing.CaseClosed"]}]}
    )
    url: WebhookUrl | None = None
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=200)


SUBSCRIPTION_EXAMPLE: dict[str, Any] = {
    "id": SUBSCRIPTION_ID,
    "url": "https://erp.example.com/hooks/complaints",
    "event_types": ["settlement.*"],
    "description": "ERP",
    "created_at": WHEN,
    "status": "active",
}


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SUBSCRIPTION_EXAMPLE]})
    id: str
    url: str
    event_types: list[str]
    description: str
    created_at: datetime
    status: Literal["active", "paused"]
    previous_secret_until: datetime | None = Field(
        default=None,
        description="After a secret rotation: until when deliveries also carry a signature "
        "by the secret it replaced",
    )

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionRead:
        return cls.model_validate(subscription.summary())


class CreatedSubscription(SubscriptionRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**SUBSCRIPTION_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
            ]
        }
    )
    secret: str = Field(description="Shown once, here: verify every delivery's signature")


class SecretRotation(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"overlap_hours": 24}]})
    overlap_hours: int = Field(
        default=24,
        ge=0,
        le=168,
        description="how long the replaced secret also signs, so receivers switch without "
        "refusing a delivery; 0 ends it at once (a leaked secret)",
    )


class SubscriptionPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [SUBSCRIPTION_EXAMPLE], "next_cursor": None}]}
    )
    items: list[SubscriptionRead]
    next_cursor: str | None


DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": "5d1c2c47-8b8e-5c55-a2b2-0f0e3d1f6f11",
    "channel": "webhook",
    "audience": "subscriber",
    "recipient": SUBSCRIPTION_ID,
    "case_number": "2612-0001",
    "event_id": "9a7f6b2c-1d3e-5f40-8a9b-0c1d2e3f4a5b",
    "event_type": "settlement.CreditNoteIssued",
    "subject": None,
    "status": "retrying",
    "attempts": 2,
    "last_status_code": 500,
    "last_error": "Internal Server Error",
    "queued_at": WHEN,
    "updated_at": WHEN,
    "due_at": "2026-12-03T02:00:40Z",
}


class DeliveryRow(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [DELIVERY_EXAMPLE]})
    id: str
    channel: str
    audience: str
    recipient: str = Field(description="The email address, or the webhook subscription id")
    case_number: str
    event_id: str
    event_type: str
    subject: str | None
    status: Literal["queued", "retrying", "sent", "parked"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    queued_at: datetime
    updated_at: datetime
    due_at: datetime | None


class DeliveryPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [DELIVERY_EXAMPLE], "next_cursor": None}]}
    )
    items: list[DeliveryRow]
    next_cursor: str | None


class DeliveryRead(BaseModel):
    """A delivery as its own events left it, with what was (or is to be) sent."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": DELIVERY_EXAMPLE["id"],
                    "version": 3,
                    "channel": "email",
                    "audience": "customer",
                    "recipient": "li.na@example.com",
                    "case_number": "2612-0001",
                    "event_id": DELIVERY_EXAMPLE["event_id"],
                    "event_type": "intake.ComplaintRegistered",
                    "status": "sent",
                    "attempts": 1,
                    "last_status_code": 250,
                    "last_error": None,
                    "due_at": None,
                    "give_up_at": "2026-12-04T02:00:00Z",
                    "content": {"subject": "您的投诉已受理（编号 2612-0001）", "body": "..."},
                }
            ]
        }
    )
    id: str
    version: int
    channel: str
    audience: str
    recipient: str
    case_number: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    due_at: datetime | None
    give_up_at: datetime
    content: dict[str, Any]

    @classmethod
    def of(cls, d: Delivery) -> DeliveryRead:
        return cls(
            id=str(d.id),
            version=d.version,
            channel=d.channel.value,
            audience=d.audience.value,
            recipient=d.recipient,
            case_number=d.case_number,
            event_id=d.event_id,
            event_type=d.event_type,
            status=d.status.value,
            attempts=d.attempts,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            due_at=d.due_at,
            give_up_at=d.give_up_at,
            content=d.content,
        )
