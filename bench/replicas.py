"""The lifecycle on PostgreSQL + Kafka with one and with two replicas of every service.

    .venv/bin/python -m bench.replicas [--replicas 1 2] [--cases 150] [--clients 40]
                                       [--warmup 100] [--rates 10] [--seconds 20]

The same lifecycle and figures as `bench.lifecycle`, on the shape `docker-compose.yml`
deploys: each of intake, routing, settlement and analytics runs R API processes (no relay,
no consumers) behind one round-robin address (`tests/support/balancer.py`, in this process)
and R workers (relay and consumers) in one consumer group. Every R runs in the same
invocation on its own fresh databases and topics, one Kafka broker for all, so the rows
differ only in the replicas. CPU is counted per process, net of idle, and summed per role.

On this machine's two cores, a second replica cannot add CPU: it shows what replicas cost
(processes, connections, more rebalancing, idle polling) and that throughput holds, not how
they scale on separate machines.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.harness import postgres_env
from bench.lifecycle import (
    HEADER,
    IDLE,
    Target,
    add_warmup,
    postgres_money,
    run_all,
    watching,
)
from tests.support.infra import start_kafka, unique_prefix
from tests.support.replicas import replicated


@contextlib.contextmanager
def replicated_target(replicas: int, bootstrap: str) -> Iterator[Target]:
    """The four case services, `replicas` APIs and workers each, on fresh databases."""
    with postgres_env() as env, tempfile.TemporaryDirectory() as folder:
        settings = {
            **env,
            "COMPLAINTS_TRANSPORT": "kafka",
            "COMPLAINTS_KAFKA_BOOTSTRAP": bootstrap,
            "COMPLAINTS_KAFKA_TOPIC_PREFIX": unique_prefix().rstrip("_"),
            "COMPLAINTS_DATA_DIR": str(Path(folder) / "data"),
            "COMPLAINTS_RATE_LIMIT_PER_MINUTE": "0",
            # Sixteen processes: the default pool, not the single-process benchmarks' 20,
            # keeps them within the server's 300 connections.
            "COMPLAINTS_POSTGRES_POOL_SIZE": "5",
        }
        with replicated(settings, Path(folder), replicas) as system:
            url, prefix = env["COMPLAINTS_POSTGRES_URL"], env["COMPLAINTS_DATABASE_PREFIX"]
            seen = postgres_money(url, f"{prefix}analytics")(Path(folder))
            with watching(seen) as in_analytics:
                yield Target(
                    f"{replicas} replica{'s' if replicas > 1 else ''} per service",
                    system.url("intake"),
                    system.url("routing"),
                    system.url("settlement"),
                    in_analytics,
                    {},
                    {name: process.pid for name, process in system.processes.items()},
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cases", type=int, default=150, help="lifecycles per closed run")
    parser.add_argument("--clients", type=int, nargs="+", default=[40])
    add_warmup(parser)
    parser.add_argument("--rates", type=float, nargs="+", default=[10])
    parser.add_argument("--seconds", type=float, default=20, help="length of an open run")
    args = parser.parse_args()
    print(HEADER, flush=True)
    broker = start_kafka()
    rates = {}
    try:
        for replicas in args.replicas:
            with replicated_target(replicas, broker.bootstrap) as target:
                rates[replicas] = run_all(target, args)
    finally:
        broker.stop()
    for load in rates[args.replicas[0]]:
        side = ", ".join(f"{r} replica(s) {rates[r][load]:.1f}/s" for r in args.replicas)
        print(f"\n{load}: {side}", flush=True)
    print("", *IDLE, sep="\n", flush=True)


if __name__ == "__main__":
    main()
