"""Every service as replicas on a three-broker Kafka cluster, one of each kind killed under load.

Each of the four case services runs two API processes behind one address (a round-robin TCP
balancer) and two workers (relay and consumers) in one consumer group; Kafka runs as a KRaft
quorum of three brokers, topics with replication factor 3 and `min.insync.replicas=2`, the
producers with `acks=all` and idempotence. While complaints keep arriving and a driver takes
each to its credit note: kill -9 of an intake API process, of the routing worker that leads
the relay, and of the broker leading the settlement topic's first partition; a third
settlement worker joins the group mid-stream (a rebalance).

Then it prints and asserts: acknowledged commands, lost 0, duplicated 0, case numbers
gapless and unique across the two intake processes, every log published in order per
partition, and money reconciled: settlement = ERP = analytics.
"""

from __future__ import annotations

import asyncio

import pytest

from shared.kernel.case_number import CaseNumber
from tests.support.infra import (
    partition_leader,
    partition_positions,
    repeats_in_order,
    start_kafka,
)
from tests.support.load_driver import Driver, count_per_case, finish, reckon, run
from tests.support.processes import CORE, ServiceProcesses
from tests.support.replicas import replicated
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

REPLICAS = 2
LEADS_PUBLISHING = "this process leads publishing"


@pytest.fixture(scope="module")
def kafka_cluster():
    cluster = start_kafka(nodes=3)
    yield cluster
    cluster.stop()


@pytest.fixture
def services(production_env, kafka_cluster, tmp_path):
    """Two API processes and two workers per service, on the three-broker cluster."""
    env = {
        **production_env,
        "COMPLAINTS_KAFKA_BOOTSTRAP": kafka_cluster.bootstrap,
        "COMPLAINTS_KAFKA_REPLICATION_FACTOR": "3",
        "COMPLAINTS_KAFKA_MIN_INSYNC_REPLICAS": "2",
    }
    with replicated(env, tmp_path, REPLICAS, log_level="INFO") as processes:
        yield processes


def relay_leader(processes: ServiceProcesses, service: str) -> str | None:
    workers = [n for n in processes.processes if n.startswith(f"{service}-worker-")]
    return next((w for w in workers if LEADS_PUBLISHING in processes.log(w)), None)


@pytest.mark.timeout(600)  # sixteen processes and three brokers on two cores
def test_replicas_lose_and_double_nothing_when_an_api_a_worker_and_a_broker_die(
    services, kafka_cluster, postgres, pg_prefix, tmp_path
):
    processes = services
    prefix = processes.env["COMPLAINTS_KAFKA_TOPIC_PREFIX"]
    driver = Driver({s: processes.url(s) for s in CORE}, keep_alive=False)
    threads = run(driver)
    faults: list[str] = []

    def fault(name: str, action) -> None:
        """Do it under load, then wait until a case gets all the way through again."""
        wait_until(lambda: len(driver.done) > 0, timeout=120, what="cases flowing")
        completed = len(driver.done)
        action()
        faults.append(name)
        wait_until(lambda: len(driver.done) > completed, timeout=90, what=f"progress after: {name}")

    def kill_routing_relay() -> None:
        leader = wait_until(lambda: relay_leader(processes, "routing"), what="a routing relay")
        processes.kill(leader)

    def kill_leader_broker() -> None:
        topic = f"{prefix}.settlement.v1"
        kafka_cluster.kill(asyncio.run(partition_leader(kafka_cluster.bootstrap, topic)))

    try:
        fault("kill -9 intake API replica 1", lambda: processes.kill("intake-api-1"))
        fault("kill -9 the routing worker leading its relay", kill_routing_relay)
        fault("kill -9 the broker leading settlement[0]", kill_leader_broker)
        fault(
            "a third settlement worker joins the group",
            lambda: processes.start("settlement", mode="worker", name="settlement-worker-3"),
        )
    finally:
        finish(driver, threads)

    reckoning = reckon(driver, postgres, pg_prefix, processes.env, tmp_path)
    intake_store = f"{pg_prefix}intake"
    registered = count_per_case(postgres, intake_store, "intake_events", "Complaint.Registered")
    serials = sorted(CaseNumber.parse(n).serial for n in registered)
    repeats = {
        service: repeats_in_order(
            asyncio.run(partition_positions(kafka_cluster.bootstrap, f"{prefix}.{service}.v1"))
        )
        for service in ("intake", "routing", "settlement")
    }
    print(
        "\n".join(
            [
                "",
                f"replicas: {REPLICAS} API + {REPLICAS} workers per service, 3 brokers",
                f"faults: {'; '.join(faults)}",
                *reckoning.lines(),
                f"case numbers: {len(serials)}, serials 1..{max(serials)}, gapless and unique",
                "published in order per partition; pages repeated after the relay kill: "
                + ", ".join(f"{s} {n}" for s, n in repeats.items()),
            ]
        )
    )
    reckoning.assert_exact()
    assert set(registered) == reckoning.acknowledged
    assert serials == list(range(1, len(serials) + 1)), "numbered gaplessly across replicas"
