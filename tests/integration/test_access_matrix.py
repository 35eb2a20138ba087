"""Every role against every operation of every service, on its own and another's case.

The specification is `tests/support/access_matrix.py`, written apart from the routes. A
bypass is any answer other than refusal where the specification refuses: 401 without a
token, 403 for a role that may not, 403 for a handler on another unit's case, 404 for a
customer on another customer's complaint (its existence is not disclosed). Refused requests
must leave every event store exactly as it was. Allowed callers must get past the checks,
so the specification cannot pass by refusing everything.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from services.intake.contracts import to_integration as intake_contract
from shared.kernel import clock
from shared.kernel.clock import ManualClock
from shared.platform.outbox import OutboxReader
from shared.platform.settings import Settings
from tests.support.access_matrix import ALLOWED, FIELDS, PUBLIC, ROLES, bound_to_own_case
from tests.support.auth import bearer
from tests.support.builders import clerk_meta, intake_app, registration
from tests.support.timing import business_clock

SAMPLE = {
    "name": "resolution",
    "letter_id": str(uuid.uuid4()),
    "position": "1",
    "sha256": "0" * 64,
    "earlier": "2611-0009",
    "month": "2026-10",
    "version": "1",
    "week": "2026-W45",
    "fmt": "svg",
    "subscription_id": str(uuid.uuid4()),
    "delivery_id": str(uuid.uuid4()),
}
#: Whose case each role owns in this world, and someone else's.
OWN = {"number": "2611-0001", "unit": "quality_management"}
OTHERS = {"number": "2611-0002", "unit": "logistics"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from importlib import import_module

    folder = tmp_path_factory.mktemp("matrix")
    clock.install_clock(ManualClock(datetime(2026, 11, 5, 3, 0, tzinfo=UTC)))  # no timer due
    clients = {}
    for service in ALLOWED:
        settings = Settings(
            service=service,
            data_dir=folder / "data",
            evidence_dir=folder / "evidence",
            consumers_enabled=False,
        )
        client = TestClient(import_module(f"services.{service}.main").create_app(settings))
        clients[service] = client.__enter__()

    for customer in ("C-1001", "C-2002"):
        body = {
            "channel": "phone",
            "nature": "quality",
            "received_at": "2026-11-05T02:00:00+00:00",
            "complainant": {"name": customer, "customer_id": customer},
            "problem": {"what": "bridges", "where": "J3"},
            "description": "d",
        }
        assert clients["intake"].post("/complaints", json=body, headers=bearer("clerk")).is_success

    routing = clients["routing"].app.state.runtime.app
    desk = intake_app()
    for nature in ("quality", "transport"):
        desk.register(registration(nature=nature), clerk_meta())
    for event in (
        OutboxReader("intake", desk.recorder, desk.mapper, intake_contract).read(0, 99).events
    ):
        routing.save(*routing.policy(event))
    assert routing.case("2611-0001").unit == OWN["unit"]
    assert routing.case("2611-0002").unit == OTHERS["unit"]
    intake = clients["intake"].app.state.runtime.app  # learns the units from routing
    for event in clients["routing"].app.state.runtime.outbox.read(0, 999).events:
        intake.save(*intake.policy(event))
    assert intake.complaint("2611-0002").unit == OTHERS["unit"]

    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)
    clock.install_clock(business_clock())


def call(client, operation: str, case: dict, headers: dict[str, str]):
    method, template = operation.split(" ")
    values = {**SAMPLE, **case}
    path = template.format(**values)
    if method in ("POST", "PUT"):
        return client.request(method, path, json={}, headers=headers)
    takes = {
        parameter["name"]
        for parameter in client.app.openapi()["paths"][template][method.lower()].get(
            "parameters", []
        )
        if parameter["in"] == "query"
    }
    query = {"reason": "x", "as_of": "2026-11-05T03:00:00+00:00"}
    taken = {name: value for name, value in query.items() if name in takes}
    return client.request(method, path, params=taken, headers=headers)


def stored_events(clients) -> dict[str, int]:
    return {
        name: client.app.state.runtime.app.recorder.max_notification_id() or 0
        for name, client in clients.items()
    }


def test_every_operation_is_in_the_specification(world):
    for service, client in world.items():
        served = {
            f"{method.upper()} {path}"
            for path, operations in client.app.openapi()["paths"].items()
            for method in operations
        }
        assert served == set(ALLOWED[service]), service


def test_no_role_reaches_what_it_may_not_on_anyones_case(world):
    before = stored_events(world)
    bypasses, checks = [], 0
    for service, operations in ALLOWED.items():
        client = world[service]
        for operation, allowed in operations.items():
            if allowed is PUBLIC:
                continue
            answer = call(client, operation, OWN, {})
            checks += 1
            if answer.status_code != 401 or "Bearer" not in answer.headers["www-authenticate"]:
                bypasses.append((service, operation, "anonymous", answer.status_code))
            for role in ROLES:
                for case, expected in ((OWN, 403), (OTHERS, 403)):
                    if role in allowed:
                        if not bound_to_own_case(service, operation, role) or case is OWN:
                            continue
                        expected = 404 if role == "customer" else 403
                    answer = call(client, operation, case, bearer(role))
                    checks += 1
                    if answer.status_code != expected:
                        bypasses.append((service, operation, role, answer.status_code))
    print(f"\naccess matrix: {checks} refusals checked, {len(bypasses)} bypasses")
    assert bypasses == []
    assert stored_events(world) == before, "a refused request changed a store"


def test_every_allowed_role_gets_past_the_checks_on_its_own_case(world):
    blocked = []
    for service, operations in ALLOWED.items():
        for operation, allowed in operations.items():
            for role in sorted(allowed or ()):
                answer = call(world[service], operation, OWN, bearer(role))
                if answer.status_code in (401, 403, 429) or answer.status_code >= 500:
                    blocked.append((service, operation, role, answer.status_code, answer.text))
    assert blocked == []


def with_field(body: dict, dotted: str, value) -> dict:
    """`body` with the (possibly nested) field set."""
    head, _, rest = dotted.partition(".")
    return {**body, head: with_field(body.get(head, {}), rest, value) if rest else value}


def test_fields_only_some_roles_may_set_are_refused_to_the_others_naming_the_field(world):
    portal = {
        "channel": "web_form",
        "nature": "quality",
        "complainant": {"name": "C-1001", "customer_id": "C-1001"},
        "problem": {"what": "bridges", "where": "J3"},
        "description": "d",
    }
    bodies = {"POST /complaints": portal, "POST /settlements/{number}/cost-sign-offs": {}}
    refused, checks = [], 0
    for (service, operation, field), (may, value) in FIELDS.items():
        for role in sorted(ALLOWED[service][operation] - may):
            body = with_field(bodies[operation], field, value)
            method, template = operation.split(" ")
            path = template.format(**{**SAMPLE, **OWN})
            answer = world[service].request(method, path, json=body, headers=bearer(role))
            checks += 1
            named = {e["field"] for e in answer.json().get("errors", [])}
            if answer.status_code != 403 or field not in named:
                refused.append((service, operation, field, role, answer.status_code, named))
    print(f"\nfield matrix: {checks} refusals checked")
    assert checks >= 6
    assert refused == []
