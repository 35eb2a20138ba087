"""The services as real OS processes (`python -m cli serve|worker`), for e2e and faults."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.infra import ROOT, free_port
from tests.support.timing import clock_env
from tests.support.waiting import wait_until

SERVICES = ("intake", "routing", "settlement", "analytics", "notifications")
#: What `start_all` starts: notifications is started by the stories that need it.
CORE = SERVICES[:4]


class ServiceProcesses:
    """Starts, stops and kills service processes sharing one environment."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.ports = {service: free_port() for service in SERVICES}
        self.env = {
            **{f"COMPLAINTS_{s.upper()}_URL": self.url(s) for s in CORE},
            "COMPLAINTS_LOG_LEVEL": "WARNING",
            **clock_env(),
            **env,
        }
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(
        self,
        service: str,
        *,
        mode: str = "serve",
        name: str | None = None,
        port: int | None = None,
        **extra: str,
    ) -> subprocess.Popen:
        """Start a process of `service`; `port` for a replica behind the service's address."""
        name = name or service
        port = port or self.ports[service]
        env = {
            **os.environ,
            **self.env,
            "COMPLAINTS_PORT": str(port),
            **{f"COMPLAINTS_{k.upper()}": v for k, v in extra.items()},
        }
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", mode, service],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        if mode == "serve":
            wait_until(
                lambda: self._healthy(port, process),
                timeout=60,
                what=f"{name} healthy (see {self.log_dir / (name + '.log')})",
            )
        return process

    def _healthy(self, port: int, process: subprocess.Popen) -> bool:
        if process.poll() is not None:
            name = next(n for n, p in self.processes.items() if p is process)
            raise AssertionError(
                f"{process.args} exited with {process.returncode}; its log ends:\n"
                + self.log(name)[-3000:]
            )
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def start_all(self) -> None:
        for service in CORE:
            self.start(service)

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def lag(self) -> float:
        """What the core services' consumers have yet to process, as their metrics say."""
        total = 0.0
        for service in CORE:
            text = httpx.get(f"{self.url(service)}/metrics", timeout=5).text
            total += sum(
                float(v) for v in re.findall(r"^complaints_consumer_lag\{.*\} (\S+)$", text, re.M)
            )
        return total

    def log(self, name: str) -> str:
        """What the process `name` has logged so far."""
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.log_dir.glob("*.log"))
        )


def isolated_env(request, tmp_path: Path, **settings: str) -> dict[str, str]:
    """One test's own deployment, by the store its parameter names: "sqlite" (HTTP feeds) or
    "postgres" (with Kafka); its own data, evidence and audit keys; `settings` on top
    (`poll_interval_seconds="1"` sets COMPLAINTS_POLL_INTERVAL_SECONDS)."""
    stores = {"COMPLAINTS_STORE": "sqlite", "COMPLAINTS_TRANSPORT": "http"}
    if request.param == "postgres":
        stores = request.getfixturevalue("production_env")
    return {
        **stores,
        "COMPLAINTS_DATA_DIR": str(tmp_path / "data"),
        "COMPLAINTS_EVIDENCE_DIR": str(tmp_path / "evidence"),
        "COMPLAINTS_AUDIT_KEY_FILE": str(tmp_path / "keys" / "chain.key"),
        "COMPLAINTS_AUDIT_SIGNING_KEY_FILE": str(tmp_path / "keys" / "checkpoint-signing.key"),
        "COMPLAINTS_RATE_LIMIT_PER_MINUTE": "0",
        **{f"COMPLAINTS_{name.upper()}": value for name, value in settings.items()},
    }


def steady_registration(n: int) -> dict:
    """The n-th of a stream of phone complaints a clerk keeps registering under load."""
    return {
        "channel": "phone",
        "nature": "quality",
        "complainant": {"name": f"Customer {n}"},
        "problem": {"what": "bridges", "where": "J3"},
        "description": f"steady load, complaint {n}",
    }


DEPLOYMENTS = ["embedded", "postgres+kafka"]


def deployment_env(request, tmp_path) -> dict[str, str]:
    """The stores and transport of the deployment the test's parameter names."""
    if request.param == "embedded":
        return {
            "COMPLAINTS_STORE": "sqlite",
            "COMPLAINTS_DATA_DIR": str(tmp_path / "data"),
            "COMPLAINTS_TRANSPORT": "http",
            "COMPLAINTS_POLL_INTERVAL_SECONDS": "0.05",
        }
    return dict(request.getfixturevalue("production_env"))


def services_of(run: int) -> dict[str, int]:
    """The service processes the `complaints run` process `run` started, by service (/proc)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_text().split("\0")
        except OSError:
            continue
        if f"PPid:\t{run}\n" in status and "serve" in cmdline:
            found[cmdline[cmdline.index("serve") + 1]] = int(entry)
    return found
