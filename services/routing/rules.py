"""Routing rules as data: an ordered, versioned rule set; the first rule that matches decides.

A rule is a list of conditions over case facts (nature, channel, severity, cause, fault
class, online level, customer type, region, product, part, the kinds of party found
responsible, and numeric attributes such as a measured signal level) and the unit and role
it assigns. `decide` returns the winning rule with a trace of every rule tried and the
first condition that failed it, so a dry run can explain, and an assignment can record, why.
"""

from __future__ import annotations

import json
import operator
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from shared.kernel.errors import Invalid

RULES_FILE = Path(__file__).with_name("routing_rules.json")

OPERATORS: dict[str, Any] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
    "in": lambda value, options: value in options,
    "contains": lambda values, option: isinstance(values, list) and option in values,
}
OPERATOR_NAMES = tuple(OPERATORS)
NUMERIC = {"lt", "lte", "gt", "gte"}


@dataclass(frozen=True)
class Condition:
    fact: str
    op: str
    value: Any

    def holds(self, facts: dict[str, Any]) -> bool:
        """Whether the fact is there and compares as the condition says. A fact of a type
        the comparison does not apply to (text against a number, a number looked for in a
        text of a set stored before values were checked) does not hold: a dry run's facts
        are the caller's, and one odd fact must not stop the routing of a case."""
        if self.fact not in facts or facts[self.fact] is None:
            return False
        actual = facts[self.fact]
        if self.op in NUMERIC and not isinstance(actual, int | float):
            return False
        try:
            return bool(OPERATORS[self.op](actual, self.value))
        except TypeError:
            return False

    def __str__(self) -> str:
        return f"{self.fact} {self.op} {self.value!r}"


@dataclass(frozen=True)
class Rule:
    id: str
    unit: str
    role: str = "handler"
    when: tuple[Condition, ...] = ()
    description: str = ""

    def first_failure(self, facts: dict[str, Any]) -> Condition | None:
        for condition in self.when:
            if not condition.holds(facts):
                return condition
        return None


@dataclass(frozen=True)
class Decision:
    rule: Rule
    version: str
    trace: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]

    def decide(self, facts: dict[str, Any]) -> Decision:
        trace = []
        for rule in self.rules:
            failure = rule.first_failure(facts)
            trace.append(
                {
                    "rule_id": rule.id,
                    "matched": failure is None,
                    "failed": str(failure) if failure else None,
                }
            )
            if failure is None:
                return Decision(rule, self.version, trace)
        raise Invalid(
            "no routing rule matched; the rule set needs a catch-all rule",
            field="rules",
            rule="catch_all",
        )

    def check_values(self) -> RuleSet:
        """Every condition's value fits its operator: a number to compare with, a list to
        look in, one value otherwise. Checked when a set is published (a misfit would fail
        or never match every case it is tried on), not when a stored one is read: a set
        published before the list checks keeps routing as it did. (Numbers were checked
        already, so no stored set compares with anything else.)"""
        for index, rule in enumerate(self.rules):
            for c_index, condition in enumerate(rule.when):
                where = f"rules.{index}.when.{c_index}.value"
                op, value = condition.op, condition.value
                if op in NUMERIC and type(value) not in (int, float):  # a bool is no number
                    raise Invalid("a numeric comparison needs a number", field=where, rule="number")
                if op == "in" and not isinstance(value, list):
                    raise Invalid("`in` needs a list of values", field=where, rule="list")
                if op != "in" and isinstance(value, list):
                    raise Invalid(
                        f"`{op}` compares with one value, not a list", field=where, rule="one_value"
                    )
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "rules": [{**asdict(r), "when": [asdict(c) for c in r.when]} for r in self.rules],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuleSet:
        """Parse and validate; errors name the rule and the field."""
        rules, seen = [], set()
        for index, item in enumerate(data.get("rules", [])):
            where = f"rules.{index}"
            if not item.get("id") or not item.get("unit"):
                raise Invalid("every rule needs an id and a unit", field=where, rule="required")
            if item["id"] in seen:
                raise Invalid(
                    f"duplicate rule id {item['id']!r}", field=f"{where}.id", rule="unique"
                )
            seen.add(item["id"])
            conditions = []
            for c_index, c in enumerate(item.get("when", [])):
                if c.get("op") not in OPERATORS:
                    raise Invalid(
                        f"unknown operator {c.get('op')!r}; use one of " + ", ".join(OPERATORS),
                        field=f"{where}.when.{c_index}.op",
                        rule="enum",
                    )
                conditions.append(Condition(c["fact"], c["op"], c.get("value")))
            rules.append(
                Rule(
                    item["id"],
                    item["unit"],
                    item.get("role", "handler"),
                    tuple(conditions),
                    item.get("description", ""),
                )
            )
        if not rules or rules[-1].when:
            raise Invalid(
                "the last rule must be a catch-all (no conditions)", field="rules", rule="catch_all"
            )
        if not data.get("version"):
            raise Invalid("a rule set needs a version", field="version", rule="required")
        return cls(str(data["version"]), tuple(rules))


@cache
def shipped_rules() -> RuleSet:
    return RuleSet.from_dict(json.loads(RULES_FILE.read_text(encoding="utf-8"))).check_values()


def case_facts(
    channel: str,
    nature: str,
    severity: str | None,
    customer: dict[str, Any],
    subject: dict[str, Any],
    classification: dict[str, str] | None = None,
    responsible_kinds: list[str] | None = None,
) -> dict[str, Any]:
    """The facts rules may test: what intake published and classified (cause, fault class,
    online level), and the kinds of party the investigation found responsible."""
    classified = classification or {}
    return {
        "channel": channel,
        "nature": nature,
        "severity": severity,
        "cause": classified.get("cause"),
        "fault_class": classified.get("fault_class"),
        "online_level": classified.get("online_level"),
        "customer_type": customer.get("type"),
        "foreign": bool(customer.get("foreign")),
        "region": subject.get("region"),
        "product": subject.get("product"),
        "part_no": subject.get("part_no"),
        "responsible": list(responsible_kinds or []),
        **(subject.get("attributes") or {}),
    }
