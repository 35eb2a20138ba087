"""Twenty desks register a thousand complaints around midnight at the month's turn.

Every number is unique and the serials of each month are gapless from 1, on the embedded
default and on PostgreSQL; and every POST retried with its Idempotency-Key (as a client does
after a lost response) returns the first result instead of creating a second complaint.
"""

import asyncio
import uuid
from collections import defaultdict

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.processes import ServiceProcesses

pytestmark = pytest.mark.e2e

CLIENTS = 20
PER_CLIENT = 50
LAST_OF_OCTOBER = "2026-10-31T15:00:00+00:00"  # 23:00 in Shanghai
FIRST_OF_NOVEMBER = "2026-10-31T16:30:00+00:00"  # 00:30 in Shanghai


def complaint(received_at):
    return {
        "channel": "phone",
        "nature": "quality",
        "received_at": received_at,
        "complainant": {"name": "Zhang San"},
        "problem": {"what": "cracked housing", "where": "on delivery"},
        "description": "cracked housing",
    }


@pytest.fixture(params=["embedded", "postgres"])
def intake(request, tmp_path):
    env = {
        "COMPLAINTS_DATA_DIR": str(tmp_path / "data"),
        "COMPLAINTS_TRANSPORT": "http",
        "COMPLAINTS_CONSUMERS_ENABLED": "false",
    }
    if request.param == "postgres":
        env.update(
            {
                k: v
                for k, v in request.getfixturevalue("production_env").items()
                if "KAFKA" not in k and "TRANSPORT" not in k
            }
        )
    processes = ServiceProcesses(env, tmp_path)
    processes.start("intake")
    yield processes.url("intake")
    processes.stop_all()


async def desk(client, index, numbers, replays):
    for i in range(PER_CLIENT):
        body = complaint(LAST_OF_OCTOBER if (index + i) % 2 else FIRST_OF_NOVEMBER)
        key = str(uuid.uuid4())
        headers = {**bearer("clerk", f"clerk-{index}"), "Idempotency-Key": key}
        first = await client.post("/complaints", json=body, headers=headers)
        assert first.status_code == 201, first.text
        retry = await client.post("/complaints", json=body, headers=headers)
        assert retry.headers.get("idempotent-replayed") == "true"
        replays.append(retry.json()["number"] == first.json()["number"])
        numbers.append(first.json()["number"])


async def test_concurrent_registrations_across_a_month_boundary_are_gapless_and_unique(intake):
    numbers: list[str] = []
    replays: list[bool] = []
    async with httpx.AsyncClient(base_url=intake, timeout=60) as client:
        await asyncio.gather(*(desk(client, i, numbers, replays) for i in range(CLIENTS)))

    assert len(numbers) == CLIENTS * PER_CLIENT == len(set(numbers))
    assert all(replays)
    serials = defaultdict(list)
    for number in numbers:
        period, serial = number.split("-")
        serials[period].append(int(serial))
    assert set(serials) == {"2610", "2611"}
    for period, issued in serials.items():
        assert sorted(issued) == list(range(1, len(issued) + 1)), f"gap in {period}"
    assert len(serials["2610"]) == len(serials["2611"]) == CLIENTS * PER_CLIENT // 2
