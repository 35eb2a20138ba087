"""What routing's routes depend on, fetched from the FastAPI app's state (set by `main`).

Routes declare these as `Annotated` parameters, so each route names what it uses and the
routers are plain module-level objects, as in FastAPI's full-stack template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from services.routing.application import RoutingApplication


@dataclass(frozen=True)
class Handling:
    """The event-sourced application and its queue views."""

    app: RoutingApplication
    engine: AsyncEngine


async def handling(request: Request) -> Handling:
    return request.app.state.handling


async def application(request: Request) -> RoutingApplication:
    return request.app.state.handling.app


HandlingDep = Annotated[Handling, Depends(handling)]
