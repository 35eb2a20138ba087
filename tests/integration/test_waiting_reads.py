"""A front end waiting for a case's next step asks once, and is answered when it happens.

`GET` of a complaint, a routing case or a settlement takes `Prefer: wait=N` (RFC 7240):
with `If-None-Match`, the answer waits until the case changes from that version; for a case
not there yet, until it exists; either way at most N seconds, then the usual 304 or 404.
Who may read is checked on the case as it stands when answered.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from fastapi.testclient import TestClient

from services.intake.application import IntakeApplication
from services.intake.commands import Acknowledge
from services.intake.main import create_app as intake_service
from shared.kernel.case_number import CaseNumber
from shared.platform import http
from shared.platform.eventstore import persistence_env
from shared.platform.settings import Settings
from tests.conftest import settings_from
from tests.support.auth import bearer
from tests.support.builders import clerk_meta, registration
from tests.support.waiting import ANSWERED_BEFORE_THE_WAIT_ENDS

pytestmark = pytest.mark.integration


@pytest.fixture
def desk(tmp_path):
    settings = Settings(service="intake", data_dir=tmp_path / "data", consumers_enabled=False)
    with TestClient(intake_service(settings), headers=bearer("clerk")) as client:
        yield client


def later(seconds, action):
    threading.Timer(seconds, action).start()


def timed_get(client, path, **headers):
    started = time.monotonic()
    answer = client.get(path, headers=headers)
    return answer, time.monotonic() - started


def test_a_clerk_waiting_on_a_complaint_is_answered_when_it_is_acknowledged(desk):
    intake = desk.app.state.runtime.app
    number = intake.register(registration(), clerk_meta()).complaint.number
    first = desk.get(f"/complaints/{number}")
    later(0.3, lambda: intake.change(Acknowledge(number, reply="On it."), clerk_meta()))

    answer, took = timed_get(
        desk, f"/complaints/{number}", Prefer="wait=20", **{"If-None-Match": first.headers["ETag"]}
    )

    assert answer.status_code == 200
    assert answer.headers["ETag"] != first.headers["ETag"]
    assert answer.headers["Preference-Applied"] == "wait=20"
    assert answer.json()["acknowledged_at"] is not None
    assert 0.25 < took < ANSWERED_BEFORE_THE_WAIT_ENDS


def test_a_complaint_not_registered_yet_is_answered_once_it_is(desk):
    intake = desk.app.state.runtime.app
    number = CaseNumber.parse(intake.register(registration(), clerk_meta()).complaint.number)
    following = str(dataclasses.replace(number, serial=number.serial + 1))
    later(0.3, lambda: intake.register(registration(), clerk_meta()))

    answer, took = timed_get(desk, f"/complaints/{following}", Prefer="wait=20")

    assert answer.status_code == 200
    assert answer.json()["number"] == following
    assert took < ANSWERED_BEFORE_THE_WAIT_ENDS


def test_nothing_happening_gives_the_usual_answers_when_the_wait_ends(desk):
    intake = desk.app.state.runtime.app
    number = intake.register(registration(), clerk_meta()).complaint.number
    tag = desk.get(f"/complaints/{number}").headers["ETag"]

    unchanged, took = timed_get(
        desk, f"/complaints/{number}", Prefer="wait=1", **{"If-None-Match": tag}
    )
    assert (unchanged.status_code, unchanged.headers["ETag"]) == (304, tag)
    assert 1 <= took < ANSWERED_BEFORE_THE_WAIT_ENDS

    absent, took = timed_get(desk, "/complaints/2001-9999", Prefer="wait=1")
    assert absent.status_code == 404
    assert 1 <= took < ANSWERED_BEFORE_THE_WAIT_ENDS


def test_without_prefer_or_with_one_it_cannot_read_the_answer_is_immediate(desk):
    """Unchanged since the clerk's version, the case is answered 304 at once, as any
    conditional GET, rather than held for the longest wait."""
    intake = desk.app.state.runtime.app
    number = intake.register(registration(), clerk_meta()).complaint.number
    tag = desk.get(f"/complaints/{number}").headers["ETag"]
    for prefer in ({}, {"Prefer": "respond-async"}, {"Prefer": "wait=soon"}):
        answer, took = timed_get(desk, f"/complaints/{number}", **prefer, **{"If-None-Match": tag})
        assert answer.status_code == 304
        assert "Preference-Applied" not in answer.headers
        assert took < ANSWERED_BEFORE_THE_WAIT_ENDS


def test_a_server_stopping_answers_the_waiting_clerk_at_once_with_the_case_as_it_is(desk):
    """A rolling restart stops the server holding the clerk's wait: the answer is the usual
    304 now, to ask again of the next server, not a shutdown held for the whole wait."""
    intake = desk.app.state.runtime.app
    number = intake.register(registration(), clerk_meta()).complaint.number
    first = desk.get(f"/complaints/{number}")
    later(0.3, desk.app.state.runtime.stopping)

    answer, took = timed_get(
        desk, f"/complaints/{number}", Prefer="wait=20", **{"If-None-Match": first.headers["ETag"]}
    )

    assert answer.status_code == 304
    assert 0.25 < took < ANSWERED_BEFORE_THE_WAIT_ENDS


def test_on_postgresql_an_api_replica_answers_its_waiting_clerk_when_a_worker_moves_the_case(
    postgres, pg_prefix, tmp_path, monkeypatch
):
    """Scaled out, the replica holding the clerk's wait is not the process that records the
    change: the worker acknowledges (as it does when routing assigns the case). Its insert
    wakes the replica, which reads which case moved and answers the clerk then, not at its
    next look at the log's head (made too late to matter here)."""
    monkeypatch.setattr(http, "RECHECK_SECONDS", 60)
    env = {
        "COMPLAINTS_STORE": "postgres",
        "COMPLAINTS_POSTGRES_URL": postgres.url,
        "COMPLAINTS_DATABASE_PREFIX": pg_prefix,
        "COMPLAINTS_DATA_DIR": str(tmp_path / "data"),
    }
    settings = settings_from(env, "intake", consumers_enabled=False)
    worker = IntakeApplication(persistence_env(settings), "Asia/Shanghai")
    try:
        with TestClient(intake_service(settings), headers=bearer("clerk")) as replica:
            assert replica.app.state.runtime.wakeups.listening.wait(timeout=10)
            number = worker.register(registration(), clerk_meta()).complaint.number
            first = replica.get(f"/complaints/{number}")
            later(0.3, lambda: worker.change(Acknowledge(number, reply="On it."), clerk_meta()))

            answer, took = timed_get(
                replica,
                f"/complaints/{number}",
                Prefer="wait=30",
                **{"If-None-Match": first.headers["ETag"]},
            )
    finally:
        worker.close()

    assert answer.status_code == 200
    assert answer.json()["acknowledged_at"] is not None
    assert 0.25 < took < ANSWERED_BEFORE_THE_WAIT_ENDS
