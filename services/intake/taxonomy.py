"""Classification taxonomies, kept as configuration data with zh-CN and en labels (docs/domain §3).

A `Taxonomy` is a value the application is given, like routing's authority: `IntakeApplication`
holds the one in force (the shipped `taxonomies.json` unless wiring passes another), and the
classify command carries it to the complaint. `severity_for` applies docs/domain §3's
escalation rules (001 网络投诉分级) to what registration knows, and says which rule decided.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

TAXONOMY_FILE = Path(__file__).with_name("taxonomies.json")


@dataclass(frozen=True)
class Taxonomy:
    #: {scheme: {code: {"zh-CN": label, "en": label}}}
    schemes: Mapping[str, Mapping[str, Mapping[str, str]]]

    def codes(self, scheme: str) -> tuple[str, ...]:
        return tuple(self.schemes[scheme])

    def labelled(self, scheme: str, code: str | None) -> dict[str, Any] | None:
        if code is None:
            return None
        return {"code": code, **self.schemes[scheme][code]}


@cache
def shipped_taxonomy() -> Taxonomy:
    """The taxonomies shipped in `taxonomies.json` (read once)."""
    return Taxonomy(json.loads(TAXONOMY_FILE.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class SeverityDecision:
    level: str
    rule: str


#: Channels that make a complaint level 1 by themselves (001: regulator, head office, media).
LEVEL_1_CHANNELS = {"regulator", "consumer_association", "media", "head_office"}
#: Flags a clerk can tick at registration, and the level each one means.
LEVEL_1_FLAGS = {
    "public_exposure",
    "regulator_deadline",
    "key_account_leaving",
    "information_security",
    "public_order",
}
LEVEL_2_FLAGS = {"journalist_or_lawyer", "sensitive_trade", "urgent_relationship"}


def severity_for(
    channel: str, customer_type: str, nature: str, flags: frozenset[str]
) -> SeverityDecision:
    if channel in LEVEL_1_CHANNELS:
        return SeverityDecision("level_1", f"channel:{channel}")
    if customer_type == "vip":
        return SeverityDecision("level_1", "customer:vip")
    for flag in sorted(flags & LEVEL_1_FLAGS):
        return SeverityDecision("level_1", f"flag:{flag}")
    if customer_type == "key_account":
        return SeverityDecision("level_2", "customer:key_account")
    for flag in sorted(flags & LEVEL_2_FLAGS):
        return SeverityDecision("level_2", f"flag:{flag}")
    if nature == "billing":
        return SeverityDecision("level_2", "nature:billing")
    return SeverityDecision("level_3", "default")
