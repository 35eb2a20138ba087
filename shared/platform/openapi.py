"""The OpenAPI document tells the truth about errors: every refusal is problem+json.

FastAPI documents 422 as its own `HTTPValidationError` shape, but the services answer every
error with RFC 9457 problem details (see `shared.platform.http`). This replaces that
documentation and adds the refusals any operation can give, so generated clients and schema
checkers (the schemathesis run in the tests) see the shapes that are really sent. It also
adds OpenAPI links: an answer that names a resource (a complaint's `number`, a report's
`month`) links to every operation addressed by it, so a client (and the stateful
schemathesis run) can follow a case from the answer that created it to every step on it.
"""

from __future__ import annotations

import re
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


#: The answer of a command on a case: its version now, as its reads give it.
VERSIONED = {
    "ETag": {
        "description": "The case's version after the command: the If-Match of the next one",
        "schema": {"type": "string"},
    }
}
#: The refusal of a command whose If-Match names a version the case has moved on from.
PRECONDITION_FAILED = "The case has moved on from the version in If-Match: read it again"


def _takes_if_match(operation: dict[str, Any]) -> bool:
    return any(
        parameter.get("in") == "header" and parameter.get("name") == "If-Match"
        for parameter in operation.get("parameters", [])
    )


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
                conditional = _takes_if_match(operation)
                if conditional:
                    responses["412"] = {"description": PRECONDITION_FAILED, "content": problem}
                if method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
                    for status, response in responses.items():
                        if status.startswith("2"):
                            headers = response.setdefault("headers", {})
                            headers.update({**REPLAYED, **(VERSIONED if conditional else {})})
        add_links(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def add_links(schema: dict[str, Any]) -> None:
    """Link each answer that names a path parameter's value to the operations it addresses.

    A top-level property `p` of a 2xx JSON answer links through `$response.body#/p`; a page
    (`items`, an array of objects with `p`) links through its first item.
    """
    components = schema.get("components", {}).get("schemas", {})
    targets: dict[str, list[str]] = {}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            for name in _PATH_PARAMETER.findall(path):
                targets.setdefault(name, []).append(operation["operationId"])
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if not status.startswith("2"):
                    continue
                body = response.get("content", {}).get("application/json", {}).get("schema", {})
                links = {
                    f"{target}.{name}": {
                        "operationId": target,
                        "parameters": {f"path.{name}": expression},
                    }
                    for name, expression in _named_values(_resolve(body, components), components)
                    for target in targets.get(name, [])
                }
                if links:
                    response["links"] = links


_PATH_PARAMETER = re.compile(r"{(\w+)}")


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref", "")
    return components.get(reference.rsplit("/", 1)[-1], {}) if reference else schema


def _named_values(body: dict[str, Any], components: dict[str, Any]) -> list[tuple[str, str]]:
    """(parameter name, runtime expression) for each value an answer of this shape names."""
    properties = body.get("properties", {})
    named = [(name, f"$response.body#/{name}") for name in properties]
    items = _resolve(properties.get("items", {}), components)
    if items.get("type") == "array":
        row = _resolve(items.get("items", {}), components)
        named += [(name, f"$response.body#/items/0/{name}") for name in row.get("properties", {})]
    return named
