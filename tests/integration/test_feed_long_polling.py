"""A caught-up consumer's feed request waits for news, and gets it as soon as it is recorded.

Instead of asking every poll interval, a consumer asks with `wait`: the feed answers at once
when this process records a transaction, at its next look at the log's head (every second)
when another process (a second replica, a CLI command) wrote to the same store, and with an
empty page when the wait ends.
A consumer naming the `types` it reacts to is sent, and woken by, only those.
"""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from services.intake.application import IntakeApplication
from services.intake.main import create_app as intake_service
from shared.platform.eventstore import persistence_env
from shared.platform.pg_wakeups import PostgresWakeups
from shared.platform.settings import Settings
from tests.conftest import settings_from
from tests.support.auth import bearer
from tests.support.builders import clerk_meta, registration
from tests.support.waiting import ANSWERED_BEFORE_THE_WAIT_ENDS

pytestmark = pytest.mark.integration


@pytest.fixture
def feed(tmp_path):
    settings = Settings(service="intake", data_dir=tmp_path / "data", consumers_enabled=False)
    with TestClient(intake_service(settings), headers=bearer("service")) as client:
        client.settings = settings
        yield client


def head_of(feed) -> int:
    return feed.get("/events", params={"after": 0, "limit": 1000}).json()["head"]


def timed_get(feed, **params):
    started = time.monotonic()
    page = feed.get("/events", params=params)
    assert page.status_code == 200, page.text
    return page.json(), time.monotonic() - started


def test_a_registration_recorded_while_the_consumer_waits_is_answered_at_once(feed):
    intake = feed.app.state.runtime.app
    after = head_of(feed)
    threading.Timer(0.3, lambda: intake.register(registration(), clerk_meta())).start()

    page, took = timed_get(feed, after=after, wait=20)

    assert [e["type"] for e in page["events"]] == ["intake.ComplaintRegistered"]
    assert 0.25 < took < ANSWERED_BEFORE_THE_WAIT_ENDS


def test_another_process_writing_the_same_store_is_seen_at_the_next_look_at_the_head(feed):
    other = IntakeApplication(persistence_env(feed.settings), "Asia/Shanghai")  # not watched
    after = head_of(feed)
    threading.Timer(0.3, lambda: other.register(registration(), clerk_meta())).start()

    page, took = timed_get(feed, after=after, wait=20)

    assert [e["type"] for e in page["events"]] == ["intake.ComplaintRegistered"]
    assert took < ANSWERED_BEFORE_THE_WAIT_ENDS


def test_with_nothing_new_the_answer_is_empty_when_the_wait_ends(feed):
    after = head_of(feed)
    page, took = timed_get(feed, after=after, wait=1)
    assert (page["events"], page["next_after"]) == ([], after)
    assert 1 <= took < ANSWERED_BEFORE_THE_WAIT_ENDS


def test_a_server_stopping_answers_its_waiting_followers_at_once_with_an_empty_page(feed):
    """Stopped (a signal, a rolling restart), the server answers the followers it holds
    rather than keep its graceful shutdown waiting for their whole wait; they ask again."""
    after = head_of(feed)
    threading.Timer(0.3, feed.app.state.runtime.stopping).start()

    page, took = timed_get(feed, after=after, wait=20)

    assert (page["events"], page["next_after"]) == ([], after)
    assert 0.25 < took < ANSWERED_BEFORE_THE_WAIT_ENDS


def test_a_wait_beyond_the_longest_is_refused_naming_the_field(feed):
    answer = feed.get("/events", params={"after": 0, "wait": 26})
    assert answer.status_code == 422
    assert "wait" in answer.text


def test_a_follower_is_sent_only_the_types_it_asks_for_and_moves_past_the_rest(feed):
    intake = feed.app.state.runtime.app
    after = head_of(feed)
    for _ in range(2):
        intake.register(registration(), clerk_meta())

    others = feed.get("/events", params={"after": after, "types": "intake.ComplaintAcknowledged"})
    wanted = feed.get("/events", params={"after": after, "types": "intake.ComplaintRegistered"})

    assert others.json()["events"] == []
    assert others.json()["next_after"] == head_of(feed) > after
    assert [e["type"] for e in wanted.json()["events"]] == ["intake.ComplaintRegistered"] * 2


def test_a_waiting_follower_is_not_woken_by_types_it_did_not_ask_for(feed):
    intake = feed.app.state.runtime.app
    after = head_of(feed)
    threading.Timer(0.3, lambda: intake.register(registration(), clerk_meta())).start()

    page, took = timed_get(feed, after=after, wait=2, types="intake.ComplaintAcknowledged")

    assert page["events"] == []
    assert page["next_after"] > after  # the registration is passed, not sent again
    assert took >= 1.9


def test_a_type_this_service_does_not_publish_is_refused_naming_the_field(feed):
    answer = feed.get("/events", params={"types": ["intake.ComplaintRegistered", "routing.Nope"]})
    assert answer.status_code == 422
    assert "types" in answer.text
    assert "routing.Nope" in answer.text


def test_on_postgresql_an_insert_by_another_process_wakes_this_ones_followers(
    postgres, pg_prefix, tmp_path
):
    """The library NOTIFYs at every insert; one listening thread turns that into a wake-up,
    so a relay in a worker process hears of the API process's registrations at once."""
    env = {
        "COMPLAINTS_STORE": "postgres",
        "COMPLAINTS_POSTGRES_URL": postgres.url,
        "COMPLAINTS_DATABASE_PREFIX": pg_prefix,
        "COMPLAINTS_DATA_DIR": str(tmp_path / "data"),
    }
    settings = settings_from(env, "intake")
    worker = IntakeApplication(persistence_env(settings), "Asia/Shanghai")
    api = IntakeApplication(persistence_env(settings), "Asia/Shanghai")
    wakeups = PostgresWakeups.of(worker)
    assert wakeups is not None
    wakeups.start()
    try:
        assert wakeups.listening.wait(timeout=10)
        before = worker.watch.generation
        api.register(registration(), clerk_meta())
        deadline = time.monotonic() + 2
        while worker.watch.generation == before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.watch.generation > before
    finally:
        wakeups.stop()
        worker.close()
        api.close()
