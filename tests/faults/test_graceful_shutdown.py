"""SIGTERM is not a crash: the relay publishes what is left before the service exits."""

import signal

import httpx
import pytest

from tests.support.auth import bearer

pytestmark = pytest.mark.faults


def test_a_stopped_intake_has_published_its_whole_outbox(
    production_env, tmp_path, postgres, pg_prefix
):
    from tests.support.processes import ServiceProcesses

    processes = ServiceProcesses(
        {**production_env, "COMPLAINTS_POLL_INTERVAL_SECONDS": "5"}, tmp_path
    )
    try:
        process = processes.start("intake")
        with httpx.Client(
            base_url=processes.url("intake"), timeout=10, headers=bearer("clerk")
        ) as client:
            for _ in range(20):
                assert (
                    client.post(
                        "/complaints",
                        json={
                            "channel": "phone",
                            "nature": "quality",
                            "complainant": {"name": "Wu"},
                            "problem": {"what": "noise", "where": "home"},
                            "description": "noise",
                        },
                    ).status_code
                    == 201
                )
        process.send_signal(signal.SIGTERM)  # the relay polls only every 5 s
        # uvicorn re-raises SIGTERM after its graceful shutdown, so -15 is a clean stop.
        assert process.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        processes.stop_all()
    with postgres.connect(f"{pg_prefix}intake") as conn:
        head = conn.execute("SELECT max(notification_id) FROM intake_events").fetchone()[0]
        published = conn.execute(
            "SELECT notification_id FROM intake_tracking WHERE application_name = 'relay:kafka'"
        ).fetchone()
    assert published is not None
    assert published[0] == head
