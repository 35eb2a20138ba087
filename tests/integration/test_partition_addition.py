"""Intake's topic grows from 3 to 6 partitions while complaints keep arriving and being judged.

`complaints transport add-partitions` pauses intake's relay, publishes the rest of the outbox
on the old partitions, waits for every consumer group to catch up, adds the partitions and
lets the relay resume. Some cases are registered before the change and judged after it, so
their events straddle it: every such case's events on its old partition all precede those
on its new one, and routing applies every upstream event exactly once. Shrinking is refused,
and so is a drain that a group never consumes.
"""

import asyncio
import itertools
import json
import os
import subprocess
import sys
import threading
from collections import Counter

import httpx
import pytest

from services.routing.domain import Case
from tests.support.auth import bearer
from tests.support.effects import effects
from tests.support.infra import ROOT, topic_records
from tests.support.processes import ServiceProcesses, steady_registration
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def grow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", "transport", "add-partitions", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def processes(production_env, tmp_path):
    running = ServiceProcesses(
        {**production_env, "COMPLAINTS_RATE_LIMIT_PER_MINUTE": "0"}, tmp_path
    )
    running.start_all()
    yield running
    running.stop_all()


def test_a_topic_grows_live_and_no_case_is_reordered_or_applied_twice(production_env, processes):
    intake = httpx.Client(base_url=processes.url("intake"), headers=bearer("clerk"), timeout=10)
    numbers: list[str] = []
    stop = threading.Event()

    def clerk() -> None:
        n = 0
        while not stop.is_set():
            number = intake.post("/complaints", json=steady_registration(n)).json()["number"]
            numbers.append(number)
            if n >= 3:  # judge a case registered a few moments before
                earlier = numbers[n - 3]
                judged = intake.post(
                    f"/complaints/{earlier}/judgement", json={"valid": True, "reason": "ok"}
                )
                assert judged.status_code == 200, judged.text
            n += 1

    notifications = f"{production_env['COMPLAINTS_KAFKA_TOPIC_PREFIX']}.notifications"
    writer = threading.Thread(target=clerk)
    writer.start()
    try:
        wait_until(lambda: len(numbers) >= 10, what="complaints arriving")
        shrink = grow(processes.env, "intake", "2")
        assert shrink.returncode != 0
        assert "can only add partitions" in shrink.stderr
        undrained = grow(processes.env, "intake", "6", "--patience", "2")
        assert undrained.returncode != 0
        assert f"{notifications} never consumed it" in undrained.stderr

        added = grow(processes.env, "intake", "6", "--ignore-group", notifications)
        assert added.returncode == 0, added.stderr
        assert json.loads(added.stdout)["before"] == 3
        grown_at = len(numbers)
        wait_until(lambda: len(numbers) >= grown_at + 20, what="complaints after the change")
    finally:
        stop.set()
        writer.join()
    for number in numbers[-3:]:
        intake.post(f"/complaints/{number}/judgement", json={"valid": True, "reason": "ok"})

    topic = f"{production_env['COMPLAINTS_KAFKA_TOPIC_PREFIX']}.intake.v1"
    bootstrap = production_env["COMPLAINTS_KAFKA_BOOTSTRAP"]
    fed, after = set(), 0
    while page := httpx.get(
        f"{processes.url('intake')}/events",
        params={"after": after, "limit": 1000},
        headers=bearer("auditor"),
    ).json()["events"]:
        fed |= {event["position"] for event in page}
        after = page[-1]["position"]

    def all_published():
        events = [
            (partition, envelope["case_number"], envelope["position"])
            for partition, envelope in asyncio.run(topic_records(bootstrap, topic))
        ]
        return events if {p for _, _, p in events} >= fed else None

    events = wait_until(all_published, timeout=60, what="every intake event on the topic")
    by_case: dict[str, list[tuple[int, int]]] = {}
    for partition, case, position in events:
        by_case.setdefault(case, []).append((position, partition))
    moved = 0
    for case, placed in by_case.items():
        partitions_in_order = [partition for _, partition in sorted(placed)]
        changes = sum(a != b for a, b in itertools.pairwise(partitions_in_order))
        assert changes <= 1, f"{case}'s events go back and forth: {sorted(placed)}"
        moved += changes
    assert {p for p, _, _ in events} > {0, 1, 2}, "the new partitions carry events"

    def validities(routing: Counter) -> Counter:
        return Counter(k[0] for k in routing if k[2] == Case.ValidityRecorded.__qualname__)

    routing = wait_until(
        lambda: (
            (found := effects(processes.env, "routing"))
            and len(validities(found)) == len(numbers)
            and found
        ),
        timeout=60,
        interval=2,
        what="routing applied every judgement, on the new partitions too",
    )
    processes.stop_all()
    doubled = {k: n for k, n in routing.items() if n > 1}
    print(f"\n{len(numbers)} complaints, {len(events)} events, {moved} cases moved partition")
    assert doubled == {}, "routing applied an upstream event twice"
