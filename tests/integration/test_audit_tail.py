"""No event stays unpinned for long: checkpoints follow the commits, and shutdown pins the rest.

Events after the last checkpoint are protected only by their links, so how many there are and
how long the oldest has waited is exposed as metrics. Under steady registrations with a
one-second checkpoint interval, the oldest unpinned event never waits much longer than that
interval; a graceful stop writes a last checkpoint, so the service comes back (here without a
sealer, to see what the stop left) with nothing unpinned. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.processes import ServiceProcesses, isolated_env, steady_registration

pytestmark = pytest.mark.integration

INTERVAL_SECONDS = 1.0
#: The sealer's own work and a scrape's timing on top of the interval.
SLACK_SECONDS = 2.0
LOAD_SECONDS = 6.0


def gauge(metrics: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", metrics, re.MULTILINE)
    assert match, f"{name} missing from /metrics"
    return float(match.group(1))


@pytest.fixture(params=["sqlite", "postgres"])
def environment(request, tmp_path) -> dict[str, str]:
    return isolated_env(
        request,
        tmp_path,
        consumers_enabled="false",
        audit_checkpoint_interval_seconds=str(INTERVAL_SECONDS),
    )


def test_unpinned_events_wait_about_one_interval_and_a_graceful_stop_pins_the_rest(
    environment, tmp_path
):
    processes = ServiceProcesses(environment, tmp_path)
    try:
        processes.start("intake")
        intake = processes.url("intake")
        clerk = bearer("clerk")
        oldest, registered, n = 0.0, 0, 0
        until = time.monotonic() + LOAD_SECONDS
        while time.monotonic() < until:
            n += 1
            answer = httpx.post(f"{intake}/complaints", json=steady_registration(n), headers=clerk)
            registered += answer.status_code == 201
            metrics = httpx.get(f"{intake}/metrics").text
            oldest = max(oldest, gauge(metrics, "complaints_audit_unpinned_age_seconds"))
            time.sleep(0.1)

        assert registered >= 20
        assert oldest <= INTERVAL_SECONDS + SLACK_SECONDS

        processes.stop_all()  # SIGTERM: graceful
        processes.start("intake", relay_enabled="false")  # no sealer: the stop's work shows
        metrics = httpx.get(f"{intake}/metrics").text
        assert gauge(metrics, "complaints_audit_unpinned_positions") == 0
    finally:
        processes.stop_all()
