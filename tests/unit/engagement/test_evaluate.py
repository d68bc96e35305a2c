"""Rule evaluation on a hand-made book: each trigger kind hits and misses, audiences filter, keys
are stable, a dry run changes nothing, and real-time events give the nightly keys."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import yaml
from lunardate import LunarDate

from fincrm.engagement.calendar import birthdays_between
from fincrm.engagement.evaluate import BookFacts, Event, Hit, due_frame, due_today, hits_for_event
from fincrm.engagement.rules import Rule, default_rules, load_rules
from fincrm.errors import InputError

ON = date(2026, 11, 27)  # a Friday
LUNAR_MID_AUTUMN_1990 = date(1990, 10, 3)  # lunar 1990-08-15


def make_rule(trigger: dict[str, Any], audience: dict[str, Any] | None = None, *, key: str = "r",
              enabled: bool = True, priority: int = 3) -> Rule:  # fmt: skip
    body: dict[str, Any] = {
        "key": key, "name_zh": "规则", "name_en": "Rule", "priority": priority, "marketing": False,
        "enabled": enabled, "trigger": trigger, "actions": [{"kind": "message", "template": "t", "channel": "sms"}],
    }  # fmt: skip
    if audience:
        body["audience"] = audience
    (rule,) = load_rules(yaml.safe_dump({"rules": [body]}, allow_unicode=True), "test.yaml")
    return rule


def client(party_no: str, **values: Any) -> dict[str, Any]:
    row = {
        "party_no": party_no, "kind": "individual", "tier": "mass", "effective_risk": "C3", "aum": 100_000.0,
        "birth_on": date(1980, 1, 15), "birthday_lunar": False, "onboarded_on": date(2020, 1, 1),
        "primary_rm_id": 1, "industry_code": None, "attrition_score": 0.1, "risk_drift": False,
        "questionnaire_valid_until": date(2027, 6, 1), "equity_share": 0.0,
    }  # fmt: skip
    return row | values


@pytest.fixture
def facts() -> BookFacts:
    clients = pd.DataFrame(
        [
            client("C1", tier="hnw", effective_risk="C4", aum=6_000_000.0, birth_on=LUNAR_MID_AUTUMN_1990,
                   birthday_lunar=True, onboarded_on=ON, equity_share=0.6, attrition_score=0.8, risk_drift=True,
                   questionnaire_valid_until=date(2026, 12, 27)),
            client("C2", tier="mass", effective_risk="C2", aum=300_000.0, birth_on=date(1985, 11, 30), equity_share=0.1),
            client("C3", tier="long_tail", aum=10_000.0, birth_on=date(1992, 2, 29), equity_share=0.45),
            client("K1", kind="corporate", tier="mass", birth_on=None, industry_code="C391", aum=2_000_000.0),
            client("P1", birth_on=date(1975, 6, 1)),
            client("P2", birth_on=date(1970, 6, 2)),
        ]
    )  # fmt: skip
    closes = [4071.3, 4059.7, 3994.5, 3914.4, 3857.1, 3800.3]  # the demo's November shock, -6.66 %
    return BookFacts(
        clients=clients,
        first_salaries=pd.DataFrame({"party_no": ["C2"], "credited_on": [date(2026, 11, 26)], "amount": [18_000.0]}),
        maturities=pd.DataFrame(
            {"party_no": ["C2", "C2", "C3"], "product_code": ["WM002", "WM001", "WM009"],
             "matures_on": [date(2026, 12, 4), date(2026, 12, 4), date(2026, 12, 5)]}
        ),
        flows=pd.DataFrame(
            {"party_no": ["C1", "C1", "C2", "C3"], "booked_on": [ON, ON, ON, ON],
             "amount": [300_000.0, 250_000.0, -600_000.0, 400_000.0]}
        ),
        signals=pd.DataFrame({"party_no": ["C2"], "kind": ["renovation_need"], "detected_on": [date(2026, 11, 25)]}),
        prices=pd.DataFrame(
            {"series": "CSI300", "price": closes,
             "price_on": pd.to_datetime(["2026-11-20", "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"])}
        ),
        policy_events=pd.DataFrame(
            {"event_id": ["POL1"], "industry_code": ["C39"], "event_on": [date(2026, 11, 25)],
             "direction": ["restrictive"], "headline": ["出口管制收紧"]}
        ),
        relationships=pd.DataFrame(
            {"company_party_no": ["K1", "K1"], "person_party_no": ["P1", "P2"], "kind": ["cfo", "chairman"]}
        ),
    )  # fmt: skip


def keys(rules: Rule | list[Rule], facts: BookFacts, on: date = ON) -> list[str]:
    return [h.idempotency_key for h in due_today(rules if isinstance(rules, list) else [rules], facts, on)]


class TestEventTriggers:
    def test_account_opened_hits_on_the_day_and_within_its_window(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "account_opened"})
        assert keys(rule, facts) == ["r:C1:2026-11-27"]
        assert keys(rule, facts, ON + timedelta(days=2)) == []
        wide = make_rule({"kind": "account_opened", "within_days": 3})
        assert keys(wide, facts, ON + timedelta(days=2)) == ["r:C1:2026-11-27"]

    def test_first_salary(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "first_salary"})
        assert keys(rule, facts, date(2026, 11, 26)) == ["r:C2:2026-11-26"]
        assert keys(rule, facts) == []

    def test_large_flow_sums_a_day_per_direction(self, facts: BookFacts) -> None:
        inflow = make_rule({"kind": "large_flow", "direction": "in", "min_amount": 500_000})
        [hit] = due_today([inflow], facts, ON)
        assert hit.idempotency_key == "r:C1:in@2026-11-27"
        assert hit.evidence == {
            "booked_on": "2026-11-27",
            "amount": 550_000.0,
            "transactions": 2,
            "direction": "in",
        }
        outflow = make_rule({"kind": "large_flow", "direction": "out", "min_amount": 500_000})
        assert keys(outflow, facts) == ["r:C2:out@2026-11-27"]
        assert keys(make_rule({"kind": "large_flow", "direction": "in", "min_amount": 600_000}), facts) == []

    def test_life_stage_signal(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "life_stage_signal", "kinds": ["renovation_need", "home_purchase"]})
        assert keys(rule, facts) == ["r:C2:renovation_need@2026-11-25"]
        assert keys(make_rule({"kind": "life_stage_signal", "kinds": ["education_fund"]}), facts) == []
        assert keys(rule, facts, ON + timedelta(days=7)) == []  # out of the 7-day window

    def test_industry_policy_hits_companies_under_the_industry(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "industry_policy"}, {"kinds": ["corporate"]})
        [hit] = due_today([rule], facts, ON)
        assert hit.idempotency_key == "r:K1:POL1"
        assert hit.evidence["headline"] == "出口管制收紧" and "出口管制收紧" in hit.reason_zh
        assert keys(make_rule({"kind": "industry_policy", "sentiment": ["supportive"]}), facts) == []

    def test_key_persons_take_the_company_hit(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "industry_policy"}, {"kinds": ["corporate"], "key_persons": ["cfo"]})
        [hit] = due_today([rule], facts, ON)
        assert (hit.party_no, hit.idempotency_key) == ("P1", "r:P1:POL1:K1")
        assert hit.evidence["company_party_no"] == "K1" and hit.evidence["role"] == "cfo"
        assert hit.reason_zh.startswith("（K1 财务总监）") and hit.reason_en.startswith("(CFO of K1)")


class TestDateTriggers:
    def test_product_maturing_groups_a_clients_products(self, facts: BookFacts) -> None:
        [hit] = due_today([make_rule({"kind": "product_maturing", "days": 7})], facts, ON)
        assert hit.idempotency_key == "r:C2:2026-12-04"
        assert hit.evidence == {"matures_on": "2026-12-04", "products": ["WM001", "WM002"]}
        assert keys(make_rule({"kind": "product_maturing", "days": 6}), facts) == []

    def test_solar_birthday_days_before(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "birthday", "days_before": 3})
        assert keys(rule, facts) == ["r:C2:2026-11-30"]

    def test_lunar_birthday_on_the_clients_calendar(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "birthday", "days_before": 3, "calendar": "client"})
        [hit] = due_today([rule], facts, date(2026, 9, 22))
        assert hit.idempotency_key == "r:C1:2026-09-25"
        assert hit.evidence == {"birthday_on": "2026-09-25", "calendar": "lunar"}
        assert "农历" in hit.reason_zh
        solar = make_rule({"kind": "birthday", "days_before": 0, "calendar": "solar"})
        assert "r:C1:2026-10-03" in keys(solar, facts, date(2026, 10, 3))
        assert keys(rule, facts, date(2026, 9, 30)) == []  # no solar hit for a lunar celebrant

    def test_feb_29_birthday_on_feb_28(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "birthday", "days_before": 0})
        assert keys(rule, facts, date(2027, 2, 28)) == ["r:C3:2027-02-28"]
        assert keys(rule, facts, date(2028, 2, 28)) == []
        assert keys(rule, facts, date(2028, 2, 29)) == ["r:C3:2028-02-29"]

    def test_holiday_reaches_everyone_in_the_audience(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "holiday", "names": ["mid_autumn", "spring_festival"], "days_before": 1})
        found = keys(rule, facts, date(2026, 9, 24))
        assert len(found) == 6 and "r:C1:mid_autumn@2026-09-25" in found
        assert (
            keys(
                make_rule({"kind": "holiday", "names": ["dragon_boat"], "days_before": 1}),
                facts,
                date(2026, 9, 24),
            )
            == []
        )

    def test_quarterly_review_on_its_day_of_the_quarter(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "quarterly_review", "tiers": ["hnw"]})
        assert keys(rule, facts, date(2026, 10, 1)) == ["r:C1:2026Q4"]
        assert keys(rule, facts, date(2026, 10, 2)) == []
        later = make_rule({"kind": "quarterly_review", "tiers": ["mass", "long_tail"], "day_of_quarter": 8})
        assert keys(later, facts, date(2027, 1, 8)) == [
            "r:C2:2027Q1",
            "r:C3:2027Q1",
            "r:K1:2027Q1",
            "r:P1:2027Q1",
            "r:P2:2027Q1",
        ]

    def test_questionnaire_expiry(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "questionnaire_expiry", "days_before": 30})
        assert keys(rule, facts) == ["r:C1:2026-12-27"]
        assert keys(rule, facts, ON + timedelta(days=1)) == []


class TestStateTriggers:
    def test_market_drawdown_hits_clients_above_the_exposure(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "market_drawdown", "series": "CSI300", "fall_pct": 6, "within_days": 5,
                          "asset_class": "equity", "min_exposure_pct": 40})  # fmt: skip
        hits = due_today([rule], facts, ON)
        assert [h.idempotency_key for h in hits] == ["r:C1:CSI300@2026-11-27", "r:C3:CSI300@2026-11-27"]
        assert hits[0].evidence["fall_pct"] == 6.66 and hits[0].evidence["peak_on"] == "2026-11-20"
        assert hits[0].evidence["exposure_pct"] == 60.0

    def test_market_drawdown_misses_a_smaller_fall_and_stale_prices(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "market_drawdown", "series": "CSI300", "fall_pct": 7, "within_days": 5,
                          "asset_class": "equity", "min_exposure_pct": 40})  # fmt: skip
        assert keys(rule, facts) == []
        loose = make_rule({"kind": "market_drawdown", "series": "CSI300", "fall_pct": 6, "within_days": 5,
                           "asset_class": "equity", "min_exposure_pct": 40})  # fmt: skip
        assert keys(loose, facts, ON + timedelta(days=30)) == []
        unknown = make_rule({"kind": "market_drawdown", "series": "HSI", "fall_pct": 1, "within_days": 5,
                             "asset_class": "equity", "min_exposure_pct": 0})  # fmt: skip
        assert keys(unknown, facts) == []

    def test_a_lasting_drawdown_keeps_the_key_of_its_first_day(self, facts: BookFacts) -> None:
        more = pd.DataFrame(
            {"series": ["CSI300"], "price_on": pd.to_datetime(["2026-11-30"]), "price": [3750.0]}
        )
        longer = BookFacts(**{**facts.__dict__, "prices": pd.concat([facts.prices, more], ignore_index=True)})
        rule = make_rule({"kind": "market_drawdown", "series": "CSI300", "fall_pct": 6, "within_days": 5,
                          "asset_class": "equity", "min_exposure_pct": 40})  # fmt: skip
        assert keys(rule, longer, date(2026, 11, 30)) == keys(rule, facts, ON)

    def test_risk_drift_once_per_period(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "risk_drift", "repeat_days": 30})
        first = keys(rule, facts)
        assert len(first) == 1 and first[0].startswith("r:C1:")
        period = [keys(rule, facts, ON + timedelta(days=d)) for d in range(60)]
        assert 2 <= len({k for ks in period for k in ks}) <= 3  # one key per 30-day period

    def test_attrition_risk(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "attrition_risk", "min_score": 0.7})
        [hit] = due_today([rule], facts, ON)
        assert hit.party_no == "C1" and hit.evidence == {"attrition_score": 0.8}
        assert keys(make_rule({"kind": "attrition_risk", "min_score": 0.9}), facts) == []


class TestAudience:
    HOLIDAY = {"kind": "holiday", "names": ["mid_autumn"], "days_before": 0}
    DAY = date(2026, 9, 25)

    @pytest.mark.parametrize(
        ("audience", "expected"),
        [
            ({"kinds": ["corporate"]}, ["K1"]),
            ({"tiers": ["hnw", "long_tail"]}, ["C1", "C3"]),
            ({"risk_levels": ["C2", "C4"]}, ["C1", "C2"]),
            ({"min_aum_amount": 300_000}, ["C1", "C2", "K1"]),
            ({"min_aum_amount": 200_000, "max_aum_amount": 2_000_000}, ["C2", "K1"]),
            ({"kinds": ["individual"], "tiers": ["mass"], "max_aum_amount": 100_000}, ["P1", "P2"]),
        ],
    )
    def test_filters(self, facts: BookFacts, audience: dict[str, Any], expected: list[str]) -> None:
        hits = due_today([make_rule(self.HOLIDAY, audience)], facts, self.DAY)
        assert [h.party_no for h in hits] == expected


class TestRunSemantics:
    def test_the_same_day_twice_gives_the_same_hits(self, facts: BookFacts) -> None:
        rules = default_rules()
        assert due_today(rules, facts, ON) == due_today(rules, facts, ON)

    def test_a_dry_run_changes_no_fact(self, facts: BookFacts) -> None:
        before = {name: frame.copy() for name, frame in facts.__dict__.items()}
        due_today(default_rules(), facts, ON)
        for name, frame in facts.__dict__.items():
            pd.testing.assert_frame_equal(frame, before[name])

    def test_disabled_rules_run_only_when_previewed(self, facts: BookFacts) -> None:
        rule = make_rule({"kind": "attrition_risk", "min_score": 0.7}, enabled=False)
        assert keys(rule, facts) == []
        assert [h.party_no for h in due_today([rule], facts, ON, include_disabled=True)] == ["C1"]

    def test_hits_come_in_priority_order(self, facts: BookFacts) -> None:
        low = make_rule({"kind": "attrition_risk", "min_score": 0.7}, key="a_low", priority=5)
        high = make_rule({"kind": "risk_drift"}, key="z_high", priority=1)
        assert [h.rule_key for h in due_today([low, high], facts, ON)] == ["z_high", "a_low"]
        frame = due_frame([low, high], facts, ON)
        assert frame["priority"].tolist() == [1, 5] and set(frame["on"]) == {ON}

    def test_the_default_rules_hit_the_hand_made_book(self, facts: BookFacts) -> None:
        found = {h.rule_key for h in due_today(default_rules(), facts, ON)}
        assert {"new_client_welcome_call", "new_client_first_visit", "large_inflow", "large_outflow",
                "attrition_retention_call", "risk_drift_review", "questionnaire_expiry_30d",
                "chairman_capital_forum", "product_maturing_7d", "birthday_health_check"} <= found  # fmt: skip
        assert "market_drawdown_comfort" not in found  # -6.66 % is short of the 7 % threshold

    def test_an_empty_book_has_no_hits(self) -> None:
        assert due_today(default_rules(), BookFacts(), ON) == []


class TestLunarConsistency:
    def test_daily_hits_match_the_calendar_across_a_leap_month(self) -> None:
        # 2025 has a leap sixth month (闰六月); births include leap-month and 30th-of-month days
        rng = random.Random(7)
        births = [date(1950, 1, 1) + timedelta(days=rng.randrange(0, 25_000)) for _ in range(40)]
        births += [LunarDate(2023, 2, 4, True).to_solar_date(), LunarDate(2001, 6, 1).to_solar_date()]
        births += [LunarDate(year, month, 30).to_solar_date() for year, month in _thirtieths(1960, 2000)]
        people = [(f"C{i:03d}", born, True) for i, born in enumerate(births)]
        facts = BookFacts(
            clients=pd.DataFrame([client(k, birth_on=b, birthday_lunar=True) for k, b, _ in people])
        )
        rule = make_rule({"kind": "birthday", "days_before": 0})
        start, end = date(2025, 7, 1), date(2025, 10, 31)
        found = []
        for offset in range((end - start).days + 1):
            day = start + timedelta(days=offset)
            found += [(h.party_no, day) for h in due_today([rule], facts, day)]
        assert sorted(found, key=lambda x: (x[1], x[0])) == birthdays_between(people, start, end)


class TestHitsForEvent:
    def test_account_opened_in_real_time_has_the_nightly_key(self, facts: BookFacts) -> None:
        rules = default_rules()
        row = facts.clients.iloc[0].to_dict()
        event = Event("account_opened", "C1", datetime(2026, 11, 27, 9, 30))
        live = hits_for_event(rules, event, row, ON)
        assert {h.rule_key for h in live} == {"new_client_welcome_call", "new_client_first_visit"}
        nightly = {h.idempotency_key for h in due_today(rules, facts, ON)}
        assert {h.idempotency_key for h in live} <= nightly

    def test_a_large_flow_event(self, facts: BookFacts) -> None:
        event = Event("large_flow", "C2", datetime(2026, 11, 27, 14, 0), {"amount": -800_000})
        [hit] = hits_for_event(default_rules(), event, {"party_no": "C2", "kind": "individual"}, ON)
        assert isinstance(hit, Hit) and hit.idempotency_key == "large_outflow:C2:out@2026-11-27"
        small = Event("large_flow", "C2", datetime(2026, 11, 27, 14, 0), {"amount": 1_000})
        assert hits_for_event(default_rules(), small, {"party_no": "C2"}, ON) == []

    def test_first_salary_for_an_individual_only(self, facts: BookFacts) -> None:
        event = Event("first_salary", "C2", datetime(2026, 11, 27, 1, 0), {"amount": 18_000})
        assert [h.rule_key for h in hits_for_event(default_rules(), event, {"kind": "individual"}, ON)] == [
            "first_salary_plan"
        ]
        assert hits_for_event(default_rules(), event, {"kind": "corporate"}, ON) == []

    def test_the_event_date_is_taken_in_the_business_timezone(self) -> None:
        from zoneinfo import ZoneInfo

        # 17:00 UTC on the 26th is 01:00 on the 27th in Shanghai
        event = Event("account_opened", "C9", datetime(2026, 11, 26, 17, 0, tzinfo=ZoneInfo("UTC")))
        hits = hits_for_event(
            default_rules(), event, {"kind": "individual"}, ON, tz=ZoneInfo("Asia/Shanghai")
        )
        assert {h.idempotency_key.rsplit(":", 1)[1] for h in hits} == {"2026-11-27"}

    def test_bad_events_are_refused(self) -> None:
        with pytest.raises(InputError, match="valid: account_opened, first_salary, large_flow"):
            hits_for_event(default_rules(), Event("birthday", "C1", datetime(2026, 1, 1)), {}, ON)
        with pytest.raises(InputError, match="signed amount"):
            hits_for_event(default_rules(), Event("large_flow", "C1", datetime(2026, 1, 1)), {}, ON)


def _thirtieths(first: int, last: int) -> list[tuple[int, int]]:
    """(lunar year, month) pairs whose month has a 30th day."""
    found = []
    for year in range(first, last):
        for month in range(1, 13):
            try:
                LunarDate(year, month, 30).to_solar_date()
            except ValueError:
                continue
            found.append((year, month))
    return found[::7]


class TestRealTimePathEqualsTheDailyEvaluation:
    """The plain-Python path of ``hits_for_event`` gives exactly the hits of the DataFrame path."""

    @pytest.mark.parametrize(
        ("kind", "payload", "row"),
        [
            ("account_opened", {}, {"kind": "individual", "tier": "mass", "aum": 80_000.0}),
            ("account_opened", {}, {"kind": "corporate", "tier": None, "aum": None}),
            ("first_salary", {"amount": 12_500}, {"kind": "individual", "tier": "long_tail", "aum": 100.0}),
            ("first_salary", {}, {"kind": "individual", "tier": "hnw", "effective_risk": "C3"}),
            ("large_flow", {"amount": 650_000}, {"kind": "individual", "tier": "hnw", "aum": 7_000_000.0}),
            ("large_flow", {"amount": -820_000.5}, {"kind": "individual", "tier": "mass", "aum": 900_000.0}),
            ("large_flow", {"amount": 20_000}, {"kind": "individual", "tier": "mass"}),
        ],
    )
    def test_default_rules(self, kind, payload, row) -> None:
        from datetime import UTC, datetime

        from fincrm.engagement.evaluate import Event, hits_for_event
        from fincrm.engagement.rules import default_rules

        rules = default_rules()
        event = Event(kind, "C77", datetime(2026, 11, 27, 3, tzinfo=UTC), payload)
        client = {"party_no": "C77", **row}
        on = date(2026, 11, 27)
        fast = hits_for_event(rules, event, client, on)
        slow = hits_for_event(rules, event, client, on, frames=True)
        assert fast == slow
        if kind == "account_opened" and row["kind"] == "individual":
            assert fast  # the welcome call and the first visit
