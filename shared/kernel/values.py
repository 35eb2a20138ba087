"""One type per value, shared by request schemas, aggregates and event contracts.

Whatever an endpoint accepts must be publishable: a value refused by the contract it ends up
in would stop the producer's feed at that event. So decimals, money amounts, rates and
instants are declared here once, and both the request schemas and the contract models use
these very types; nothing is re-validated or re-shaped on the way.

Decimals travel as plain decimal strings (`"1200.50"`), never JSON numbers (binary floats
lose cents) and never in exponent form (`"1e3"` is a decimal to Python but not to an ERP).
The pattern is ASCII on purpose: Unicode `\\d` would let Arabic-Indic digits through.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, StringConstraints
from pydantic_core import PydanticCustomError

from shared.kernel.money import minor_unit

#: A plain decimal: optional minus, ASCII digits, optional fraction. Nothing else.
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"

#: Digits before the point that any amount may have (a quadrillion is plenty).
INTEGER_DIGITS = 15

#: The range of instants the product accepts: nothing before its epoch or past 2200.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def places(text: str) -> int:
    """Digits after the decimal point of a decimal string."""
    return len(text.partition(".")[2])


def _bounded(
    *, places_max: int, minimum: Decimal | None, exclusive: bool, maximum: Decimal | None
) -> Any:
    def check(text: str) -> str:
        if places(text) > places_max:
            raise PydanticCustomError(
                "decimal_places",
                "at most {places} digits after the decimal point",
                {"places": places_max},
            )
        if len(text.lstrip("-").partition(".")[0]) > INTEGER_DIGITS:
            raise PydanticCustomError(
                "integer_digits",
                "at most {digits} digits before the point",
                {"digits": INTEGER_DIGITS},
            )
        value = Decimal(text)
        # "-0.00" equals zero but is not a value a sign makes sense on: refused, not
        # passed on to a ledger or an ERP that may read it as a debit.
        signed_zero = text.startswith("-") and minimum is not None and minimum >= 0
        if minimum is not None and (
            signed_zero or (value <= minimum if exclusive else value < minimum)
        ):
            rule, word = ("greater_than", "greater than") if exclusive else ("at_least", "at least")
            raise PydanticCustomError(rule, f"must be {word} {minimum}")
        if maximum is not None and value > maximum:
            raise PydanticCustomError("at_most", f"must be at most {maximum}")
        return text

    return AfterValidator(check)


def decimal_text(
    *,
    places: int,
    ge: str | None = None,
    gt: str | None = None,
    le: str | None = None,
) -> Any:
    """A decimal-string type with its bounds; refused inputs name the rule they break."""
    low = gt if gt is not None else ge
    return Annotated[
        str,
        StringConstraints(strict=True, pattern=DECIMAL_PATTERN, max_length=40),
        _bounded(
            places_max=places,
            minimum=None if low is None else Decimal(low),
            exclusive=gt is not None,
            maximum=None if le is None else Decimal(le),
        ),
    ]


#: Any decimal, signed (as published: contract fields that may be negative, e.g. reversals).
DecimalText = decimal_text(places=6)
#: A money amount not below zero. Exactness to the currency's minor unit is checked where the
#: currency is known (`check_minor_unit`), by the same function everywhere.
Amount = decimal_text(places=6, ge="0")
#: A money amount above zero: what is paid, credited, charged or fined.
PositiveAmount = decimal_text(places=6, gt="0")
#: A unit price: prices of components go below the minor unit (0.0125 CNY a resistor).
UnitPrice = decimal_text(places=6, ge="0")
#: A fraction from 0 to 1: tax rates, over-receipt tolerances.
Rate = decimal_text(places=4, ge="0", le="1")
#: A percentage from 0 to 100: apportionment ratios (a party may bear none).
Percent = decimal_text(places=4, ge="0", le="100")
#: A share of responsibility: above 0, at most 100 percent.
Share = decimal_text(places=4, gt="0", le="100")


#: The rule name a money amount breaks when it has digits below its currency's minor unit.
MINOR_UNIT_RULE = "minor_unit"


def below_minor_unit(amount: str, currency: str) -> str | None:
    """Why `amount` is not money in `currency` (digits below its minor unit), or None.

    Request schemas raise it as a validation error and aggregates as `Invalid`, both under
    `MINOR_UNIT_RULE`, wherever the currency becomes known.
    """
    unit = minor_unit(currency)
    if places(amount) > unit:
        return f"{amount} has digits below the {currency} minor unit ({unit} decimal places)"
    return None


def _utc_in_range(moment: datetime) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise PydanticCustomError(
            "instant_range",
            "must be from {earliest} to before {latest}",
            {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )
    return moment.astimezone(UTC)


#: An instant: a zone is required, the range bounded, and it is held and returned as UTC.
Instant = Annotated[AwareDatetime, AfterValidator(_utc_in_range)]
