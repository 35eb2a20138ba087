"""Analytics' own events: recall-candidate alerts and report publications.

Analytics owns no truth about cases, but what it concludes (a batch complained of in several
regions, a month's report made final) is news for others, so it is recorded as events in
analytics' own small event store and published through its outbox like any service's.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event
from eventsourcing.utils import get_topic

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.meta import Meta, for_case
from shared.platform.eventstore import ServiceApplication


class BatchAlert(ClockedAggregate):
    """The same batch complained of in N regions within D days: a recall candidate."""

    @staticmethod
    def create_id(batch: str, **_: Any) -> Any:
        return aggregate_id("analytics.batch-alert", batch)

    class Raised(ClockedAggregate.Created):
        batch: str
        regions: dict[str, list[str]]
        window_days: int
        meta: Meta

    @event(Raised)
    def __init__(
        self, batch: str, regions: dict[str, list[str]], window_days: int, meta: Meta
    ) -> None:
        self.batch = batch


class ReportPublication(ClockedAggregate):
    @staticmethod
    def create_id(period: str, version: int, **_: Any) -> Any:
        return aggregate_id("analytics.report", f"{period}#{version}")

    class Published(ClockedAggregate.Created):
        period: str
        version: int
        kind: str
        headline: dict[str, Any]
        meta: Meta

    @event(Published)
    def __init__(
        self, period: str, version: int, kind: str, headline: dict[str, Any], meta: Meta
    ) -> None:
        self.period = period


class AnalyticsApplication(ServiceApplication):
    name = "analytics"
    env: ClassVar[dict[str, str]] = {}

    def case_streams(self, number: str) -> list[UUID]:
        """Batch alerts the case triggered or is counted in (alerts are few: a topic scan)."""
        topic = get_topic(BatchAlert.Raised)
        streams: list[UUID] = []
        position = 0
        while True:
            page = self.recorder.select_notifications(
                position, 1000, topics=[topic], inclusive_of_start=False
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
