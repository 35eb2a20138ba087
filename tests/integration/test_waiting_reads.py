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

from services.intake.commands import Acknowledge
from services.intake.main import create_app as intake_service
from shared.kernel.case_number import CaseNumber
from shared.platform.settings import Settings
from tests.support.auth import bearer
from tests.support.builders import clerk_meta, registration

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
        desk, f"/complaints/{number}", Prefer="wait=10", **{"If-None-Match": first.headers["ETag"]}
    )

    assert answer.status_code == 200
    assert answer.headers["ETag"] != first.headers["ETag"]
    assert answer.headers["Preference-Applied"] == "wait=10"
    assert answer.json()["acknowledged_at"] is not None
    assert 0.25 < took < 3


def test_a_complaint_not_registered_yet_is_answered_once_it_is(desk):
    intake = desk.app.state.runtime.app
    number = CaseNumber.parse(intake.register(registration(), clerk_meta()).complaint.number)
    following = str(dataclasses.replace(number, serial=number.serial + 1))
    later(0.3, lambda: intake.register(registration(), clerk_meta()))

    answer, took = timed_get(desk, f"/complaints/{following}", Prefer="wait=10")

    assert answer.status_code == 200
    assert answer.json()["number"] == following
    assert took < 3


def test_nothing_happening_gives_the_usual_answers_when_the_wait_ends(desk):
    intake = desk.app.state.runtime.app
    number = intake.register(registration(), clerk_meta()).complaint.number
    tag = desk.get(f"/complaints/{number}").headers["ETag"]

    unchanged, took = timed_get(
        desk, f"/complaints/{number}", Prefer="wait=1", **{"If-None-Match": tag}
    )
    assert (unchanged.status_code, unchanged.headers["ETag"]) == (304, tag)
    assert 1 <= took < 3

    absent, took = timed_get(desk, "/complaints/2001-9999", Prefer="wait=1")
    assert absent.status_code == 404
    assert 1 <= took < 3


def test_without_prefer_or_with_one_it_cannot_read_the_answer_is_immediate(desk):
    intake = desk.app.state.runtime.app
    number = intake.register(registration(), clerk_meta()).complaint.number
    for prefer in ({}, {"Prefer": "respond-async"}, {"Prefer": "wait=soon"}):
        answer, took = timed_get(desk, f"/complaints/{number}", **prefer)
        assert answer.status_code == 200
        assert "Preference-Applied" not in answer.headers
        assert took < 1
