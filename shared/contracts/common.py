"""Value shapes shared by several contracts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"


#: Who can bear responsibility for a complaint (investigation, apportionment, charge-backs).
PARTY_KINDS = ("internal_unit", "person", "carrier", "supplier", "distributor", "customer")


def version_of(model: type[BaseModel]) -> int:
    """A contract model's schema version, from its name: `...V2` is version 2."""
    return int(model.__name__.rsplit("V", 1)[1])


class Contract(BaseModel):
    """Base of every payload: unknown fields are kept by consumers, so producers may add."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Party(Contract):
    name: str
    type: str = Field(description="consumer, distributor, key_account, vip or other")
    customer_id: str | None = None
    contact: str | None = None
    foreign: bool = False


class RemedyLine(Contract):
    kind: str = Field(description="return, exchange, repair, allowance or compensation")
    amount: str = Field(pattern=DECIMAL_PATTERN, description="Decimal as a string")
    quantity: int | None = None
    unit_price: str | None = Field(default=None, pattern=DECIMAL_PATTERN)
    part_no: str | None = None
