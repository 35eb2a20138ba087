"""Routing's HTTP API: thin routes over `RoutingApplication`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.routing.application import RoutingApplication
from services.routing.authority import LEVELS
from services.routing.domain import Case
from shared.envelope import Actor
from shared.meta import command_meta
from shared.money import MINOR_UNITS


class RemedyLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern="^(return|exchange|repair|allowance|compensation)$")
    amount: Decimal = Field(ge=0, max_digits=18, decimal_places=6)
    quantity: int | None = Field(default=None, ge=0)
    unit_price: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=6)
    part_no: str | None = Field(default=None, max_length=100)


class RemedyProposal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    remedies: list[RemedyLine] = Field(min_length=1, max_length=100)
    currency: str
    proposed_by: str = Field(min_length=1, max_length=200)

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value not in MINOR_UNITS:
            raise ValueError(f"unknown currency {value!r}")
        return value


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approver_id: str = Field(min_length=1, max_length=200)
    approver_level: str = Field(pattern="^(" + "|".join(LEVELS) + ")$")


class CaseRead(BaseModel):
    number: str
    status: str
    unit: str | None
    nature: str
    channel: str
    remedies: list[dict[str, Any]]
    total_amount: str | None
    currency: str | None
    version: int

    @classmethod
    def of(cls, case: Case) -> CaseRead:
        return cls(
            number=case.number,
            status=case.status,
            unit=case.unit,
            nature=case.nature,
            channel=case.channel,
            remedies=case.remedies,
            total_amount=str(case.total.amount) if case.total else None,
            currency=case.total.currency if case.total else None,
            version=case.version,
        )


def router(app: RoutingApplication) -> APIRouter:
    api = APIRouter(prefix="/cases", tags=["cases"])

    @api.get("/{number}", response_model=CaseRead)
    def read(number: str) -> CaseRead:
        return CaseRead.of(app.case(number))

    @api.post("/{number}/remedies", response_model=CaseRead)
    def propose(number: str, body: RemedyProposal) -> CaseRead:
        remedies = [line.model_dump(mode="json") for line in body.remedies]
        meta = command_meta(Actor(id=body.proposed_by, role="handler"))
        return CaseRead.of(app.propose(number, remedies, body.currency, meta))

    @api.post("/{number}/approval", response_model=CaseRead)
    def approve(number: str, body: Approval) -> CaseRead:
        meta = command_meta(Actor(id=body.approver_id, role="manager"))
        return CaseRead.of(app.approve(number, body.approver_id, body.approver_level, meta))

    return api
