"""Schemathesis over every service's OpenAPI schema: no 5xx, no answer off its schema, and
no request the document allows refused for a rule it does not state.

Each operation gets a bounded number of generated requests (derandomized, so a failure
reproduces), all valid by the document, sent with the token of a role the access
specification allows, so requests reach the validation and domain code rather than stopping
at the door.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.support.access_matrix import ALLOWED, bound_to_own_case
from tests.support.auth import bearer
from tests.support.builders import lifespan_run_by_the_test_client, service_app

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

#: The rules a request valid by the OpenAPI document may still break, because JSON Schema
#: cannot state them (a range of instants, a condition across fields, on the clock, on the
#: case's state or on what the service holds); docs/api.md states each. A 422 for any other
#: rule on a generated request is a document saying less than the code: add the rule to the
#: request's type (a pattern, an enum, a bound) rather than to this list.
STATED_IN_PROSE = {
    "instant_range": "an instant lies from 1970 to before 2200 (a date-time cannot be bounded)",
    "nul_character": "no text holds U+0000, anywhere in a body, a query or a path",
    "opaque_cursor": "a cursor is one the list returned",
    "after_received_from": "a list's `received_to` is after its `received_from`",
    "entity_tag": "an If-Match names this service's ETags (versions in quotes) or is `*`",
    "unknown_event_type": "a feed's `types` are the types that service publishes",
    "contract": "a republished event fits its type's published contract",
    "catch_all": "the routing rule set ends with a rule without conditions",
    "unique": "a routing rule's id is unique within its set",
    "number": "a routing condition's `lt`, `lte`, `gt` or `gte` compares with a number",
    "list": "a routing condition's `in` looks in a list",
    "one_value": "any other routing condition compares with one value",
    "iso_week": "a week that the year has (W53 only in years of 53 ISO weeks)",
    "http_url": "a webhook URL is absolute, http or https",
    "no_credentials": "a webhook URL carries no user or password",
    "attribute_name": "a subject attribute's name is an identifier of at most 50 characters",
    "attribute_length": "a subject attribute's text is at most 200 characters",
    "within_inspected": "a subject's defective quantity is at most the quantity inspected",
    "currency_required": "an amount claimed comes with its currency",
    "minor_unit": "money has at most its currency's minor unit (the currency is another field)",
    "not_future": "a complaint is not received later than the clock (5 minutes' tolerance), "
    "nor is a report or a case's state asked for as of a time to come",
    "not_backdated": "a backdating reason only for a month whose report is final (the clock)",
    "report_final": "a month whose report is final takes an admin's backdating reason",
}


def sent(case) -> dict[str, Any]:
    """What a generated request carried, for the failure's message."""
    parts = {"path": case.path_parameters, "query": case.query, "body": case.body}
    return {name: part for name, part in parts.items() if part and not isinstance(part, NotSet)}


def rules_not_stated(response) -> list[str]:
    """The rules a 422 names that the document does not state, nor docs/api.md."""
    if response.status_code != 422:
        return []
    errors = response.json().get("errors", [])
    return [f"{e['field']}: {e['rule']}" for e in errors if e["rule"] not in STATED_IN_PROSE]


def caller(service: str, operation: str) -> dict[str, str]:
    """The headers of an allowed role, preferring one not bound to its own cases."""
    allowed = ALLOWED[service][operation]
    if allowed is None:
        return {}
    unbound = sorted(r for r in allowed if not bound_to_own_case(service, operation, r))
    return bearer((unbound or sorted(allowed))[0], f"fuzz-{service}")


def fuzzer(operation, headers: dict[str, str]):
    @given(case=operation.as_strategy(GenerationMode.POSITIVE))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)
        unstated = rules_not_stated(response)
        assert not unstated, f"valid by the document, refused for {unstated}: {sent(case)!r:.300}"

    return exercise


@pytest.mark.parametrize("service", list(ALLOWED))
def test_generated_requests_get_no_server_error_and_answers_fit_the_schema(service, tmp_path):
    """Requests valid by the document: no server error, answers that fit it, and none refused
    for a rule it does not state."""
    from fastapi.testclient import TestClient

    # A feed request may wait for news (long polling): at most 1 s here, not 15.
    app = service_app(service, tmp_path, request_timeout_seconds=2)
    failures: list[str] = []
    with TestClient(app):
        schema = schemathesis.openapi.from_asgi(
            "/openapi.json", lifespan_run_by_the_test_client(app)
        )
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            headers = caller(service, label)

            exercise = fuzzer(operation, headers)
            try:
                exercise()
            except Exception as failure:
                failures.append(f"{label}: {str(failure)[:800]}")
    assert failures == [], "\n\n".join(failures)
