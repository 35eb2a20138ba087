"""Routing rules as data: an ordered, versioned rule set; the first rule that matches decides.

Every assignment records the rule id and rule-set version that decided it, so an auditor can
see why a case went where it went (DOMAIN §4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rule:
    id: str
    unit: str
    when: dict[str, Any] = field(default_factory=dict)  # field -> required value; {} matches all
    description: str = ""

    def matches(self, facts: dict[str, Any]) -> bool:
        return all(facts.get(key) == value for key, value in self.when.items())


@dataclass(frozen=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]

    def decide(self, facts: dict[str, Any]) -> Rule:
        for rule in self.rules:
            if rule.matches(facts):
                return rule
        raise LookupError("no routing rule matched; the rule set needs a catch-all rule")


#: The default routes of DOMAIN §4 (seeds 000, 001, 002, 003).
DEFAULT_RULES = RuleSet(
    version="2026.11-1",
    rules=(
        Rule(
            "escalate-regulator",
            "deputy_gm_office",
            {"channel": "regulator"},
            "lodged with a regulator -> deputy GM's office (003 §3.1)",
        ),
        Rule(
            "escalate-media",
            "deputy_gm_office",
            {"channel": "media"},
            "exposed in the media -> deputy GM's office (003 §3.1)",
        ),
        Rule(
            "escalate-head-office",
            "deputy_gm_office",
            {"channel": "head_office"},
            "forwarded by head office -> deputy GM's office (003 §3.1)",
        ),
        Rule("transport", "logistics", {"nature": "transport"}, "transport -> 储运部"),
        Rule("quality", "quality_management", {"nature": "quality"}, "quality -> 质量管理部"),
        Rule("repair", "after_sales", {"nature": "repair"}, "repair quality -> after-sales"),
        Rule("delivery", "production_planning", {"nature": "delivery"}, "delivery -> PMC"),
        Rule("catch-all", "customer_service", {}, "anything else -> customer service"),
    ),
)
