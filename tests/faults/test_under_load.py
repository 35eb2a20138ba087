"""Every fault at once, under a steady load moving cases through the whole lifecycle.

Complaints arrive at a steady rate; a driver takes each through routing (proposal,
approval) to settlement (goods received, credit note), retrying whatever a fault
interrupted, the way clients and operators would. Meanwhile: kill -9 of each service's API
and of each relay and consumer worker, a Kafka broker restart, a PostgreSQL restart, one
consumer group reset to the earliest offsets (everything redelivered), and poison messages
mixed into a topic.

Then it prints and asserts: commands acknowledged, lost 0, duplicated effects 0, poison
dead-lettered k of k in every consumer of the topic, the longest stall, and money
reconciled: credit notes in settlement = what an ERP consumer received = refunds in
analytics.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.infra import poison
from tests.support.load_driver import Driver, finish, reckon, run
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

POISON = 3
WORKERS = ("intake", "routing", "settlement")


def test_nothing_is_lost_or_doubled_while_everything_fails(
    processes, postgres, kafka, pg_prefix, tmp_path
):
    system = processes  # stopped by the fixture, whatever happens
    api_only = {"relay_enabled": "false", "consumers_enabled": "false"}
    for service in WORKERS:
        system.start(service, **api_only)
        system.start(service, mode="worker", name=f"{service}-worker")
    system.start("analytics")
    driver = Driver({s: system.url(s) for s in ("intake", "routing", "settlement", "analytics")})
    threads = run(driver)
    prefix = pg_prefix.rstrip("_")
    faults: list[str] = []

    def fault(name: str, action) -> None:
        """Do it under load, then wait until a case gets all the way through again."""
        wait_until(lambda: len(driver.acknowledged) > 0, what="load under way")
        completed = len(driver.done)
        action()
        faults.append(name)
        wait_until(lambda: len(driver.done) > completed, timeout=90, what=f"progress after: {name}")

    def kill_and_restart(service: str, name: str | None = None, **extra: str) -> None:
        system.kill(name or service)
        if name:
            system.start(service, mode="worker", name=name, **extra)
        elif service == "analytics":
            system.start(service)
        else:
            system.start(service, **api_only)

    try:
        for service in WORKERS:
            fault(f"kill -9 {service} API", lambda s=service: kill_and_restart(s))
            fault(
                f"kill -9 {service} relay+consumers",
                lambda s=service: kill_and_restart(s, f"{s}-worker"),
            )
        fault("kill -9 analytics", lambda: kill_and_restart("analytics"))
        fault("restart Kafka broker", kafka.restart)
        fault("restart PostgreSQL", postgres.restart)
        fault(
            "reset routing's consumer group to the earliest offsets",
            lambda: kill_and_restart(
                "routing", "routing-worker", kafka_group_id=f"{prefix}.routing-replayed"
            ),
        )
        fault(
            f"{POISON} poison messages on the intake topic",
            lambda: asyncio.run(poison(kafka.bootstrap, f"{prefix}.intake.v1", POISON)),
        )
    finally:
        finish(driver, threads)

    intake_topic = f"{prefix}.intake.v1"

    def dead_lettered() -> dict[str, int]:
        found = {}
        for service in ("routing", "settlement", "analytics"):
            letters = (driver.get(service, "/dead-letters?limit=500") or {}).get("items", [])
            found[service] = sum(intake_topic in letter["source"] for letter in letters)
        return found

    wait_until(
        lambda: min(dead_lettered().values()) >= POISON,
        timeout=60,
        what="every consumer of the topic dead-lettered the poison",
    )
    reckoning = reckon(driver, postgres, pg_prefix, processes.env, tmp_path)
    print(
        "\n".join(
            [
                "",
                f"faults: {'; '.join(faults)}",
                *reckoning.lines(),
                "dead-lettered poison: "
                + ", ".join(f"{s} {k} of {POISON}" for s, k in dead_lettered().items()),
            ]
        )
    )
    reckoning.assert_exact()
    assert dead_lettered() == {"routing": POISON, "settlement": POISON, "analytics": POISON}
