"""Routing's aggregate: the handling of one case, cycle by cycle.

Commands check first and then trigger one `@event` method that only mutates, so a refused
command leaves no event. Clock state (due times, pauses, timers fired) lives in the events,
so it is rebuilt by replay; a changed policy reaches an open case only through an explicit
re-baseline event.
"""

from services.routing.domain.case import Case
from services.routing.domain.rule_set import RoutingRuleSet
from services.routing.domain.state import ACTIVE, FISHBONE, LADDER, CaseStatus
from shared.kernel.aggregate import moved_from

__all__ = ["ACTIVE", "FISHBONE", "LADDER", "Case", "CaseStatus", "RoutingRuleSet"]

#: The rule set's events were first stored while it lived in the application module.
moved_from(
    "services.routing.application",
    RoutingRuleSet,
    RoutingRuleSet.Published,
    RoutingRuleSet.Republished,
)
