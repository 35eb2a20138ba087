"""What analytics' routes depend on, fetched from the FastAPI app's state (set by `main`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from services.analytics.keeper import ReportKeeper


@dataclass(frozen=True)
class Reporting:
    """The read models, the business time zone, the final day and the report keeper."""

    engine: AsyncEngine
    zone: ZoneInfo
    final_day: int
    keeper: ReportKeeper


async def reporting(request: Request) -> Reporting:
    return request.app.state.reporting


ReportingDep = Annotated[Reporting, Depends(reporting)]
