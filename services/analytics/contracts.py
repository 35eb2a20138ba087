"""Analytics' own events -> public integration events (shared/contracts/analytics.py)."""

from __future__ import annotations

from typing import Any

from services.analytics.alerts import BatchAlert, ReportPublication
from shared.contracts.analytics import RecallCandidateRaisedV1, ReportPublishedV1
from shared.outbox import Published


def to_integration(e: Any) -> Published | None:
    if isinstance(e, BatchAlert.Raised):
        data = RecallCandidateRaisedV1(batch=e.batch, regions=e.regions, window_days=e.window_days)
        return Published(
            "analytics.RecallCandidateRaised",
            1,
            e.meta["case_number"],
            e.timestamp,
            data.model_dump(mode="json"),
        )
    if isinstance(e, ReportPublication.Published):
        data = ReportPublishedV1(
            period=e.period, version=e.version, kind=e.kind, headline=e.headline
        )
        return Published(
            "analytics.ReportPublished",
            1,
            f"report-{e.period}",
            e.timestamp,
            data.model_dump(mode="json"),
        )
    return None
