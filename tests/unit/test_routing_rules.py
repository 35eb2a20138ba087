"""Routing rules are data: the first matching rule decides, and the trace says why."""

import pytest

from services.routing.domain import Case
from services.routing.rules import RuleSet, case_facts, shipped_rules
from shared.kernel.errors import Conflict, Invalid
from tests.support.routing_story import MANAGER, opened


def decide(**facts):
    return shipped_rules().decide(facts)


@pytest.mark.parametrize(
    ("channel", "nature", "unit", "rule"),
    [
        ("phone", "quality", "quality_management", "quality"),
        ("email", "transport", "logistics", "transport"),
        ("phone", "repair", "after_sales", "repair"),
        ("phone", "delivery", "production_planning", "delivery"),
        ("regulator", "quality", "deputy_gm_office", "escalate-regulator"),
        ("head_office", "billing", "deputy_gm_office", "escalate-head-office"),
        ("chat", "billing", "customer_service", "catch-all"),
    ],
)
def test_a_case_is_assigned_by_the_first_matching_rule_which_is_recorded(
    channel, nature, unit, rule
):
    routing, number = opened(channel=channel, nature=nature)
    case = routing.case(number)
    assert case.unit == unit
    [assigned] = [e for e in routing.events.get(case.id) if isinstance(e, Case.Assigned)]
    assert (assigned.rule_id, assigned.ruleset_version) == (rule, shipped_rules().version)
    assert assigned.trace[-1] == {"rule_id": rule, "matched": True, "failed": None}


@pytest.mark.parametrize(
    ("facts", "rule"),
    [
        ({"sim_ok": False, "handset_ok": False, "signal_dbm": -120}, "telecom-sim"),
        ({"sim_ok": True, "handset_ok": False, "signal_dbm": -120}, "telecom-handset"),
        ({"sim_ok": True, "handset_ok": True, "signal_dbm": -94.1}, "telecom-coverage"),
        ({"sim_ok": True, "handset_ok": True, "signal_dbm": -94}, "telecom-core"),
        ({"signal_dbm": -80, "interference_dbm": -84.9}, "telecom-interference"),
        ({"signal_dbm": -80, "interference_dbm": -85}, "telecom-core"),
    ],
)
def test_the_telecom_diagnostic_route_rules_out_sim_handset_radio_then_core(facts, rule):
    decision = decide(nature="network", **facts)
    assert decision.rule.id == rule


def test_the_trace_names_the_condition_that_failed_each_earlier_rule():
    decision = decide(
        nature="network", sim_ok=True, handset_ok=True, signal_dbm=-90, interference_dbm=-95
    )
    trace = {t["rule_id"]: t["failed"] for t in decision.trace}
    assert trace["telecom-sim"] == "sim_ok eq False"
    assert trace["telecom-coverage"] == "signal_dbm lt -94"
    assert trace["telecom-interference"] == "interference_dbm gt -85"
    assert decision.rule.id == "telecom-core"


def test_attributes_from_intake_become_facts():
    facts = case_facts(
        "phone",
        "network",
        "level_3",
        {"type": "consumer"},
        {"region": "East", "attributes": {"signal_dbm": -101}},
    )
    assert decide(**facts).rule.id == "telecom-coverage"


def test_a_new_rule_set_version_is_published_by_event_and_used_for_new_cases():
    routing, _ = opened()
    rules = shipped_rules().to_dict()
    rules["version"] = "2026.12-1"
    rules["rules"].insert(
        0,
        {
            "id": "all-to-qa",
            "unit": "quality_management",
            "when": [{"fact": "nature", "op": "eq", "value": "billing"}],
        },
    )
    routing.publish_rules(rules, MANAGER)
    assert routing.dry_run({"nature": "billing"}).rule.id == "all-to-qa"
    assert routing.rules().version == "2026.12-1"
    with pytest.raises(Conflict, match="in force already"):
        routing.publish_rules(rules, MANAGER)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r["rules"].pop(), "rules"),  # no catch-all
        (lambda r: r["rules"].insert(0, dict(r["rules"][0])), "rules.1.id"),
        (
            lambda r: r["rules"][0]["when"].append({"fact": "x", "op": "like", "value": 1}),
            "rules.0.when.1.op",
        ),
        (lambda r: r["rules"][5]["when"][1].update(value="low"), "rules.5.when.1.value"),
    ],
)
def test_a_broken_rule_set_is_refused_naming_the_field(change, field):
    data = shipped_rules().to_dict()
    change(data)
    with pytest.raises(Invalid) as refused:
        RuleSet.from_dict(data).check_values()
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("condition", "rule"),
    [
        ({"fact": "channel", "op": "in", "value": 5}, "list"),  # `"phone" in 5` would raise
        ({"fact": "channel", "op": "in", "value": "media"}, "list"),  # would match substrings
        ({"fact": "signal_dbm", "op": "lt", "value": True}, "number"),
        ({"fact": "channel", "op": "eq", "value": ["media"]}, "one_value"),  # never equal
        ({"fact": "responsible", "op": "contains", "value": ["carrier"]}, "one_value"),
    ],
)
def test_a_published_condition_whose_value_does_not_fit_its_operator_is_refused(condition, rule):
    """A misfit would fail, or never match, every case it is tried on: refused at publication,
    naming the value, and nothing is recorded."""
    routing, _ = opened()
    rules = shipped_rules().to_dict()
    rules["version"] = "2026.12-1"
    rules["rules"][0]["when"] = [condition]
    with pytest.raises(Invalid) as refused:
        routing.publish_rules(rules, MANAGER)
    assert (refused.value.field, refused.value.rule) == ("rules.0.when.0.value", rule)
    assert routing.rules().version == shipped_rules().version


def test_a_rule_set_stored_before_the_value_check_still_routes_as_it_did():
    """Read back from its event, a set is parsed, not checked again: published before values
    had to fit their operators, it keeps routing as it did (here `in` a text: a substring)."""
    rules = shipped_rules().to_dict()
    rules["rules"][0]["when"] = [{"fact": "channel", "op": "in", "value": "regulator"}]
    stored = RuleSet.from_dict(rules)
    assert stored.decide({"channel": "regulator"}).rule.id == rules["rules"][0]["id"]


def test_a_fact_of_a_type_a_condition_cannot_compare_does_not_hold():
    """A dry run's facts are the caller's: a number where a stored set looks in a text, or a
    list compared with a number, is no match, not a failed request."""
    rules = shipped_rules().to_dict()
    rules["rules"][0]["when"] = [{"fact": "channel", "op": "in", "value": "regulator"}]
    stored = RuleSet.from_dict(rules)
    assert stored.decide({"channel": 5}).rule.id != rules["rules"][0]["id"]
    assert shipped_rules().decide({"nature": "network", "signal_dbm": [1]}).rule.id
