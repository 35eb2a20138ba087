"""Schemathesis' stateful phase: every role follows the OpenAPI links through real cases.

The stateless run (`test_openapi_fuzz.py`) sends each operation alone, so most requests
address a case that does not exist and stop at a 404. Here the schema's links (an answer
naming a `number` links to every operation on that number) chain calls: a complaint
registered, then read, judged, classified, confirmed; a routing case read, investigated,
given remedies, approved; a settlement paid and apportioned. Each role runs the chains with
its own token on the operations the access specification gives it (refusals are the access
matrix's test), customer included, against a world holding cases of two customers and two
units. Generated numbers that address no case are replaced by a case the world holds, so
every chain starts on real state. Checks: no 5xx, every answer fits its documented schema
and content type. The seed is fixed (derandomized), so a failure reproduces.

The world is shared and changes with every call, so a check's failure is recorded rather
than raised (Hypothesis would replay and shrink against a world that moved on), and when
Hypothesis notices that a replayed prefix now behaves differently (`Flaky`), that role's run
ends there; each run must still have made at least one call per scenario.
"""

from __future__ import annotations

import zlib
from contextlib import suppress
from datetime import UTC, datetime

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis.errors import Flaky

from services.intake.contracts import to_integration as intake_contract
from shared.kernel import clock
from shared.kernel.clock import ManualClock
from shared.platform.outbox import OutboxReader
from tests.integration.test_openapi_fuzz import CHECKS
from tests.support.access_matrix import ALLOWED, ROLES
from tests.support.auth import bearer
from tests.support.builders import (
    clerk_meta,
    intake_app,
    lifespan_run_by_the_test_client,
    registration,
    service_app,
)
from tests.support.settlement_story import approval
from tests.support.timing import business_clock

SERVICES = ("intake", "routing", "settlement")
SCENARIOS_PER_ROLE = 20
STEPS_PER_SCENARIO = 6


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """All four services in one folder: two customers' complaints, cases in two units."""
    folder = tmp_path_factory.mktemp("stateful")
    clock.install_clock(ManualClock(datetime(2026, 11, 5, 3, 0, tzinfo=UTC)))
    clients = {}
    for service in (*SERVICES, "analytics"):
        clients[service] = TestClient(service_app(service, folder)).__enter__()

    desk = intake_app()
    for customer, nature in (("C-1001", "quality"), ("C-2002", "transport")):
        body = registration(nature=nature, complainant={"name": customer, "customer_id": customer})
        clients["intake"].app.state.runtime.app.register(body, clerk_meta())
        desk.register(registration(nature=nature), clerk_meta())
    routing = clients["routing"].app.state.runtime.app
    for event in (
        OutboxReader("intake", desk.recorder, desk.mapper, intake_contract).read(0, 99).events
    ):
        routing.save(*routing.policy(event))
    intake = clients["intake"].app.state.runtime.app
    for event in clients["routing"].app.state.runtime.outbox.read(0, 999).events:
        intake.save(*intake.policy(event))
    settlement = clients["settlement"].app.state.runtime.app
    for number in ("2611-0001", "2611-0002"):
        settlement.save(*settlement.policy(approval(number=number)))

    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)
    clock.install_clock(business_clock())


def operations_of(service: str, role: str) -> list[str]:
    """The operations `role` may call (the access specification), public ones included."""
    return [label for label, roles in ALLOWED[service].items() if roles is None or role in roles]


def follows_links(service: str, role: str) -> bool:
    """Whether any operation `role` may call addresses a case by number (a link's target)."""
    return any("{number}" in label for label in operations_of(service, role))


class Run:
    """What one role's chains met: failed checks, and how many answers on a real case were 2xx."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.failures: list[str] = []
        self.reached = 0
        self.calls = 0


def machine(service: str, client, run: Run):
    """The schema's state machine, calling as the run's role, on the cases the world holds."""
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", lifespan_run_by_the_test_client(client.app)
    )
    schema = schema.include(name=operations_of(service, run.role))
    headers = bearer(run.role, f"stateful-{run.role}")
    known: list[str] = ["2611-0001"] if run.role == "customer" else ["2611-0001", "2611-0002"]

    class AsRole(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case) -> None:
            case.headers = {**(case.headers or {}), **headers}
            number = (case.path_parameters or {}).get("number")
            if number is not None and number not in known:
                case.path_parameters["number"] = known[zlib.crc32(number.encode()) % len(known)]

        def after_call(self, response, case) -> None:
            run.calls += 1
            if response.status_code >= 300 or not response.content.startswith(b"{"):
                return
            run.reached += "{number}" in case.operation.path
            number = response.json().get("number")
            if isinstance(number, str) and number not in known:
                known.append(number)

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as failure:  # recorded, not raised: the world does not rewind
                run.failures.append(f"{run.role} {case.operation.label}: {str(failure)[:1500]}")

    return AsRole


@pytest.mark.parametrize("service", SERVICES)
def test_every_role_follows_the_links_without_server_errors_or_answers_off_schema(world, service):
    runs = [Run(role) for role in ROLES if follows_links(service, role)]
    for run in runs:
        with suppress(Flaky):  # the world moved under a replayed prefix: the run ends there
            machine(service, world[service], run).run(
                settings=settings(
                    max_examples=SCENARIOS_PER_ROLE,
                    stateful_step_count=STEPS_PER_SCENARIO,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
            )
    assert [failure for run in runs for failure in run.failures] == []
    assert all(run.calls >= SCENARIOS_PER_ROLE for run in runs)
    reached = {run.role for run in runs if run.reached}
    assert reached, "no role's chain reached a real case"
    assert service != "intake" or "customer" in reached, reached


def test_every_role_but_the_service_account_has_chains_to_follow():
    followed = {role for service in SERVICES for role in ROLES if follows_links(service, role)}
    assert set(ROLES) - followed == {"service"}
