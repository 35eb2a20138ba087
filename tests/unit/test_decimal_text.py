"""The decimal types every edge and contract share (`shared.kernel.values`): a refused value
names the rule it breaks, and nothing that equals a valid value by accident slips through."""

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from shared.kernel import values
from shared.kernel.values import Amount, PositiveAmount, Rate, documented_pattern

AMOUNT = TypeAdapter(Amount)


def rule_broken(adapter: TypeAdapter, text: str) -> str:
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python(text)
    return refused.value.errors()[0]["type"]


@pytest.mark.parametrize("text", ["0", "0.00", "800.00", "0.0125"])
def test_an_amount_is_a_plain_decimal_not_below_zero(text):
    assert AMOUNT.validate_python(text) == text


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("007.50", "7.50"), ("000", "0"), ("00.0125", "0.0125"), ("0100", "100")],
)
def test_leading_zeros_are_dropped_and_the_fraction_kept_as_given(typed, kept):
    assert AMOUNT.validate_python(typed) == kept
    assert TypeAdapter(values.DecimalText).validate_python(f"-{typed}") == f"-{kept}"
    assert AMOUNT.validate_python(kept) == kept


@pytest.mark.parametrize("text", ["-0", "-0.00", "-0.0000"])
def test_a_minus_sign_on_a_zero_amount_is_refused_not_passed_to_a_ledger(text):
    assert rule_broken(AMOUNT, text) == "at_least"
    assert rule_broken(TypeAdapter(Rate), text) == "at_least"
    assert rule_broken(TypeAdapter(PositiveAmount), text) == "greater_than"


@pytest.mark.parametrize(
    ("text", "rule"),
    [("-0.01", "at_least"), ("1e3", "string_pattern_mismatch"), ("1.0000001", "decimal_places")],
)
def test_other_refusals_name_their_rule(text, rule):
    assert rule_broken(AMOUNT, text) == rule


#: The shared decimal types (`shared.kernel.values`), by name.
DECIMAL_TYPES = ["DecimalText", "Amount", "PositiveAmount", "UnitPrice", "Rate", "Percent", "Share"]
#: Texts near every edge the bounds draw: signs, zeros, places, digits, the upper bounds.
DECIMAL_LIKE = st.one_of(
    st.text(alphabet="0123456789.-", max_size=24),
    st.builds(
        "{}{}{}.{}".format,
        st.sampled_from(["", "-"]),
        st.text(alphabet="0", max_size=16),
        st.sampled_from(["", "0", "1", "9", "10", "99", "100", "101", "1000"]),
        st.text(alphabet="0123456789", max_size=8),
    ).map(lambda text: text.rstrip(".") if text.endswith(".") else text),
)


@pytest.mark.parametrize("name", DECIMAL_TYPES)
@settings(max_examples=400, deadline=None)
@given(text=DECIMAL_LIKE)
def test_the_documented_pattern_admits_exactly_what_the_type_accepts(name, text):
    """Clients and schema-driven testers read the pattern; the validator decides. They agree,
    so a value the documents allow is never refused for a bound they do not state."""
    adapter = TypeAdapter(getattr(values, name))
    try:
        adapter.validate_python(text)
        accepted = True
    except ValidationError:
        accepted = False
    pattern = adapter.json_schema()["pattern"]
    assert (re.fullmatch(pattern, text) is not None) == accepted, (pattern, text)


@pytest.mark.parametrize(
    ("minimum", "maximum"), [(Decimal("-1"), None), (Decimal("0"), Decimal("50"))]
)
def test_bounds_the_pattern_cannot_state_are_refused_when_the_type_is_declared(minimum, maximum):
    with pytest.raises(ValueError, match="bound must be"):
        documented_pattern(places_max=2, minimum=minimum, exclusive=False, maximum=maximum)
