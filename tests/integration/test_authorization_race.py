"""Authorization is part of the command: checked on the state the command runs on.

A manager moves a case to logistics at the very moment a quality handler proposes a remedy
on it. Whichever commits first, the handler's proposal may only stand if it was made while
the case was still quality's: never recorded after the case left the unit. A hundred races
on a real SQLite store, the two commands started together from two threads.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.intake.contracts import to_integration as intake_contract
from services.routing.application import RoutingApplication
from services.routing.commands import Propose, Reassign
from services.routing.domain import Case
from shared.kernel.errors import DomainError
from shared.kernel.principal import Principal, Role
from shared.platform.eventstore import persistence_env
from shared.platform.outbox import OutboxReader
from shared.platform.settings import Settings
from tests.support.builders import clerk_meta, intake_app, registration
from tests.support.routing_story import AUTHORITY

pytestmark = pytest.mark.integration

TRIALS = 100
QUALITY = Principal("qa-liu", Role.handler, unit="quality_management")
MANAGER = Principal("mgr-li", Role.manager, authority="manager")
PROPOSAL = {
    "remedies": [{"kind": "compensation", "amount": "100.00"}],
    "currency": "CNY",
    "actions": [],
}


def attempt(routing, start, command, who) -> DomainError | None:
    """Run a caller's command the moment the other thread runs its own; its refusal, if any."""
    start.wait()
    try:
        routing.act(command, who)
    except DomainError as refused:
        return refused
    return None


def test_a_handler_never_acts_on_a_case_after_it_left_the_unit(tmp_path):
    routing = RoutingApplication(persistence_env(Settings(service="routing", data_dir=tmp_path)))
    intake = intake_app()
    outbox = OutboxReader("intake", intake.recorder, intake.mapper, intake_contract)
    outcomes = {"proposal first": 0, "reassignment first": 0}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for trial in range(TRIALS):
            intake.register(registration(description=f"trial {trial}"), clerk_meta())
            event = outbox.read(0, 10_000).events[-1]
            routing.save(*routing.policy(event))
            number = event.case_number
            start = threading.Barrier(2)
            reassign = Reassign(number, unit="logistics", reason="x")
            moved = pool.submit(attempt, routing, start, reassign, MANAGER)
            proposed = pool.submit(
                attempt, routing, start, Propose(number, **PROPOSAL, authority=AUTHORITY), QUALITY
            )
            assert moved.result() is None
            refusal = proposed.result()
            kinds = [type(e).__name__ for e in routing.events.get(Case.create_id(number))]
            if refusal is None:
                assert kinds.index("RemedyProposed") < kinds.index("Reassigned"), kinds
                outcomes["proposal first"] += 1
            else:
                assert refusal.rule == "own_unit"
                assert "RemedyProposed" not in kinds
                outcomes["reassignment first"] += 1
    assert sum(outcomes.values()) == TRIALS
    print(f"\n{TRIALS} races: {outcomes}")
