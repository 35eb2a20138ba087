"""Settlement's HTTP API: thin routes over `SettlementApplication`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.settlement.application import SettlementApplication
from services.settlement.domain import Settlement


class SettlementRead(BaseModel):
    number: str
    status: str
    customer: dict[str, Any]
    remedies: list[dict[str, Any]]
    total_amount: str
    currency: str
    version: int

    @classmethod
    def of(cls, s: Settlement) -> SettlementRead:
        return cls(
            number=s.number,
            status=s.status,
            customer=s.customer,
            remedies=s.remedies,
            total_amount=s.total_amount,
            currency=s.currency,
            version=s.version,
        )


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    completed_by: str = Field(min_length=1, max_length=200)


def router(app: SettlementApplication) -> APIRouter:
    api = APIRouter(prefix="/settlements", tags=["settlements"])

    @api.get("/{number}", response_model=SettlementRead)
    def read(number: str) -> SettlementRead:
        s = app.settlement(number)
        return SettlementRead(
            number=s.number,
            status=s.status,
            customer=s.customer,
            remedies=s.remedies,
            total_amount=s.total_amount,
            currency=s.currency,
            version=s.version,
        )

    return api
