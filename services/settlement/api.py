"""Settlement's HTTP API: thin routes over `SettlementApplication`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from services.settlement.application import SettlementApplication


class SettlementRead(BaseModel):
    number: str
    status: str
    customer: dict[str, Any]
    remedies: list[dict[str, Any]]
    total_amount: str
    currency: str
    version: int


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
