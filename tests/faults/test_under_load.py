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
import statistics
import threading
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared import clock
from tests.support.auth import bearer
from tests.support.erp import run_erp_consumer
from tests.support.infra import poison
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

COMPLAINTS = 40
RATE_PER_SECOND = 2.0
POISON = 3
PRICE = Decimal("100.00")
WORKERS = ("intake", "routing", "settlement")


class Driver:
    """Takes each acknowledged complaint to a credit note, re-reading state after any error.

    Every step is decided from what the services say now, so a request whose answer was
    lost to a fault is never blindly repeated: the next read shows whether it took effect.
    """

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.http = httpx.Client(timeout=5)
        self.acknowledged: dict[str, float] = {}
        self.routed: dict[str, float] = {}
        self.done: dict[str, float] = {}
        self.stop = threading.Event()
        self.faults_over = threading.Event()

    def get(self, service: str, path: str):
        try:
            answer = self.http.get(f"{self.urls[service]}{path}", headers=bearer("auditor"))
        except httpx.HTTPError:
            return None
        return answer.json() if answer.status_code == 200 else None

    def post(
        self, service: str, path: str, role: str, body=None, **headers
    ) -> httpx.Response | None:
        try:
            return self.http.post(
                f"{self.urls[service]}{path}", json=body, headers={**bearer(role), **headers}
            )
        except httpx.HTTPError:
            return None

    def register(self, index: int) -> None:
        body = {
            "channel": "phone",
            "nature": "quality",
            "complainant": {"name": f"Customer {index}", "customer_id": f"C-{index}"},
            "subject": {"part_no": "PCB-7731", "batch": f"B-{index}"},
            "problem": {"what": "cracked housing", "where": "on delivery"},
            "description": f"complaint {index} under load",
        }
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            answer = self.post(
                "intake", "/complaints", "clerk", body, **{"Idempotency-Key": f"load-{index}"}
            )
            if answer is not None and answer.status_code == 201:
                self.acknowledged.setdefault(answer.json()["number"], time.monotonic())
                return
            time.sleep(0.5)
        raise AssertionError(f"complaint {index} was never acknowledged")

    def arrive(self) -> None:
        """At a steady rate: at least COMPLAINTS, and on until every fault has happened."""
        index = 0
        while not self.stop.is_set() and (index < COMPLAINTS or not self.faults_over.is_set()):
            started = time.monotonic()
            self.register(index)
            index += 1
            time.sleep(max(0.0, 1 / RATE_PER_SECOND - (time.monotonic() - started)))

    def advance(self, number: str) -> None:
        case = self.get("routing", f"/cases/{number}")
        if case is None:
            return
        self.routed.setdefault(number, time.monotonic())
        if case["status"] == "assigned":
            remedy = {
                "kind": "return",
                "amount": str(PRICE),
                "quantity": 1,
                "unit_price": str(PRICE),
                "part_no": "PCB-7731",
            }
            self.post(
                "routing",
                f"/cases/{number}/remedies",
                "handler",
                {"currency": "CNY", "remedies": [remedy]},
            )
        elif case["status"] == "proposed":
            self.post("routing", f"/cases/{number}/approval", "manager")
        elif case["status"] == "approved":
            settlement = self.get("settlement", f"/settlements/{number}")
            if settlement is None:
                return
            if not settlement["received"].get("PCB-7731"):
                self.post(
                    "settlement",
                    f"/settlements/{number}/receipts",
                    "finance",
                    {"part_no": "PCB-7731", "quantity": 1},
                )
            elif settlement["credit_note"] is None:
                self.post("settlement", f"/settlements/{number}/credit-note", "finance")
            else:
                self.done.setdefault(number, time.monotonic())

    def drive(self) -> None:
        while not self.stop.is_set():
            for number in list(self.acknowledged):
                if number not in self.done:
                    self.advance(number)
            time.sleep(0.2)


def count_per_case(postgres, database: str, table: str, topic: str) -> dict[str, int]:
    """How many events of `topic` each case has in a store."""
    with postgres.connect(database) as conn:
        rows = conn.execute(
            f"SELECT convert_from(state, 'UTF8')::json->'meta'->>'case_number', count(*) "
            f"FROM {table} WHERE topic LIKE %s GROUP BY 1",
            (f"%{topic}",),
        ).fetchall()
    return dict(rows)


def test_nothing_is_lost_or_doubled_while_everything_fails(
    processes, postgres, kafka, pg_prefix, tmp_path
):
    system = processes  # stopped by the fixture, whatever happens
    api_only = {"relay_enabled": "false", "consumers_enabled": "false"}
    for service in WORKERS:
        system.start(service, **api_only)
        system.start(service, mode="worker", name=f"{service}-worker")
    system.start("analytics")
    urls = {s: system.url(s) for s in ("intake", "routing", "settlement", "analytics")}
    driver = Driver(urls)
    arrivals = threading.Thread(target=driver.arrive)
    lifecycle = threading.Thread(target=driver.drive)
    arrivals.start()
    lifecycle.start()
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
        driver.faults_over.set()
        arrivals.join(timeout=300)
        wait_until(
            lambda: len(driver.done) == len(driver.acknowledged) >= COMPLAINTS,
            timeout=240,
            what="every acknowledged complaint through to its credit note",
        )
    finally:
        driver.faults_over.set()
        driver.stop.set()
        lifecycle.join(timeout=30)

    def counts(service: str, topic: str) -> dict[str, int]:
        return count_per_case(postgres, f"{pg_prefix}{service}", f"{service}_events", topic)

    registered = counts("intake", "Complaint.Registered")
    opened = counts("routing", "Case.Opened")
    approved = counts("routing", "Case.RemedyApproved")
    notes = counts("settlement", "Settlement.CreditNoteIssued")
    acknowledged = set(driver.acknowledged)
    lost = {n for n in acknowledged if not (registered.get(n) and opened.get(n) and notes.get(n))}
    duplicated = {
        n: counts
        for n in acknowledged
        if (counts := (registered.get(n), opened.get(n), approved.get(n), notes.get(n)))
        != (1, 1, 1, 1)
    }

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
    gross = Decimal(0)
    for number in acknowledged:
        gross += Decimal(driver.get("settlement", f"/settlements/{number}")["credit_note"]["gross"])
    erp = run_erp_consumer(processes.env, tmp_path, f"{prefix}.erp")
    erp_gross = Decimal(erp["documents"]["credit_notes"]["CNY"])
    month = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")

    def analytics_refunds() -> Decimal:
        now = clock.now().isoformat()
        report = driver.get(
            "analytics", f"/reports/monthly/{month}?as_of={now.replace('+', '%2B')}"
        )
        return Decimal((report or {}).get("report", {}).get("refunds", {}).get("CNY", "0"))

    wait_until(
        lambda: analytics_refunds() == gross, timeout=60, what="analytics counted every refund"
    )
    counted = analytics_refunds()
    stalls = [driver.routed[n] - driver.acknowledged[n] for n in acknowledged]
    print(
        "\n".join(
            [
                "",
                f"faults: {'; '.join(faults)}",
                f"acknowledged commands: {len(acknowledged)} registrations",
                f"lost: {len(lost)}",
                f"duplicated effects: {len(duplicated)}",
                "dead-lettered poison: "
                + ", ".join(f"{s} {k} of {POISON}" for s, k in dead_lettered().items()),
                f"longest stall, acknowledged to routed: {max(stalls):.1f} s "
                f"(median {statistics.median(stalls):.1f} s)",
                f"money: settlement {gross} = ERP {erp_gross} = analytics {counted} CNY",
            ]
        )
    )
    assert len(acknowledged) >= COMPLAINTS
    assert lost == set()
    assert duplicated == {}
    assert dead_lettered() == {"routing": POISON, "settlement": POISON, "analytics": POISON}
    assert erp["unbalanced"] == []
    assert gross == erp_gross == counted == PRICE * len(acknowledged)
