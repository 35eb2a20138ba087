"""Analytics' own events: recall-candidate alerts and report publications, and the pure
rules it computes with (the fold of a case's facts, the report figures).

Analytics owns no truth about cases, but what it concludes (a batch complained of in several
regions, a month's report made final) is news for others, so it is recorded as events in
analytics' own small event store and published through its outbox like any service's.
"""

from services.analytics.domain.alerts import BatchAlert
from services.analytics.domain.publications import ReportPublication
from shared.kernel.aggregate import moved_from

__all__ = ["BatchAlert", "ReportPublication"]

#: Where these aggregates lived when their first events were stored.
MOVED_FROM = "services.analytics.alerts"
moved_from(
    MOVED_FROM, BatchAlert, BatchAlert.Raised, ReportPublication, ReportPublication.Published
)
