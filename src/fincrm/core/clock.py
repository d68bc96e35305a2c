"""Time source. Code that needs "now" receives a Clock, so tests and the demo generator can fix it.

All datetimes are timezone-aware; ``*_at`` values are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")

    def now(self) -> datetime:
        return self.at.astimezone(UTC)


def local_today(clock: Clock, tz: ZoneInfo) -> date:
    """The business date in ``tz`` at the clock's current instant."""
    return clock.now().astimezone(tz).date()


def start_of_day_utc(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` begins in ``tz``.

    Examples
    --------
    >>> start_of_day_utc(date(2026, 1, 1), ZoneInfo("Asia/Shanghai")).isoformat()
    '2025-12-31T16:00:00+00:00'
    """
    return datetime.combine(day, time(0), tz).astimezone(UTC)
