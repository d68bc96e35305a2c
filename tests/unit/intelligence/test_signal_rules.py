from __future__ import annotations

from datetime import date

import pytest

from fincrm.intelligence.signal_rules import DEFAULT_RULES, SIGNAL_KINDS, retirement_age, retirement_month


class TestStatutoryRetirementAge:
    @pytest.mark.parametrize(
        ("birth_on", "gender", "track", "age"),
        [
            (date(1964, 12, 31), "M", "F55", (60, 0)),  # before the reform
            (date(1965, 1, 15), "M", "F55", (60, 1)),  # first delayed cohort
            (date(1965, 5, 1), "M", "F55", (60, 2)),
            (date(1976, 8, 1), "M", "F55", (62, 11)),
            (date(1976, 9, 1), "M", "F55", (63, 0)),  # fully phased in
            (date(1990, 1, 1), "M", "F55", (63, 0)),
            (date(1969, 12, 1), "F", "F55", (55, 0)),
            (date(1970, 1, 1), "F", "F55", (55, 1)),
            (date(1981, 9, 1), "F", "F55", (58, 0)),
            (date(1975, 1, 1), "F", "F50", (50, 1)),
            (date(1975, 3, 1), "F", "F50", (50, 2)),
            (date(1984, 10, 1), "F", "F50", (54, 11)),
            (date(1984, 11, 1), "F", "F50", (55, 0)),
        ],
    )
    def test_follows_the_2024_reform_tables(self, birth_on, gender, track, age) -> None:
        assert retirement_age(birth_on, gender, female_track=track) == age

    def test_retirement_month_adds_the_age_to_the_birth_month(self) -> None:
        assert retirement_month(date(1965, 1, 15), "M") == date(2025, 2, 1)
        assert retirement_month(date(1976, 9, 30), "M") == date(2039, 9, 1)


def test_default_rules_cover_every_kind() -> None:
    assert DEFAULT_RULES.kinds == SIGNAL_KINDS
    assert DEFAULT_RULES.salary_step_ratio >= 1.15
