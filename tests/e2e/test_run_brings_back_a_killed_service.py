"""`complaints run` (what `make run` starts): a service killed with kill -9 comes back, and
killing the run itself leaves no service behind.

The embedded default on its own ports (8001-8005), on a fresh data folder. Routing's
process is killed; the supervisor starts it again and it answers; Ctrl-C's signal then stops
every service and the run exits 0. Then a second run is killed with kill -9: its services
stop too, and the ports are free for the next `make run`.
"""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from shared.platform.settings import DEFAULT_PORTS
from tests.support.infra import ROOT
from tests.support.processes import services_of
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


PORTS = list(DEFAULT_PORTS.values())


def started_run(tmp_path: Path) -> subprocess.Popen:
    """`complaints run` on a fresh data folder, every service answering."""
    if any(taken(port) for port in PORTS):
        pytest.skip(f"`complaints run` needs ports {PORTS}, and one is in use here")
    env = {
        **os.environ,
        "COMPLAINTS_DATA_DIR": str(tmp_path / "data"),
        "COMPLAINTS_EVIDENCE_DIR": str(tmp_path / "evidence"),
        "COMPLAINTS_AUDIT_KEY_FILE": str(tmp_path / "keys" / "chain.key"),
        "COMPLAINTS_AUDIT_SIGNING_KEY_FILE": str(tmp_path / "keys" / "signing.key"),
        "COMPLAINTS_MAILDIR": str(tmp_path / "mail"),
        "COMPLAINTS_LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "run.log").open("wb")
    run = subprocess.Popen(
        [sys.executable, "-m", "cli", "run"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    wait_until(lambda: all(healthy(p) for p in PORTS), timeout=90, what="all five up")
    return run


@pytest.mark.timeout(180)
def test_a_service_killed_under_complaints_run_comes_back(tmp_path):
    run = started_run(tmp_path)
    try:
        routing = services_of(run.pid)["routing"]

        os.kill(routing, signal.SIGKILL)

        wait_until(
            lambda: (
                services_of(run.pid).get("routing", routing) != routing
                and healthy(DEFAULT_PORTS["routing"])
            ),
            timeout=60,
            what="routing started again",
        )
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=60) == 0
        assert services_of(run.pid) == {}
        said = (tmp_path / "run.log").read_text(errors="replace")
        assert "routing was killed (-9); starting it again in 1 s" in said
    finally:
        if run.poll() is None:
            run.kill()
            for pid in services_of(run.pid).values():
                os.kill(pid, signal.SIGKILL)


@pytest.mark.timeout(180)
def test_killing_complaints_run_stops_its_services(tmp_path):
    run = started_run(tmp_path)
    services = services_of(run.pid)
    assert len(services) == len(PORTS)

    run.kill()
    run.wait(timeout=10)

    def gone(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return True
        return state == "Z"

    wait_until(lambda: all(gone(pid) for pid in services.values()), timeout=60, what="all stopped")
    assert not any(taken(port) for port in PORTS)
