"""Email text from templates (Jinja2): one file per template and language, subject first.

Jinja2 because the templates are data a customer edits (wording, signature, language) and
it is the maintained, sandboxable standard for that; `StrictUndefined` makes a template that
names a missing field fail at planning, where the event is dead-lettered with the reason,
instead of mailing a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notifications.rules import TEMPLATES

#: What the money documents are called in each language, and where their amount is.
MONEY_KINDS: dict[str, tuple[str, str, str]] = {
    "settlement.CreditNoteIssued": ("refund", "退款", "gross"),
    "settlement.AllowanceIssued": ("sales allowance", "销货折让", "gross"),
    "settlement.CompensationAgreed": ("compensation", "赔偿", "amount"),
}


#: The longest subject kept: what the deliveries view holds. A template is installation data
#: and may put a customer's own words in its first line; a longer subject ends in "…" rather
#: than degrading the view that lists it.
SUBJECT_LENGTH = 500


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class Templates:
    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    @cached_property
    def environment(self) -> Environment:
        environment = Environment(
            loader=FileSystemLoader(TEMPLATES),
            undefined=StrictUndefined,
            autoescape=False,  # noqa: S701 - plain-text email, never HTML
            keep_trailing_newline=False,
        )
        environment.filters["local"] = self.local
        return environment

    def local(self, instant: str | datetime) -> str:
        """An instant as the business reads it: local time with the zone's name."""
        at = datetime.fromisoformat(instant) if isinstance(instant, str) else instant
        return f"{at.astimezone(self.zone):%Y-%m-%d %H:%M} ({self.zone.key})"

    def render(self, template: str, language: str, context: dict[str, Any]) -> Rendered:
        text = self.environment.get_template(f"{language}/{template}.txt").render(
            **context, **_money(context, language)
        )
        subject, _, body = text.partition("\n")
        return Rendered(_header_line(subject), body.strip() + "\n")


def _header_line(subject: str) -> str:
    """The subject as one header line: a customer's words in it may hold a carriage return
    or a tab (which no header may carry), and it may be longer than the view keeps."""
    line = " ".join(subject.split())
    if len(line) <= SUBJECT_LENGTH:
        return line
    return line[: SUBJECT_LENGTH - 1] + "…"


def _money(context: dict[str, Any], language: str) -> dict[str, str]:
    kind = MONEY_KINDS.get(context["event_type"])
    if kind is None:
        return {}
    english, chinese, field = kind
    return {"kind": chinese if language == "zh-CN" else english, "amount": context["data"][field]}
