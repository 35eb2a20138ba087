"""Apportionment is exact for any amount, ratios and currency (property-based)."""

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.kernel.money import MINOR_UNITS, ApportionmentError, Money, apportion, quantum

currencies = st.sampled_from(sorted(MINOR_UNITS))


@st.composite
def totals(draw):
    currency = draw(currencies)
    units = draw(st.integers(min_value=-(10**12), max_value=10**12))
    return Money(units * quantum(currency), currency)


@st.composite
def ratio_lists(draw):
    """Percentages with up to 4 decimals that total exactly 100."""
    count = draw(st.integers(min_value=1, max_value=12))
    cuts = sorted(
        draw(
            st.lists(
                st.integers(min_value=0, max_value=1_000_000),
                min_size=count - 1,
                max_size=count - 1,
            )
        )
    )
    bounds = [0, *cuts, 1_000_000]
    return [Decimal(b - a) / Decimal(10_000) for a, b in itertools.pairwise(bounds)]


@given(totals(), ratio_lists())
def test_shares_sum_exactly_to_the_total(total, ratios):
    shares = apportion(total, ratios)
    assert sum((s.amount for s in shares), Decimal(0)) == total.amount
    assert all(s.currency == total.currency and s.is_exact() for s in shares)


@given(totals(), ratio_lists())
def test_each_share_is_within_one_minor_unit_of_its_exact_value(total, ratios):
    unit = quantum(total.currency)
    for share, ratio in zip(apportion(total, ratios), ratios, strict=True):
        assert abs(share.amount - total.amount * ratio / 100) < unit


@given(totals(), ratio_lists())
def test_apportionment_is_deterministic(total, ratios):
    assert apportion(total, ratios) == apportion(total, list(ratios))


def test_thirds_of_a_hundred_yuan():
    shares = apportion(
        Money.of("100.00", "CNY"), [Decimal("33.3333"), Decimal("33.3333"), Decimal("33.3334")]
    )
    assert [str(s.amount) for s in shares] == ["33.33", "33.33", "33.34"]


@pytest.mark.parametrize(
    "ratios", [[Decimal(50), Decimal("49.99")], [Decimal(101), Decimal(-1)], []]
)
def test_ratios_must_total_exactly_100_percent(ratios):
    with pytest.raises(ApportionmentError):
        apportion(Money.of("10.00", "CNY"), ratios)
