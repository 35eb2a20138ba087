"""Nothing lost, nothing doubled, when processes die at the worst moment.

A consumer killed with SIGKILL after committing its effects but before committing its Kafka
offsets gets every message of that batch again on restart, and must skip them all. A relay
killed repeatedly while complaints keep arriving must, once restarted, get every complaint
to routing exactly once.
"""

import threading
import time

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

COMPLAINT = {
    "channel": "email",
    "nature": "quality",
    "complainant": {"name": "Zhang San"},
    "problem": {"what": "cracked housing", "where": "on delivery"},
    "description": "cracked housing",
}


def opened_case_numbers(postgres, prefix) -> list[str]:
    with postgres.connect(f"{prefix}routing") as conn:
        rows = conn.execute(
            "SELECT convert_from(state, 'UTF8')::json->>'number' FROM routing_events "
            "WHERE topic LIKE %s",
            ("%Case.Opened",),
        ).fetchall()
    return [r[0] for r in rows]


def register(
    intake_url: str, count: int, into: list[str] | None = None, per_second: float = 0
) -> list[str]:
    """Register `count` complaints, as fast as intake answers or at `per_second`."""
    numbers = [] if into is None else into
    started = time.monotonic()
    with httpx.Client(timeout=10, headers=bearer("clerk")) as client:
        for n in range(count):
            if per_second:  # a steady stream, so that faults can land while it flows
                time.sleep(max(0.0, started + n / per_second - time.monotonic()))
            response = client.post(f"{intake_url}/complaints", json=COMPLAINT)
            assert response.status_code == 201, response.text
            numbers.append(response.json()["number"])
    return numbers


def test_a_consumer_killed_between_effect_and_offset_commit_does_not_double(
    processes, postgres, pg_prefix
):
    processes.start("intake")
    numbers = register(processes.url("intake"), 20)

    doomed = processes.start("routing", mode="worker", fault_kill_after_effect="true")
    assert doomed.wait(timeout=60) == -9, processes.logs()
    committed_before_kill = opened_case_numbers(postgres, pg_prefix)
    assert committed_before_kill, "the killed consumer had committed its effects"

    processes.start("routing")
    wait_until(
        lambda: len(opened_case_numbers(postgres, pg_prefix)) >= len(numbers),
        what="every complaint routed",
    )
    assert sorted(opened_case_numbers(postgres, pg_prefix)) == sorted(numbers)


def test_a_relay_killed_mid_stream_loses_nothing(processes, postgres, pg_prefix):
    processes.start("intake", relay_enabled="false")
    processes.start("routing")
    processes.start("intake", mode="worker", name="relay")
    numbers: list[str] = []
    writer = threading.Thread(
        target=register, args=(processes.url("intake"), 300, numbers), kwargs={"per_second": 15}
    )
    writer.start()
    kills_while_writing = 0
    for _ in range(3):
        routed_so_far = len(opened_case_numbers(postgres, pg_prefix))
        wait_until(
            lambda n=routed_so_far: len(opened_case_numbers(postgres, pg_prefix)) > n,
            timeout=60,
            what="the relay made progress",
        )
        kills_while_writing += writer.is_alive()
        processes.kill("relay")
        processes.start("intake", mode="worker", name="relay")
    writer.join(timeout=120)

    assert kills_while_writing >= 2, "the relay was killed while complaints kept arriving"
    assert len(numbers) == 300
    wait_until(
        lambda: len(opened_case_numbers(postgres, pg_prefix)) >= 300,
        timeout=120,
        what="every complaint routed after relay restarts",
    )
    assert sorted(opened_case_numbers(postgres, pg_prefix)) == sorted(numbers)
