"""Request-schema pieces every service's API shares: strict bodies, the acting person,
currencies, and keyset cursors for paginated lists."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from shared.kernel.errors import Invalid
from shared.kernel.money import MINOR_UNITS
from shared.kernel.values import EARLIEST, LATEST


class Strict(BaseModel):
    """A request body: unknown fields are refused (422 naming them), never ignored."""

    model_config = ConfigDict(extra="forbid")


class By(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"by": "fin-zhou"}]})
    by: str = Field(min_length=1, max_length=200, description="Who acts (until auth lands)")


def _known_currency(value: str) -> str:
    if value not in MINOR_UNITS:
        raise PydanticCustomError(
            "unknown_currency", "unknown currency {currency}", {"currency": repr(value[:10])}
        )
    return value


#: A currency the product knows the minor unit of: documented as that list, refused otherwise.
Currency = Annotated[
    str,
    AfterValidator(_known_currency),
    WithJsonSchema({"type": "string", "enum": sorted(MINOR_UNITS), "examples": ["CNY"]}),
]


def encode_cursor(moment: datetime, key: str) -> str:
    """An opaque keyset cursor: the last row's sort time and key."""
    raw = json.dumps([moment.isoformat(), key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The cursor's sort time and key; anything this list did not hand out is a 422."""
    try:
        moment, key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = datetime.fromisoformat(moment)
        if at.tzinfo is None or not EARLIEST <= at < LATEST:
            raise ValueError(moment)
        return at.astimezone(UTC), str(key)
    except (ValueError, TypeError, OverflowError):
        raise Invalid(
            "not a cursor returned by this list", field="cursor", rule="opaque_cursor"
        ) from None
