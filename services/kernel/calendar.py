"""England-and-Wales working-day calendar for statutory deadlines (pure, no I/O).

A working day is Monday to Friday except the bank holidays of England and Wales, as published
by the ``holidays`` package (one-off days such as 2022-06-03 and substitute days included).

Counting rule: the trigger day is day 0 and is not counted, whatever day it is; the first working
day after it is day 1, and a deadline is the end of the nth working day, Europe/London. A trigger
on a weekend or bank holiday therefore adds no day: aware Sat 17 Oct 2026 gives the same 5th
working day (Fri 23 Oct) as aware Fri 16 Oct (as in FOIA s10, "the twentieth working day
following the date of receipt").

Month periods are calendar months from the trigger date, clamped to the month's last day.

Every statutory date is a date in England: `today_in_england` is the one place a moment becomes one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

__all__ = [
    "ENGLAND",
    "add_calendar_months",
    "add_working_days",
    "bank_holidays",
    "end_of_day",
    "is_working_day",
    "today_in_england",
    "working_days_between",
]

ENGLAND: Final[ZoneInfo] = ZoneInfo("Europe/London")
_ONE_DAY: Final[timedelta] = timedelta(days=1)
_SATURDAY: Final[int] = 5


@lru_cache(maxsize=128)
def _holidays_for_year(year: int) -> MappingProxyType[date, str]:
    """Return the read-only England-and-Wales bank holidays of one year (weekend dates included)."""
    # Copy into a plain dict: a HolidayBase silently grows to other years on membership tests.
    source = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return MappingProxyType({day: str(name) for day, name in source.items() if day.year == year})


def _require_date(day: date, name: str = "day") -> None:
    """Reject datetimes, which compare unequal to dates and would never match a holiday."""
    if isinstance(day, datetime):
        raise TypeError(f"{name} must be a datetime.date, not a datetime ({day!r}); pass .date() explicitly")


def bank_holidays(year: int) -> dict[date, str]:
    """Return the England-and-Wales bank holidays of ``year`` as {date: name}, in date order."""
    return dict(sorted(_holidays_for_year(year).items()))


def is_working_day(day: date) -> bool:
    """Return True if ``day`` is Monday to Friday and not an England-and-Wales bank holiday."""
    _require_date(day)
    return day.weekday() < _SATURDAY and day not in _holidays_for_year(day.year)


def add_working_days(trigger: date, n: int) -> date:
    """Return the nth working day after the trigger, which is day 0 whatever day it is (n = 0: itself)."""
    _require_date(trigger, "trigger")
    if n < 0:
        raise ValueError(f"n must be >= 0 working days, got {n}")
    day = trigger
    remaining = n
    while remaining:
        day += _ONE_DAY
        if is_working_day(day):
            remaining -= 1
    return day


def add_calendar_months(trigger: date, months: int) -> date:
    """Return the same day of the month ``months`` later, or that month's last day if it has none."""
    _require_date(trigger, "trigger")
    result: date = trigger + relativedelta(months=months)
    return result


def _weekdays_through(day: date) -> int:
    """Count Mondays to Fridays from 0001-01-01 (a Monday) through ``day`` inclusive."""
    full_weeks, extra_days = divmod(day.toordinal(), 7)
    return full_weeks * 5 + min(extra_days, 5)


def _weekday_holidays_in(start: date, end: date) -> int:
    """Count bank holidays falling Monday to Friday with start < holiday <= end (start <= end)."""
    return sum(
        1
        for year in range(start.year, end.year + 1)
        for holiday in _holidays_for_year(year)
        if start < holiday <= end and holiday.weekday() < _SATURDAY
    )


def working_days_between(start: date, end: date) -> int:
    """Return the working days d with start < d <= end (negated, end < d <= start, if end < start)."""
    _require_date(start, "start")
    _require_date(end, "end")
    if end < start:
        return -working_days_between(end, start)
    return _weekdays_through(end) - _weekdays_through(start) - _weekday_holidays_in(start, end)


def end_of_day(day: date) -> datetime:
    """Return the last instant (23:59:59.999999) of ``day`` in Europe/London, timezone-aware."""
    _require_date(day)
    return datetime.combine(day, time.max, tzinfo=ENGLAND)


def today_in_england(now: datetime | None = None) -> date:
    """Return the date in England at the moment ``now`` (timezone-aware; default: this moment)."""
    return (now if now is not None else datetime.now(UTC)).astimezone(ENGLAND).date()
