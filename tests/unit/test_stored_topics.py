"""Events stored before a domain was rearranged still replay, years later.

A stored event names its class by topic, `module:Class.Event`. When each service's domain
became a package, and routing's case and the settlement were split into parts by concept,
the module of every aggregate changed (`services.settlement.domain` became
`services.settlement.domain.settlement`). The topics stored before must resolve to the very
class that applies the event, or an auditor's replay of an old case would fail; and a
part's events must keep the aggregate's name (`Settlement.ReturnReceived`), which audit
timelines and metrics show.
"""

from datetime import UTC, datetime

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from services.analytics.domain import BatchAlert, ReportPublication
from services.intake.domain import Complaint
from services.routing.domain import Case, RoutingRuleSet
from services.settlement.domain import Settlement
from shared.kernel import clock
from shared.kernel.clock import ManualClock
from tests.support.builders import analytics_app, intake_app, routing_app, settlement_app
from tests.support.lifecycle_story import lifecycle
from tests.support.timing import business_clock


@pytest.fixture(scope="module")
def told():
    """The lifecycle story: two cases through every service, every published type."""
    machine = ManualClock(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    clock.install_clock(machine)
    try:
        apps = intake_app(), routing_app(), settlement_app(), analytics_app()
        lifecycle(*apps, machine)
    finally:
        clock.install_clock(business_clock())
    return apps


def stored(app, aggregate):
    """The topics of every stored event of `aggregate`'s class in the app's log."""
    records = app.recorder.select_notifications(start=None, limit=100_000)
    prefix = get_topic(aggregate).rsplit(":", 1)[0].rsplit(".", 1)[0]  # the domain package
    return [r.topic for r in records if r.topic.startswith(prefix)]


@pytest.mark.parametrize(
    ("which", "aggregate", "module", "events"),
    [
        (0, Complaint, "services.intake.domain", {"Registered", "Judged"}),
        (1, Case, "services.routing.domain", {"Assigned", "ClockStarted", "RemedyApproved"}),
        (2, Settlement, "services.settlement.domain", {"ReturnReceived", "VoucherPosted"}),
    ],
)
def test_topics_stored_before_the_split_resolve_to_the_classes_applying_the_events(
    told, which, aggregate, module, events
):
    topics = stored(told[which], aggregate)
    names = {t.rsplit(".", 1)[1] for t in topics}
    assert events <= names
    for topic in topics:
        name = topic.rsplit(".", 1)[1]
        if not hasattr(aggregate, name):
            continue  # another aggregate of the service (a sequence, a hold)
        before = f"{module}:{aggregate.__name__}.{name}"
        assert resolve_topic(before) is resolve_topic(topic), before
        assert getattr(aggregate, name) is resolve_topic(topic)
        assert topic.endswith(f":{aggregate.__name__}.{name}")
    assert resolve_topic(f"{module}:{aggregate.__name__}") is aggregate


def test_analytics_topics_stored_before_its_domain_moved_still_resolve():
    """Analytics' alerts and publications lived in `services.analytics.alerts`."""
    for aggregate, created in (
        (BatchAlert, BatchAlert.Raised),
        (ReportPublication, ReportPublication.Published),
    ):
        assert resolve_topic(f"services.analytics.alerts:{aggregate.__name__}") is aggregate
        assert resolve_topic(f"services.analytics.alerts:{created.__qualname__}") is created


def test_the_rule_sets_topics_stored_before_it_moved_to_the_domain_still_resolve():
    """Routing's rule set lived in `services.routing.application`."""
    for moved in (RoutingRuleSet, RoutingRuleSet.Published, RoutingRuleSet.Republished):
        assert resolve_topic(f"services.routing.application:{moved.__qualname__}") is moved
