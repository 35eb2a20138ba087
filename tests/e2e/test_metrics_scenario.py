"""On-call view: /metrics shows the relay's lag drain and dead letters appear, on Kafka.

Intake's HTTP process runs without its relay, so registrations pile up in the outbox: its
relay lag grows. The relay worker starts and the lag drains to zero. Three poison messages
on intake's topic are dead-lettered by routing, and routing's metrics count them; each is
listed under /dead-letters.
"""

import asyncio
import re

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.infra import poison
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def gauge(url: str, name: str, labels: str = "") -> float | None:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    match = re.search(rf"^{name}{re.escape(labels)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def test_relay_lag_drains_and_dead_letters_are_counted(production_env, tmp_path):
    from tests.support.processes import ServiceProcesses

    processes = ServiceProcesses(production_env, tmp_path)
    try:
        processes.start("intake", relay_enabled="false")
        intake = processes.url("intake")
        for _ in range(10):
            assert (
                httpx.post(
                    f"{intake}/complaints",
                    json={
                        "channel": "phone",
                        "nature": "quality",
                        "complainant": {"name": "Wu"},
                        "problem": {"what": "noise", "where": "home"},
                        "description": "noise",
                    },
                    headers=bearer("clerk"),
                    timeout=10,
                ).status_code
                == 201
            )
        assert gauge(intake, "complaints_relay_lag") >= 10
        assert (
            gauge(intake, "complaints_events_appended_total", '{type="Complaint.Registered"}') == 10
        )

        processes.start("intake", mode="worker", name="relay")
        wait_until(lambda: gauge(intake, "complaints_relay_lag") == 0, what="relay lag drained")

        processes.start("routing")
        routing = processes.url("routing")
        consumer = '{consumer="routing<-kafka"}'
        wait_until(
            lambda: gauge(routing, "complaints_consumed", consumer) == 10,
            what="routing consumed the registrations",
        )
        assert gauge(routing, "complaints_dead_letters", consumer) == 0
        topic = f"{production_env['COMPLAINTS_KAFKA_TOPIC_PREFIX']}.intake.v1"
        asyncio.run(poison(production_env["COMPLAINTS_KAFKA_BOOTSTRAP"], topic, 3))
        wait_until(
            lambda: gauge(routing, "complaints_dead_letters", consumer) == 3,
            what="three dead letters counted",
        )
        letters = httpx.get(f"{routing}/dead-letters", headers=bearer("auditor"), timeout=5)
        letters = letters.json()["items"]
        assert len(letters) == 3
        assert all("not a valid envelope" in letter["reason"] for letter in letters)
    finally:
        processes.stop_all()
