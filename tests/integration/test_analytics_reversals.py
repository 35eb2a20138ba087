"""A payment undone in a later month: analytics keeps the month it was paid and corrects the
month it was reversed, the same live, rebuilt and as known at a past time.

Finance pays a compensation in October to the wrong payee, reverses its voucher in November
and pays the right one: October shows 800.00 paid, November 0.00 (800.00 undone, 800.00
paid), and the two months together what the customer really got.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.analytics import queries, versions
from services.analytics.domain import reports
from services.analytics.projection import ProjectionHandler, create_tables
from services.analytics.rebuild import rebuild
from shared.contracts.envelope import IntegrationEvent
from shared.platform.settings import Settings
from shared.platform.sqlviews import create_engine
from tests.support.analytics_scenario import Publisher

pytestmark = pytest.mark.integration

ZONE = ZoneInfo("Asia/Shanghai")
OCTOBER = datetime(2026, 10, 12, 10, 0, tzinfo=ZONE)
NOVEMBER = datetime(2026, 11, 3, 10, 0, tzinfo=ZONE)


def voucher(number: str, amount: str, payee: str, reverses: str | None = None) -> dict:
    debit, credit = ("0.00", amount) if reverses else (amount, "0.00")
    return {
        "voucher": number,
        "source": "reversal:wrong payee" if reverses else f"compensation:{payee}",
        "currency": "CNY",
        "lines": [
            {
                "account": "compensation_expense",
                "code": "6711",
                "name": "expense",
                "debit": debit,
                "credit": credit,
            },
            {
                "account": "customer_compensation_payable",
                "code": "2241",
                "name": "payable",
                "debit": credit,
                "credit": debit,
                "party": payee,
            },
        ],
        "reverses": reverses,
    }


def story() -> list[dict]:
    publish = Publisher()
    number = "2610-0001"

    def compensation(at: datetime, payee: str, voucher_no: str) -> list[dict]:
        data = {
            "amount": "800.00",
            "kind": "compensation",
            "payee": payee,
            "currency": "CNY",
            "voucher": voucher_no,
        }
        return [
            publish.envelope("settlement", "settlement.CompensationAgreed", number, at, data),
            publish.envelope(
                "settlement",
                "settlement.VoucherPosted",
                number,
                at,
                voucher(voucher_no, "800.00", payee),
            ),
        ]

    registered = {
        "number": number,
        "received_at": OCTOBER.isoformat(),
        "channel": "phone",
        "nature": "quality",
        "severity": "level_3",
        "complainant": {"name": "C-1001", "type": "consumer", "customer_id": "C-1001"},
        "subject": {},
        "description": "x",
        "demands": {},
        "taken_by": "clerk",
    }
    return [
        publish.envelope("intake", "intake.ComplaintRegistered", number, OCTOBER, registered),
        *compensation(OCTOBER + timedelta(days=1), "C-1009", "JV-2026-000001"),
        publish.envelope(
            "settlement",
            "settlement.VoucherPosted",
            number,
            NOVEMBER,
            voucher("JV-2026-000002", "800.00", "C-1009", "JV-2026-000001"),
        ),
        *compensation(NOVEMBER + timedelta(hours=1), "C-1001", "JV-2026-000003"),
    ]


async def paid(engine, month: str) -> dict:
    return (await versions.compute_month(engine, month, ZONE))["compensation"]


async def test_a_reversed_payment_is_undone_in_the_month_of_its_reversal(tmp_path):
    engine = create_engine(Settings(service="analytics", data_dir=tmp_path).storage, "live.sqlite")
    await create_tables(engine)
    handler = ProjectionHandler(engine, "Asia/Shanghai")
    for envelope in story():
        stream = f"{envelope['producer']}#feed"
        assert await handler.handle(IntegrationEvent.model_validate(envelope), stream)
    try:
        live = (await paid(engine, "2026-10"), await paid(engine, "2026-11"))
        assert live == ({"CNY": "800.00"}, {"CNY": "0.00"})

        await rebuild(engine, ZONE)
        assert (await paid(engine, "2026-10"), await paid(engine, "2026-11")) == live

        facts, money = await queries.as_of(engine, NOVEMBER + timedelta(days=1), ZONE)
        as_of = [
            reports.monthly(facts, money, m, ZONE)["compensation"] for m in ("2026-10", "2026-11")
        ]
        assert tuple(as_of) == live
    finally:
        await engine.dispose()
