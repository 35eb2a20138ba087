"""A report version made public: a month's final or amended report, a week's summary."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.meta import Meta


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
