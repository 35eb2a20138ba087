"""Every text a request body may carry is bounded, and no bound exceeds what contracts carry.

The contracts refuse text longer than `MAX_TEXT` (`shared.contracts.common.Contract`), so an
endpoint that accepted longer would record an event its own outbox must withhold. Read from
each service's OpenAPI, as a client sees it: every string in a request body has a
`maxLength` of at most `MAX_TEXT`, or is one of an enumeration, or matches a pattern no longer
than that, or is a date, an instant or a UUID (parsed, never carried as text), or a file
(evidence, stored by its digest). Paths and queries need no check: a request's head is
refused beyond 16 KiB, less than `MAX_TEXT`.
"""

from collections.abc import Iterator
from re import _parser as re_parser  # type: ignore[attr-defined]
from typing import Any

import pytest

from shared.kernel.values import MAX_TEXT
from tests.contract.test_openapi_examples import SERVICES, openapi


def strings(schema: dict[str, Any], components: dict[str, Any], where: str, seen: set[str]):
    """(where, schema) of every string schema reachable from `schema`."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return
        yield from strings(components[name], components, f"{where}<{name}>", seen | {name})
        return
    if schema.get("type") == "string":
        yield where, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for i, option in enumerate(schema.get(key, [])):
            yield from strings(option, components, f"{where}|{i}", seen)
    for name, field in schema.get("properties", {}).items():
        yield from strings(field, components, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from strings(schema["items"], components, f"{where}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from strings(schema["additionalProperties"], components, f"{where}{{}}", seen)
    if isinstance(schema.get("propertyNames"), dict):
        yield from strings(schema["propertyNames"], components, f"{where}{{key}}", seen)


def request_strings(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    components = spec.get("components", {}).get("schemas", {})
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                yield from strings(media.get("schema", {}), components, f"{where} body", set())


#: Formats whose values are parsed into something else than text.
PARSED = {"date", "date-time", "uuid"}


def unbounded(schema: dict[str, Any]) -> bool:
    if "enum" in schema or "const" in schema or "contentMediaType" in schema:
        return False
    if schema.get("format") in PARSED:
        return False
    if "pattern" in schema:
        _, longest = re_parser.parse(schema["pattern"]).getwidth()
        return longest > MAX_TEXT
    return not 0 < schema.get("maxLength", MAX_TEXT + 1) <= MAX_TEXT


@pytest.mark.parametrize("service", SERVICES)
def test_every_text_a_request_carries_fits_the_contracts(service, tmp_path):
    found = list(request_strings(openapi(service, tmp_path)))
    assert found, "the walk reaches the request bodies"
    assert [where for where, schema in found if unbounded(schema)] == []


def test_a_pattern_is_as_long_as_its_longest_match():
    assert not unbounded({"type": "string", "pattern": r"^[0-9]{1,15}(\.[0-9]{1,6})?$"})
    assert unbounded({"type": "string", "pattern": r"^[a-z]+$"})
    assert unbounded({"type": "string"})
    assert unbounded({"type": "string", "maxLength": MAX_TEXT + 1})
