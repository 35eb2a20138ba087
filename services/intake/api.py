"""Intake's HTTP API: thin routes over `IntakeApplication`."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.intake.application import IntakeApplication, Registration
from services.intake.domain import Channel, Complaint, Nature
from shared import clock
from shared.envelope import Actor
from shared.errors import Invalid
from shared.meta import command_meta
from shared.money import MINOR_UNITS

#: How far in the future a receipt time may be (clock skew between desks), before refusal.
RECEIPT_TIME_TOLERANCE = timedelta(minutes=5)


class Complainant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    type: str = Field(default="consumer", pattern="^(consumer|distributor|key_account|vip|other)$")
    customer_id: str | None = Field(default=None, max_length=100)
    contact: str | None = Field(default=None, max_length=200)


class Subject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product: str | None = Field(default=None, max_length=200)
    order_no: str | None = Field(default=None, max_length=100)
    part_no: str | None = Field(default=None, max_length=100)
    batch: str | None = Field(default=None, max_length=100)
    quantity_inspected: int | None = Field(default=None, ge=0)
    quantity_defective: int | None = Field(default=None, ge=0)
    region: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _defective_within_inspected(self) -> Subject:
        if (
            self.quantity_inspected is not None
            and self.quantity_defective is not None
            and self.quantity_defective > self.quantity_inspected
        ):
            raise ValueError("quantity_defective must not exceed quantity_inspected")
        return self


class Demands(BaseModel):
    model_config = ConfigDict(extra="forbid")
    remedy: str | None = Field(
        default=None, pattern="^(return|exchange|repair|allowance|compensation|apology|other)$"
    )
    amount: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=6)
    currency: str | None = None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        if value is not None and value not in MINOR_UNITS:
            raise ValueError(f"unknown currency {value!r}")
        return value

    @model_validator(mode="after")
    def _amount_needs_currency(self) -> Demands:
        if self.amount is not None and self.currency is None:
            raise ValueError("an amount claimed needs its currency")
        return self


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Channel
    nature: Nature
    received_at: AwareDatetime | None = Field(
        default=None, description="When the complaint was received; defaults to now."
    )
    complainant: Complainant
    subject: Subject = Subject()
    description: str = Field(min_length=1, max_length=20_000)
    demands: Demands = Demands()
    taken_by: str = Field(min_length=1, max_length=200, description="首问负责人")


class ComplaintRead(BaseModel):
    number: str
    status: str
    received_at: datetime
    channel: str
    nature: str
    complainant: dict[str, Any]
    subject: dict[str, Any]
    description: str
    demands: dict[str, Any]
    taken_by: str
    version: int

    @classmethod
    def of(cls, complaint: Complaint) -> ComplaintRead:
        return cls(
            number=complaint.number,
            status=complaint.status,
            received_at=complaint.received_at,
            channel=complaint.channel,
            nature=complaint.nature,
            complainant=complaint.complainant,
            subject=complaint.subject,
            description=complaint.description,
            demands=complaint.demands,
            taken_by=complaint.taken_by,
            version=complaint.version,
        )


def router(app: IntakeApplication) -> APIRouter:
    api = APIRouter(prefix="/complaints", tags=["complaints"])

    @api.post("", status_code=status.HTTP_201_CREATED, response_model=ComplaintRead)
    def register(body: ComplaintCreate, request: Request, response: Response) -> ComplaintRead:
        now = clock.now()
        received_at = body.received_at or now
        if received_at > now + RECEIPT_TIME_TOLERANCE:
            raise Invalid("received_at is in the future", field="received_at", rule="not_future")
        complaint = app.register(
            Registration(
                received_at=received_at,
                channel=body.channel.value,
                nature=body.nature.value,
                complainant=body.complainant.model_dump(mode="json"),
                subject=body.subject.model_dump(mode="json"),
                description=body.description,
                demands=body.demands.model_dump(mode="json"),
                taken_by=body.taken_by,
            ),
            command_meta(Actor(id=body.taken_by, role="clerk")),
        )
        response.headers["Location"] = f"/complaints/{complaint.number}"
        return ComplaintRead.of(complaint)

    @api.get("/{number}", response_model=ComplaintRead)
    def read(number: str) -> ComplaintRead:
        return ComplaintRead.of(app.complaint(number))

    return api
