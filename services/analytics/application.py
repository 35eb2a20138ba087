"""Analytics' application: its own small event store of alerts and report publications."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.utils import get_topic

from services.analytics.domain import MOVED_FROM, BatchAlert, ReportPublication
from shared.kernel.meta import Meta, for_case
from shared.platform.eventstore import ServiceApplication


class AnalyticsApplication(ServiceApplication):
    name = "analytics"
    env: ClassVar[dict[str, str]] = {}

    def case_streams(self, number: str) -> list[UUID]:
        """Batch alerts the case triggered or is counted in (alerts are few: a topic scan)."""
        topics = [get_topic(BatchAlert.Raised), f"{MOVED_FROM}:{BatchAlert.Raised.__qualname__}"]
        streams: list[UUID] = []
        position = 0
        while True:
            page = self.recorder.select_notifications(
                position, 1000, topics=topics, inclusive_of_start=False
            )
            for row in page:
                raised: Any = self.mapper.to_domain_event(row)
                cases = {n for numbers in raised.regions.values() for n in numbers}
                if number in cases or raised.meta.get("case_number") == number:
                    streams.append(UUID(str(row.originator_id)))
                position = row.id
            if len(page) < 1000:
                return streams

    def raise_alert(
        self, batch: str, regions: dict[str, list[str]], window_days: int, meta: Meta
    ) -> bool:
        """Once per batch; a retried registration finds the alert raised and does nothing."""
        if BatchAlert.create_id(batch) in self.repository:
            return False
        self.save(BatchAlert(batch=batch, regions=regions, window_days=window_days, meta=meta))
        return True

    def publish(
        self, period: str, version: int, kind: str, headline: dict[str, Any], meta: Meta
    ) -> bool:
        if ReportPublication.create_id(period, version) in self.repository:
            return False
        # A report is about no single case: its partition key names the period instead.
        meta = for_case(meta, f"report-{period}")
        self.save(
            ReportPublication(
                period=period, version=version, kind=kind, headline=headline, meta=meta
            )
        )
        return True
