"""Every voucher balances, whatever the amounts, ratios and currency (property-based)."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.settlement.accounting import is_balanced
from services.settlement.commands import (
    AgreeCompensation,
    ApportionCosts,
    IssueAllowance,
    IssueCreditNote,
    Receive,
    RecordCost,
    SignOffCosts,
)
from shared.kernel.errors import Invalid
from shared.kernel.money import MINOR_UNITS, quantum
from tests.support.settlement_story import act, opened

currencies = st.sampled_from(sorted(MINOR_UNITS))


def amounts(currency):
    return st.integers(min_value=1, max_value=10**9).map(lambda u: str(u * quantum(currency)))


@st.composite
def money_stories(draw):
    currency = draw(currencies)
    costs = draw(st.lists(amounts(currency), min_size=1, max_size=5))
    weights = draw(
        st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=6).filter(
            lambda w: sum(w) > 0
        )
    )
    # Ratios with 4 decimals that total exactly 100: scale, then give the rest to the last.
    ratios = [Decimal(w * 1_000_000 // sum(weights)) / 10_000 for w in weights]
    ratios[-1] += Decimal(100) - sum(ratios)
    kinds = draw(
        st.lists(
            st.sampled_from(["carrier", "supplier", "distributor", "customer", "internal_unit"]),
            min_size=len(ratios),
            max_size=len(ratios),
        )
    )
    quantity = draw(st.integers(min_value=1, max_value=10_000))
    price = draw(amounts(currency))
    tax = draw(st.sampled_from(["0", "0.06", "0.09", "0.13", "0.1234"]))
    compensation = draw(amounts(currency))
    return (
        currency,
        costs,
        list(zip(kinds, ratios, strict=True)),
        quantity,
        price,
        tax,
        compensation,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(money_stories())
def test_every_voucher_balances_and_shares_sum_to_the_costs(story):
    currency, costs, parties, quantity, price, tax, compensation = story
    exact = Decimal(price) * quantity * Decimal("0.035")
    allowance_approved = exact.quantize(quantum(currency), rounding=ROUND_HALF_UP)
    app, number = opened(
        currency=currency,
        remedies=[
            {
                "kind": "return",
                "amount": "1",
                "quantity": quantity,
                "unit_price": price,
                "part_no": "P",
                "tax_rate": tax,
            },
            {"kind": "allowance", "amount": str(allowance_approved)},
            {"kind": "compensation", "amount": compensation},
        ],
    )
    act(app, Receive(number, part_no="P", quantity=quantity, received_by="wh"))
    act(app, IssueCreditNote(number))
    allowance = {
        "mode": "percent",
        "value": "3.5",
        "lines": [{"part_no": "P", "quantity": quantity, "unit_price": price, "tax_rate": tax}],
    }
    if allowance_approved == 0:
        with pytest.raises(Invalid, match="rounds to 0"):
            act(app, IssueAllowance(number, **allowance))
    else:
        act(app, IssueAllowance(number, **allowance))
    act(app, AgreeCompensation(number, amount=compensation, kind="compensation", payee="C"))
    for i, cost in enumerate(costs):
        act(
            app,
            RecordCost(
                number, item="custom:item", amount=cost, accounting_unit=f"unit-{i}", owner="o"
            ),
        )
    for role in ("manager", "finance", "customer_quality_engineer", "product_management"):
        act(app, SignOffCosts(number, role=role, by=role))
    act(
        app,
        ApportionCosts(
            number,
            parties=[
                {"kind": kind, "name": f"party-{i}", "ratio": str(ratio)}
                for i, (kind, ratio) in enumerate(parties)
            ],
        ),
    )

    settlement = app.settlement(number)
    assert all(is_balanced(v["lines"]) for v in settlement.vouchers.values())
    shares = sum(Decimal(s["amount"]) for s in settlement.apportionment)
    assert shares == sum(Decimal(c) for c in costs)
    note = settlement.credit_note
    assert Decimal(note["net"]) + Decimal(note["tax"]) == Decimal(note["gross"])
