"""Analytics' own events -> public integration events (shared/contracts/analytics.py)."""

from __future__ import annotations

from services.analytics.domain import BatchAlert, ReportPublication
from shared.contracts import analytics as c
from shared.platform.outbox import contract_for, copied

to_integration = contract_for(
    {
        BatchAlert.Raised: ("analytics.RecallCandidateRaised", copied(c.RecallCandidateRaisedV1)),
        ReportPublication.Published: ("analytics.ReportPublished", copied(c.ReportPublishedV1)),
    }
)
