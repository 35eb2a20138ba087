"""Analytics' HTTP API: reports over the read models."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from sqlalchemy.ext.asyncio import AsyncEngine

from services.analytics import reports


def router(engine: AsyncEngine) -> APIRouter:
    api = APIRouter(prefix="/reports", tags=["reports"])

    @api.get("/monthly/{month}", summary="客户投诉案件统计表: the month's complaint statistics")
    async def monthly(
        month: str = Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-11"]),
    ) -> dict[str, Any]:
        return await reports.monthly(engine, month)

    return api
