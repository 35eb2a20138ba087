"""The scheduler killed mid-tick loses no reminder and doubles none, on one replica or two.

Two hundred cases, each with five running clocks, are all overdue at once (routing's clock
is started 30 days ahead): 3,000 warnings, reminders and escalations to fire. On the
embedded default the one routing process is SIGKILLed while it fires them, then restarted.
On PostgreSQL + Kafka two routing replicas run, each ready to schedule; the one holding the
scheduler's lease is SIGKILLed while it fires, and the other takes over. Either way, in the
end every timer of every clock fired exactly once.
"""

import sqlite3
from datetime import timedelta

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.processes import DEPLOYMENTS, ServiceProcesses, deployment_env
from tests.support.timing import clock_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

CASES = 200
TIMERS_PER_CASE = 5 * 3  # acknowledge, answer, unit_conclusion, investigation_report, close
LEADS = "this process leads scheduler"
FIRED = "%Case.TimerFired"


@pytest.fixture(params=DEPLOYMENTS)
def deployment(request, tmp_path):
    env = {**deployment_env(request, tmp_path), "COMPLAINTS_SCHEDULER_INTERVAL_SECONDS": "0.05"}
    processes = ServiceProcesses(env, tmp_path)
    if request.param == "embedded":
        store = tmp_path / "data" / "routing.sqlite"

        def fired() -> list[tuple]:
            with sqlite3.connect(store) as db:
                return db.execute(
                    "SELECT originator_id, json_extract(CAST(state AS TEXT), '$.clock'), "
                    "json_extract(CAST(state AS TEXT), '$.timer') FROM stored_events "
                    "WHERE topic LIKE ?",
                    (FIRED,),
                ).fetchall()

        yield processes, fired, ["routing"]
    else:
        postgres = request.getfixturevalue("postgres")
        database = f"{env['COMPLAINTS_DATABASE_PREFIX']}routing"

        def fired() -> list[tuple]:
            with postgres.connect(database) as db:
                return db.execute(
                    "SELECT originator_id, convert_from(state, 'UTF8')::json->>'clock', "
                    "convert_from(state, 'UTF8')::json->>'timer' FROM routing_events "
                    "WHERE topic LIKE %s",
                    (FIRED,),
                ).fetchall()

        yield processes, fired, ["routing-1", "routing-2"]
    processes.stop_all()


def open_cases(processes: ServiceProcesses) -> None:
    """Register CASES complaints and wait until routing has opened every case."""
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


def test_a_scheduler_killed_while_firing_loses_and_doubles_nothing(deployment):
    processes, fired, replicas = deployment
    processes.start("intake")
    processes.start("routing")
    open_cases(processes)
    processes.stop_all()

    later = clock_env(timedelta(days=30))["COMPLAINTS_CLOCK_SHIFT_SECONDS"]
    processes.start("intake")
    shifted = {"mode": "worker", "clock_shift_seconds": later, "log_level": "INFO"}
    for name in replicas:
        processes.start("routing", name=name, **shifted)
    wait_until(lambda: len(fired()) > 0, timeout=60, what="firing began", interval=0.01)

    leader = next(n for n in replicas if LEADS in processes.log(n))
    processes.kill(leader)
    fired_before_kill = len(fired())
    assert 0 < fired_before_kill < CASES * TIMERS_PER_CASE, "killed while firing"

    if len(replicas) == 1:
        processes.start("routing", name=leader, **shifted)
    wait_until(
        lambda: len(fired()) >= CASES * TIMERS_PER_CASE, timeout=120, what="every timer fired"
    )
    events = fired()
    print(f"\n{len(replicas)} routing replica(s): {fired_before_kill} fired before the kill")
    assert len(events) == len(set(events)) == CASES * TIMERS_PER_CASE
