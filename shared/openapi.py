"""The OpenAPI document tells the truth about errors: every refusal is problem+json.

FastAPI documents 422 as its own `HTTPValidationError` shape, but the services answer every
error with RFC 9457 problem details (see `shared.http`). This replaces that documentation and
adds the refusals any operation can give, so generated clients and schema checkers (the
schemathesis run in the tests) see the shapes that are really sent.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "rule", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "rule": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "example": {
        "type": "about:blank",
        "title": "Invalid request",
        "status": 422,
        "detail": "description: Field required",
        "errors": [{"field": "description", "rule": "missing", "message": "Field required"}],
    },
}

REFUSALS = {
    "400": "Bad request",
    "401": "No valid bearer token",
    "403": "The caller's role, unit or authority does not allow this",
    "404": "No such resource (or not the caller's to see)",
    "409": "Does not fit the current state",
    "413": "Body too large",
    "415": "An evidence file whose type is not accepted or whose content is not that type",
    "422": "Invalid input: each error names the field and the rule",
    "429": "Rate limit reached; see Retry-After",
    "503": "Not answered in time",
}


#: The header of a command's answer replayed for a retry with its Idempotency-Key.
REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the first answer to an earlier request with the "
        "same Idempotency-Key, replayed; absent otherwise",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def document_problems(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components["Problem"] = PROBLEM_SCHEMA
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status, description in REFUSALS.items():
                    responses[status] = {"description": description, "content": problem}
                if method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
                    for status, response in responses.items():
                        if status.startswith("2"):
                            response.setdefault("headers", {}).update(REPLAYED)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
