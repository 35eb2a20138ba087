"""What settlement's routes depend on, fetched from the FastAPI app's state (set by `main`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.settlement.application import SettlementApplication


async def application(request: Request) -> SettlementApplication:
    return request.app.state.settlements


Settlements = Annotated[SettlementApplication, Depends(application)]
