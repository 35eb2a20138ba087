"""The report keeper: stores the report versions that fall due, then publishes them.

A monthly report becomes final on the final day of the next month, and each later event
that changes it adds an amended version; a weekly summary is stored each Monday. The
keeper runs every `report_keeper_interval_seconds`, and `POST /admin/reports/keep` runs it
at once. Versions are stored once (a concurrent keeper's insert fails, and that keeper
publishes them); an admin's retried request with its Idempotency-Key stores nothing again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.analytics import versions
from services.analytics.application import AnalyticsApplication
from services.analytics.read_models import answered_requests
from shared.kernel import clock
from shared.kernel.meta import SYSTEM_ACTOR, command_meta
from shared.platform.sqlviews import answer_once
from shared.platform.threads import run_sync

log = logging.getLogger(__name__)

HEADLINE = ("received", "closed", "open_at_month_end", "valid_rate")


@dataclass(eq=False)
class ReportKeeper:
    engine: AsyncEngine
    events: AnalyticsApplication
    zone: ZoneInfo
    final_day: int
    interval_seconds: float

    async def keep(self) -> dict[str, Any]:
        """Store the report versions now due, then publish them; what this call stored."""
        due = await self._due()
        stored: list[dict[str, Any]] = []

        async def store(conn: AsyncConnection) -> dict[str, Any]:
            stored.extend(await versions.store(conn, due))
            return {"stored": [{k: v[k] for k in ("period", "version", "kind")} for v in stored]}

        try:
            answer = await answer_once(self.engine, answered_requests, store)
        except IntegrityError:
            return {"stored": []}  # another keeper stored them first, and publishes them
        for version in stored:
            await self._publish(version)
        return answer

    async def run(self) -> None:
        while True:
            try:
                await self.keep()
            except Exception:
                log.exception("report keeper failed; retrying")
            await asyncio.sleep(self.interval_seconds)

    async def _due(self) -> list[dict[str, Any]]:
        now = clock.now()
        due = []
        for month in await versions.months_with_cases(self.engine, now, self.zone):
            version = await versions.due_month(self.engine, month, now, self.final_day, self.zone)
            if version:
                due.append(version)
        if weekly := await versions.due_week(self.engine, now, self.zone):
            due.append(weekly)
        return due

    async def _publish(self, version: dict[str, Any]) -> None:
        body = version["body"]
        headline = {k: body.get(k) for k in HEADLINE if k in body}
        await run_sync(
            self.events.publish,
            version["period"],
            version["version"],
            version["kind"],
            headline,
            command_meta(SYSTEM_ACTOR),
        )
