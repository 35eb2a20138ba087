"""Routing over HTTP on a real SQLite store: queues by deadline, dry runs, refusals."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from services.intake.contracts import to_integration as intake_contract
from services.routing.main import create_app
from shared.kernel import clock
from shared.kernel.clock import ManualClock
from shared.platform.outbox import OutboxReader
from shared.platform.settings import Settings
from tests.support.auth import bearer
from tests.support.builders import clerk_meta, intake_app, registration
from tests.support.routing_story import upstream
from tests.support.timing import business_clock

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def desk(tmp_path):
    machine = ManualClock(NOW)
    clock.install_clock(machine)
    settings = Settings(
        service="routing",
        data_dir=tmp_path / "data",
        consumers_enabled=False,
        poll_interval_seconds=0.02,
        scheduler_interval_seconds=0.05,
    )
    api = create_app(settings)
    with TestClient(api, headers=bearer("manager")) as client:
        client.machine = machine
        client.routing = api.state.runtime.app
        client.app = api
        yield client
    clock.install_clock(business_clock())


def open_case(desk, **changes):
    """Register at an intake shared by the test (so numbers follow on) and route it."""
    if not hasattr(desk, "intake"):
        desk.intake = intake_app()
    desk.intake.register(registration(**changes), clerk_meta())
    outbox = OutboxReader("intake", desk.intake.recorder, desk.intake.mapper, intake_contract)
    event = outbox.read(0, 10_000).events[-1]
    desk.routing.save(*desk.routing.policy(event))
    return event.case_number


def wait_for(desk, path, count):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        items = desk.get(path, params={"limit": 100}).json()["items"]
        if len(items) >= count:
            return items
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {count}")


def test_the_overdue_list_and_a_units_queue_run_by_deadline_with_a_cursor(desk):
    # Three cases received a day apart; case 1 is the oldest, so due first.
    numbers = [
        open_case(desk, received_at=NOW - timedelta(days=d), nature=nature)
        for d, nature in ((3, "quality"), (2, "transport"), (1, "quality"))
    ]
    desk.machine.set(NOW + timedelta(days=1, hours=12))
    overdue = wait_for(desk, "/overdue", 2)
    assert len(overdue) >= 2
    wait_for(desk, "/units/quality_management/queue", 2)  # the queue follows the log too
    queue, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = desk.get("/units/quality_management/queue", params=params).json()
        queue += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(queue) == 2
    assert set(queue) == {numbers[0], numbers[2]}
    assert queue[0] in numbers  # ordered by next deadline
    assert desk.get("/overdue", params={"cursor": "garbage!"}).status_code == 422
    assert desk.get(f"/units/{'u' * 101}/queue").status_code == 422  # as long as a unit may be


def test_a_dry_run_explains_the_decision(desk):
    response = desk.post(
        "/routing-rules/dry-run",
        json={
            "facts": {"nature": "network", "sim_ok": True, "handset_ok": True, "signal_dbm": -97}
        },
    )
    body = response.json()
    assert (body["rule_id"], body["unit"], body["role"]) == (
        "telecom-coverage",
        "radio_network",
        "coverage",
    )
    assert body["trace"][3] == {
        "rule_id": "telecom-sim",
        "matched": False,
        "failed": "sim_ok eq False",
    }


def test_a_refused_close_lists_every_missing_condition(desk):
    number = open_case(desk, received_at=NOW)
    response = desk.post(f"/cases/{number}/closure", json={"reason": "done"})
    assert response.status_code == 409
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {
        "validity",
        "cause_found",
        "responsible_dealt_with",
        "people_briefed",
        "corrective_actions",
        "settlement_complete",
        "customer_confirmation",
    }
    gate = desk.get(f"/cases/{number}/closing-gate").json()
    assert gate["can_close"] is False


def test_approval_above_the_approvers_authority_is_403_naming_who_must_approve(desk):
    number = open_case(desk, received_at=NOW)
    proposal = {
        "currency": "CNY",
        "remedies": [{"kind": "compensation", "amount": "150000.01"}],
    }
    proposed = desk.post(f"/cases/{number}/remedies", json=proposal, headers=bearer("handler"))
    assert proposed.status_code == 200
    deputy = bearer("manager", "dgm-zhao", authority="deputy_general_manager")
    refused = desk.post(f"/cases/{number}/approval", headers=deputy)
    assert refused.status_code == 403
    assert "general_manager" in refused.json()["detail"]
    assert refused.json()["errors"][0]["field"] == "authority"


def test_a_broken_rule_set_is_422_naming_the_field(desk):
    rules = desk.get("/routing-rules").json()
    rules["version"] = "broken"
    rules["rules"] = rules["rules"][:-1]
    response = desk.put("/routing-rules", json=rules, headers=bearer("admin"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "rules"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": "x", "rules": "all to QA"}, "rules"),
        ({"version": "x", "rules": [1]}, "rules.0"),
        ({"version": "x", "rules": [{"id": ["a"], "unit": "qa"}]}, "rules.0.id"),
        ({"version": "x", "rules": [{"id": "a", "unit": "qa", "when": {"x": 1}}]}, "rules.0.when"),
        ({"version": "x", "rules": [{"id": "a", "unit": "qa", "when": [1]}]}, "rules.0.when.0"),
        (
            {"version": "x", "rules": [{"id": "a", "unit": "qa", "when": [{"op": "eq"}]}]},
            "rules.0.when.0.value",
        ),
        ({"version": {"v": 1}, "rules": [{"id": "a", "unit": "qa"}]}, "version"),
        ({"version": "x", "rules": [{"id": "a", "unit": "qa", "role": 5}]}, "rules.0.role"),
        ({"version": "x", "rules": [{"id": "a", "unit": "qa", "owner": "me"}]}, "rules.0.owner"),
    ],
)
def test_a_rule_set_of_another_shape_is_422_naming_the_field_never_a_500(desk, body, field):
    """The rule set is a typed body: what is not one is refused before the rules are read
    (before, a list item that was not an object stopped the request with a 500, and a role
    or version of another type was stored as it came)."""
    response = desk.put("/routing-rules", json=body, headers=bearer("admin"))
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert field in fields, fields
    assert desk.get("/routing-rules").json()["version"] != "x"


def test_the_approval_records_the_manager_and_authority_from_the_token(desk):
    number = open_case(desk, received_at=NOW)
    proposal = {"currency": "CNY", "remedies": [{"kind": "compensation", "amount": "800.00"}]}
    desk.post(f"/cases/{number}/remedies", json=proposal, headers=bearer("handler"))
    approved = desk.post(f"/cases/{number}/approval", headers=bearer("manager", "mgr-zhang"))
    assert approved.json()["approval"] == {
        "approver_id": "mgr-zhang",
        "level": "manager",
        "authority_verified": True,
        "approval_no": 1,
    }
    stored = list(desk.routing.events.get(desk.routing.case(number).id))
    assert stored[-1].meta["actor"] == {"id": "mgr-zhang", "role": "manager"}
    assert stored[-2].meta["actor"] == {"id": "qa-liu", "role": "handler"}


def classified(desk, number, **changes):
    """Intake's classification reaches routing."""
    event = upstream(number, "intake.ComplaintClassified", {"changes": changes, "reason": "x"})
    desk.routing.save(*desk.routing.policy(event))


def test_a_quality_case_caused_by_transport_damage_moves_to_logistics_with_its_trace(desk):
    number = open_case(desk, received_at=NOW, nature="quality")
    assert desk.get(f"/cases/{number}").json()["unit"] == "quality_management"
    dry = desk.post("/routing-rules/dry-run", json={"facts": {"nature": "quality"}})
    assert dry.json()["rule_id"] == "quality"

    classified(desk, number, cause="transport_damage")
    case = desk.get(f"/cases/{number}").json()
    assert (case["unit"], case["classification"]) == (
        "logistics",
        {"cause": "transport_damage"},
    )
    outbox = desk.app.state.runtime.outbox
    [moved] = [e for e in outbox.read(0, 1000).events if e.type == "routing.CaseReassigned"]
    assert (moved.data["rule_id"], moved.data["previous_unit"]) == (
        "transport-damage",
        "quality_management",
    )
    assert {"rule_id": "quality", "matched": False, "failed": None} not in moved.data["trace"]
    assert moved.data["trace"][-1] == {
        "rule_id": "transport-damage",
        "matched": True,
        "failed": None,
    }


def test_a_managers_pin_keeps_the_unit_whatever_the_facts_and_the_investigation_can_move_it(
    desk,
):
    pinned = open_case(desk, received_at=NOW, nature="quality")
    answer = desk.post(f"/cases/{pinned}/unit-pin", json={"pinned": True, "reason": "QA batch"})
    assert answer.json()["pinned"] == {"unit": "quality_management", "reason": "QA batch"}
    classified(desk, pinned, cause="transport_damage")
    assert desk.get(f"/cases/{pinned}").json()["unit"] == "quality_management"

    number = open_case(desk, received_at=NOW, nature="quality")
    investigation = {
        "problem": {"what": "crushed boxes"},
        "root_cause": "pallets stacked four high in the truck",
        "responsible_parties": [{"kind": "carrier", "name": "SF Express", "share": "100"}],
    }
    handler = bearer("handler", unit="quality_management")
    recorded = desk.post(f"/cases/{number}/investigation", json=investigation, headers=handler)
    assert recorded.json()["unit"] == "logistics", recorded.text


@pytest.mark.parametrize(
    ("consumers", "work"),
    [(True, "scheduler"), (False, "queue-views")],
    ids=["consumes", "api-only"],
)
def test_timers_fire_only_where_routing_consumes_its_upstreams(tmp_path, consumers, work):
    """The scheduler waits for routing's consumers to catch up before firing a timer; a process
    without them (an API-only replica, a relay-only worker) could not wait, so it fires none
    and keeps the queue views fresh instead."""
    settings = Settings(service="routing", data_dir=tmp_path, consumers_enabled=consumers)
    background = create_app(settings).state.runtime.background
    assert work in background
    assert ("scheduler" in background) is consumers
