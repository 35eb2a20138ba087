"""What outside testers sent that answered 5xx, each now a 4xx naming the field and the rule.

On a real SQLite store, over HTTP: cursors and instants out of any sensible range, positions
past 63 bits, lone surrogates, names given twice, bodies nested or encoded to break parsers,
chunked bodies over the limit.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from services.analytics.main import create_app as analytics_service
from services.intake.main import create_app as intake_service
from services.routing.main import create_app as routing_service
from shared.kernel import clock
from shared.platform.settings import Settings
from tests.support.auth import bearer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """The services, started once for all the hostile requests (none of which changes them)."""
    data = tmp_path_factory.mktemp("hostile") / "data"

    def settings(service: str) -> Settings:
        return Settings(service=service, data_dir=data, consumers_enabled=False)

    with (
        TestClient(intake_service(settings("intake")), headers=bearer("admin")) as intake,
        TestClient(routing_service(settings("routing")), headers=bearer("admin")) as routing,
        TestClient(analytics_service(settings("analytics")), headers=bearer("admin")) as analytics,
    ):
        yield {"intake": intake, "routing": routing, "analytics": analytics}


def refused_naming(services, rule: str, requests: list[tuple[str, str, str]]) -> None:
    """Each `(service, path, where)` GET is a 422 for `rule`, naming `where`."""
    for service, path, where in requests:
        answer = services[service].get(path)
        assert (answer.status_code, rules(answer)) == (422, {(where, rule)}), path


def cursor(moment: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([moment, "k"]).encode()).decode().rstrip("=")


def rules(response) -> set[tuple[str, str]]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {(e["field"], e["rule"]) for e in response.json().get("errors", [])}


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("intake", "/complaints"),
        ("routing", "/units/quality_management/queue"),
        ("routing", "/overdue"),
    ],
)
@pytest.mark.parametrize(
    "moment", ["2026-11-05T02:00:00", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"]
)
def test_a_cursor_no_list_handed_out_is_a_422(services, service, path, moment):
    answer = services[service].get(path, params={"cursor": cursor(moment)})
    assert answer.status_code == 422
    assert ("cursor", "opaque_cursor") in rules(answer)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_instants_out_of_range_are_refused_wherever_they_are_taken(services, moment):
    for name in ("received_from", "received_to"):
        listed = services["intake"].get("/complaints", params={name: moment})
        assert (listed.status_code, rules(listed)) == (422, {(f"query.{name}", "instant_range")})
    report = services["analytics"].get("/reports/monthly/2026-10", params={"as_of": moment})
    assert (report.status_code, rules(report)) == (422, {("query.as_of", "instant_range")})


def test_a_moment_to_look_back_from_may_not_lie_ahead(services):
    """`as_of` in the future answered with today's knowledge, a different answer each time it
    was asked: a report or a case "as of" next year is refused."""
    ahead = (clock.now() + timedelta(minutes=5)).isoformat()
    report = services["analytics"].get("/reports/monthly/2026-10", params={"as_of": ahead})
    assert (report.status_code, rules(report)) == (422, {("query.as_of", "not_future")})
    state = services["routing"].get("/audit/cases/2611-0001/state", params={"as_of": ahead})
    assert (state.status_code, rules(state)) == (422, {("query.as_of", "not_future")})
    now = clock.now().isoformat()
    assert services["analytics"].get("/reports/monthly/2026-10", params={"as_of": now}).is_success


def test_a_week_that_has_not_begun_has_no_report_yet(services):
    """A week to come answered 200 with a `live` report of zeros."""
    next_week = (clock.now() + timedelta(days=7)).astimezone(ZoneInfo("Asia/Shanghai"))
    year, week, _ = next_week.isocalendar()
    answer = services["analytics"].get(f"/reports/weekly/{year}-W{week:02d}")
    assert (answer.status_code, rules(answer)) == (409, {("week", "week_not_begun")})
    assert "nothing to report yet" in answer.json()["detail"]
    year, week, _ = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).isocalendar()
    running = services["analytics"].get(f"/reports/weekly/{year}-W{week:02d}")
    assert running.json()["stage"] == "live"


def test_a_position_past_63_bits_is_a_422_on_every_feed_and_dead_letter_list(services):
    for client in services.values():
        for path in ("/events", "/dead-letters"):
            answer = client.get(path, params={"after": 2**63})
            assert answer.status_code == 422, (path, answer.text)
            assert ("query.after", "less_than_equal") in rules(answer)


def test_bodies_that_break_parsers_or_stores_are_refused_with_the_rule(services):
    intake = services["intake"]
    surrogate = '{"channel": "phone", "subject": {"attributes": {"note": "\\ud83d"}}}'
    answer = intake.post(
        "/complaints", content=surrogate, headers={"content-type": "application/json"}
    )
    assert ("subject.attributes.note", "unicode_surrogate") in rules(answer)
    not_utf8 = intake.post(
        "/complaints", content=b'{"channel": "\xff"}', headers={"content-type": "application/json"}
    )
    assert (not_utf8.status_code, rules(not_utf8)) == (422, {("", "utf8")})
    cut_short = intake.post(
        "/complaints", content=b'{"channel":', headers={"content-type": "application/json"}
    )
    assert (cut_short.status_code, rules(cut_short)) == (422, {("", "json_invalid")})
    assert "at character 11" in cut_short.json()["errors"][0]["message"]
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        mislabelled = intake.post(
            "/complaints", content=b'{"channel": "phone"}', headers={"content-type": content_type}
        )
        assert mislabelled.status_code == 415, mislabelled.text
        assert rules(mislabelled) == {("content-type", "content_type")}
    unlabelled = intake.post("/complaints", content=b'{"channel": "phone"}', headers={})
    assert (unlabelled.status_code, rules(unlabelled)) == (415, {("content-type", "content_type")})
    assert "without a content-type" in unlabelled.json()["detail"]
    twice = intake.post(
        "/complaints",
        content=b'{"channel": "phone", "complainant": {"name": "Li", "name": "Wang"}}',
        headers={"content-type": "application/json"},
    )
    assert (twice.status_code, rules(twice)) == (422, {("complainant.name", "duplicate_key")})
    deep = intake.post(
        "/complaints",
        content="[" * 5000 + "]" * 5000,
        headers={"content-type": "application/json"},
    )
    assert deep.status_code == 422
    assert {rule for _, rule in rules(deep)} == {"nesting"}


def test_a_query_parameter_given_twice_is_refused_naming_it(services):
    """`?status=registered&status=settled` listed the settled complaints only (the framework
    keeps the last value; a proxy or a cache in front may key on the first): a parameter
    given twice is a 422 naming it, but for one that takes a list (a feed's `types`)."""
    refused_naming(
        services,
        "repeated_parameter",
        [
            ("intake", "/complaints?status=registered&status=settled", "query.status"),
            ("intake", "/complaints?limit=5&q=a&limit=100", "query.limit"),
            ("analytics", "/dashboard?month=2026-11&month=2026-10", "query.month"),
        ],
    )
    assert services["intake"].get("/complaints?status=registered&limit=5").status_code == 200
    feed = "/events?types=intake.ComplaintRegistered&types=intake.ComplaintAcknowledged"
    assert services["intake"].get(feed).status_code == 200  # a list, given by repeating it


def test_a_query_parameter_the_operation_does_not_take_is_refused_naming_it(services):
    """`?stauts=settled` listed every complaint, as if filtered: an operation that takes
    query parameters is given only those, as a body only its fields. One that takes none (a
    probe) leaves alone what a load balancer or a scraper adds."""
    refused_naming(
        services,
        "unknown_parameter",
        [
            ("intake", "/complaints?stauts=settled", "query.stauts"),
            ("routing", "/overdue?unit=quality_management", "query.unit"),
            ("routing", "/units/quality_management/queue?status=open", "query.status"),
            ("analytics", "/reports/monthly/2026-10?month=2026-09", "query.month"),
        ],
    )
    named = services["intake"].get("/complaints?stauts=settled").json()["errors"][0]["message"]
    assert "customer, " in named  # says what the operation takes
    assert "limit, " in named
    for probe in ("/health?from=lb", "/ready?from=lb", "/metrics?name[]=complaints_up"):
        assert services["intake"].get(probe).status_code == 200, probe


def test_a_header_that_decides_the_request_given_twice_is_refused(services):
    """With two Idempotency-Keys the first counted: a retry sending only the second would
    register the complaint again. Two bearer tokens or content types are as ambiguous."""
    body = {"channel": "phone", "complainant": {"name": "Li"}}
    for name, values in [
        ("idempotency-key", ["k-1", "k-2"]),
        ("authorization", [bearer("clerk")["Authorization"], bearer("admin")["Authorization"]]),
        ("content-type", ["application/json", "text/plain"]),
    ]:
        twice = services["intake"].post(
            "/complaints",
            content=json.dumps(body),
            headers=[("content-type", "application/json")] * (name != "content-type")
            + [(name, value) for value in values],
        )
        assert (twice.status_code, rules(twice)) == (422, {(f"header.{name}", "repeated_header")})


def test_a_nul_character_is_refused_in_bodies_queries_and_paths_of_every_service(services):
    """PostgreSQL's text cannot hold U+0000: accepted, it failed the repeat lookup of the
    registration (a 500) and would have stopped every read model that projects the text."""
    nul = services["intake"].post(
        "/complaints", json={"complainant": {"name": "Li\u0000Na"}, "channel": "phone"}
    )
    assert (nul.status_code, rules(nul)) == (422, {("complainant.name", "nul_character")})
    refused_naming(
        services,
        "nul_character",
        [
            ("intake", "/complaints?customer=C%00", "query.customer"),
            ("routing", "/units/quality%00/queue", "path.unit"),
            ("analytics", "/dashboard?month=2026-1%00", "query.month"),
        ],
    )


def test_a_chunked_body_over_the_limit_is_a_413_problem(services):
    def chunks():
        for _ in range(200):
            yield b"x" * 10_000

    answer = services["intake"].post(
        "/complaints", content=chunks(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"


def test_an_extension_to_the_end_of_time_is_refused(services):
    answer = services["routing"].post(
        "/cases/2611-0001/clocks/close/extension",
        json={"due": "9999-12-31T23:59:59Z", "reason": "forever"},
        headers=bearer("manager"),
    )
    assert (answer.status_code, rules(answer)) == (422, {("due", "instant_range")})


@pytest.mark.parametrize(
    "number", ["0", "2611-0000", "2613-0001", "%D9%A2%D9%A6%D9%A1%D9%A1-0042", "2611-0042%0A"]
)
def test_a_case_number_in_a_path_is_held_to_the_pattern_the_api_documents(services, number):
    """Schemathesis, sending what the OpenAPI documents, found every `{number}` refused for a
    rule the document did not state; other scripts' digits and a trailing newline passed
    the old check. Now the parameter publishes the pattern `CaseNumber.parse` applies."""
    for service, path in [
        ("intake", f"/complaints/{number}"),
        ("routing", f"/cases/{number}"),
        ("analytics", f"/audit/cases/{number}"),
    ]:
        answer = services[service].get(path)
        assert (answer.status_code, rules(answer)) == (
            422,
            {("path.number", "case_number_format")},
        ), path
