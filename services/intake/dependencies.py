"""What intake's routes depend on, fetched from the FastAPI app's state (set by `main`).

Routes declare these as `Annotated` parameters, so each route names what it uses and the
routers are plain module-level objects, as in FastAPI's full-stack template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.application import IntakeApplication
from services.intake.domain import Complaint
from services.intake.evidence import EvidenceStore
from services.intake.schemas import ComplaintRead


@dataclass(frozen=True)
class Desk:
    """The complaint desk: the event-sourced application, its index and the evidence files."""

    app: IntakeApplication
    engine: AsyncEngine
    evidence: EvidenceStore
    repeat_window: timedelta

    def answer(self, complaint: Complaint) -> ComplaintRead:
        """The complaint as the API shows it, labelled by the taxonomy in force."""
        return ComplaintRead.of(complaint, self.app.taxonomy)


async def desk(request: Request) -> Desk:
    return request.app.state.desk


async def application(request: Request) -> IntakeApplication:
    return request.app.state.desk.app


DeskDep = Annotated[Desk, Depends(desk)]
