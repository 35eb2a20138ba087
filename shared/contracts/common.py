"""Value shapes shared by several contracts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.kernel.values import MAX_TEXT, DecimalText, Rate

#: Who can bear responsibility for a complaint (investigation, apportionment, charge-backs).
PARTY_KINDS = ("internal_unit", "person", "carrier", "supplier", "distributor", "customer")


def version_of(model: type[BaseModel]) -> int:
    """A contract model's schema version, from its name: `...V2` is version 2."""
    return int(model.__name__.rsplit("V", 1)[1])


class Contract(BaseModel):
    """Base of every payload: unknown fields are kept by consumers, so producers may add.
    No text in it (a field, a list item, a map's key or value) is longer than `MAX_TEXT`,
    the longest any endpoint accepts."""

    model_config = ConfigDict(extra="allow", frozen=True, str_max_length=MAX_TEXT)


class Party(Contract):
    name: str
    type: str = Field(description="consumer, distributor, key_account, vip or other")
    customer_id: str | None = None
    contact: str | None = None
    foreign: bool = False
    over_receipt_tolerance: Rate | None = Field(
        default=None,
        description="The customer's own over-receipt ratio (客户超量允收比率), 0 to 1; "
        "absent: the company default applies",
    )


class RemedyLine(Contract):
    kind: str = Field(description="return, exchange, repair, allowance or compensation")
    amount: DecimalText = Field(description="Decimal as a string")
    quantity: int | None = None
    unit_price: DecimalText | None = None
    part_no: str | None = None
