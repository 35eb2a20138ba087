"""Analytics' own events: recall-candidate alerts and report publications, and the pure
rules it computes with (the fold of a case's facts, the report figures).

Analytics owns no truth about cases, but what it concludes (a batch complained of in several
regions, a month's report made final) is news for others, so it is recorded as events in
analytics' own small event store and published through its outbox like any service's.
"""

from eventsourcing.utils import register_topic

from services.analytics.domain.alerts import BatchAlert
from services.analytics.domain.publications import ReportPublication

__all__ = ["BatchAlert", "ReportPublication"]

#: Where these aggregates lived when their first events were stored; those stored topics
#: must keep resolving (audit replays, feeds re-read from the start).
MOVED_FROM = "services.analytics.alerts"
for _aggregate, _created in (
    (BatchAlert, BatchAlert.Raised),
    (ReportPublication, ReportPublication.Published),
):
    register_topic(f"{MOVED_FROM}:{_aggregate.__qualname__}", _aggregate)
    register_topic(f"{MOVED_FROM}:{_created.__qualname__}", _created)
