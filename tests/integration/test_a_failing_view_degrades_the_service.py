"""A view that cannot follow its log does not take its service down with it.

Found on PostgreSQL: one complaint whose customer key ran past its column stopped intake's
complaint index for good, with nothing but a log line to show for it; and since a service
catches its views up before it serves, restarting intake then failed outright. Now the
service starts and takes complaints all the same, `/ready` says `degraded` naming the view
and why, `/metrics` shows `complaints_view_failing` 1 and the view's lag, and once the page
can be projected the view catches up and the service is `ready` again.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.intake import read_models
from services.intake.main import create_app
from shared.platform.settings import Settings
from tests.integration.test_intake_api import complaint
from tests.support.auth import bearer
from tests.support.waiting import wait_until

FAILURE = "value too long for type character varying(300)"


def test_the_desk_keeps_taking_complaints_while_its_index_cannot_follow(tmp_path, monkeypatch):
    broken = True
    projected = read_models.project

    async def project(conn, events):
        if broken:
            raise RuntimeError(FAILURE)
        await projected(conn, events)

    monkeypatch.setattr(read_models, "project", project)
    settings = Settings(
        service="intake", data_dir=tmp_path, consumers_enabled=False, poll_interval_seconds=0.02
    )

    with TestClient(create_app(settings), headers=bearer("clerk")) as desk:
        assert desk.post("/complaints", json=complaint()).status_code == 201
        ready = wait_until(
            lambda: (r := desk.get("/ready").json())["status"] == "degraded" and r,
            timeout=10,
            what="degraded",
        )
        assert list(ready["views_failing"].values()) == [f"RuntimeError: {FAILURE}"]
        metrics = desk.get("/metrics").text
        assert 'complaints_view_failing{view="intake#log"} 1.0' in metrics
        assert 'complaints_view_lag{view="intake#log"} 0.0' not in metrics

    with TestClient(create_app(settings), headers=bearer("clerk")) as desk:  # a restart
        assert desk.post("/complaints", json=complaint()).status_code == 201
        assert desk.get("/complaints").json()["items"] == [], "the index is still behind"
        broken = False
        wait_until(lambda: len(desk.get("/complaints").json()["items"]) == 2, 10, "caught up")
        wait_until(lambda: desk.get("/ready").json()["status"] == "ready", 10, "ready again")
        metrics = desk.get("/metrics").text
        assert 'complaints_view_failing{view="intake#log"} 0.0' in metrics
        assert 'complaints_view_lag{view="intake#log"} 0.0' in metrics
