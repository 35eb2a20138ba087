"""The link key is rotated twice while complaints keep coming, and the log still verifies.

A clerk registers complaints without pause; meanwhile an operator runs `complaints audit
rotate-key` twice. Each new key takes over at an instant a few seconds ahead, the service
switches to it, and its sealer records each rotation in the store. `complaints audit verify`
then finds every link good under the key it names (three keys in all, two rotations
recorded) and nothing lost. Someone who kept the first key, retired since, and writes an
event with it through the application code is caught: the link verifies, but it was made
after the log recorded that key's retirement. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import httpx
import pytest

from services.intake.application import IntakeApplication
from services.intake.commands import Acknowledge
from shared.platform.eventstore import persistence_env
from tests.conftest import settings_from
from tests.support.auth import bearer
from tests.support.builders import clerk_meta
from tests.support.infra import ROOT
from tests.support.processes import ServiceProcesses, isolated_env, steady_registration
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

SWITCH_SECONDS = 2


@pytest.fixture(params=["sqlite", "postgres"])
def environment(request, tmp_path) -> dict[str, str]:
    return isolated_env(
        request,
        tmp_path,
        consumers_enabled="false",
        audit_key_switch_seconds=str(SWITCH_SECONDS),
        audit_checkpoint_interval_seconds="0.5",
    )


def complaints(processes: ServiceProcesses, *args: str) -> tuple[int, list[dict]]:
    """The `complaints` CLI, as an operator on the service's host runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **processes.env},
        timeout=120,
    )
    assert not done.stderr.strip() or done.returncode in (0, 1), done.stderr
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


class SteadyClerk(threading.Thread):
    """Registers complaints one after another until told to stop."""

    def __init__(self, intake: str) -> None:
        super().__init__(daemon=True)
        self.intake, self.registered, self.failed = intake, 0, 0
        self.last_number = ""
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(headers=bearer("clerk"), timeout=30) as client:
            while not self.stopping.is_set():
                answer = client.post(
                    f"{self.intake}/complaints", json=steady_registration(self.registered)
                )
                if answer.status_code == 201:
                    self.registered += 1
                    self.last_number = answer.json()["number"]
                else:
                    self.failed += 1


def test_two_rotations_under_load_verify_and_a_retired_key_used_afterwards_is_flagged(
    environment, tmp_path
):
    processes = ServiceProcesses(environment, tmp_path)
    clerk = SteadyClerk(processes.url("intake"))
    try:
        processes.start("intake")
        clerk.start()
        time.sleep(1)
        _, [first] = complaints(processes, "audit", "rotate-key", "intake")
        time.sleep(SWITCH_SECONDS + 2)
        _, [second] = complaints(processes, "audit", "rotate-key", "intake")
        time.sleep(SWITCH_SECONDS + 2)
        clerk.stopping.set()
        clerk.join(timeout=30)

        def both_recorded() -> bool:
            _, [report] = complaints(processes, "audit", "verify", "intake")
            return report["rotations"] == 2 and report["unpinned"] == 0

        wait_until(both_recorded, timeout=30, what="both rotations recorded and pinned")
        code, [report] = complaints(processes, "audit", "verify", "intake")
    finally:
        clerk.stopping.set()
        processes.stop_all()

    assert clerk.failed == 0
    assert clerk.registered >= 20
    assert code == 0, report
    assert second["retires"] == first["key_id"]
    keys = report["keys"]
    assert {first["retires"], first["key_id"], second["key_id"]} <= set(keys), keys
    assert all(keys[k] > 0 for k in (first["retires"], first["key_id"], second["key_id"]))

    write_with_a_retired_key(environment, first["retires"], clerk.last_number)
    code, [report] = complaints(processes, "audit", "verify", "intake")
    assert code == 1
    assert (
        f"link made with key {first['retires']} after its retirement"
        in (report["first_broken"]["problem"])
    )


def write_with_a_retired_key(environment: dict[str, str], retired: str, number: str) -> None:
    """Someone who kept the retired key records an event through the application code."""
    settings = settings_from(environment, "intake")
    app = IntakeApplication(persistence_env(settings), "Asia/Shanghai")
    try:
        old_key = app.mapper.ring.key(retired)
        assert old_key is not None
        app.mapper.ring.current = lambda: (retired, old_key)  # type: ignore[method-assign]
        app.change(Acknowledge(number, reply="forged"), clerk_meta())
    finally:
        app.close()
