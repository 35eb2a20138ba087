"""The scheduler killed mid-tick loses no reminder and doubles none.

Two hundred cases, each with four running clocks, are all overdue at once (the routing
process's clock is started 30 days ahead): 2,400 warnings, reminders and escalations to fire.
The process is SIGKILLed while it fires them, then restarted: in the end every timer of every
clock fired exactly once.
"""

import sqlite3
from datetime import timedelta

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.timing import clock_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

CASES = 200
TIMERS_PER_CASE = 5 * 3  # acknowledge, answer, unit_conclusion, investigation_report, close


@pytest.fixture
def embedded(tmp_path):
    from tests.support.processes import ServiceProcesses

    processes = ServiceProcesses(
        {
            "COMPLAINTS_STORE": "sqlite",
            "COMPLAINTS_DATA_DIR": str(tmp_path / "data"),
            "COMPLAINTS_TRANSPORT": "http",
            "COMPLAINTS_POLL_INTERVAL_SECONDS": "0.05",
            "COMPLAINTS_SCHEDULER_INTERVAL_SECONDS": "0.05",
        },
        tmp_path,
    )
    yield processes, tmp_path / "data" / "routing.sqlite"
    processes.stop_all()


def timer_events(store) -> list[tuple]:
    with sqlite3.connect(store) as db:
        return db.execute(
            "SELECT originator_id, json_extract(CAST(state AS TEXT), '$.clock'), "
            "json_extract(CAST(state AS TEXT), '$.timer') FROM stored_events "
            "WHERE topic LIKE '%Case.TimerFired'"
        ).fetchall()


def test_a_scheduler_killed_while_firing_loses_and_doubles_nothing(embedded):
    processes, store = embedded
    processes.start("intake")
    processes.start("routing")
    with httpx.Client(
        base_url=processes.url("intake"), timeout=10, headers=bearer("clerk")
    ) as client:
        for _ in range(CASES):
            response = client.post(
                "/complaints",
                json={
                    "channel": "phone",
                    "nature": "quality",
                    "complainant": {"name": "Wu"},
                    "problem": {"what": "noise", "where": "home"},
                    "description": "noise",
                },
            )
            assert response.status_code == 201
    last = response.json()["number"]
    wait_until(
        lambda: (
            httpx.get(
                f"{processes.url('routing')}/cases/{last}", headers=bearer("auditor")
            ).status_code
            == 200
        ),
        what="every case opened",
    )
    processes.stop_all()

    later = clock_env(timedelta(days=30))["COMPLAINTS_CLOCK_SHIFT_SECONDS"]
    processes.start("intake")
    processes.start("routing", clock_shift_seconds=later)
    wait_until(lambda: len(timer_events(store)) > 0, timeout=60, what="firing began", interval=0.01)

    processes.kill("routing")
    fired_before_kill = len(timer_events(store))
    assert 0 < fired_before_kill < CASES * TIMERS_PER_CASE, "killed while firing"

    processes.start("routing", clock_shift_seconds=later)
    wait_until(
        lambda: len(timer_events(store)) >= CASES * TIMERS_PER_CASE,
        timeout=120,
        what="every timer fired",
    )
    events = timer_events(store)
    assert len(events) == len(set(events)) == CASES * TIMERS_PER_CASE
