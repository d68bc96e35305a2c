"""The engagement calendar: holidays from the `holidays` library, solar and lunar birthdays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lunardate import LunarDate

from fincrm.engagement.calendar import (
    HOLIDAY_KEYS,
    birthdays_between,
    holiday_dates,
    holidays_between,
    lunar_month_day,
    next_birthday,
)


class TestHolidayDates:
    @pytest.mark.parametrize(
        ("year", "key", "expected"),
        [
            (2027, "spring_festival", date(2027, 2, 6)),
            (2026, "spring_festival", date(2026, 2, 17)),
            (2026, "mid_autumn", date(2026, 9, 25)),
            (2026, "dragon_boat", date(2026, 6, 19)),
            (2026, "national_day", date(2026, 10, 1)),
            (2027, "new_year", date(2027, 1, 1)),
            (2026, "qingming", date(2026, 4, 5)),
            (2026, "labour_day", date(2026, 5, 1)),
        ],
    )
    def test_first_day_of_each_holiday(self, year: int, key: str, expected: date) -> None:
        assert holiday_dates(year)[key] == expected

    def test_every_key_has_a_date_in_a_recent_year(self) -> None:
        assert set(holiday_dates(2026)) == set(HOLIDAY_KEYS)

    def test_a_day_carrying_two_holidays_counts_for_both(self) -> None:
        # 2020: Mid-Autumn fell on National Day
        assert holiday_dates(2020)["mid_autumn"] == holiday_dates(2020)["national_day"] == date(2020, 10, 1)

    def test_holidays_between_spans_years_in_date_order(self) -> None:
        found = holidays_between(date(2026, 12, 1), date(2027, 2, 28))
        assert found == [(date(2027, 1, 1), "new_year"), (date(2027, 2, 6), "spring_festival")]

    def test_holidays_between_includes_both_ends(self) -> None:
        assert holidays_between(date(2026, 9, 25), date(2026, 9, 25)) == [(date(2026, 9, 25), "mid_autumn")]


class TestSolarBirthdays:
    def test_feb_29_falls_on_feb_28_in_a_common_year(self) -> None:
        assert next_birthday(date(1992, 2, 29), False, date(2027, 1, 1)) == date(2027, 2, 28)
        assert next_birthday(date(1992, 2, 29), False, date(2028, 1, 1)) == date(2028, 2, 29)

    def test_the_birthday_itself_counts(self) -> None:
        assert next_birthday(date(1980, 5, 17), False, date(2026, 5, 17)) == date(2026, 5, 17)

    def test_a_passed_birthday_moves_to_next_year(self) -> None:
        assert next_birthday(date(1980, 5, 17), False, date(2026, 5, 18)) == date(2027, 5, 17)


class TestLunarBirthdays:
    def test_mid_autumn_birth_is_celebrated_at_mid_autumn(self) -> None:
        born = LunarDate(1990, 8, 15).to_solar_date()  # 1990-10-03
        assert born == date(1990, 10, 3)
        assert next_birthday(born, True, date(2026, 1, 1)) == date(2026, 9, 25)
        assert next_birthday(born, True, date(2026, 9, 26)) == date(2027, 9, 15)

    def test_a_birthday_late_in_the_lunar_year_before_spring_festival(self) -> None:
        # born lunar 12/20: in January 2027 the coming one belongs to lunar year 2026
        born = LunarDate(1985, 12, 20).to_solar_date()
        expected = LunarDate(2026, 12, 20).to_solar_date()
        assert expected.year == 2027
        assert next_birthday(born, True, date(2027, 1, 1)) == expected

    def test_a_leap_month_birth_is_kept_in_the_regular_month(self) -> None:
        born = LunarDate(2023, 2, 4, True).to_solar_date()  # 闰二月初四
        assert lunar_month_day(born) == (2, 4)
        assert next_birthday(born, True, date(2026, 1, 1)) == LunarDate(2026, 2, 4).to_solar_date()

    def test_the_30th_falls_on_the_29th_of_a_short_month(self) -> None:
        month = next(m for m in range(1, 13) if _has_30(1990, m) and not _has_30(2026, m))
        born = LunarDate(1990, month, 30).to_solar_date()
        assert next_birthday(born, True, date(2026, 1, 1)) == LunarDate(2026, month, 29).to_solar_date()

    def test_birthdays_between_lists_each_occurrence(self) -> None:
        people = [("solar", date(1990, 3, 1), False), ("lunar", date(1990, 10, 3), True)]
        found = birthdays_between(people, date(2026, 1, 1), date(2027, 12, 31))
        assert found == [
            ("solar", date(2026, 3, 1)), ("lunar", date(2026, 9, 25)),
            ("solar", date(2027, 3, 1)), ("lunar", date(2027, 9, 15)),
        ]  # fmt: skip

    @given(
        born=st.dates(date(1930, 3, 1), date(2020, 12, 31)),
        lunar=st.booleans(),
        start=st.dates(date(2024, 1, 1), date(2040, 12, 31)),
    )
    def test_next_birthday_is_never_in_the_past_and_within_a_lunar_year(
        self, born: date, lunar: bool, start: date
    ) -> None:
        day = next_birthday(born, lunar, start)
        assert start <= day < start + timedelta(days=400)
        assert next_birthday(born, lunar, day) == day  # the same date and birth give the same result


def _has_30(lunar_year: int, month: int) -> bool:
    try:
        LunarDate(lunar_year, month, 30).to_solar_date()
    except ValueError:
        return False
    return True
