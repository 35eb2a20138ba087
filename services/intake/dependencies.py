"""What intake's routes depend on, fetched from the FastAPI app's state (set by `main`).

Routes declare these as `Annotated` parameters, so each route names what it uses and the
routers are plain module-level objects, as in FastAPI's full-stack template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake import read_models
from services.intake.application import IntakeApplication, Registered, Registration
from services.intake.domain import Complaint
from services.intake.evidence import EvidenceStore
from services.intake.schemas import ComplaintRead
from shared.kernel.meta import Meta


@dataclass(frozen=True)
class Desk:
    """The complaint desk: the event-sourced application, its index and the evidence files."""

    app: IntakeApplication
    engine: AsyncEngine
    #: The index again, through a blocking driver, for the lookups made on a worker thread.
    index: Engine
    evidence: EvidenceStore
    repeat_window: timedelta

    def register(self, registration: Registration, meta: Meta) -> Registered:
        """Register with the repeats the index finds, on the calling (worker) thread: one
        hop off the event loop for the lookup and the save together."""
        repeats = self.repeats(
            registration.complainant, registration.subject, registration.received_at
        )
        return self.app.register(registration, meta, repeats)

    def repeat_candidates(self, number: str) -> list[dict[str, Any]]:
        """The earlier complaints `number` may repeat and is not linked to yet: the complaint
        and the lookup read on one worker thread."""
        complaint = self.app.complaint(number)
        found = self.repeats(
            complaint.complainant, complaint.subject, complaint.received_at, number
        )
        return [c for c in found if c["number"] not in complaint.repeat_of and c["number"] < number]

    def repeats(
        self,
        complainant: dict[str, Any],
        subject: dict[str, Any],
        received_at: datetime,
        exclude: str | None = None,
    ) -> list[dict[str, Any]]:
        """The earlier complaints, within the repeat window, a complaint may repeat."""
        since = received_at - self.repeat_window
        return read_models.repeat_candidates(self.index, complainant, subject, since, exclude)

    def answer(self, complaint: Complaint) -> ComplaintRead:
        """The complaint as the API shows it, labelled by the taxonomy in force."""
        return ComplaintRead.of(complaint, self.app.taxonomy)


async def desk(request: Request) -> Desk:
    return request.app.state.desk


async def application(request: Request) -> IntakeApplication:
    return request.app.state.desk.app


DeskDep = Annotated[Desk, Depends(desk)]
