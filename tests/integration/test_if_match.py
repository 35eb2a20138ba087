"""Acting on what one read: a command with If-Match runs only on that version of the case.

Two clerks have one complaint open. The first acknowledges it; the second, still looking at
the complaint as it was, judges it with the ETag it read and is told the complaint has moved
on (412), with nothing recorded; it reads again and judges what it now sees. Every command
on a case of every service heeds If-Match the same way and answers the version it left as
its ETag; an operation on no case refuses the header rather than ignore it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.intake.contracts import to_integration as intake_contract
from shared.kernel import clock
from shared.kernel.clock import ManualClock
from shared.platform.outbox import OutboxReader
from tests.support.access_matrix import ALLOWED, bound_to_own_case
from tests.support.auth import bearer
from tests.support.builders import clerk_meta, intake_app, registration, service_app
from tests.support.files import png
from tests.support.settlement_story import approval
from tests.support.timing import business_clock

pytestmark = pytest.mark.integration

NUMBER = "2611-0001"
COMPLAINT = {
    "channel": "phone",
    "nature": "quality",
    "received_at": "2026-11-05T02:00:00+00:00",
    "complainant": {"name": "Zhang San", "customer_id": "C-1001"},
    "problem": {"what": "solder bridges on J3", "where": "SMT line 2"},
    "description": "12 of 500 boards short on J3",
}


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """Intake, routing and settlement, each holding case 2611-0001."""
    folder = tmp_path_factory.mktemp("if-match")
    clock.install_clock(ManualClock(datetime(2026, 11, 5, 3, 0, tzinfo=UTC)))
    clients = {
        name: TestClient(service_app(name, folder / name)).__enter__()
        for name in ("intake", "routing", "settlement")
    }
    for _ in ("2611-0001", "2611-0002"):
        registered = clients["intake"].post("/complaints", json=COMPLAINT, headers=bearer("clerk"))
        assert registered.is_success, registered.text
    routing = clients["routing"].app.state.runtime.app
    desk = intake_app()
    desk.register(registration(), clerk_meta())
    for event in (
        OutboxReader("intake", desk.recorder, desk.mapper, intake_contract).read(0, 9).events
    ):
        routing.save(*routing.policy(event))
    settlement = clients["settlement"].app.state.runtime.app
    settlement.save(*settlement.policy(approval(NUMBER)))
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)
    clock.install_clock(business_clock())


#: Bodies whose documented example names another case: here one that exists.
BODIES = {"/complaints/{number}/repeat-links": {"earlier": "2611-0002"}}


def example(client: TestClient, path: str, operation: dict[str, Any]) -> dict[str, Any] | None:
    """The operation's documented example body, if it takes a JSON one."""
    if path in BODIES:
        return BODIES[path]
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    return client.app.openapi()["components"]["schemas"][name]["examples"][0]


def test_the_second_clerk_acting_on_what_it_read_is_told_the_complaint_moved_on(tmp_path):
    with TestClient(service_app("intake", tmp_path), headers=bearer("clerk")) as desk:
        registered = desk.post("/complaints", json=COMPLAINT)
        number = registered.json()["number"]
        path = f"/complaints/{number}"
        read = desk.get(path).headers["etag"]
        assert registered.headers["etag"] == read, "a registration answers its version too"

        first = desk.post(
            f"{path}/acknowledgement", json={"reply": "noted"}, headers={"If-Match": read}
        )
        assert first.status_code == 200, first.text
        assert first.headers["etag"] == desk.get(path).headers["etag"] != read
        stored = desk.app.state.runtime.app.recorder.max_notification_id()

        judgement = {"valid": True, "reason": "boards short on J3, as described"}
        stale = desk.post(f"{path}/judgement", json=judgement, headers={"If-Match": read})
        assert stale.status_code == 412, stale.text
        [error] = stale.json()["errors"]
        assert (error["field"], error["rule"]) == ("header.if-match", "version")
        assert desk.app.state.runtime.app.recorder.max_notification_id() == stored

        retried = {"If-Match": first.headers["etag"], "Idempotency-Key": "judge-1"}
        judged = desk.post(f"{path}/judgement", json=judgement, headers=retried)
        assert judged.status_code == 200, judged.text
        again = desk.post(f"{path}/judgement", json=judgement, headers=retried)
        assert (again.headers["idempotent-replayed"], again.headers["etag"]) == (
            "true",
            judged.headers["etag"],
        ), "a retry gets its first answer back, though the version it named has passed"

        unquoted = desk.post(f"{path}/rejection", json={"reason": "x"}, headers={"If-Match": "1"})
        assert unquoted.json()["errors"][0]["rule"] == "entity_tag"
        anyone = desk.post(
            f"{path}/withdrawal", json={"reason": "solved"}, headers={"If-Match": "*"}
        )
        assert anyone.status_code == 200, anyone.text


@pytest.mark.parametrize("service", ["intake", "routing", "settlement"])
def test_every_command_on_a_case_heeds_if_match_and_others_refuse_it(services, service):
    client = services[service]
    unheeded = []
    for path, operations in client.app.openapi()["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            label = f"{method.upper()} {path}"
            allowed = sorted(ALLOWED[service][label])
            role = next(
                (r for r in allowed if not bound_to_own_case(service, label, r)), allowed[0]
            )
            url = path.format(
                number=NUMBER,
                name="acknowledge",
                earlier="2611-0002",
                position=1,
                letter_id="00000000-0000-0000-0000-000000000000",
            )
            sent = {"headers": {**bearer(role), "If-Match": '"999999"'}}
            if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
                sent["files"] = {"file": ("j3.png", png(), "image/png")}
            elif (body := example(client, path, operation)) is not None:
                sent["json"] = body
            if method == "delete":
                sent["params"] = {"reason": "linked in error"}
            answer = client.request(method.upper(), url, **sent)
            expected = (412, "version") if "{number}" in path else (422, "not_conditional")
            rule = (answer.json().get("errors") or [{}])[0].get("rule")
            if (answer.status_code, rule) != expected:
                unheeded.append((label, answer.status_code, answer.text[:200]))
    assert unheeded == []


def test_a_browser_front_end_may_send_if_match_and_patch_and_read_the_etag(tmp_path):
    origin = "https://desk.example.com"
    app = service_app("notifications", tmp_path, cors_origins=origin)
    with TestClient(app) as api:
        asked = api.options(
            "/webhooks/any",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization, if-match, content-type",
            },
        )
    assert asked.status_code == 200, asked.text
    assert "PATCH" in asked.headers["access-control-allow-methods"]
    assert "if-match" in asked.headers["access-control-allow-headers"].lower()


def test_of_eight_handlers_acting_at_once_on_the_version_they_read_one_acts(services):
    """The check runs on the state each attempt loads: the losers of the race reload, see the
    winner's memo, and are refused rather than recorded after it."""
    routing = services["routing"]
    path = f"/cases/{NUMBER}"
    read = routing.get(path, headers=bearer("handler")).headers["etag"]
    before = len(routing.get(path, headers=bearer("handler")).json()["memos"])

    def file_memo(i: int) -> int:
        memo = {"from_unit": f"unit-{i}", "text": f"memo {i}"}
        headers = {**bearer("handler"), "If-Match": read}
        return routing.post(f"{path}/memos", json=memo, headers=headers).status_code

    with ThreadPoolExecutor(8) as pool:
        answers = sorted(pool.map(file_memo, range(8)))
    assert answers == [200] + [412] * 7
    assert len(routing.get(path, headers=bearer("handler")).json()["memos"]) == before + 1
