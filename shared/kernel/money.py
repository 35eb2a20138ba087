"""Money as Decimal with a currency; rounding half-up to the currency's minor unit.

Amounts are never floats. Rounding happens only where a caller asks for it (`rounded()`),
so intermediate products keep full precision and the documented rounding points stay few.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

#: ISO 4217 minor units of the currencies the product accepts. Extend by configuration later;
#: an unknown currency is refused, never guessed.
MINOR_UNITS: dict[str, int] = {
    "CNY": 2,
    "HKD": 2,
    "TWD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "JPY": 0,
    "KRW": 0,
    "SGD": 2,
    "CHF": 2,
    "KWD": 3,
    "BHD": 3,
}


class MoneyError(ValueError):
    """An amount or currency that cannot be money."""


def minor_unit(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise MoneyError(f"unknown currency {currency!r}") from None


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def at_minor_unit(amount: Decimal | str, currency: str) -> str:
    """An amount with nothing below its currency's minor unit (as given, checked by
    `values.below_minor_unit`, or a sum of such), spelled at that unit: "12.5" and "012.5"
    CNY as "12.50", so that documents, totals and vouchers spell one amount alike."""
    return str(Decimal(amount).quantize(quantum(currency)))


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float):
            raise MoneyError("money amounts must not be floats")
        try:
            amount = Decimal(self.amount)
        except (InvalidOperation, TypeError):
            raise MoneyError(f"not an amount: {self.amount!r}") from None
        if not amount.is_finite():
            raise MoneyError("amount must be finite")
        minor_unit(self.currency)
        object.__setattr__(self, "amount", amount)

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        return cls(Decimal(amount), currency)

    def rounded(self) -> Money:
        """Half-up to the currency's minor unit: the one rounding rule of the product."""
        return Money(
            self.amount.quantize(quantum(self.currency), rounding=ROUND_HALF_UP), self.currency
        )

    def is_exact(self) -> bool:
        """True when the amount has no digits below the currency's minor unit."""
        return self.amount == self.amount.quantize(quantum(self.currency))

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise MoneyError("multiply money by Decimal, not float")
        return Money(self.amount * factor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class ApportionmentError(ValueError):
    """Ratios that cannot apportion a total (they must total exactly 100%)."""


HUNDRED = Decimal(100)


def apportion(total: Money, ratios: list[Decimal]) -> list[Money]:
    """Split `total` by percentage `ratios` so that the shares sum exactly to the total.

    Largest-remainder method in minor units: each share is its exact value truncated to the
    minor unit, and the minor units left over go one each to the largest truncated
    remainders (ties to the earlier party). Every share is within one minor unit of its exact
    value, and the result depends only on the inputs.
    """
    if not ratios:
        raise ApportionmentError("at least one ratio is needed")
    if any(r < 0 for r in ratios):
        raise ApportionmentError("ratios must not be negative")
    if sum(ratios) != HUNDRED:
        raise ApportionmentError(f"ratios total {sum(ratios)}%, not 100%")
    if not total.is_exact():
        raise ApportionmentError(f"{total} has digits below the {total.currency} minor unit")
    unit = quantum(total.currency)
    units = int(total.amount / unit)  # exact: the total is a whole number of minor units
    sign = -1 if units < 0 else 1
    exact = [abs(units) * r / HUNDRED for r in ratios]
    floors = [int(e) for e in exact]
    left = abs(units) - sum(floors)
    by_remainder = sorted(range(len(ratios)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return [Money(sign * f * unit, total.currency) for f in floors]
