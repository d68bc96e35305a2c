"""Pre-call brief, pure rules: SPIN topics chosen by the client's facts with their reasons, the library
file validated with file, line and field, the editor's checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fincrm.errors import InputError
from fincrm.team import precall_domain as pd

ON = date(2026, 11, 29)
SHIPPED = Path(pd.__file__).with_name("spin_library.yaml")


@pytest.fixture(scope="module")
def library() -> pd.Library:
    return pd.parse_library(SHIPPED.read_text(encoding="utf-8"), SHIPPED.name)


def keys(suggestions: list[pd.Suggestion]) -> list[str]:
    return [s.topic.key for s in suggestions]


class TestShippedLibrary:
    def test_every_topic_of_the_brief_has_one_question_per_stage(self, library: pd.Library) -> None:
        assert {t.key for t in library.topics} == {
            "corporate_cash_flow", "retirement", "education", "succession", "property_purchase", "new_business",
            "market_fall", "idle_cash",
        }  # fmt: skip
        for t in library.topics:
            assert {q.stage for q in library.questions if q.topic == t.key} == set(pd.STAGES), t.key


class TestChoose:
    def test_a_signal_chooses_its_topic_with_the_signal_as_reason(self, library: pd.Library) -> None:
        facts = pd.ClientFacts("individual", ON, signals=(("education_fund", date(2026, 10, 1)),))
        [s] = pd.choose(facts, library.topics, library.questions)
        assert s.topic.key == "education"
        assert s.reasons == (pd.Reason("signal", "education_fund", "2026-10-01"),)
        assert [q.stage for q in s.questions] == list(pd.STAGES)

    def test_topics_with_more_reasons_come_first(self, library: pd.Library) -> None:
        facts = pd.ClientFacts("individual", ON, birth_on=date(1964, 1, 2), tier="hnw",
                               signals=(("succession_planning", date(2026, 9, 1)), ("pension_planning", date(2026, 9, 1))),
                               asset_shares={"cash": 0.62, "equity": 0.1})  # fmt: skip
        found = pd.choose(facts, library.topics, library.questions)
        assert keys(found)[:2] == ["succession", "retirement"]  # three reasons, then two
        assert "idle_cash" in keys(found)
        idle = next(s for s in found if s.topic.key == "idle_cash")
        assert idle.reasons[0].fact == "62%"

    def test_a_share_below_the_threshold_or_no_facts_choose_nothing(self, library: pd.Library) -> None:
        facts = pd.ClientFacts("individual", ON, asset_shares={"cash": 0.49, "equity": 0.39})
        assert pd.choose(facts, library.topics, library.questions) == []

    def test_a_key_person_and_a_corporate_client_get_cash_flow_questions(self, library: pd.Library) -> None:
        person = pd.ClientFacts("individual", ON, key_person_of=(("华东精密", "cfo"),))
        assert keys(pd.choose(person, library.topics, library.questions)) == ["corporate_cash_flow"]
        company = pd.ClientFacts("corporate", ON, birth_on=date(1950, 1, 1), onboarded_on=date(2026, 3, 1))
        found = keys(pd.choose(company, library.topics, library.questions))
        assert found == ["corporate_cash_flow", "new_business"]  # age triggers apply to individuals only

    def test_retired_questions_are_not_suggested_and_the_limit_holds(self, library: pd.Library) -> None:
        retired = [pd.Question(q.key, q.topic, q.stage, q.text_zh, q.text_en, q.position, pd.RETIRED)
                   if q.key == "education.s1" else q for q in library.questions]  # fmt: skip
        facts = pd.ClientFacts("individual", ON, signals=(("education_fund", ON),), birth_on=date(1950, 1, 1),
                               tier="hnw", risk_drift=True, rfm_cell="idle_cash")  # fmt: skip
        found = pd.choose(facts, library.topics, retired, limit=2)
        assert len(found) == 2
        education = pd.choose(facts, library.topics, retired, limit=10)
        questions = next(s for s in education if s.topic.key == "education").questions
        assert "education.s1" not in [q.key for q in questions]

    def test_age_is_counted_in_whole_years_on_the_day(self) -> None:
        assert pd.ClientFacts("individual", date(2026, 3, 1), birth_on=date(1976, 3, 2)).age == 49
        assert pd.ClientFacts("individual", date(2026, 3, 2), birth_on=date(1976, 3, 2)).age == 50


class TestDescribe:
    def test_each_trigger_kind_reads_in_both_languages(self) -> None:
        for kind in pd.TRIGGER_KINDS:
            zh, en = pd.describe(pd.Reason(kind, "x", "y"))
            assert zh and en


BAD = """\
topics:
  - key: retirement
    title_zh: 养老
    title_en: Retirement
    triggers:
      - horoscope: leo
      - age_at_least: old
    questions:
      - key: retirement.s1
        stage: situation
        text_zh: 几岁退休？
        text_en: When?
      - key: retirement.s1
        stage: musing
        text_zh: 再问
        text_en: ""
  - key: retirement
    title_zh: 重复
    triggers: []
    questions: []
"""


class TestParseLibrary:
    def test_every_problem_is_located_by_file_line_and_field(self) -> None:
        with pytest.raises(InputError) as caught:
            pd.parse_library(BAD, "mine.yaml")
        locs = {e.loc for e in caught.value.errors}
        assert ("mine.yaml", 6, "retirement", "triggers", "horoscope") in locs
        assert ("mine.yaml", 7, "retirement", "triggers", "age_at_least") in locs
        assert ("mine.yaml", 13, "retirement.s1", "key") in locs  # used twice
        assert ("mine.yaml", 14, "retirement.s1", "stage") in locs
        assert ("mine.yaml", 16, "retirement.s1", "text_en") in locs
        assert ("mine.yaml", 17, "retirement", "key") in locs
        assert any(loc[-1] == "title_en" for loc in locs)
        assert any(loc[-1] == "triggers" and loc[1] == 17 for loc in locs)

    def test_not_yaml_names_the_line(self) -> None:
        with pytest.raises(InputError) as caught:
            pd.parse_library("topics:\n  - key: [unclosed\n", "x.yaml")
        assert caught.value.errors[0].loc[0] == "x.yaml" and caught.value.errors[0].loc[1] >= 2

    def test_a_file_without_topics_is_refused(self) -> None:
        with pytest.raises(InputError, match="no topics"):
            pd.parse_library("questions: []\n", "x.yaml")

    def test_asset_share_needs_a_fraction(self) -> None:
        text = SHIPPED.read_text(encoding="utf-8").replace("at_least: 0.4", "at_least: 40")
        with pytest.raises(InputError) as caught:
            pd.parse_library(text, "s.yaml")
        assert caught.value.errors[0].loc[-1] == "at_least"


class TestCheckQuestion:
    def test_a_good_question_has_no_problem(self) -> None:
        assert pd.check_question("education", "problem", "学费？", "Fees?", ["education"]) == []

    def test_unknown_topic_and_long_text_are_named(self) -> None:
        problems = pd.check_question("travel", "problem", "长" * 501, "ok", ["education"])
        assert [p.loc for p in problems] == [("topic",), ("text_zh",)]
