"""A step is timed by when it happened, not by when routing heard of it.

Routing is down when the desk acknowledges a complaint, on time. It comes back two days
later, past the 24-hour deadline, and catches up on intake's events: the acknowledgement is
on time in routing's clock stop, in its late steps (none), in its timers (no reminder fired
for a step that was done) and in analytics' on-time rate — on both deployments. And a case
whose every clock ran over at once is escalated one level, and, once withdrawn, each late
step goes to review (洽办) exactly once, on the feed and on the topic, across a kill -9.
"""

import asyncio
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from shared.kernel import clock
from tests.support.auth import bearer
from tests.support.http_story import registered_and_opened
from tests.support.infra import topic_events
from tests.support.timing import clock_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

LATER = timedelta(days=2)


def routing_events(url: str, number: str) -> list[dict]:
    page = httpx.get(f"{url}/events?limit=1000", headers=bearer("auditor"), timeout=5).json()
    return [e for e in page["events"] if e["case_number"] == number]


def test_an_on_time_step_stays_on_time_when_routing_catches_up_late(system):
    intake, routing = system.url("intake"), system.url("routing")
    number = registered_and_opened(intake, routing)["number"]
    system.kill("routing")
    system.kill("analytics")

    acknowledged = httpx.post(
        f"{intake}/complaints/{number}/acknowledgement",
        json={"reply": "We are on it."},
        headers=bearer("clerk"),
        timeout=10,
    ).json()
    assert acknowledged["acknowledged_at"], acknowledged

    two_days_on = clock_env(LATER)["COMPLAINTS_CLOCK_SHIFT_SECONDS"]
    system.start("routing", clock_shift_seconds=two_days_on)
    system.start("analytics", clock_shift_seconds=two_days_on)

    def stopped():
        case = httpx.get(f"{routing}/cases/{number}", headers=bearer("auditor")).json()
        return case["clocks"]["acknowledge"].get("stopped_at") and case

    case = wait_until(stopped, what="routing caught up on the acknowledgement")
    assert case["clocks"]["acknowledge"]["met"] is True
    late = httpx.get(f"{routing}/cases/{number}/late-steps", headers=bearer("auditor")).json()
    assert late == []
    events = routing_events(routing, number)
    [stop] = [
        e
        for e in events
        if e["type"] == "routing.ClockStopped" and e["data"]["clock"] == "acknowledge"
    ]
    assert stop["data"]["met"] is True
    assert stop["data"]["cause"] == "completed"
    assert datetime.fromisoformat(stop["data"]["at"]) < clock.now() + timedelta(hours=1)
    fired = [
        e
        for e in events
        if e["type"] == "routing.TimerFired" and e["data"]["clock"] == "acknowledge"
    ]
    assert fired == [], "no reminder for a step that was done on time"

    month = f"20{number[:2]}-{number[2:4]}"
    as_of = quote((clock.now() + LATER).isoformat())  # analytics' now: not in its future

    def acknowledge_rate():
        report = httpx.get(
            f"{system.url('analytics')}/reports/monthly/{month}?as_of={as_of}",
            headers=bearer("auditor"),
            timeout=10,
        ).json()["report"]
        return report["on_time_rate"].get("acknowledge")

    rate = wait_until(acknowledge_rate, what="analytics counted the step")
    assert (rate["on_time"], rate["total"]) == (1, 1)


def test_late_steps_are_escalated_once_and_reviewed_once_after_closing_across_a_restart(system):
    intake, routing = system.url("intake"), system.url("routing")
    number = registered_and_opened(intake, routing)["number"]
    three_weeks_on = clock_env(timedelta(days=21))["COMPLAINTS_CLOCK_SHIFT_SECONDS"]
    for service in ("intake", "routing"):  # three weeks pass: every clock is overdue
        system.kill(service)
        system.start(service, clock_shift_seconds=three_weeks_on)

    def escalated():
        case = httpx.get(f"{routing}/cases/{number}", headers=bearer("auditor")).json()
        return case["escalation"] != "unit_handler" and case

    assert wait_until(escalated, what="the overdue case escalated")["escalation"] == "unit_manager"
    withdrawn = httpx.post(
        f"{intake}/complaints/{number}/withdrawal",
        json={"reason": "solved by phone"},
        headers=bearer("clerk"),
        timeout=10,
    )
    assert withdrawn.is_success, withdrawn.text

    def reviews(events):
        return [e for e in events if e["type"] == "routing.OverdueReviewRequested"]

    wait_until(lambda: reviews(routing_events(routing, number)), what="reviews requested")
    system.kill("routing")  # kill -9, then back: nothing is requested again
    system.start("routing", clock_shift_seconds=three_weeks_on)
    events = routing_events(routing, number)
    late = httpx.get(f"{routing}/cases/{number}/late-steps", headers=bearer("auditor")).json()
    expected = sorted((step["clock"], step["cycle"]) for step in late)
    assert len(expected) >= 4
    assert sorted((e["data"]["clock"], e["data"]["cycle"]) for e in reviews(events)) == expected
    assert len([e for e in events if e["type"] == "routing.CaseEscalated"]) == 1
    if "COMPLAINTS_KAFKA_BOOTSTRAP" in system.env:
        topic = f"{system.env['COMPLAINTS_KAFKA_TOPIC_PREFIX']}.routing.v1"

        def on_topic():
            published = asyncio.run(topic_events(system.env["COMPLAINTS_KAFKA_BOOTSTRAP"], topic))
            mine = {e["event_id"]: e for e in reviews(published) if e["case_number"] == number}
            return len(mine) == len(expected) and mine

        assert wait_until(on_topic, what="the reviews on the topic, once each by event id")
