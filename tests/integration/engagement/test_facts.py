"""load_book_facts on the generated demo institution, before and after the nightly batch, and the
shipped cadence evaluated over it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import sessionmaker

from fincrm.config import Settings
from fincrm.core.clock import FixedClock
from fincrm.engagement.calendar import birthdays_between
from fincrm.engagement.evaluate import BookFacts, due_frame
from fincrm.engagement.facts import load_book_facts
from fincrm.engagement.rules import TRIGGER_KINDS, default_rules
from fincrm.intelligence import batch
from tests.integration.demo.conftest import AS_OF, CLIENTS, Demo, demo  # noqa: F401 - the module fixture


@pytest.fixture(scope="module")
def settings(demo: Demo) -> Settings:  # noqa: F811 - the re-imported fixture
    return Settings(_env_file=None, lake_path=demo.lake_path)


@pytest.fixture(scope="module")
def before_batch(demo: Demo, settings: Settings) -> BookFacts:  # noqa: F811
    return load_book_facts(demo.session, settings, AS_OF)


@pytest.fixture(scope="module")
def profiled(demo: Demo, settings: Settings, before_batch: BookFacts) -> BookFacts:  # noqa: F811
    sessions = sessionmaker(bind=demo.session.connection(), join_transaction_mode="create_savepoint")
    batch.run(
        sessions, settings, FixedClock(datetime(2026, 11, 28, 1, 0, tzinfo=UTC)), as_of=AS_OF, engine="duckdb"
    )
    return load_book_facts(demo.session, settings, AS_OF)


class TestLoadBookFacts:
    def test_every_open_client_has_a_row_with_a_tier_before_any_batch(self, before_batch: BookFacts) -> None:
        clients = before_batch.clients
        assert 0 < len(clients) <= CLIENTS and clients["party_no"].is_unique
        assert clients["tier"].notna().all() and set(clients["tier"]) <= {"hnw", "mass", "long_tail"}
        assert clients["attrition_score"].isna().all()  # no profile yet: no score, no drift
        assert not clients["risk_drift"].any()
        assert clients["effective_risk"].notna().sum() > len(clients) // 2  # from the questionnaires

    def test_the_frames_hold_the_book(self, profiled: BookFacts) -> None:
        assert len(profiled.prices) and set(profiled.prices["series"]) >= {"CSI300"}
        assert len(profiled.relationships) and set(profiled.relationships["kind"]) >= {"cfo", "chairman"}
        assert len(profiled.flows) and (profiled.flows["amount"].abs() >= 50_000).all()
        assert profiled.clients["equity_share"].between(0, 1 + 1e-9).all()
        assert (profiled.clients["equity_share"] > 0.4).any()
        assert profiled.clients["attrition_score"].notna().all()
        for frame, column in ((profiled.flows, "booked_on"), (profiled.signals, "detected_on"),
                              (profiled.maturities, "matures_on"), (profiled.policy_events, "event_on")):  # fmt: skip
            assert pd.api.types.is_datetime64_any_dtype(frame[column])

    def test_birthdays_in_the_next_seven_days_are_found(self, profiled: BookFacts) -> None:
        clients = profiled.clients.dropna(subset=["birth_on"])
        people = [
            (p, b.date(), bool(lunar))
            for p, b, lunar in zip(
                clients["party_no"], clients["birth_on"], clients["birthday_lunar"], strict=True
            )
        ]
        expected = birthdays_between(people, AS_OF, AS_OF + timedelta(days=6))
        assert expected, "2,000 clients should have birthdays within a week"
        rule = next(r for r in default_rules() if r.key == "birthday_greeting")
        found = [
            (party, AS_OF + timedelta(days=d))
            for d in range(7)
            for party in due_frame([rule], profiled, AS_OF + timedelta(days=d))["party_no"]
        ]
        assert sorted(found, key=lambda x: (x[1], x[0])) == expected


class TestDefaultRulesOnTheDemo:
    def test_several_triggers_hit_over_a_few_days(self, profiled: BookFacts) -> None:
        rules = default_rules()
        days = [AS_OF + timedelta(days=d) for d in range(-6, 7)] + [date(2027, 1, 1), date(2027, 1, 20)]
        frames = [due_frame(rules, profiled, day) for day in days]
        hits = pd.concat(frames, ignore_index=True)
        kinds = {r.key: r.trigger.kind for r in rules}
        hit_kinds = set(hits["rule_key"].map(kinds))
        assert {"birthday", "attrition_risk", "risk_drift", "questionnaire_expiry", "large_flow",
                "quarterly_review"} <= hit_kinds, hit_kinds  # fmt: skip
        assert hit_kinds <= set(TRIGGER_KINDS)
        assert all(
            k.startswith(r + ":") for k, r in zip(hits["idempotency_key"], hits["rule_key"], strict=True)
        )
        # the same day again gives the same keys
        again = due_frame(rules, profiled, AS_OF)
        assert again["idempotency_key"].tolist() == frames[6]["idempotency_key"].tolist()

    def test_the_november_shock_hits_equity_heavy_clients_at_a_lower_threshold(
        self, profiled: BookFacts
    ) -> None:
        from fincrm.engagement.evaluate import drawdown

        episode = drawdown(profiled.prices, "CSI300", AS_OF, 5, 5)
        assert episode is not None, "the demo market plants a CSI 300 fall of more than 5 % in its last week"
        rule = next(r for r in default_rules() if r.key == "market_drawdown_comfort")
        params = {**rule.trigger.params, "fall_pct": 5}
        loose = type(rule)(**{**rule.__dict__, "trigger": type(rule.trigger)("market_drawdown", params)})
        hits = due_frame([loose], profiled, AS_OF)
        heavy = profiled.clients.loc[profiled.clients["equity_share"] >= 0.4, "party_no"]
        assert sorted(hits["party_no"]) == sorted(heavy)


class TestFirstSalaries:
    def test_first_salaries_of_the_window_match_a_pandas_reading_of_the_lake(
        self,
        demo: Demo,  # noqa: F811 - the re-imported fixture
        settings: Settings,
    ) -> None:
        from fincrm.lake.analytics import connect

        con = connect(settings)
        try:
            salaries = con.execute(
                "SELECT party_no, booked_at, txn_id, CAST(amount AS DOUBLE) AS amount FROM transactions "
                "WHERE kind = 'salary_credit'"
            ).df()
        finally:
            con.close()
        salaries["day"] = (
            pd.to_datetime(salaries["booked_at"], utc=True).dt.tz_convert(settings.timezone).dt.date
        )
        firsts = salaries.sort_values(["party_no", "booked_at", "txn_id"]).drop_duplicates("party_no")
        # a day whose 35-day window holds some first salaries but not all (earlier ones must be left out)
        on = sorted(firsts["day"])[len(firsts) // 2]
        since = on - timedelta(days=34)
        expected = firsts[(firsts["day"] >= since) & (firsts["day"] <= on)]
        assert 0 < len(expected) < len(firsts)
        found = load_book_facts(demo.session, settings, on).first_salaries
        assert found["party_no"].tolist() == sorted(expected["party_no"])
        by_party = expected.set_index("party_no")
        assert [d.date() for d in found["credited_on"]] == [by_party.loc[p, "day"] for p in found["party_no"]]
        assert found["amount"].tolist() == pytest.approx(
            [by_party.loc[p, "amount"] for p in found["party_no"]]
        )
