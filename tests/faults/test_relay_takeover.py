"""Two relays stand ready for one log; one publishes at a time. Killed, the other takes over.

Intake's API runs with two worker processes, each able to relay its log to Kafka. While
complaints keep arriving, the worker holding the relay's lease is SIGKILLed; the standby
takes the lease within seconds and carries on from the position the first one recorded.
On every partition each position arrives in order: a position lower than one already
published is only ever the repeat of a page the killed relay sent but did not record.
Every event of the log is on the topic.
"""

import asyncio
import threading

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.infra import partition_positions, repeats_in_order
from tests.support.processes import steady_registration
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

LEADS = "this process leads publishing"


def leader(processes, workers) -> str | None:
    led = [w for w in workers if w in processes.processes and LEADS in processes.log(w)]
    return led[-1] if led else None


def test_a_standby_relay_takes_over_a_killed_one_and_publishes_in_order(processes):
    processes.start("intake", relay_enabled="false")
    workers = ["intake-relay-1", "intake-relay-2"]
    for name in workers:
        processes.start(
            "intake", mode="worker", name=name, consumers_enabled="false", log_level="INFO"
        )
    first = wait_until(lambda: leader(processes, workers), timeout=60, what="a relay leads")

    stop = threading.Event()
    registered = []

    def keep_registering():
        with httpx.Client(base_url=processes.url("intake"), headers=bearer("clerk")) as client:
            n = 0
            while not stop.is_set():
                answer = client.post("/complaints", json=steady_registration(n), timeout=10)
                assert answer.status_code == 201, answer.text
                registered.append(answer.json()["number"])
                n += 1

    clerk = threading.Thread(target=keep_registering)
    clerk.start()
    wait_until(lambda: len(registered) >= 20, what="complaints arriving")
    assert [w for w in workers if LEADS in processes.log(w)] == [first], "one relay at a time"
    processes.kill(first)
    standby = next(w for w in workers if w != first)
    wait_until(lambda: LEADS in processes.log(standby), timeout=30, what="the standby leads")
    wait_until(lambda: len(registered) >= 60, timeout=60, what="more complaints")
    stop.set()
    clerk.join()

    feed = httpx.get(
        f"{processes.url('intake')}/events",
        params={"after": 0, "limit": 1000},
        headers=bearer("auditor"),
        timeout=10,
    ).json()
    expected = {e["position"] for e in feed["events"]}
    topic = f"{processes.env['COMPLAINTS_KAFKA_TOPIC_PREFIX']}.intake.v1"
    bootstrap = processes.env["COMPLAINTS_KAFKA_BOOTSTRAP"]

    def published():
        found = asyncio.run(partition_positions(bootstrap, topic))
        return found if expected <= {p for ps in found.values() for p in ps} else None

    partitions = wait_until(published, timeout=60, what="every event on the topic")
    repeats = repeats_in_order(partitions)
    print(f"\n{len(registered)} complaints, {len(expected)} events, {repeats} repeated")
    assert repeats <= 500, "at most the page the killed relay sent and did not record"
