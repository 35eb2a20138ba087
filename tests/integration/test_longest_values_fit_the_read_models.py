"""The longest values the edges accept fit the read models on every store.

SQLite keeps any length in a `VARCHAR(n)`; PostgreSQL refuses a longer value, and the page
that carried it with it, so a read model stopped at the first customer or party whose name
ran long (found by registering one on the PostgreSQL deployment). The story: a complaint of
a customer with every field at its limit, and its costs apportioned to a party whose name is
at its limit, projected into analytics on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.analytics.projection import ProjectionHandler, create_tables
from services.analytics.read_models import case_facts, money_facts
from shared.contracts.envelope import IntegrationEvent
from shared.platform.settings import Settings
from shared.platform.sqlviews import create_engine
from tests.support.analytics_scenario import Publisher

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)
NUMBER = "2611-0001"
NAME = "ß" * 200  # the longest complainant name; folds to 400 characters
PARTY = "P" * 200  # the longest party name settlement accepts


def events() -> list[IntegrationEvent]:
    publisher = Publisher()
    registered = publisher.envelope(
        "intake",
        "intake.ComplaintRegistered",
        NUMBER,
        AT,
        {
            "number": NUMBER,
            "received_at": AT.isoformat(),
            "channel": "phone",
            "nature": "quality",
            "severity": "level_2",
            "complainant": {"name": NAME, "type": "consumer", "contact": "c" * 200},
            "subject": {
                "product": "p" * 200,
                "part_no": "n" * 100,
                "batch": "b" * 100,
                "region": "r" * 100,
            },
            "description": "d" * 4000,
            "demands": {},
            "taken_by": "t" * 200,
        },
    )
    apportioned = publisher.envelope(
        "settlement",
        "settlement.CostsApportioned",
        NUMBER,
        AT,
        {
            "total": "100.00",
            "currency": "CNY",
            "shares": [
                {"kind": "internal_unit", "name": PARTY, "ratio": "100", "amount": "100.00"}
            ],
        },
    )
    return [IntegrationEvent.model_validate(e) for e in (registered, apportioned)]


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request, tmp_path):
    if request.param == "sqlite":
        return Settings(service="analytics", data_dir=tmp_path)
    return Settings(
        service="analytics",
        store="postgres",
        postgres_url=request.getfixturevalue("postgres").url,
        database_prefix=request.getfixturevalue("pg_prefix"),
    )


async def test_a_customer_and_a_party_at_their_limits_are_counted(settings):
    engine = create_engine(settings.storage, "analytics-views.sqlite")
    await create_tables(engine)
    handler = ProjectionHandler(engine, "Asia/Shanghai")
    registered, apportioned = events()
    await handler.handle_page([registered], "intake#feed")
    await handler.handle_page([apportioned], "settlement#feed")
    async with engine.connect() as conn:
        customers = (await conn.execute(select(case_facts.c.customer))).scalars().all()
        labels = (await conn.execute(select(money_facts.c.label))).scalars().all()
    await engine.dispose()
    assert customers == [NAME]
    assert labels == [f"internal_unit:{PARTY}"]
