"""What notifications' routes depend on, fetched from the FastAPI app's state (set by `main`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.application import NotificationsApplication


@dataclass(frozen=True)
class Notifying:
    app: NotificationsApplication
    engine: AsyncEngine
    #: How long a manual re-delivery is retried before it is parked again.
    retry_window_seconds: float


async def notifying(request: Request) -> Notifying:
    return request.app.state.notifying


NotifyingDep = Annotated[Notifying, Depends(notifying)]
