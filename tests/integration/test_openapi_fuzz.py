"""Schemathesis over all four services' OpenAPI schemas: no 5xx, no answer off its schema.

Each operation gets a bounded number of generated requests (derandomized, so a failure
reproduces), sent with the token of a role the access specification allows, so requests
reach the validation and domain code rather than stopping at the door.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.support.access_matrix import ALLOWED, bound_to_own_case
from tests.support.auth import bearer
from tests.support.builders import lifespan_run_by_the_test_client, service_app

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def caller(service: str, operation: str) -> dict[str, str]:
    """The headers of an allowed role, preferring one not bound to its own cases."""
    allowed = ALLOWED[service][operation]
    if allowed is None:
        return {}
    unbound = sorted(r for r in allowed if not bound_to_own_case(service, operation, r))
    return bearer((unbound or sorted(allowed))[0], f"fuzz-{service}")


def fuzzer(operation, headers: dict[str, str]):
    @given(case=operation.as_strategy())
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

    return exercise


@pytest.mark.parametrize("service", list(ALLOWED))
def test_generated_requests_get_no_server_error_and_answers_fit_the_schema(service, tmp_path):
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
