"""The engagement calendar: China's public holidays and birthdays, solar or lunar. Pure.

Holiday dates come from the maintained ``holidays`` library (``holidays.China``); we only map our
keys to the library's English names and take the first day of each holiday in a year, never a
hand-written date. Qingming, Dragon Boat and Mid-Autumn became statutory holidays in 2008, so
earlier years have no date for them.

Birthdays
---------
A *solar* birthday falls on the same month and day each year; a 29 February birthday falls on
28 February in a year without one.

A *lunar* birthday is the lunar month and day of the birth (from ``lunardate``), celebrated on the
solar date of that lunar month and day in each lunar year. Two cases need a convention, and we
follow the common custom:

- born in a leap month (闰月): the birthday is kept in the regular month of the same number, since
  most years have no such leap month;
- born on the 30th of a month: in a year whose month has only 29 days (小月), the birthday is the
  29th, the last day of that month.

All dates are calendar dates in the institution's timezone; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays
from lunardate import LunarDate

# our key -> the name holidays.China gives the holiday's days (language en_US)
HOLIDAY_NAMES: dict[str, str] = {
    "new_year": "New Year's Day",
    "spring_festival": "Chinese New Year (Spring Festival)",
    "qingming": "Tomb-Sweeping Day",
    "labour_day": "Labor Day",
    "dragon_boat": "Dragon Boat Festival",
    "mid_autumn": "Mid-Autumn Festival",
    "national_day": "National Day",
}
HOLIDAY_KEYS = tuple(HOLIDAY_NAMES)
# names shown to people, by key
HOLIDAY_LABELS: dict[str, tuple[str, str]] = {
    "new_year": ("元旦", "New Year's Day"),
    "spring_festival": ("春节", "Spring Festival"),
    "qingming": ("清明节", "Qingming Festival"),
    "labour_day": ("劳动节", "Labour Day"),
    "dragon_boat": ("端午节", "Dragon Boat Festival"),
    "mid_autumn": ("中秋节", "Mid-Autumn Festival"),
    "national_day": ("国庆节", "National Day"),
}
# lunardate covers lunar years 1900-2099; a lunar birthday outside them cannot be computed
LUNAR_FIRST_YEAR, LUNAR_LAST_YEAR = 1900, 2099


@lru_cache(maxsize=256)
def holiday_dates(year: int) -> dict[str, date]:
    """The first day of each holiday in ``year``, by our key.

    Parameters
    ----------
    year
        Gregorian year.

    Returns
    -------
    dict
        Key -> first day; keys the law did not have that year are absent.

    Examples
    --------
    >>> holiday_dates(2027)["spring_festival"]
    datetime.date(2027, 2, 6)
    >>> holiday_dates(2026)["mid_autumn"], holiday_dates(2026)["dragon_boat"]
    (datetime.date(2026, 9, 25), datetime.date(2026, 6, 19))
    """
    wanted = {name: key for key, name in HOLIDAY_NAMES.items()}
    found: dict[str, date] = {}
    for day, names in sorted(holidays.China(years=year, language="en_US").items()):
        # one day may carry two holidays ("Mid-Autumn Festival; National Day" in 2020)
        for name in names.split("; "):
            key = wanted.get(name)
            if key is not None and key not in found:
                found[key] = day
    return found


def holidays_between(start: date, end: date) -> list[tuple[date, str]]:
    """The first days of holidays in ``start..end`` (both included), in date order.

    Examples
    --------
    >>> holidays_between(date(2026, 9, 1), date(2026, 10, 31))
    [(datetime.date(2026, 9, 25), 'mid_autumn'), (datetime.date(2026, 10, 1), 'national_day')]
    """
    out = [
        (day, key)
        for year in range(start.year, end.year + 1)
        for key, day in holiday_dates(year).items()
        if start <= day <= end
    ]
    return sorted(out)


def solar_birthday(birth_on: date, year: int) -> date:
    """The solar birthday in ``year``; 29 February falls on 28 February in a common year.

    Examples
    --------
    >>> solar_birthday(date(2000, 2, 29), 2027), solar_birthday(date(2000, 2, 29), 2028)
    (datetime.date(2027, 2, 28), datetime.date(2028, 2, 29))
    """
    try:
        return birth_on.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


@lru_cache(maxsize=65_536)
def lunar_month_day(birth_on: date) -> tuple[int, int]:
    """The lunar (month, day) of a solar birth date; a leap-month birth gives the regular month.

    Examples
    --------
    >>> lunar_month_day(date(1990, 10, 3))
    (8, 15)
    """
    lunar = LunarDate.from_solar_date(birth_on.year, birth_on.month, birth_on.day)
    return lunar.month, lunar.day


@lru_cache(maxsize=65_536)
def lunar_to_solar(lunar_year: int, month: int, day: int) -> date:
    """The solar date of a lunar (regular) month and day; the 30th of a 29-day month is the 29th.

    Examples
    --------
    >>> lunar_to_solar(2026, 8, 15)
    datetime.date(2026, 9, 25)
    """
    try:
        return LunarDate(lunar_year, month, day, False).to_solar_date()
    except ValueError:
        if day != 30:
            raise
        return LunarDate(lunar_year, month, 29, False).to_solar_date()


def lunar_year_of(day: date) -> int:
    """The lunar year a solar date falls in (it starts at Spring Festival)."""
    return LunarDate.from_solar_date(day.year, day.month, day.day).year


def next_birthday(birth_on: date, lunar: bool, on_or_after: date) -> date:
    """The first birthday on or after ``on_or_after``, on the solar or the lunar calendar.

    Parameters
    ----------
    birth_on
        Solar date of birth.
    lunar
        Whether the person celebrates the lunar birthday (see the module docstring for leap
        months and the 30th).
    on_or_after
        First day that counts.

    Returns
    -------
    date
        Solar date of the birthday.

    Examples
    --------
    Born on lunar 15 August 1990 (solar 3 October 1990), the birthday in 2026 is Mid-Autumn:

    >>> next_birthday(date(1990, 10, 3), True, date(2026, 9, 1))
    datetime.date(2026, 9, 25)
    >>> next_birthday(date(1990, 10, 3), False, date(2026, 10, 4))
    datetime.date(2027, 10, 3)
    """
    if not lunar:
        candidate = solar_birthday(birth_on, on_or_after.year)
        return candidate if candidate >= on_or_after else solar_birthday(birth_on, on_or_after.year + 1)
    month, day = lunar_month_day(birth_on)
    year = lunar_year_of(on_or_after)
    candidate = lunar_to_solar(year, month, day)
    return candidate if candidate >= on_or_after else lunar_to_solar(year + 1, month, day)


def birthdays_between(
    people: Iterable[tuple[str, date, bool]], start: date, end: date
) -> list[tuple[str, date]]:
    """Every birthday of ``people`` (key, birth date, lunar) in ``start..end``, by date then key.

    Examples
    --------
    >>> birthdays_between(
    ...     [("A", date(1990, 10, 3), True), ("B", date(1985, 9, 25), False), ("C", date(1980, 1, 1), False)],
    ...     date(2026, 9, 20), date(2026, 9, 30),
    ... )
    [('A', datetime.date(2026, 9, 25)), ('B', datetime.date(2026, 9, 25))]
    """
    out: list[tuple[str, date]] = []
    for key, birth_on, lunar in people:
        day = next_birthday(birth_on, lunar, start)
        while day <= end:
            out.append((key, day))
            day = next_birthday(birth_on, lunar, day + timedelta(days=1))
    return sorted(out, key=lambda item: (item[1], item[0]))
