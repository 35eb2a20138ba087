"""Stores replay to exactly the state they were left in, and old events still replay.

Replay determinism: cases told end to end through every service on SQLite stores; every
aggregate as the application held it in memory when it saved it must equal the aggregate a
fresh application rebuilds from the stored events. Schema evolution: an approval stored by
the code before tokens (RemedyApproved version 1, no chain link) replays, upcast.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.domain import Aggregate

from services.analytics.application import AnalyticsApplication
from services.intake.application import IntakeApplication
from services.routing.application import RoutingApplication
from services.routing.commands import Approve
from services.settlement.application import SettlementApplication
from shared.kernel import clock
from shared.kernel.clock import ManualClock
from shared.platform.eventstore import persistence_env
from shared.platform.settings import Settings
from tests.support.lifecycle_story import lifecycle
from tests.support.routing_story import AUTHORITY, MANAGER, investigated, proposed, registered_event
from tests.support.timing import business_clock

pytestmark = pytest.mark.integration
STORIES = 10


def build(folder):
    def settings(service):
        return Settings(service=service, data_dir=folder)

    return (
        IntakeApplication(persistence_env(settings("intake")), "Asia/Shanghai"),
        RoutingApplication(persistence_env(settings("routing"))),
        SettlementApplication(persistence_env(settings("settlement"))),
        AnalyticsApplication(persistence_env(settings("analytics"))),
    )


def remembering(app, live: dict):
    """Keep a copy of each aggregate exactly as the application held it when saving it."""
    save = app.save

    def save_and_remember(*objects, **kwargs):
        for item in objects:
            if isinstance(item, Aggregate):
                live[(app.name, item.id)] = copy.deepcopy(item)
        return save(*objects, **kwargs)

    app.save = save_and_remember


def state(aggregate) -> dict:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def test_every_aggregate_rebuilt_from_its_events_equals_the_live_one(tmp_path):
    machine = ManualClock(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    clock.install_clock(machine)
    try:
        apps = build(tmp_path)
        live: dict = {}
        for app in apps:
            remembering(app, live)
        seen: set = set()
        numbers = []
        for _ in range(STORIES):
            numbers += lifecycle(*apps, machine, seen)
            machine.advance(timedelta(days=3))
        for app in apps:
            app.close()
        fresh = {app.name: app for app in build(tmp_path)}
        for (name, aggregate_id), held in live.items():
            rebuilt = fresh[name].repository.get(aggregate_id)
            assert state(rebuilt) == state(held), (name, type(held).__name__)
        assert len(set(numbers)) == 2 * STORIES
        assert len(live) > 8 * STORIES
    finally:
        clock.install_clock(business_clock())


def test_an_approval_stored_before_tokens_replays_as_unverified(tmp_path):
    routing = RoutingApplication(persistence_env(Settings(service="routing", data_dir=tmp_path)))
    event = registered_event()
    routing.save(*routing.policy(event))
    number = event.case_number
    investigated(routing, number)
    proposed(routing, number)
    routing.change(
        Approve(number, approver_id="mgr-li", approver_level="manager", authority=AUTHORITY),
        MANAGER,
    )
    routing.close()

    # Rewrite the stored approval as the version-1 code stored it: no authority_verified,
    # no approval number or cumulative total (version 3), no class_version, and (before the
    # audit chain) no link.
    db = sqlite3.connect(tmp_path / "routing.sqlite")
    [(rowid, raw)] = db.execute(
        "SELECT rowid, state FROM stored_events WHERE topic LIKE '%RemedyApproved'"
    ).fetchall()
    old = json.loads(raw)
    for newer in (
        "authority_verified",
        "approval_no",
        "cumulative_total",
        "class_version",
        "_chain",
    ):
        old.pop(newer)
    db.execute(
        "UPDATE stored_events SET state = ? WHERE rowid = ?",
        (json.dumps(old, separators=(",", ":")).encode(), rowid),
    )
    db.commit()

    reopened = RoutingApplication(persistence_env(Settings(service="routing", data_dir=tmp_path)))
    case = reopened.case(number)
    assert case.status == "approved"
    assert case.approval == {
        "approver_id": "mgr-li",
        "level": "manager",
        "authority_verified": False,
        "approval_no": 1,
    }
    assert case.approved_total == case.total
