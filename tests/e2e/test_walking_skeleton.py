"""A complaint walks through all four services, each a separate process.

Registered at intake, routed by rule, a remedy proposed and approved by the right authority,
a settlement opened, and the case counted in the month's statistics — once on the embedded
default (SQLite, HTTP feeds) and once on PostgreSQL + Kafka.
"""

from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.kernel import clock
from tests.support.auth import bearer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def now_iso():
    return clock.now().isoformat()


def get_json(url: str):
    response = httpx.get(url, headers=bearer("auditor"), timeout=5)
    return response.json() if response.status_code == 200 else None


def test_a_quality_complaint_is_routed_approved_settled_and_counted(system):
    intake, routing = system.url("intake"), system.url("routing")
    settlement, analytics = system.url("settlement"), system.url("analytics")

    registered = httpx.post(
        f"{intake}/complaints",
        json={
            "channel": "phone",
            "nature": "quality",
            "received_at": "2026-10-05T02:00:00+00:00",
            "complainant": {"name": "Zhang San", "type": "key_account", "customer_id": "C-1001"},
            "subject": {
                "part_no": "PCB-7731",
                "batch": "2645",
                "quantity_inspected": 500,
                "quantity_defective": 12,
            },
            "problem": {"what": "solder bridges on J3", "where": "SMT line 2"},
            "description": "solder bridges on connector J3",
            "demands": {"remedy": "return", "amount": "100000.00", "currency": "CNY"},
        },
        headers=bearer("clerk"),
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    number = registered.json()["number"]
    assert registered.headers["location"] == f"/complaints/{number}"

    case = wait_until(lambda: get_json(f"{routing}/cases/{number}"), what="case opened")
    assert case["unit"] == "quality_management"

    proposed = httpx.post(
        f"{routing}/cases/{number}/remedies",
        json={
            "remedies": [
                {
                    "kind": "return",
                    "amount": "100000.00",
                    "quantity": 500,
                    "unit_price": "200.00",
                    "part_no": "PCB-7731",
                }
            ],
            "currency": "CNY",
        },
        headers=bearer("handler"),
        timeout=10,
    )
    assert proposed.status_code == 200, proposed.text
    approved = httpx.post(
        f"{routing}/cases/{number}/approval", headers=bearer("manager"), timeout=10
    )
    assert approved.json()["status"] == "approved", approved.text

    opened = wait_until(
        lambda: get_json(f"{settlement}/settlements/{number}"), what="settlement opened"
    )
    assert (opened["approved_total"], opened["currency"]) == ("100000.00", "CNY")

    base = f"{settlement}/settlements/{number}"
    httpx.post(
        f"{base}/receipts",
        json={"part_no": "PCB-7731", "quantity": 500},
        headers=bearer("finance"),
        timeout=10,
    ).raise_for_status()
    note = httpx.post(f"{base}/credit-note", headers=bearer("finance"), timeout=10).json()
    assert note["credit_note"]["gross"] == "100000.00"

    def as_of_now(month):
        return get_json(f"{analytics}/reports/monthly/{month}?as_of={quote(now_iso())}")

    # Money counts in the month it was booked; the case in the month it was received.
    booked = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    wait_until(
        lambda: (as_of_now(booked) or {}).get("report", {}).get("refunds"),
        what="analytics booked the refund",
    )
    assert as_of_now(booked)["report"]["refunds"] == {"CNY": "100000.00"}
    report = as_of_now("2026-10")["report"]
    assert report["received"] == 1
    assert report["by_unit"] == {"quality_management": 1}
    assert report["by_channel"] == {"phone": 1}
