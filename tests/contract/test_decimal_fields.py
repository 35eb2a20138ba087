"""Every money and decimal field at every edge is the one decimal type the contracts use.

Walks the request side of all four OpenAPI documents: no JSON numbers where a decimal is
meant, and every field that holds money, a price, a rate, a ratio or a share carries the
pattern of one of the shared decimal types. Then, as a property: whatever routing's proposal
schema accepts is published by routing and accepted by the RemedyProposed contract.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from services.routing.commands import Propose
from services.routing.contracts import to_integration
from services.routing.schemas import Proposal
from shared.contracts import routing as routing_contracts
from shared.kernel import values
from shared.kernel.errors import DomainError
from shared.platform.outbox import OutboxReader
from tests.contract.test_openapi_examples import SERVICES, openapi
from tests.support.routing_story import AUTHORITY, HANDLER, opened
from tests.unit.test_decimal_text import DECIMAL_TYPES

#: Fields whose values are decimals wherever they appear.
DECIMAL_NAMES = {
    "amount",
    "unit_price",
    "unit_cost",
    "value",
    "ratio",
    "share",
    "tax_rate",
    "tolerance",
    "over_receipt_tolerance",
}
#: The patterns the shared decimal types publish, one per type and its bounds.
SHARED_DECIMAL_PATTERNS = {
    TypeAdapter(getattr(values, name)).json_schema()["pattern"] for name in DECIMAL_TYPES
}
#: Diagnostic measurements routing rules compare as numbers (signal -97 dBm): not decimals
#: of money or shares, and not published as such; a subject's attributes, and the values
#: a routing rule's conditions compare them with.
MEASUREMENTS = {"attributes"}
MEASURING_SCHEMAS = {"RuleCondition"}


def request_schemas(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(where, schema) of every request body and parameter."""
    found = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                found.append((f"{method} {path} ?{parameter['name']}", parameter["schema"]))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                found.append((f"{method} {path} body", media["schema"]))
    return found


def walk(schema: Any, where: str, components: dict[str, Any], seen: set[str]):
    """Yield (where, property name or None, schema) for every schema reachable."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen and name not in MEASURING_SCHEMAS:
            yield from walk(components[name], f"{where} > {name}", components, seen | {name})
        return
    yield where, schema
    for name, child in schema.get("properties", {}).items():
        if name not in MEASUREMENTS:
            yield from walk(child, f"{where}.{name}", components, seen)
    for key in ("items", "additionalProperties"):
        yield from walk(schema.get(key), where, components, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in schema.get(key, []):
            yield from walk(child, where, components, seen)


@pytest.mark.parametrize("service", SERVICES)
def test_no_edge_takes_a_json_number_and_every_decimal_is_the_contract_type(service, tmp_path):
    spec = openapi(service, tmp_path)
    components = spec.get("components", {}).get("schemas", {})
    numbers, untyped = [], []
    for where, root in request_schemas(spec):
        for place, schema in walk(root, where, components, set()):
            if schema.get("type") == "number":
                numbers.append(place)
            field = place.rsplit(".", 1)[-1]
            is_decimal = field in DECIMAL_NAMES and schema.get("type") == "string"
            if is_decimal and schema.get("pattern") not in SHARED_DECIMAL_PATTERNS:
                untyped.append(place)
    assert numbers == []
    assert untyped == []


def decimal_like() -> st.SearchStrategy[Any]:
    """What a careless or hostile client sends where an amount goes."""
    return st.one_of(
        st.decimals(min_value=0, max_value=10**9, places=2).map(str),
        st.decimals(min_value=-(10**16), max_value=10**16, places=6).map(str),
        st.integers(min_value=0, max_value=10**6).map(str),
        st.sampled_from(["1e3", "1E+3", "5_000", "\u0665", " 5", "5 ", "0.1.2", "", "-0", "00"]),
        st.text(alphabet="0123456789.-eE+_ ", max_size=12),
        st.floats(allow_nan=True),
        st.integers(),
        st.booleans(),
        st.none(),
    )


@st.composite
def remedy_lines(draw) -> dict[str, Any]:
    """A remedy line as sent, of any kind (an allowance or a compensation of 0 is refused, the
    others may cost nothing); often with an amount that fits quantity × unit price."""
    line = {
        "kind": draw(
            st.sampled_from(["return", "exchange", "repair", "allowance", "compensation"])
        ),
        "quantity": draw(st.one_of(st.none(), st.integers(min_value=0, max_value=10**6))),
        "unit_price": draw(st.one_of(st.none(), decimal_like())),
        "tax_rate": draw(st.one_of(st.none(), decimal_like())),
        "amount": draw(decimal_like()),
    }
    try:
        fitting = (Decimal(line["unit_price"]) * line["quantity"]).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
    except (TypeError, ArithmeticError, ValueError):
        return line
    if draw(st.booleans()):
        line["amount"] = str(fitting)
    return line


def test_whatever_the_proposal_edge_accepts_routing_publishes():
    accepted = []

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(line=remedy_lines())
    def edge_to_contract(line):
        line = {k: v for k, v in line.items() if v is not None}
        try:
            proposal = Proposal.model_validate({"currency": "CNY", "remedies": [line]})
        except ValidationError:
            return  # refused at the edge with a 422: nothing reaches the store
        routing, number = opened()
        remedies = [r.model_dump(mode="json", exclude_none=True) for r in proposal.remedies]
        try:
            routing.change(
                Propose(number, remedies=remedies, currency="CNY", actions=[], authority=AUTHORITY),
                HANDLER,
            )
        except DomainError:
            return  # refused by the aggregate with a 4xx: nothing stored either
        outbox = OutboxReader("routing", routing.recorder, routing.mapper, to_integration)
        [proposed] = [e for e in outbox.read(0, 100).events if e.type == "routing.RemedyProposed"]
        routing_contracts.RemedyProposedV1.model_validate(proposed.data)
        accepted.append(line)

    edge_to_contract()
    assert len(accepted) >= 20, "the property saw too few accepted proposals to mean much"
