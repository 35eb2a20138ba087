"""An admin manages webhook subscriptions over HTTP; the secret is shown once, a retried
creation gets its first answer back, and bad input is refused naming the field."""

import pytest
from fastapi.testclient import TestClient

from services.intake.contracts import to_integration as intake_contract
from tests.support.auth import bearer
from tests.support.builders import clerk_meta, intake_app, registration, service_app
from tests.support.lifecycle_story import outbox
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

ERP = {
    "url": "https://erp.example.com/hooks",
    "event_types": ["settlement.*"],
    "description": "ERP",
}


@pytest.fixture
def api(tmp_path):
    with TestClient(service_app("notifications", tmp_path), headers=bearer("admin")) as client:
        yield client


def test_a_subscription_is_created_once_shown_its_secret_once_paused_and_deleted(api):
    key = {"Idempotency-Key": "create-erp-1"}
    created = api.post("/webhooks", json=ERP, headers=key)
    assert created.status_code == 201, created.text
    again = api.post("/webhooks", json=ERP, headers=key)
    assert again.json() == created.json(), "a retry gets its first answer back"
    assert again.headers["idempotent-replayed"] == "true"
    subscription = created.json()
    assert subscription["secret"].startswith("whsec_")

    listed = api.get("/webhooks", headers=bearer("auditor")).json()
    assert [s["id"] for s in listed["items"]] == [subscription["id"]]
    assert "secret" not in listed["items"][0]
    path = f"/webhooks/{subscription['id']}"
    assert api.post(f"{path}/pause").json()["status"] == "paused"
    assert api.post(f"{path}/resume").json()["status"] == "active"
    assert api.get(f"{path}/deliveries").json() == {"items": [], "next_cursor": None}
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


def test_a_deleted_subscriptions_log_stays_readable_and_an_unknown_one_is_not_found(api):
    subscription = api.post("/webhooks", json={**ERP, "event_types": ["intake.*"]}).json()
    log = f"/webhooks/{subscription['id']}/deliveries"
    intake = intake_app()
    intake.register(registration(), clerk_meta())
    [registered] = outbox(intake, "intake", intake_contract)
    api.portal.call(api.app.state.runtime.handler.handle, registered, "intake#feed")
    wait_until(lambda: api.get(log).json()["items"], 10, "the delivery logged")

    assert api.delete(f"/webhooks/{subscription['id']}").status_code == 204
    assert [d["case_number"] for d in api.get(log).json()["items"]] == [registered.case_number]
    assert api.get("/webhooks/never-subscribed/deliveries").status_code == 404


def test_subscriptions_are_listed_a_page_at_a_time(api):
    for n in range(3):
        assert api.post("/webhooks", json={**ERP, "description": f"erp {n}"}).is_success
    first = api.get("/webhooks", params={"limit": 2}).json()
    rest = api.get("/webhooks", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://erp.example.com/"}, "url"),
        ({"url": "https://user:pw@erp.example.com/"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"event_types": ["settlement.NoSuchThing"]}, "event_types.0"),
        ({"event_types": []}, "event_types"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_bad_subscriptions_are_refused_naming_the_field(api, change, field):
    answer = api.post("/webhooks", json={**ERP, **change})
    assert answer.status_code == 422
    assert field in {e["field"] for e in answer.json()["errors"]}


def test_an_unknown_delivery_is_not_found_and_others_may_not_subscribe(api):
    assert api.get("/deliveries/not-a-uuid").status_code == 404
    assert (
        api.post("/deliveries/00000000-0000-0000-0000-000000000000/redelivery").status_code == 404
    )
    assert api.post("/webhooks", json=ERP, headers=bearer("auditor")).status_code == 403


def test_a_signing_secret_is_rotated_with_an_overlap_and_shown_once(api):
    subscription = api.post("/webhooks", json=ERP).json()
    path = f"/webhooks/{subscription['id']}/secret-rotation"

    key = {"Idempotency-Key": "rotate-erp-1"}
    rotated = api.post(path, headers=key)  # no body: the default overlap of 24 hours
    assert rotated.status_code == 200, rotated.text
    assert api.post(path, headers=key).json() == rotated.json(), "a retry: the first answer"
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != subscription["secret"]
    assert rotated.json()["previous_secret_until"] is not None
    read = api.get(f"/webhooks/{subscription['id']}").json()
    assert "secret" not in read
    assert read["previous_secret_until"] == rotated.json()["previous_secret_until"]

    at_once = api.post(path, json={"overlap_hours": 0}).json()  # a leaked secret
    assert at_once["secret"] != rotated.json()["secret"]
    assert at_once["previous_secret_until"] < rotated.json()["previous_secret_until"]
    assert api.post(path, json={"overlap_hours": 169}).status_code == 422
    assert api.post(path, headers=bearer("auditor")).status_code == 403
    assert api.post("/webhooks/no-such/secret-rotation").status_code == 404


def test_a_subscription_changes_its_url_and_event_types_and_keeps_its_secret_and_log(api):
    subscription = api.post("/webhooks", json=ERP).json()
    path = f"/webhooks/{subscription['id']}"

    changed = api.patch(path, json={"event_types": ["settlement.*", "routing.CaseClosed"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["settlement.*", "routing.CaseClosed"]
    assert changed.json()["url"] == ERP["url"], "what is left out stays"
    moved = api.patch(path, json={"url": "https://erp2.example.com/hooks"}).json()
    assert (moved["url"], moved["id"]) == ("https://erp2.example.com/hooks", subscription["id"])
    assert api.patch(path, json={}).json() == moved, "nothing given, nothing changed"


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url", "refused_network"),
        ({"url": "ftp://erp.example.com/"}, "url", "http_url"),
        ({"event_types": []}, "event_types", "too_short"),
        ({"event_types": ["routing.NoSuchThing"]}, "event_types.0", "unknown_event_type"),
        ({"secret": "mine"}, "secret", "extra_forbidden"),
    ],
)
def test_a_bad_change_is_refused_naming_the_field_and_the_rule(api, change, field, rule):
    path = f"/webhooks/{api.post('/webhooks', json=ERP).json()['id']}"
    answer = api.patch(path, json=change)
    assert answer.status_code == 422
    assert (field, rule) in {(e["field"], e["rule"]) for e in answer.json()["errors"]}
    assert api.patch("/webhooks/no-such", json={"description": "x"}).status_code == 404
    assert api.patch(path, json={"description": "x"}, headers=bearer("auditor")).status_code == 403
