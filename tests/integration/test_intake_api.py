"""The complaint desk over HTTP, on a real SQLite store: each rule, and each refusal.

Bad input gets a 4xx naming the field and the rule; nothing is half-written.
"""

import base64
import time

import pytest
from fastapi.testclient import TestClient

from services.intake.domain.complaint import MAX_EVIDENCE_FILES
from services.intake.main import create_app
from shared.platform.settings import Settings
from tests.conftest import settings_from
from tests.support.auth import bearer
from tests.support.files import SPOOFED, png
from tests.support.routing_story import upstream
from tests.support.waiting import wait_until

PNG = png()


def complaint(**changes):
    body = {
        "channel": "phone",
        "nature": "quality",
        "received_at": "2026-11-05T02:00:00+00:00",
        "complainant": {"name": "Zhang San", "type": "key_account", "customer_id": "C-1001"},
        "subject": {
            "part_no": "PCB-7731",
            "batch": "2645",
            "quantity_inspected": 500,
            "quantity_defective": 12,
            "order_no": "SO-88",
        },
        "problem": {"what": "solder bridges on J3", "where": "customer's SMT line 2"},
        "description": "12 of 500 boards short on J3",
    }
    body.update(changes)
    return body


@pytest.fixture
def desk(tmp_path):
    settings = Settings(
        service="intake",
        data_dir=tmp_path / "data",
        evidence_dir=tmp_path / "evidence",
        consumers_enabled=False,
        poll_interval_seconds=0.02,
        evidence_max_bytes=4096,
    )
    with TestClient(create_app(settings), headers=bearer("clerk")) as client:
        yield client


def field_errors(response):
    return {(e["field"], e["rule"]) for e in response.json()["errors"]}


def indexed(desk, count, **params):
    """Wait until the complaint index shows `count` complaints (it follows the log)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        items = desk.get("/complaints", params={"limit": 100, **params}).json()["items"]
        if len(items) >= count:
            return items
        time.sleep(0.05)
    raise AssertionError(f"index did not reach {count}")


def test_a_registration_is_numbered_located_labelled_and_readable(desk):
    response = desk.post("/complaints", json=complaint())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["number"] == "2611-0001"
    assert response.headers["location"] == "/complaints/2611-0001"
    assert body["channel"] == {"code": "phone", "zh-CN": "电话/热线", "en": "Phone / hotline"}
    assert body["classification"]["severity"]["code"] == "level_2"  # key account
    assert body["acknowledge_due"] == "2026-11-06T02:00:00Z"
    assert desk.get("/complaints/2611-0001").json()["problem"]["what"] == "solder bridges on J3"


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"problem": {"where": "line 2"}}, "problem.what", "missing"),
        ({"problem": {"what": "bridges", "where": ""}}, "problem.where", "string_too_short"),
        (
            {"subject": {"quantity_inspected": 10, "quantity_defective": 11}},
            "subject.quantity_defective",
            "within_inspected",
        ),
        (
            {"subject": {"quantity_inspected": -1}},
            "subject.quantity_inspected",
            "greater_than_equal",
        ),
        ({"channel": "pigeon"}, "channel", "enum"),
        (
            {"demands": {"amount": "10.00", "currency": "XYZ"}},
            "demands.currency",
            "unknown_currency",
        ),
        ({"demands": {"amount": "10.00"}}, "demands.amount", "currency_required"),
        (
            {"subject": {"attributes": {"signal dbm": -97}}},
            "subject.attributes",
            "attribute_name",
        ),
        *(
            ({"demands": {"amount": amount, "currency": "CNY"}}, "demands.amount", rule)
            for amount, rule in [
                ("1e3", "string_pattern_mismatch"),
                ("5_000", "string_pattern_mismatch"),
                ("\u0665", "string_pattern_mismatch"),  # Arabic-Indic five
                (" 5", "string_pattern_mismatch"),
                (0.1, "string_type"),
                (True, "string_type"),
                ("-1", "at_least"),
                ("10.005", "minor_unit"),
            ]
        ),
        (
            {"complainant": {"name": "Li", "over_receipt_tolerance": "1.5"}},
            "complainant.over_receipt_tolerance",
            "at_most",
        ),
        ({"received_at": "0001-01-01T00:00:00Z"}, "received_at", "instant_range"),
        ({"received_at": "2026-11-05T02:00:00"}, "received_at", "timezone_aware"),
        ({"received_at": "2100-01-01T00:00:00+00:00"}, "received_at", "not_future"),
        ({"received_at": "2999-01-01T00:00:00+00:00"}, "received_at", "instant_range"),
        ({"colour": "red"}, "colour", "extra_forbidden"),
    ],
)
def test_bad_input_names_the_field_and_the_rule_and_records_nothing(desk, changes, field, rule):
    response = desk.post("/complaints", json=complaint(**changes))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (field, rule) in field_errors(response)
    assert desk.get("/events", headers=bearer("auditor")).json()["events"] == []


def test_an_amount_claimed_is_kept_at_its_currency_minor_unit_however_typed(desk):
    response = desk.post(
        "/complaints", json=complaint(demands={"amount": "012.5", "currency": "CNY"})
    )
    assert response.status_code == 201, response.text
    assert response.json()["demands"]["amount"] == "12.50"


def test_case_numbers_malformed_are_422_and_unknown_are_404(desk):
    assert desk.get("/complaints/26-1").status_code == 422
    assert desk.get("/complaints/2611-0099").status_code == 404


def test_an_oversize_body_is_refused_with_413(desk):
    response = desk.post("/complaints", json=complaint(description="x" * 1_100_000))
    assert response.status_code == 413


def test_a_retried_post_with_the_same_key_returns_the_first_result(desk):
    first = desk.post("/complaints", json=complaint(), headers={"Idempotency-Key": "k-1"})
    again = desk.post("/complaints", json=complaint(), headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201
    assert again.json()["number"] == first.json()["number"]
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"]
    other = desk.post(
        "/complaints", json=complaint(description="changed"), headers={"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 409
    assert ("Idempotency-Key", "same_key_same_request") in field_errors(other)
    assert len(indexed(desk, 1)) == 1


def test_state_transitions_out_of_turn_are_409(desk):
    number = desk.post("/complaints", json=complaint()).json()["number"]
    judged = desk.post(
        f"/complaints/{number}/judgement",
        json={"valid": True, "reason": "defect confirmed"},
    )
    assert judged.json()["status"] == "in_handling"
    again = desk.post(
        f"/complaints/{number}/judgement",
        json={"valid": False, "reason": "x", "reply": "y"},
    )
    assert again.status_code == 409
    early = desk.post(f"/complaints/{number}/confirmation", json={"satisfaction": 5})
    assert early.status_code == 409
    assert "settled" in early.json()["detail"]


def test_not_valid_without_the_explained_reply_is_refused(desk):
    number = desk.post("/complaints", json=complaint()).json()["number"]
    response = desk.post(
        f"/complaints/{number}/judgement", json={"valid": False, "reason": "misuse"}
    )
    assert response.status_code == 422
    assert ("reply", "required_when_not_valid") in field_errors(response)


def test_evidence_is_stored_by_content_and_served_back(desk):
    number = desk.post("/complaints", json=complaint()).json()["number"]
    uploaded = desk.post(
        f"/complaints/{number}/evidence",
        files={"file": ("j3.png", PNG, "image/png")},
    )
    assert uploaded.status_code == 201, uploaded.text
    [item] = uploaded.json()["evidence"]
    assert uploaded.headers["location"] == f"/complaints/{number}/evidence/{item['sha256']}"
    downloaded = desk.get(f"/complaints/{number}/evidence/{item['sha256']}")
    assert downloaded.content == PNG
    assert downloaded.headers["content-type"] == "image/png"
    assert desk.get(f"/complaints/{number}/evidence/{'0' * 64}").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "content_type", "status", "rule"),
    [
        ("setup.exe", b"MZ\x90\x00", "application/x-msdownload", 415, "content_type"),
        ("photo.png", b"MZ\x90\x00 not a png", "image/png", 415, "content_signature"),
        ("big.png", PNG + b"\x00" * 5000, "image/png", 413, "max_size"),
        ("empty.txt", b"", "text/plain", 422, "not_empty"),
    ],
)
def test_evidence_outside_the_limits_is_refused(desk, name, content, content_type, status, rule):
    number = desk.post("/complaints", json=complaint()).json()["number"]
    response = desk.post(
        f"/complaints/{number}/evidence",
        files={"file": (name, content, content_type)},
    )
    assert response.status_code == status, response.text
    assert ("file", rule) in field_errors(response)
    assert desk.get(f"/complaints/{number}").json()["evidence"] == []


def stored_files(root) -> int:
    return sum(1 for path in root.rglob("*") if path.is_file())


def test_a_complaint_keeps_a_bounded_number_of_files_and_none_once_closed(desk, tmp_path):
    """Each file is bounded in size; so is their number, or one complaint could fill the
    disk. What the command would refuse is not even written."""
    number = desk.post("/complaints", json=complaint()).json()["number"]
    for i in range(MAX_EVIDENCE_FILES):
        note = f"photo {i} of the damaged boards".encode()
        answer = desk.post(
            f"/complaints/{number}/evidence", files={"file": (f"{i}.txt", note, "text/plain")}
        )
        assert answer.status_code == 201, answer.text
    assert stored_files(tmp_path / "evidence") == MAX_EVIDENCE_FILES

    one_more = desk.post(
        f"/complaints/{number}/evidence", files={"file": ("more.txt", b"one more", "text/plain")}
    )
    assert one_more.status_code == 409
    assert ("file", "evidence_limit") in field_errors(one_more)
    again = desk.post(
        f"/complaints/{number}/evidence",
        files={"file": ("0.txt", b"photo 0 of the damaged boards", "text/plain")},
    )
    assert again.status_code == 201, "content attached already is not a new file"
    assert stored_files(tmp_path / "evidence") == MAX_EVIDENCE_FILES

    withdrawn = desk.post("/complaints", json=complaint()).json()["number"]
    desk.post(f"/complaints/{withdrawn}/withdrawal", json={"reason": "resolved"})
    late = desk.post(
        f"/complaints/{withdrawn}/evidence", files={"file": ("late.png", PNG, "image/png")}
    )
    assert late.status_code == 409
    assert stored_files(tmp_path / "evidence") == MAX_EVIDENCE_FILES


def test_the_list_filters_and_pages_with_a_bounded_cursor(desk):
    for i, channel in enumerate(["phone", "email", "phone", "web_form", "phone"]):
        desk.post(
            "/complaints",
            json=complaint(
                channel=channel,
                received_at=f"2026-11-0{i + 1}T02:00:00+00:00",
                description=f"board {i} {'scorched' if i == 3 else 'bridged'}",
            ),
        )
    indexed(desk, 5)

    seen, cursor = [], None
    while True:
        page = desk.get(
            "/complaints", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        seen += [item["number"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert seen == ["2611-0005", "2611-0004", "2611-0003", "2611-0002", "2611-0001"]

    phones = desk.get("/complaints", params={"channel": "phone"}).json()["items"]
    assert [i["number"] for i in phones] == ["2611-0005", "2611-0003", "2611-0001"]
    scorched = desk.get("/complaints", params={"q": "SCORCHED"}).json()["items"]
    assert [i["number"] for i in scorched] == ["2611-0004"]
    window = desk.get(
        "/complaints",
        params={
            "received_from": "2026-11-02T00:00:00+00:00",
            "received_to": "2026-11-04T00:00:00+00:00",
        },
    )
    assert [i["number"] for i in window.json()["items"]] == ["2611-0003", "2611-0002"]
    assert desk.get("/complaints", params={"limit": 101}).status_code == 422
    bad = desk.get("/complaints", params={"cursor": base64.b64encode(b"nope").decode()})
    assert ("cursor", "opaque_cursor") in field_errors(bad)
    inverted = desk.get(
        "/complaints",
        params={"received_from": "2026-11-04T00:00:00Z", "received_to": "2026-11-02T00:00:00Z"},
    )
    assert ("received_to", "after_received_from") in field_errors(inverted)
    assert desk.get("/complaints", params={"customer": ""}).status_code == 422


def test_a_repeat_is_linked_on_registration_and_can_be_undone(any_store_desk):
    desk = any_store_desk
    first = desk.post("/complaints", json=complaint()).json()["number"]
    indexed(desk, 1)
    other_customer = complaint(complainant={"name": "Li Si", "customer_id": "C-2002"})
    assert desk.post("/complaints", json=other_customer).json()["repeat_of"] == {}
    repeat = desk.post("/complaints", json=complaint(subject={"part_no": "PCB-7731"})).json()
    assert repeat["repeat_of"] == {first: ["part_no"]}

    number = repeat["number"]
    undone = desk.delete(
        f"/complaints/{number}/repeat-links/{first}",
        params={"reason": "different defect"},
    )
    assert undone.json()["repeat_of"] == {}
    indexed(desk, 3)
    candidates = desk.get(f"/complaints/{number}/repeat-candidates").json()
    assert [c["number"] for c in candidates] == [first]
    relinked = desk.post(f"/complaints/{number}/repeat-links", json={"earlier": first})
    assert relinked.json()["repeat_of"] == {first: ["part_no"]}


def test_the_timeline_tells_the_complaint_in_order_with_its_actors(desk):
    number = desk.post("/complaints", json=complaint()).json()["number"]
    desk.post(f"/complaints/{number}/acknowledgement", json={"reply": "Noted."})
    desk.post(f"/complaints/{number}/withdrawal", json={"reason": "resolved"})
    timeline = desk.get(f"/complaints/{number}/timeline").json()
    assert [e["type"] for e in timeline] == ["Registered", "Acknowledged", "Withdrawn"]
    assert timeline[1]["actor"] == {"id": "clerk-wang", "role": "clerk"}

    first = desk.get(f"/complaints/{number}/timeline", params={"limit": 2})
    assert [e["type"] for e in first.json()] == ["Registered", "Acknowledged"]
    assert first.links["next"]["url"] == f"/complaints/{number}/timeline?after=2&limit=2"
    rest = desk.get(first.links["next"]["url"])
    assert [e["type"] for e in rest.json()] == ["Withdrawn"]
    assert "next" not in rest.links
    assert desk.get(f"/complaints/{number}/timeline", params={"limit": 501}).status_code == 422


def test_taxonomies_are_served_with_both_labels(desk):
    severity = desk.get("/taxonomies").json()["severity"]
    assert severity["level_1"] == {"zh-CN": "一级（重大）", "en": "Level 1 (major)"}


def test_receipt_times_with_offsets_sort_by_the_instant_not_the_wall_clock(desk):
    shanghai_10am = desk.post(
        "/complaints", json=complaint(received_at="2026-11-05T10:00:00+08:00")
    ).json()["number"]  # 02:00 UTC
    utc_3am = desk.post(
        "/complaints", json=complaint(received_at="2026-11-05T03:00:00+00:00")
    ).json()["number"]
    items = indexed(desk, 2)
    assert [i["number"] for i in items] == [utc_3am, shanghai_10am]
    assert items[1]["received_at"] == "2026-11-05T02:00:00Z"


@pytest.fixture(params=["sqlite", "postgres"])
def any_store_desk(request, tmp_path):
    """The desk on each kind of store."""
    values = {"data_dir": str(tmp_path / "data"), "consumers_enabled": False}
    if request.param == "sqlite":
        settings = Settings(service="intake", **values)
    else:
        settings = settings_from(request.getfixturevalue("production_env"), "intake", **values)
    with TestClient(create_app(settings), headers=bearer("clerk")) as client:
        yield client


def test_a_month_whose_report_is_final_takes_complaints_only_from_an_admin_with_a_reason(
    any_store_desk,
):
    desk = any_store_desk
    # The business day is 6 November: September's report is final (since 10 October),
    # October's is not yet (until 10 November).
    september = complaint(received_at="2026-09-28T10:00:00+08:00")
    refused = desk.post("/complaints", json=september)
    assert refused.status_code == 422
    assert ("received_at", "report_final") in field_errors(refused)

    reason = {"backdating_reason": "letter found in the September post"}
    clerk = desk.post("/complaints", json={**september, **reason})
    assert (clerk.status_code, field_errors(clerk)) == (
        403,
        {("backdating_reason", "admin_only")},
    )
    admin = bearer("admin")
    bare = desk.post("/complaints", json=september, headers=admin)
    assert ("received_at", "report_final") in field_errors(bare)
    registered = desk.post("/complaints", json={**september, **reason}, headers=admin)
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["number"].startswith("2609-")
    assert body["received_at"] == "2026-09-28T02:00:00Z"  # every instant returned is UTC
    assert body["backdating_reason"] == reason["backdating_reason"]

    october = complaint(received_at="2026-10-30T02:00:00Z", **reason)
    not_backdated = desk.post("/complaints", json=october, headers=admin)
    assert ("backdating_reason", "not_backdated") in field_errors(not_backdated)
    assert desk.post("/complaints", json=complaint(received_at=october["received_at"])).is_success


def test_a_customer_files_through_the_portal_and_cannot_set_what_only_the_desk_knows(desk):
    customer = bearer("customer")  # customer id C-1001
    own = {"name": "Zhang San", "customer_id": "C-1001"}
    portal = complaint(channel="web_form", complainant=own)
    del portal["received_at"]
    claimed = {
        **portal,
        "channel": "regulator",
        "complainant": {**own, "type": "vip"},
        "flags": ["public_exposure"],
        "received_at": "2026-10-06T02:00:00Z",
    }
    refused = desk.post("/complaints", json=claimed, headers=customer)
    assert refused.status_code == 403
    assert field_errors(refused) == {
        ("channel", "desk_only"),
        ("complainant.type", "desk_only"),
        ("flags", "desk_only"),
        ("received_at", "desk_only"),
    }
    filed = desk.post("/complaints", json=portal, headers=customer)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert (body["channel"]["code"], body["classification"]["severity"]["code"]) == (
        "web_form",
        "level_3",
    )


@pytest.mark.parametrize(("name", "content", "content_type"), SPOOFED)
def test_a_file_that_is_not_what_it_declares_is_refused(desk, name, content, content_type):
    number = desk.post("/complaints", json=complaint()).json()["number"]
    refused = desk.post(
        f"/complaints/{number}/evidence", files={"file": (name, content, content_type)}
    )
    assert refused.status_code == 415
    assert field_errors(refused) == {("file", "content_signature")}


def test_evidence_is_downloaded_as_an_attachment_never_sniffed_nor_run(desk):
    number = desk.post("/complaints", json=complaint()).json()["number"]
    uploaded = desk.post(
        f"/complaints/{number}/evidence", files={"file": ("j3.png", PNG, "image/png")}
    )
    downloaded = desk.get(uploaded.headers["location"])
    assert downloaded.headers["x-content-type-options"] == "nosniff"
    assert downloaded.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert downloaded.headers["content-disposition"].startswith("attachment")


def test_a_handler_reads_only_the_complaints_with_its_unit_as_routing_assigned_them(desk):
    ours, theirs = (desk.post("/complaints", json=complaint()).json()["number"] for _ in range(2))
    intake = desk.app.state.runtime.app
    for number, unit in ((ours, "quality_management"), (theirs, "logistics")):
        assigned = {"unit": unit, "rule_id": "r", "ruleset_version": "1", "trace": []}
        event = upstream(number, "routing.CaseAssigned", assigned, producer="routing")
        intake.save(*intake.policy(event))
    handler = bearer("handler", unit="quality_management")

    def listed():
        items = desk.get("/complaints", headers=handler).json()["items"]
        return [item["number"] for item in items]

    wait_until(lambda: listed() == [ours], timeout=10, what="the index follows the log")
    assert desk.get(f"/complaints/{ours}/timeline", headers=handler).status_code == 200
    for path in (f"/complaints/{theirs}", f"/complaints/{theirs}/timeline"):
        refused = desk.get(path, headers=handler)
        assert refused.status_code == 403
        assert "logistics" not in refused.text  # a refusal never names another unit


def test_the_longest_customer_the_desk_accepts_is_indexed_on_every_store(any_store_desk):
    """A name and a contact at their limits make a customer key longer than the names alone;
    PostgreSQL, unlike SQLite, holds a column to its declared length. (`ß` folds to `ss`.)"""
    longest = {"name": "ß" * 200, "contact": "c" * 200, "customer_id": None}
    registered = any_store_desk.post("/complaints", json=complaint(complainant=longest))
    assert registered.status_code == 201, registered.text
    assert [item["customer_name"] for item in indexed(any_store_desk, 1)] == ["ß" * 200]


def test_the_text_search_ignores_case_in_every_script_on_every_store(any_store_desk):
    """SQLite's own `lower` folds ASCII only, and Python's `casefold` turns `ß` into `ss`,
    which no store's `lower` does: `ÄRGER` and `straße` found nothing."""
    body = complaint(description="Ärger mit der Lieferung in der Hauptstraße")
    assert any_store_desk.post("/complaints", json=body).status_code == 201
    indexed(any_store_desk, 1)
    for needle in ("ärger", "ÄRGER", "straße", "HAUPTSTRAßE"):
        found = any_store_desk.get("/complaints", params={"q": needle}).json()["items"]
        assert len(found) == 1, needle
