"""Case numbers `YYMM-NNNN` (seed 002 §八) and the aggregate ids derived from them.

The case number is the key every service shares. Each service derives its own aggregate id
from it with uuid5, so one case's streams can be found in every store without a lookup table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from shared.kernel.errors import Invalid

#: `YYMM-NNNN`: ASCII digits (Unicode `\d` would let other scripts' digits through), a month
#: 01-12, a serial of four to six digits that is not zero. Published in the API documents as
#: the path parameter's pattern (ECMA-262 and Python read it alike), and enforced by `parse`.
PATTERN = r"^([0-9]{2})(0[1-9]|1[0-2])-(?!0+$)([0-9]{4,6})$"
_PATTERN = re.compile(PATTERN)

#: Namespace of every id this product derives; fixed forever, since ids are stored.
NAMESPACE = UUID("6f1c3c55-8a4e-4f0e-9d6b-2b7f1a3c9e10")


class CaseNumberError(Invalid, ValueError):
    """A string that is not a case number (422 naming the `number` field)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="number", rule="case_number_format")


@dataclass(frozen=True, order=True, slots=True)
class CaseNumber:
    year: int  # two digits, 00-99
    month: int
    serial: int

    @classmethod
    def parse(cls, text: str) -> CaseNumber:
        match = _PATTERN.fullmatch(text)
        if not match:
            raise CaseNumberError(
                f"{text[:40]!r} is not a case number; expected YYMM-NNNN, e.g. 2611-0042"
            )
        yy, mm, serial = match.groups()
        return cls(int(yy), int(mm), int(serial))

    @property
    def period(self) -> str:
        """The numbering period, `YYMM`."""
        return f"{self.year:02d}{self.month:02d}"

    def __str__(self) -> str:
        return f"{self.period}-{self.serial:04d}"


def numbering_period(received_at: datetime, business_timezone: str) -> str:
    """The `YYMM` period a complaint received at `received_at` is numbered in.

    The month is the business's local month (default Asia/Shanghai): a complaint received at
    23:30 UTC on the 31st is already next month in Shanghai.
    """
    local = received_at.astimezone(ZoneInfo(business_timezone))
    return f"{local.year % 100:02d}{local.month:02d}"


def aggregate_id(kind: str, key: str) -> UUID:
    """Deterministic aggregate id for `kind` (e.g. "routing.case") and a key (a case number)."""
    return uuid5(NAMESPACE, f"{kind}:{key}")
