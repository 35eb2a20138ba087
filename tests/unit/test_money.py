"""Money is Decimal with a currency, rounded half-up to the minor unit only when asked."""

from decimal import Decimal

import pytest

from shared.kernel.money import Money, MoneyError


def test_rounding_is_half_up_to_the_currency_minor_unit():
    assert Money.of("0.125", "CNY").rounded() == Money.of("0.13", "CNY")
    assert Money.of("-0.125", "CNY").rounded() == Money.of("-0.13", "CNY")
    assert Money.of("1.5", "JPY").rounded() == Money.of("2", "JPY")
    assert Money.of("0.0005", "KWD").rounded() == Money.of("0.001", "KWD")


def test_sums_keep_full_precision_until_rounded():
    third = Money(Decimal(1) / Decimal(3), "CNY")
    assert (third + third + third).rounded() == Money.of("1.00", "CNY")


def test_floats_and_unknown_currencies_are_refused():
    with pytest.raises(MoneyError):
        Money(0.1, "CNY")  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="unknown currency"):
        Money.of("1", "XXX")
    with pytest.raises(MoneyError, match="currency mismatch"):
        Money.of("1", "CNY") + Money.of("1", "USD")
