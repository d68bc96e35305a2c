"""Rules as data: the shipped cadence loads cleanly; every mistake names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from fincrm.engagement import evaluate
from fincrm.engagement.rules import (
    DEFAULT_RULES_PATH,
    TRIGGER_KINDS,
    Rule,
    default_rules,
    load_rule_files,
    load_rules,
)
from fincrm.errors import InputError

GOOD = """\
rules:
  - key: maturity_call
    name_zh: 产品到期提醒
    name_en: Product maturing
    trigger: {kind: product_maturing, days: 7}
    actions:
      - {kind: task, title_zh: 到期前联系客户, title_en: Call before maturity}
    priority: 2
    sla_minutes: 2880
    marketing: false
"""


def problems(text: str, source: str = "bank.yaml") -> list[tuple[tuple, str, object]]:
    with pytest.raises(InputError) as info:
        load_rules(text, source)
    return [(e.loc, e.msg, e.input) for e in info.value.errors]


class TestDefaultRules:
    def test_the_shipped_file_loads_with_no_error(self) -> None:
        rules = load_rules(DEFAULT_RULES_PATH.read_text(encoding="utf-8"), "default_rules.yaml")
        assert len(rules) >= 15
        assert len({r.key for r in rules}) == len(rules)
        assert all(r.enabled for r in rules)

    def test_it_covers_every_trigger_kind(self) -> None:
        assert {r.trigger.kind for r in default_rules()} == set(TRIGGER_KINDS)

    def test_greetings_are_service_and_invitations_marketing(self) -> None:
        by_key = {r.key: r for r in default_rules()}
        assert by_key["holiday_greeting"].marketing is False
        assert by_key["holiday_greeting"].trigger.params["names"] == (
            "spring_festival", "dragon_boat", "mid_autumn", "national_day",
        )  # fmt: skip
        assert by_key["cfo_tax_salon"].marketing is True
        assert by_key["cfo_tax_salon"].caps == {"per_client_per_week": 1}

    def test_week_one_call_is_due_within_an_hour(self) -> None:
        rule = {r.key: r for r in default_rules()}["new_client_welcome_call"]
        (task,) = rule.actions
        assert rule.task_due_minutes(task) == 60

    def test_every_trigger_kind_has_an_evaluator(self) -> None:
        assert set(evaluate._TRIGGERS) == set(TRIGGER_KINDS)


class TestLoadRules:
    def test_a_good_rule_is_parsed_with_defaults_and_its_source(self) -> None:
        (rule,) = load_rules(GOOD, "bank.yaml")
        assert isinstance(rule, Rule)
        assert rule.source == "bank.yaml:2"
        assert rule.enabled is True and rule.caps == {} and rule.audience.tiers == ()
        assert rule.actions[0].params == {
            "title_zh": "到期前联系客户",
            "title_en": "Call before maturity",
            "due_in_minutes": None,
        }

    def test_unknown_trigger_kind_lists_the_valid_ones(self) -> None:
        [(loc, msg, value)] = problems(GOOD.replace("product_maturing", "maturity"))
        assert loc == ("bank.yaml", "line 5", "trigger.kind")
        assert value == "maturity"
        assert all(kind in msg for kind in TRIGGER_KINDS)

    def test_missing_extra_and_mistyped_parameters(self) -> None:
        text = GOOD.replace(
            "{kind: product_maturing, days: 7}",
            "{kind: birthday, calendar: moon, days_before: '3', extra: 1}",
        )
        found = {loc[2]: (msg, value) for loc, msg, value in problems(text)}
        assert set(found) == {"trigger.calendar", "trigger.days_before", "trigger.extra"}
        assert "solar, lunar, client" in found["trigger.calendar"][0]
        assert found["trigger.days_before"] == ("must be a whole number", "3")
        assert "unknown parameter" in found["trigger.extra"][0]
        text = GOOD.replace("days: 7", "dayz: 7")
        found = {loc[2]: msg for loc, msg, _ in problems(text)}
        assert "missing parameter" in found["trigger.days"] and "unknown parameter" in found["trigger.dayz"]

    def test_a_boolean_is_not_a_number(self) -> None:
        [(loc, msg, value)] = problems(GOOD.replace("days: 7", "days: true"))
        assert loc[2] == "trigger.days" and value is True

    def test_unknown_holiday_name(self) -> None:
        text = GOOD.replace(
            "{kind: product_maturing, days: 7}",
            "{kind: holiday, names: [spring_festival, xmas], days_before: 1}",
        )
        [(loc, msg, value)] = problems(text)
        assert loc == ("bank.yaml", "line 5", "trigger.names")
        assert "'xmas'" in msg and "mid_autumn" in msg

    def test_bad_priority_and_unknown_action_kind(self) -> None:
        text = GOOD.replace("priority: 2", "priority: 9").replace("{kind: task,", "{kind: phone_call,")
        found = {loc: msg for loc, msg, _ in problems(text)}
        assert "must be at most 5" in found[("bank.yaml", "line 8", "priority")]
        assert (
            "unknown action kind; valid: task, message, report, invitation, offer"
            in found[("bank.yaml", "line 7", "actions[0].kind")]
        )

    def test_unknown_channel_and_missing_template(self) -> None:
        text = GOOD.replace(
            "{kind: task, title_zh: 到期前联系客户, title_en: Call before maturity}",
            "{kind: message, channel: fax}",
        )
        found = {loc[2]: msg for loc, msg, _ in problems(text)}
        assert "email, sms, wecom, in_app" in found["actions[0].channel"]
        assert "missing parameter" in found["actions[0].template"]

    def test_duplicate_rule_key_names_both_lines(self) -> None:
        body = GOOD.split("\n", 1)[1]
        [(loc, msg, value)] = problems("rules:\n" + body + body)
        assert loc == ("bank.yaml", "line 11", "key")
        assert "first at line 2" in msg and value == "maturity_call"

    def test_duplicate_field_in_a_mapping(self) -> None:
        found = problems(GOOD.replace("    priority: 2\n", "    priority: 2\n    priority: 3\n"))
        assert (("bank.yaml", "line 9", "rules[0].priority"), "duplicate field", "priority") in found

    def test_missing_and_unknown_rule_fields(self) -> None:
        text = GOOD.replace("    marketing: false\n", "    colour: red\n")
        found = {loc[2]: msg for loc, msg, _ in problems(text)}
        assert "missing field" in found["marketing"]
        assert "unknown field" in found["colour"]

    def test_a_task_needs_a_due_time(self) -> None:
        found = {loc[2]: msg for loc, msg, _ in problems(GOOD.replace("    sla_minutes: 2880\n", ""))}
        assert "due_in_minutes" in found["actions[0].due_in_minutes"]

    def test_caps_only_on_marketing_rules(self) -> None:
        text = GOOD.replace(
            "    marketing: false\n", "    caps: {per_client_per_week: 2}\n    marketing: false\n"
        )
        assert [loc[2] for loc, _, _ in problems(text)] == ["caps"]
        (rule,) = load_rules(text.replace("marketing: false", "marketing: true"), "bank.yaml")
        assert rule.caps == {"per_client_per_week": 2}

    def test_bad_key_and_audience_values(self) -> None:
        text = GOOD.replace("key: maturity_call", "key: Maturity Call")
        assert [loc[2] for loc, _, _ in problems(text)] == ["key"]
        text = GOOD.replace(
            "    priority: 2\n", "    priority: 2\n    audience: {tiers: [vip], min_aum_amount: -1}\n"
        )
        assert {loc[2] for loc, _, _ in problems(text)} == {"audience.tiers", "audience.min_aum_amount"}

    def test_every_problem_is_reported_at_once(self) -> None:
        text = (
            GOOD.replace("days: 7", "days: x").replace("priority: 2", "priority: 0").replace("channel", "c")
        )
        assert len(problems(text)) == 2
        with pytest.raises(InputError, match=r"2 problem\(s\) in bank.yaml"):
            load_rules(text, "bank.yaml")

    def test_invalid_yaml_names_the_line(self) -> None:
        [(loc, msg, _)] = problems(GOOD.replace("days: 7}", "days: 7"))
        assert loc[0] == "bank.yaml" and loc[1].startswith("line ") and "not valid YAML" in msg

    def test_the_top_level_is_a_rules_list(self) -> None:
        [(loc, msg, _)] = problems("rulez: []\n")
        assert loc == ("bank.yaml", "line 1", "rulez")
        assert load_rules("", "empty.yaml") == []


class TestLoadRuleFiles:
    def test_a_later_file_disables_a_rule_by_key(self, tmp_path: Path) -> None:
        bank = tmp_path / "bank.yaml"
        bank.write_text("rules:\n  - {key: holiday_greeting, enabled: false}\n", encoding="utf-8")
        rules = {r.key: r for r in load_rule_files([DEFAULT_RULES_PATH, bank])}
        assert rules["holiday_greeting"].enabled is False
        assert rules["holiday_greeting"].trigger.kind == "holiday"  # the rest is the shipped rule
        assert rules["birthday_health_check"].enabled is True

    def test_a_later_file_overrides_fields_and_adds_rules(self, tmp_path: Path) -> None:
        bank = tmp_path / "bank.yaml"
        bank.write_text(
            "rules:\n"
            "  - key: market_drawdown_comfort\n"
            "    trigger: {kind: market_drawdown, series: CSI300, fall_pct: 5, within_days: 5,\n"
            "              asset_class: equity, min_exposure_pct: 30}\n" + GOOD.split("\n", 1)[1],
            encoding="utf-8",
        )
        rules = {r.key: r for r in load_rule_files([DEFAULT_RULES_PATH, bank])}
        assert rules["market_drawdown_comfort"].trigger.params["fall_pct"] == 5
        assert rules["market_drawdown_comfort"].priority == 1
        assert "maturity_call" in rules

    def test_an_error_in_an_override_names_the_override_file(self, tmp_path: Path) -> None:
        bank = tmp_path / "bank.yaml"
        bank.write_text("rules:\n  - key: holiday_greeting\n    priority: high\n", encoding="utf-8")
        with pytest.raises(InputError) as info:
            load_rule_files([DEFAULT_RULES_PATH, bank])
        [error] = info.value.errors
        assert error.loc == (str(bank), "line 3", "priority")

    def test_an_unknown_key_without_the_other_fields_is_an_error(self, tmp_path: Path) -> None:
        bank = tmp_path / "bank.yaml"
        bank.write_text("rules:\n  - {key: no_such_rule, enabled: false}\n", encoding="utf-8")
        with pytest.raises(InputError) as info:
            load_rule_files([DEFAULT_RULES_PATH, bank])
        assert {e.loc[2] for e in info.value.errors} >= {
            "name_zh",
            "trigger",
            "actions",
            "priority",
            "marketing",
        }

    def test_a_missing_file_is_reported(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="cannot read the rule file"):
            load_rule_files([tmp_path / "nope.yaml"])
