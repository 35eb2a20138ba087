"""Audit verification speed over 1,000,000 stored events, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.audit_verify [--events 1000000] [--stores sqlite postgres]

Events are made by a real application's chain mapper (100,000 streams of 10 events, about
450 bytes each) and inserted in batches. Then, in the same run: a bare scan of the
notification log through the library's `select_notifications` (every row read into a
`Notification`, nothing else: what a verifier reading through the library pays), the sealer
extending the log chain from nothing to one checkpoint, and `verify` (every link, the log
chain, the checkpoint).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

from eventsourcing.domain import event

from bench.harness import postgres_env
from shared.kernel.aggregate import ClockedAggregate
from shared.platform.audit.checkpoints import PAGE, CheckpointFile
from shared.platform.audit.signing import published_keys
from shared.platform.audit.verify import verify
from shared.platform.eventstore import ServiceApplication, persistence_env
from shared.platform.runtime import sealer_for
from shared.platform.settings import Settings

EVENTS_PER_STREAM = 10
BATCH_STREAMS = 500


class Ledger(ClockedAggregate):
    @event("Opened")
    def __init__(self, number: str, meta: dict[str, Any]) -> None:
        self.number = number

    @event("Noted")
    def note(self, text: str, amount: str, meta: dict[str, Any]) -> None:
        self.last = text


class BenchApplication(ServiceApplication):
    name = "intake"


def fill(app: BenchApplication, events: int) -> None:
    streams = events // EVENTS_PER_STREAM
    meta = {
        "case_number": "2611-0001",
        "actor": {"id": "clerk-wang", "role": "clerk"},
        "correlation_id": "5f0c6a8e-3b1d-4c59-9a57-6f2b9f5c1e01",
        "causation_id": None,
    }
    for first in range(0, streams, BATCH_STREAMS):
        stored = []
        for i in range(first, min(streams, first + BATCH_STREAMS)):
            ledger = Ledger(number=f"{i:07d}", meta=meta)
            for n in range(EVENTS_PER_STREAM - 1):
                ledger.note(text=f"step {n} of case {i} " * 4, amount="1234.56", meta=meta)
            stored += [app.mapper.to_stored_event(e) for e in ledger.collect_events()]
        app.recorder.insert_events(stored)


def bare_scan(app: BenchApplication) -> int:
    position, count = 0, 0
    while True:
        page = app.recorder.select_notifications(position, PAGE, inclusive_of_start=False)
        count += len(page)
        if len(page) < PAGE:
            return count
        position = page[-1].id


def measure(label: str, settings: Settings, events: int) -> str:
    app = BenchApplication(persistence_env(settings))
    started = time.perf_counter()
    fill(app, events)
    filled = time.perf_counter() - started

    started = time.perf_counter()
    scanned = bare_scan(app)
    scan = time.perf_counter() - started

    started = time.perf_counter()
    sealer_for(settings.audit, app).seal()
    seal = time.perf_counter() - started

    checkpoints = CheckpointFile(
        settings.audit.checkpoint_dir, settings.storage.database_name()
    ).all()
    keys = published_keys(settings.audit.checkpoint_dir)
    report = verify(
        settings.storage.database_name(), app.recorder, app.mapper.ring, checkpoints, keys
    )
    if not report.ok or not report.events == scanned == events:
        raise SystemExit(f"verification failed: {report}")
    app.close()
    return (
        f"| {label} | {events:,} | {events / filled:,.0f} | {events / scan:,.0f} | "
        f"{events / seal:,.0f} | {events / report.seconds:,.0f} | {report.seconds:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args()
    print(
        "| store | events | insert ev/s | bare scan ev/s (baseline) | seal ev/s | "
        "verify ev/s | verify s |\n|---|---|---|---|---|---|---|"
    )
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        if "sqlite" in args.stores:
            settings = Settings(service="intake", data_dir=data / "sqlite")
            print(measure("SQLite", settings, args.events), flush=True)
        if "postgres" in args.stores:
            with contextlib.ExitStack() as stack:
                env = stack.enter_context(postgres_env())
                values = {k.removeprefix("COMPLAINTS_").lower(): v for k, v in env.items()}
                settings = Settings(service="intake", data_dir=data / "pg", **values)
                print(measure("PostgreSQL", settings, args.events), flush=True)


if __name__ == "__main__":
    main()
