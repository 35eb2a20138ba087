"""Money moved to customers, counted for `/metrics` as settlement records it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

#: Domain events that credit or pay the customer, and where their gross amount is.
MONEY = {
    "CreditNoteIssued": ("refund", "gross"),
    "AllowanceIssued": ("allowance", "gross"),
    "CompensationAgreed": ("compensation", "amount"),
}


def money_counter(amounts: Any) -> Callable[[Sequence[Any]], None]:
    """What to run on each batch of recorded events: add each payment to its counter
    (labelled by kind and currency)."""

    def count(events: Sequence[Any]) -> None:
        for event in events:
            kind = MONEY.get(type(event).__name__)
            if kind:
                amounts.labels(kind[0], event.currency).inc(float(getattr(event, kind[1])))

    return count
