"""Routing opens a case from intake's event, assigns it by rule, and approves by authority."""

from decimal import Decimal

import pytest

from services.intake.contracts import to_integration as intake_contract
from services.routing.authority import required_level
from services.routing.domain import Case
from services.routing.rules import DEFAULT_RULES
from shared.envelope import Actor
from shared.errors import Conflict
from shared.meta import command_meta
from shared.outbox import OutboxReader
from tests.support.builders import clerk_meta, intake_app, registration, routing_app

MANAGER = command_meta(Actor(id="mgr-li", role="manager"))


def registered(**changes):
    intake = intake_app()
    intake.register(registration(**changes), clerk_meta())
    outbox = OutboxReader("intake", intake.recorder, intake.mapper, intake_contract)
    return outbox.read(0, 10).events[0]


def opened_case(**changes):
    routing = routing_app()
    event = registered(**changes)
    routing.save(*routing.policy(event))
    return routing, event.case_number


@pytest.mark.parametrize(
    ("channel", "nature", "unit", "rule"),
    [
        ("phone", "quality", "quality_management", "quality"),
        ("email", "transport", "logistics", "transport"),
        ("regulator", "quality", "deputy_gm_office", "escalate-regulator"),
        ("chat", "billing", "customer_service", "catch-all"),
    ],
)
def test_the_first_matching_rule_assigns_the_unit_and_is_recorded(channel, nature, unit, rule):
    routing, number = opened_case(channel=channel, nature=nature)
    case = routing.case(number)
    assert case.unit == unit
    [assigned] = [e for e in routing.events.get(case.id) if isinstance(e, Case.Assigned)]
    assert assigned.rule_id == rule
    assert assigned.ruleset_version == DEFAULT_RULES.version


@pytest.mark.parametrize(
    ("amount", "level"),
    [
        ("100000.00", "manager"),
        ("100000.01", "deputy_general_manager"),
        ("150000.00", "deputy_general_manager"),
        ("150000.01", "general_manager"),
    ],
)
def test_the_approver_follows_the_amount(amount, level):
    assert required_level(Decimal(amount), "CNY") == level


def test_approval_by_too_low_an_authority_is_refused_and_leaves_no_event():
    routing, number = opened_case()
    routing.propose(number, [{"kind": "compensation", "amount": "100000.01"}], "CNY", MANAGER)
    version = routing.case(number).version
    with pytest.raises(Conflict, match="deputy_general_manager"):
        routing.approve(number, "mgr-li", "manager", MANAGER)
    assert routing.case(number).version == version
    routing.approve(number, "dgm-zhao", "deputy_general_manager", MANAGER)
    assert routing.case(number).status == "approved"


def test_a_redelivered_registration_opens_no_second_case():
    routing = routing_app()
    event = registered()
    routing.save(*routing.policy(event))
    assert routing.policy(event) == []
