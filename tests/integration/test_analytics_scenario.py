"""Three months of complaints, and figures management can trust.

240 cases from August to October are projected from their events; every figure of each
month's report is computed again here, independently, from the scenario's own specs. Then
the read models are dropped and rebuilt, the events are delivered in another order across
producers, and the report is asked as known at a past time: the figures hold every time.
"""

import math
from collections import Counter, defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.analytics import queries, versions
from services.analytics.domain import reports
from services.analytics.projection import ProjectionHandler, create_tables
from services.analytics.read_models import case_facts, money_facts
from services.analytics.rebuild import rebuild
from shared.contracts.envelope import IntegrationEvent
from shared.platform.settings import Settings
from shared.platform.sqlviews import create_engine
from tests.support.analytics_scenario import envelopes, scenario

pytestmark = pytest.mark.integration

ZONE = ZoneInfo("Asia/Shanghai")
MONTHS = ["2026-08", "2026-09", "2026-10"]
SPECS = scenario()
ENVELOPES = envelopes(SPECS)


async def project(tmp_path, name, ordered, page=1):
    """Each producer's consecutive events in pages of up to `page`, as a consumer gets them."""
    engine = create_engine(
        Settings(service="analytics", data_dir=tmp_path).storage, f"{name}.sqlite"
    )
    await create_tables(engine)
    handler = ProjectionHandler(engine, "Asia/Shanghai")
    for producer, run in groupby(ordered, key=lambda e: e["producer"]):
        events = [IntegrationEvent.model_validate(e) for e in run]
        for start in range(0, len(events), page):
            await handler.handle_page(events[start : start + page], f"{producer}#feed")
    return engine


@pytest.fixture(scope="module")
async def projected(tmp_path_factory):
    engine = await project(tmp_path_factory.mktemp("scenario"), "live", ENVELOPES)
    yield engine
    await engine.dispose()


def month(moment: datetime | None) -> str | None:
    return moment.astimezone(ZONE).strftime("%Y-%m") if moment else None


def rate(part, whole):
    if not whole:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def stats(values):
    if not values:
        return {"mean": None, "p90": None, "count": 0}
    ordered = sorted(values)
    two = Decimal("0.01")
    return {
        "mean": str((sum(ordered) / len(ordered)).quantize(two, ROUND_HALF_UP)),
        "p90": str(ordered[math.ceil(0.9 * len(ordered)) - 1].quantize(two, ROUND_HALF_UP)),
        "count": len(ordered),
    }


def hours(delta):
    return Decimal(delta.total_seconds()) / 3600


def expected(m: str) -> dict:
    """The month's figures, straight from the specs (not through analytics' code)."""
    end = reports.month_bounds(m, ZONE)[1]
    received = [s for s in SPECS if month(s.received_at) == m]
    closed = [s for s in SPECS if month(s.closed_at) == m]
    judged = [s for s in received if s.valid is not None]
    steps = defaultdict(list)
    for s in SPECS:
        for clock, at, met in s.steps:
            if month(at) == m:
                steps[clock].append(met)
    money = defaultdict(lambda: defaultdict(Decimal))
    for s in SPECS:
        for measure, currency, amount, at, label in s.money:
            if month(at) == m:
                key = f"cost:{label}" if measure == "cost_item" else measure
                money[key][currency] += amount
        for currency, party, amount, _, at in s.shares:
            if month(at) == m:
                money[f"party:{party}"][currency] += amount
    product_inspected, product_defective = Counter(), Counter()
    for s in received:
        product_inspected[s.product] += s.inspected
        product_defective[s.product] += s.defective
    customers = Counter(s.customer for s in received)
    satisfied = [s.satisfaction for s in closed if s.satisfaction]
    return {
        "received": len(received),
        "closed": len(closed),
        "open_at_month_end": sum(
            1 for s in SPECS if s.received_at < end and not (s.closed_at and s.closed_at < end)
        ),
        "valid_rate": rate(sum(1 for s in judged if s.valid), len(judged)),
        "by_channel": dict(sorted(Counter(s.channel for s in received).items())),
        "by_unit": dict(sorted(Counter(s.unit for s in received).items())),
        "by_region": dict(sorted(Counter(s.region for s in received).items())),
        "by_cause": dict(sorted(Counter(s.cause or "unspecified" for s in received).items())),
        "on_time_rate": {
            c: {"on_time": sum(v), "total": len(v), "rate": rate(sum(v), len(v))}
            for c, v in sorted(steps.items())
        },
        "hours_to_acknowledge": stats(
            [hours(s.ack_at - s.received_at) for s in received if s.ack_at]
        ),
        "hours_to_close": stats([hours(s.closed_at - s.received_at) for s in closed]),
        "reopen_rate": rate(sum(1 for s in closed if s.reopened), len(closed)),
        "mean_satisfaction": (
            str((Decimal(sum(satisfied)) / len(satisfied)).quantize(Decimal("0.01"), ROUND_HALF_UP))
            if satisfied
            else None
        ),
        "refunds": {
            c: str(v.quantize(Decimal("0.01"))) for c, v in sorted(money["refund"].items())
        },
        "allowances": {
            c: str(v.quantize(Decimal("0.01"))) for c, v in sorted(money["allowance"].items())
        },
        "compensation": {
            c: str(v.quantize(Decimal("0.01"))) for c, v in sorted(money["compensation"].items())
        },
        "costs_by_item": (
            {"CNY": {"return_freight": str(money["cost:return_freight"]["CNY"])}}
            if money["cost:return_freight"]
            else {}
        ),
        "cost_parties": {
            p.removeprefix("party:"): str(v["CNY"])
            for p, v in money.items()
            if p.startswith("party:")
        },
        "defect_rate_by_product": {
            p: {
                "inspected": product_inspected[p],
                "defective": product_defective[p],
                "rate": rate(product_defective[p], product_inspected[p]),
            }
            for p in sorted(product_inspected)
        },
        "repeat_customers": {c: n for c, n in sorted(customers.items()) if n > 1},
    }


def test_the_scenario_is_big_enough_to_mean_something():
    assert len(SPECS) >= 200
    assert {month(s.received_at) for s in SPECS} == set(MONTHS)
    assert (
        sum(
            1 for s in SPECS if s.received_at.astimezone(ZONE).day == 1 and s.received_at.month == 9
        )
        > 0
    )  # received on 30 Sep UTC, 1 Oct local


@pytest.mark.parametrize("m", MONTHS)
async def test_every_figure_of_the_month_matches_the_independent_count(projected, m):
    report = await versions.compute_month(projected, m, ZONE)
    want = expected(m)
    for key in (
        "received",
        "closed",
        "open_at_month_end",
        "valid_rate",
        "by_channel",
        "by_unit",
        "by_region",
        "by_cause",
        "on_time_rate",
        "hours_to_acknowledge",
        "hours_to_close",
        "reopen_rate",
        "mean_satisfaction",
        "refunds",
        "allowances",
        "compensation",
        "costs_by_item",
        "defect_rate_by_product",
    ):
        assert report[key] == want[key], key
    parties = {
        party: figures["amount"]
        for party, figures in report["costs_by_party"].get("CNY", {}).items()
    }
    assert parties == want["cost_parties"]
    assert report["repeat_customers"]["customers"] == want["repeat_customers"]


async def snapshot(engine):
    async with engine.connect() as conn:
        facts = sorted(tuple(r) for r in (await conn.execute(select(case_facts))).all())
        money = sorted(tuple(r) for r in (await conn.execute(select(money_facts))).all())
    figures = [await versions.compute_month(engine, m, ZONE) for m in MONTHS]
    return facts, money, figures


async def test_dropping_and_rebuilding_the_read_models_gives_the_same_figures(projected):
    before = await snapshot(projected)
    result = await rebuild(projected, ZONE)
    assert result["cases"] == len(SPECS)
    assert await snapshot(projected) == before


async def test_events_arriving_in_another_order_across_producers_give_the_same_figures(
    projected, tmp_path
):
    # Settlement's and routing's events all arrive before intake's (each producer in order),
    # in pages of 37 where the live projection took them one by one.
    order = {"settlement": 0, "routing": 1, "intake": 2}
    reordered = sorted(ENVELOPES, key=lambda e: (order[e["producer"]], e["position"]))
    other = await project(tmp_path, "reordered", reordered, page=37)
    try:
        assert await snapshot(other) == await snapshot(projected)
    finally:
        await other.dispose()


async def test_a_report_as_known_at_a_past_time_counts_only_what_was_known(projected, tmp_path):
    cut = datetime(2026, 9, 20, tzinfo=ZONE)
    known = [e for e in ENVELOPES if datetime.fromisoformat(e["recorded_at"]) <= cut]
    past = await project(tmp_path, "past", known)
    try:
        for m in ("2026-08", "2026-09"):
            facts, money = await queries.as_of(projected, cut, ZONE)
            as_of = reports.monthly(facts, money, m, ZONE)
            assert as_of == await versions.compute_month(past, m, ZONE)
        assert as_of["received"] == sum(
            1 for s in SPECS if month(s.received_at) == "2026-09" and s.received_at <= cut
        )
    finally:
        await past.dispose()
