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

from pydantic import AfterValidator, AwareDatetime, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from shared.kernel import clock
from shared.kernel.case_number import PATTERN as CASE_NUMBER_PATTERN
from shared.kernel.case_number import CaseNumber, CaseNumberError
from shared.kernel.money import minor_unit

#: The longest text an endpoint accepts (a complaint's description), and so the longest any
#: published event carries: every request schema's text stays within it (a contract test
#: checks their OpenAPI), and every contract model refuses longer (`shared.contracts.common`),
#: so a forged event cannot carry more than any desk could have typed.
MAX_TEXT = 20_000

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
        return without_leading_zeros(text)

    return AfterValidator(check)


def without_leading_zeros(text: str) -> str:
    """ "007.50" as "7.50": one spelling of the integer part, kept and published; the fraction
    stays as given (money is spelled at its minor unit where its currency is known,
    `money.at_minor_unit`)."""
    sign = "-" if text.startswith("-") else ""
    whole, point, fraction = text.removeprefix("-").partition(".")
    return f"{sign}{whole.lstrip('0') or '0'}{point}{fraction}"


def documented_pattern(
    *, places_max: int, minimum: Decimal | None, exclusive: bool, maximum: Decimal | None
) -> str:
    """The JSON Schema pattern of exactly the texts `_bounded` admits, so that the API and
    event documents state the bounds a client meets (a property test holds the two equal).

    The checks stay in `_bounded`, where a refusal names its rule (`at_least`,
    `decimal_places`...); a pattern could only say "does not match". Bounds are those the
    product uses: no lower bound (signed) or 0, inclusive or not; no upper bound or a power
    of ten. Anything else is refused here, when the type is declared.
    """
    fraction = rf"(\.[0-9]{{1,{places_max}}})?"
    if maximum is None:
        body = rf"[0-9]{{1,{INTEGER_DIGITS}}}{fraction}"
    else:
        power = len(str(maximum)) - 1
        if maximum != 10**power:
            raise ValueError(f"an upper bound must be a power of ten, not {maximum}")
        # Below the bound: at most `power` significant integer digits; the bound itself
        # with a zero fraction. Leading zeros count toward INTEGER_DIGITS, as in `_bounded`.
        below = (
            rf"0{{0,{INTEGER_DIGITS - 1}}}0"
            if power == 0
            else rf"0{{0,{INTEGER_DIGITS - power}}}[0-9]{{1,{power}}}"
        )
        bound = rf"0{{0,{INTEGER_DIGITS - power - 1}}}1{'0' * power}(\.0{{1,{places_max}}})?"
        body = f"({below}{fraction}|{bound})"
    if minimum is None:
        return f"^-?{body}$"
    if minimum != 0:
        raise ValueError(f"a lower bound must be 0, not {minimum}")
    return f"^(?![0.]*$){body}$" if exclusive else f"^{body}$"


def decimal_text(
    *,
    places: int,
    ge: str | None = None,
    gt: str | None = None,
    le: str | None = None,
) -> Any:
    """A decimal-string type with its bounds; refused inputs name the rule they break, and
    its JSON Schema pattern admits exactly what it accepts (`documented_pattern`)."""
    low = gt if gt is not None else ge
    minimum = None if low is None else Decimal(low)
    maximum = None if le is None else Decimal(le)
    exclusive = gt is not None
    pattern = documented_pattern(
        places_max=places, minimum=minimum, exclusive=exclusive, maximum=maximum
    )
    return Annotated[
        str,
        StringConstraints(strict=True, pattern=DECIMAL_PATTERN, max_length=40),
        _bounded(places_max=places, minimum=minimum, exclusive=exclusive, maximum=maximum),
        WithJsonSchema({"type": "string", "pattern": pattern}),
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


def _not_future(moment: datetime) -> datetime:
    if moment > clock.now():
        raise PydanticCustomError(
            "not_future", "must not be in the future: what will be known then is not known yet"
        )
    return moment


#: A moment to look back from (`as_of`): an instant up to now, so that asking again later
#: gives the same answer; a moment still to come would answer with today's knowledge.
PastInstant = Annotated[Instant, AfterValidator(_not_future)]


def _case_number(text: str) -> str:
    try:
        CaseNumber.parse(text)
    except CaseNumberError as error:
        raise PydanticCustomError("case_number_format", error.detail) from None
    return text


#: A case number as a client writes it (a path parameter, a reference in a body): refused by
#: `CaseNumber.parse` itself (rule `case_number_format`), documented with the very pattern it
#: applies, so what the API documents and what it accepts are one rule.
CaseNumberText = Annotated[
    str,
    AfterValidator(_case_number),
    WithJsonSchema({"type": "string", "pattern": CASE_NUMBER_PATTERN, "examples": ["2611-0042"]}),
]
