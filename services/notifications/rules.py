"""Who is told what: notification rules as data (`notification_rules.json`, or the file named
by `COMPLAINTS_NOTIFICATION_RULES_FILE`), validated at start like the other policies.

A rule names an upstream event type, an audience and a template, optionally a condition on
the event's fields and `urgent` (sent at once, even in staff quiet hours). The directory says
how staff audiences are reached: a unit's handler and manager, the escalation levels, who
receives reports; a customer is reached at the address the complaint gave.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from services.notifications.domain import Audience

RULES_FILE = Path(__file__).with_name("notification_rules.json")
TEMPLATES = Path(__file__).with_name("templates")
Language = Literal["zh-CN", "en"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(Strict):
    event: str = Field(pattern=r"^[a-z]+\.[A-Za-z]+$")
    audience: Audience
    template: str = Field(pattern=r"^[a-z_]+$")
    when: dict[str, list[Any]] = Field(default_factory=dict)
    urgent: bool = False

    def applies(self, event_type: str, data: dict[str, Any]) -> bool:
        return event_type == self.event and all(
            data.get(name) in values for name, values in self.when.items()
        )


def email_address(contact: str | None) -> str | None:
    """The contact as an email address, when it is one (a complaint may give a phone)."""
    if not contact or "@" not in contact:
        return None
    try:
        address = Address(addr_spec=contact.strip())
    except (HeaderParseError, ValueError, IndexError):
        return None
    return address.addr_spec if "." in address.domain else None


#: The longest address a mail path takes (RFC 5321); the deliveries view keeps as much.
MAX_ADDRESS = 254


def _staff_address(value: str) -> str:
    if len(value) > MAX_ADDRESS or email_address(value) != value:
        raise ValueError(
            f"{value[:60]!r} is not an email address of at most {MAX_ADDRESS} characters"
        )
    return value


#: A staff address in the directory: checked when the rules load, not when a message bounces.
StaffAddress = Annotated[str, AfterValidator(_staff_address)]


class UnitContacts(Strict):
    handler: StaffAddress
    manager: StaffAddress


class Directory(Strict):
    units: dict[str, UnitContacts]
    otherwise: UnitContacts
    levels: dict[str, StaffAddress] = Field(default_factory=dict)
    reports: list[StaffAddress] = Field(default_factory=list)
    staff_language: Language = "zh-CN"

    def unit(self, unit: str | None) -> UnitContacts:
        return self.units.get(unit or "", self.otherwise)


class QuietHours(Strict):
    """Staff are not written to in these local hours; a message is held until they end."""

    start: time
    end: time

    def held_until(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        local = now.astimezone(zone)
        at = local.timetz().replace(tzinfo=None)
        overnight = self.start > self.end
        quiet = (at >= self.start or at < self.end) if overnight else self.start <= at < self.end
        if not quiet:
            return None
        end = datetime.combine(local.date(), self.end, tzinfo=zone)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(UTC)


class NotificationRules(Strict):
    version: str
    rules: list[Rule]
    directory: Directory
    quiet_hours: QuietHours | None = None

    @field_validator("rules")
    @classmethod
    def _templates_exist(cls, rules: list[Rule]) -> list[Rule]:
        for rule in rules:
            for language in ("zh-CN", "en"):
                if not (TEMPLATES / language / f"{rule.template}.txt").exists():
                    raise ValueError(
                        f"rule for {rule.event}: no {language} template {rule.template}"
                    )
        return rules

    @classmethod
    def load(cls, path: Path | None = None) -> NotificationRules:
        return cls.model_validate_json((path or RULES_FILE).read_text(encoding="utf-8"))

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(rule.event for rule in self.rules)

    def matching(self, event_type: str, data: dict[str, Any]) -> list[Rule]:
        return [rule for rule in self.rules if rule.applies(event_type, data)]

    def staff_addresses(
        self, audience: Audience, unit: str | None, level: str | None = None
    ) -> list[str]:
        """The staff addresses of an audience; escalations above the unit go to the level."""
        if audience is Audience.reports:
            return list(self.directory.reports)
        if audience is Audience.manager and level in self.directory.levels:
            return [self.directory.levels[level]]
        contacts = self.directory.unit(unit)
        return [contacts.manager if audience is Audience.manager else contacts.handler]
