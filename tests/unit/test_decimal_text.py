"""The decimal types every edge and contract share (`shared.kernel.values`): a refused value
names the rule it breaks, and nothing that equals a valid value by accident slips through."""

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.kernel.values import Amount, PositiveAmount, Rate

AMOUNT = TypeAdapter(Amount)


def rule_broken(adapter: TypeAdapter, text: str) -> str:
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python(text)
    return refused.value.errors()[0]["type"]


@pytest.mark.parametrize("text", ["0", "0.00", "800.00", "0.0125"])
def test_an_amount_is_a_plain_decimal_not_below_zero(text):
    assert AMOUNT.validate_python(text) == text


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
