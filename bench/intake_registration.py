"""Registration throughput and latency at intake, on SQLite and on PostgreSQL, in one run.

    .venv/bin/python -m bench.intake_registration [--requests 2000] [--concurrency 20]

Each store gets a fresh intake process (relay and consumers off, to measure registration
alone: numbering, idempotency-free insert of sequence + complaint in one transaction).
Prints a Markdown table; copy it into the README with the command and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform

from bench.harness import HEADER, Figures, closed_loop, postgres_env, service

QUIET = {
    "COMPLAINTS_RELAY_ENABLED": "false",
    "COMPLAINTS_CONSUMERS_ENABLED": "false",
    "COMPLAINTS_LOG_LEVEL": "WARNING",
}


def complaint(i: int) -> dict:
    return {
        "channel": "phone",
        "nature": "quality",
        "complainant": {"name": f"Customer {i % 500}", "customer_id": f"C-{i % 500}"},
        "subject": {"part_no": f"P-{i % 97}", "batch": f"B-{i % 31}"},
        "problem": {"what": "cracked housing", "where": "on delivery"},
        "description": f"complaint {i}",
        "taken_by": "clerk-bench",
    }


def measure(label: str, env: dict[str, str], requests: int, concurrency: int) -> Figures:
    with service("intake", {**QUIET, **env}) as url:
        asyncio.run(closed_loop(url, "/complaints", complaint, 100, concurrency))  # warm-up
        seconds, latencies = asyncio.run(
            closed_loop(url, "/complaints", complaint, requests, concurrency)
        )
    return Figures(label, requests, seconds, latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    rows = [
        measure(
            f"SQLite, {args.concurrency} clients",
            {"COMPLAINTS_STORE": "sqlite"},
            args.requests,
            args.concurrency,
        )
    ]
    with postgres_env() as env:
        rows.append(
            measure(f"PostgreSQL, {args.concurrency} clients", env, args.requests, args.concurrency)
        )
    print(f"intake registration, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(HEADER)
    for row in rows:
        print(row.row())


if __name__ == "__main__":
    main()
