"""What an on-call engineer and a front-end team rely on: CORS, ETags, settings, dead letters."""

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from services.intake.main import create_app
from shared.kernel.errors import Conflict
from shared.platform import idempotency
from shared.platform.consumer import TrackingConsumer
from shared.platform.deadletter import DeadLetter
from shared.platform.handlers import ApplicationHandler
from shared.platform.idempotency import IdempotentRequest
from shared.platform.settings import Settings
from tests.support.auth import bearer
from tests.support.builders import routing_app
from tests.support.fakes import ListSubscription, feed_delivery
from tests.support.infra import ROOT
from tests.support.routing_story import registered_event

pytestmark = pytest.mark.integration
ALLOWED = "https://desk.example.com"


@pytest.fixture
def desk(tmp_path):
    settings = Settings(
        service="intake",
        data_dir=tmp_path,
        consumers_enabled=False,
        cors_origins=f"{ALLOWED}, https://portal.example.com",
    )
    with TestClient(create_app(settings), headers=bearer("clerk")) as client:
        yield client


def preflight(desk, origin):
    return desk.options(
        "/complaints",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,idempotency-key",
        },
    )


def test_a_browser_preflight_from_an_allowed_origin_passes_and_others_are_refused(desk):
    allowed = preflight(desk, ALLOWED)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "idempotency-key" in allowed.headers["access-control-allow-headers"].lower()
    refused = preflight(desk, "https://evil.example.net")
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


def test_a_case_read_carries_its_version_as_etag_and_answers_304_when_unchanged(desk):
    number = desk.post(
        "/complaints",
        json={
            "channel": "phone",
            "nature": "quality",
            "complainant": {"name": "Wu"},
            "problem": {"what": "noise", "where": "home"},
            "description": "noise",
        },
    ).json()["number"]
    first = desk.get(f"/complaints/{number}")
    assert first.headers["etag"] == '"1"'
    assert desk.get(f"/complaints/{number}", headers={"If-None-Match": '"1"'}).status_code == 304
    desk.post(f"/complaints/{number}/acknowledgement", json={"reply": "noted"})
    changed = desk.get(f"/complaints/{number}", headers={"If-None-Match": '"1"'})
    assert (changed.status_code, changed.headers["etag"]) == (200, '"2"')


def test_metrics_are_served_with_request_and_event_counts(desk):
    desk.get("/complaints/2611-0001")
    text = desk.get("/metrics").text
    assert (
        'complaints_http_requests_total{method="GET",route="/complaints/{number}",'
        'status="404"} 1.0' in text
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("COMPLAINTS_PORT", "eighty"),
        ("COMPLAINTS_STORE", "oracle"),
        ("COMPLAINTS_BUSINESS_TIMEZONE", "Mars/Olympus"),
    ],
)
def test_a_bad_setting_stops_the_service_at_start_with_one_line_naming_it(variable, value):
    result = subprocess.run(
        [sys.executable, "-m", "cli", "serve", "intake"],
        env={"PATH": "/usr/bin:/bin", variable: value},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]


async def test_a_dead_letter_is_redriven_once_after_the_cause_is_fixed():
    routing = routing_app()
    event = registered_event()
    broken = {"yes": True}

    def policy(e):
        if broken["yes"]:
            raise RuntimeError("rules file unreadable")
        return routing.policy(e)

    handler = ApplicationHandler(routing, policy)
    consumer = TrackingConsumer(
        "routing", handler, ListSubscription([feed_delivery(event)]), max_attempts=2
    )
    await consumer.run()
    [letter] = (await handler.dead_letters(0, 10))[0]
    assert letter["reason"] == "RuntimeError: rules file unreadable"

    with pytest.raises(Conflict, match="failed again"):
        await handler.redrive(letter["id"])
    broken["yes"] = False
    keyed = IdempotentRequest("redrive-1", "adm-root POST /dead-letters/{letter_id}/redrive", "f")
    idempotency.serve(keyed)
    first = await handler.redrive(letter["id"])
    assert first["redriven"] is True
    idempotency.serve(keyed)
    assert await handler.redrive(letter["id"]) == first  # a retry with the key: its answer
    assert keyed.replayed
    idempotency.serve(None)  # the next request carries no key
    with pytest.raises(Conflict, match="already"):
        await handler.redrive(letter["id"])
    opened = [
        n for n in routing.recorder.select_notifications(1, 100) if n.topic.endswith("Case.Opened")
    ]
    assert len(opened) == 1
    assert routing.repository.get(DeadLetter.create_id(feed_delivery(event).source)).redriven
