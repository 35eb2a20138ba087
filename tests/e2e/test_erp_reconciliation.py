"""Finance's view, end to end on PostgreSQL + Kafka, reconciled by the example ERP consumer.

A key account returns twelve boards; the approval (the return, an allowance and a
compensation) reaches settlement over Kafka; the warehouse receives them in two parts;
finance issues the credit note, the allowance and the compensation, and completes. The
example ERP consumer reads the settlement topic and its totals must equal settlement's to
the cent, with every voucher balanced. Then the approval is
redelivered (a fresh consumer group replays the topic) and the credit note retried: still one.
"""

import asyncio
from decimal import Decimal

import httpx
import pytest

from shared.platform.bus.kafka import group_lag
from tests.conftest import settings_from
from tests.support.auth import bearer
from tests.support.erp import run_erp_consumer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def system(production_env, tmp_path):
    from tests.support.processes import ServiceProcesses

    processes = ServiceProcesses(production_env, tmp_path)
    processes.start_all()
    yield processes, production_env
    processes.stop_all()


def get(url):
    response = httpx.get(url, headers=bearer("auditor"), timeout=5)
    return response.json() if response.status_code == 200 else None


def post(url, body, role):
    response = httpx.post(url, json=body, headers=bearer(role), timeout=10)
    assert response.status_code < 300, response.text
    return response.json()


def test_the_erp_consumer_reconciles_with_settlement_and_redelivery_changes_nothing(
    system, tmp_path
):
    processes, env = system
    intake, routing = processes.url("intake"), processes.url("routing")
    settlement = processes.url("settlement")

    number = post(
        f"{intake}/complaints",
        {
            "channel": "email",
            "nature": "quality",
            "complainant": {"name": "Zhang San", "type": "key_account", "customer_id": "C-1001"},
            "subject": {
                "part_no": "PCB-7731",
                "batch": "2645",
                "quantity_inspected": 500,
                "quantity_defective": 12,
            },
            "problem": {"what": "solder bridges on J3", "where": "SMT line 2"},
            "description": "12 boards short",
        },
        "clerk",
    )["number"]
    wait_until(lambda: get(f"{routing}/cases/{number}"), what="case opened")
    post(
        f"{routing}/cases/{number}/remedies",
        {
            "currency": "CNY",
            "remedies": [
                {
                    "kind": "return",
                    "amount": "2400.00",
                    "quantity": 12,
                    "unit_price": "200.00",
                    "part_no": "PCB-7731",
                    "tax_rate": "0.13",
                },
                {"kind": "compensation", "amount": "300.00"},
                {"kind": "allowance", "amount": "732.00"},
            ],
        },
        "handler",
    )
    post(f"{routing}/cases/{number}/approval", {}, "manager")
    wait_until(lambda: get(f"{settlement}/settlements/{number}"), what="settlement opened")

    base = f"{settlement}/settlements/{number}"
    post(f"{base}/receipts", {"part_no": "PCB-7731", "quantity": 7}, "finance")
    post(f"{base}/receipts", {"part_no": "PCB-7731", "quantity": 5}, "finance")
    note = post(f"{base}/credit-note", {}, "finance")["credit_note"]
    retried = httpx.post(f"{base}/credit-note", headers=bearer("finance"), timeout=10)
    assert retried.status_code == 409
    post(
        f"{base}/allowances",
        {
            "mode": "per_unit",
            "value": "1.50",
            "lines": [
                {"part_no": "PCB-7731", "quantity": 488, "unit_price": "200.00", "tax_rate": "0.13"}
            ],
        },
        "finance",
    )
    post(f"{base}/compensations", {"amount": "300.00", "payee": "C-1001"}, "finance")
    final = post(f"{base}/completion", {}, "finance")
    assert (note["net"], note["tax"], note["gross"]) == ("2400.00", "312.00", "2712.00")

    erp = run_erp_consumer(env, tmp_path, "erp-first")
    assert erp["unbalanced"] == []
    assert erp["vouchers"] == len(final["vouchers"]) == 3
    assert erp["credit_notes"] == [note["document"]]
    allowance = final["allowances"][0]
    assert erp["documents"]["credit_notes"]["CNY"] == note["gross"]
    assert erp["documents"]["allowances"]["CNY"] == allowance["gross"]
    assert erp["documents"]["compensation"]["CNY"] == "300.00"
    receivable = Decimal(erp["net_by_account"]["1122 accounts_receivable"]["CNY"])
    assert -receivable == Decimal(note["gross"]) + Decimal(allowance["gross"])
    assert Decimal(final["customer_total"]) == (
        Decimal(note["gross"]) + Decimal(allowance["gross"]) + 300
    )

    # Redelivery: settlement replays routing's topic from the start in a new group.
    processes.stop_all()
    processes.start("settlement", kafka_group_id="settlement-replay")
    routing_topic = f"{env['COMPLAINTS_KAFKA_TOPIC_PREFIX']}.routing.v1"
    replaying = settings_from(env, "settlement").kafka
    wait_until(
        lambda: asyncio.run(group_lag(replaying, "settlement-replay", routing_topic)) == 0,
        what="the replay consumed all of routing's topic",
    )

    replayed = run_erp_consumer(env, tmp_path, "erp-second")
    assert replayed["credit_notes"] == [note["document"]]
    assert replayed["vouchers"] == 3
    assert get(f"{settlement}/settlements/{number}")["version"] == final["version"]
