"""Idle CPU of every service with nothing to do, on both deployments, beside a bare CRUD app.

    .venv/bin/python -m bench.idle [--settle 45] [--seconds 60]
                                   [--deployments embedded postgres]

`complaints run` (the five services, as `make run` starts them) on a fresh data folder, on
the embedded default and on PostgreSQL + Kafka. After `--settle` seconds (start-up work,
first checkpoints), each service's CPU time from /proc over `--seconds`, in % of one core.
Beside it, measured the same way in the same run: the CRUD baseline app
(`bench/crud_lifecycle.py`, one FastAPI process on SQLite), what an idle web process costs
on this machine. Issue #21's target: below 1% per service.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.harness import production_env
from bench.lifecycle import baseline, cpu_seconds
from tests.support.infra import ROOT
from tests.support.processes import SERVICES, services_of
from tests.support.waiting import wait_until


def idle(pids: dict[str, int], seconds: float) -> dict[str, float]:
    """% of one core each process used over `seconds`."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    return {name: 100 * (cpu_seconds(pid) - before[name]) / elapsed for name, pid in pids.items()}


@contextlib.contextmanager
def complaints_run(env: dict[str, str]) -> Iterator[dict[str, int]]:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        run = subprocess.Popen(
            [sys.executable, "-m", "cli", "run"],
            cwd=ROOT,
            env={
                **os.environ,
                "COMPLAINTS_DATA_DIR": str(data / "data"),
                "COMPLAINTS_EVIDENCE_DIR": str(data / "evidence"),
                "COMPLAINTS_MAILDIR": str(data / "mail"),
                "COMPLAINTS_AUDIT_KEY_FILE": str(data / "keys" / "chain.key"),
                "COMPLAINTS_AUDIT_SIGNING_KEY_FILE": str(data / "keys" / "signing.key"),
                "COMPLAINTS_LOG_LEVEL": "WARNING",
                **env,
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(
                lambda: len(services_of(run.pid)) == len(SERVICES), timeout=60, what="started"
            )
            yield services_of(run.pid)
        finally:
            run.terminate()
            run.wait(timeout=60)


@contextlib.contextmanager
def deployment(name: str) -> Iterator[dict[str, str]]:
    if name == "embedded":
        yield {}
        return
    with production_env() as env:
        yield env


def row(label: str, figures: dict[str, float]) -> str:
    cells = " | ".join(f"{figures[s]:.2f}" if s in figures else "" for s in (*SERVICES, "crud"))
    return f"| {label} | {cells} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--settle", type=float, default=45)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--deployments", nargs="+", default=["embedded", "postgres"])
    args = parser.parse_args()
    labels = {"embedded": "embedded (SQLite, HTTP feeds)", "postgres": "PostgreSQL + Kafka"}
    print(f"idle, % of one core over {args.seconds:g} s after {args.settle:g} s to settle")
    print(f"| system | {' | '.join(SERVICES)} | crud |")
    print(f"|---|{'---|' * (len(SERVICES) + 1)}")
    for name in args.deployments:
        with deployment(name) as env, complaints_run(env) as pids:
            time.sleep(args.settle)
            print(row(labels[name], idle(pids, args.seconds)), flush=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        baseline("CRUD, SQLite", f"sqlite+aiosqlite:///{folder}/crud.sqlite") as target,
    ):
        time.sleep(args.settle)
        print(row("baseline: CRUD app, SQLite", idle(target.pids, args.seconds)), flush=True)


if __name__ == "__main__":
    main()
