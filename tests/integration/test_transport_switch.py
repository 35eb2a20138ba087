"""A live deployment moves from the HTTP feeds to Kafka, and nothing is applied twice.

On PostgreSQL with the feeds, complaints are registered, judged, some approved and settled,
one left with a proposal in flight. The services stop; `complaints transport to-kafka` seeds
each consumer's Kafka tracking from its feed positions; the services start on Kafka, whose
relays publish every log from its start. The proposal in flight is approved and settled,
new complaints come in: every effect of an upstream event exists once in every store.
"""

import json
import os
import subprocess
import sys

import httpx
import pytest

from services.routing.domain import Case
from tests.support.auth import bearer
from tests.support.effects import effects
from tests.support.infra import ROOT
from tests.support.processes import ServiceProcesses, steady_registration
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def call(method, url, role, body=None):
    answer = httpx.request(method, url, json=body, headers=bearer(role), timeout=10)
    assert answer.status_code < 300, answer.text
    return answer.json()


def registered(processes, n) -> str:
    intake = processes.url("intake")
    number = call("POST", f"{intake}/complaints", "clerk", steady_registration(n))["number"]
    call(
        "POST", f"{intake}/complaints/{number}/judgement", "clerk", {"valid": True, "reason": "ok"}
    )
    return number


def proposed(processes, number) -> None:
    case = f"{processes.url('routing')}/cases/{number}"
    wait_until(lambda: httpx.get(case, headers=bearer("auditor")).status_code == 200, what=case)
    remedy = {"remedies": [{"kind": "compensation", "amount": "80.00"}], "currency": "CNY"}
    call("POST", f"{case}/remedies", "handler", remedy)


def approved(processes, number) -> None:
    call("POST", f"{processes.url('routing')}/cases/{number}/approval", "manager")
    url = f"{processes.url('settlement')}/settlements/{number}"
    wait_until(lambda: httpx.get(url, headers=bearer("auditor")).status_code == 200, what=url)


def test_a_live_deployment_moves_from_feeds_to_kafka_and_applies_nothing_twice(
    production_env, tmp_path
):
    env = {**production_env, "COMPLAINTS_TRANSPORT": "http", "COMPLAINTS_DATA_DIR": str(tmp_path)}
    processes = ServiceProcesses(env, tmp_path)
    processes.start_all()
    numbers = [registered(processes, n) for n in range(4)]
    for number in numbers[:3]:
        proposed(processes, number)
    for number in numbers[:2]:
        approved(processes, number)
    processes.stop_all()

    processes.env["COMPLAINTS_TRANSPORT"] = "kafka"
    switched = subprocess.run(
        [sys.executable, "-m", "cli", "transport", "to-kafka"],
        env={**os.environ, **processes.env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert switched.returncode == 0, switched.stderr
    seeded = {
        line["service"]: line["seeded"] for line in map(json.loads, switched.stdout.splitlines())
    }
    assert {s.split("#")[0] for s in seeded["routing"]} == {"intake", "settlement"}

    processes.start_all()
    approved(processes, numbers[2])  # the proposal in flight across the switch
    later = [registered(processes, n) for n in range(4, 6)]
    for number in later:
        proposed(processes, number)
    wait_until(lambda: processes.lag() == 0, timeout=60, what="every consumer caught up")
    processes.stop_all()

    kafka_env = processes.env
    routing = effects(kafka_env, "routing")
    validities = [k for k in routing if k[2] == Case.ValidityRecorded.__qualname__]
    assert len(validities) == 6
    for service in ("intake", "routing", "settlement"):
        doubled = {k: n for k, n in effects(kafka_env, service).items() if n > 1}
        assert doubled == {}, f"{service} applied an upstream event twice"
