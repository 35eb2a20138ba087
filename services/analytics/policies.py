"""Recall candidates: the same batch complained of in several regions within a window.

Checked as each registration is projected, in the projection's transaction; when the batch
reaches `batch_cluster_regions` regions within `batch_cluster_days`, analytics raises a
`BatchAlert` (its own event, published as `analytics.RecallCandidateRaised`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from services.analytics.application import AnalyticsApplication
from services.analytics.projection import cluster_regions
from shared.contracts.envelope import IntegrationEvent
from shared.contracts.intake import ComplaintRegisteredV1
from shared.kernel.meta import caused_by
from shared.platform.threads import run_sync


class BatchClusters:
    def __init__(self, events: AnalyticsApplication, regions: int, days: int) -> None:
        self.events = events
        self.regions = regions
        self.days = days

    async def check(
        self, conn: AsyncConnection, event: IntegrationEvent, registered: ComplaintRegisteredV1
    ) -> None:
        batch, region = registered.subject.batch, registered.subject.region
        if not (batch and region):
            return
        regions = await cluster_regions(conn, batch, event.occurred_at, timedelta(days=self.days))
        regions.setdefault(region, [])
        if event.case_number not in regions[region]:
            regions[region].append(event.case_number)
        if len(regions) >= self.regions:
            await run_sync(self.events.raise_alert, batch, regions, self.days, caused_by(event))
