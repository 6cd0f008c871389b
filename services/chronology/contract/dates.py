"""Dates and times as people in England type them in a chronology: day first, often uncertain.

An agency's record may know the day ("22/05/2016"), only the month ("May 2016", "?/05/2016") or only the
year ("about 2016"). `parse_entry_date` turns what was typed into an `EntryDate`: the span of days it can
mean, its precision and whether it is approximate, keeping the typed words for the reader. Every refusal
is a `DateProblem` whose message says what to fix.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Final, Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

Precision = Literal["day", "month", "year"]

# No chronology reaches back before this: an earlier year is a slip of the keyboard (1016 for 2016).
EARLIEST_YEAR: Final = 1900
HOW_TO_WRITE: Final = "write it as 22/05/2016, May 2016 or about 2016"

_RANK: Final[dict[str, int]] = {"day": 0, "month": 1, "year": 2}


class DateProblem(ValueError):
    """A date or time that cannot be read; the message names what was typed and what to fix."""


class EntryDate(BaseModel):
    """When a chronology entry happened, as precisely as the agency knows it.

    `starts_on` and `ends_on` are the first and last days the typed words can mean: the same day for a
    day, the month's first and last for a month, 1 January and 31 December for a year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    typed: str
    starts_on: date
    ends_on: date
    precision: Precision
    approximate: bool = False

    @model_validator(mode="after")
    def _span_fits_precision(self) -> Self:
        # A sender may give the span itself (a stored entry sent on): it must be the span its precision says.
        first, last = self.starts_on, self.ends_on
        if self.precision == "day":
            fits = first == last
        elif self.precision == "month":
            fits = first.day == 1 and last == first.replace(
                day=calendar.monthrange(first.year, first.month)[1]
            )
        else:
            fits = (first.month, first.day) == (1, 1) and last == date(first.year, 12, 31)
        if not fits:
            raise ValueError(f"{self.typed}: {first:%d/%m/%Y} to {last:%d/%m/%Y} is not one {self.precision}")
        return self

    def sort_on(self) -> date:
        """The day a merged chronology places this entry on: the first day it can mean."""
        return self.starts_on

    def sort_rank(self) -> int:
        """Order among entries placed on the same day: a day before a month before a year, and each exact
        one before its approximate kind (0 day, 1 month, 2 year, plus 3 if approximate)."""
        return _RANK[self.precision] + (3 if self.approximate else 0)

    def shown(self) -> str:
        """The date as the reader sees it: as the agency typed it."""
        return self.typed


# -- reading what was typed --------------------------------------------------------------------------------

_MONTHS: Final[dict[str, int]] = {}
for _number in range(1, 13):
    _MONTHS[calendar.month_name[_number].lower()] = _number
    _MONTHS[calendar.month_abbr[_number].lower()] = _number
_MONTHS["sept"] = 9
_WEEKDAYS: Final[dict[str, int]] = {}
for _number in range(7):
    _WEEKDAYS[calendar.day_name[_number].lower()] = _number
    _WEEKDAYS[calendar.day_abbr[_number].lower()] = _number
_WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})

_MONTH: Final = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY: Final = "(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\.?"
_YEAR: Final = r"(\d{4}|\d{2})"

# Compiled once: the sheet reads up to 100,000 dates a file.
_NUMERIC = re.compile(r"(\d{1,2}|\?+)\s*[/.\-]\s*(\d{1,2}|\?+)\s*[/.\-]\s*" + _YEAR)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_NUMERIC_MONTH = re.compile(r"(\d{1,2}|\?+)\s*[/.\-]\s*(\d{4})")
_WORDED = re.compile(
    r"(?:"
    + _WEEKDAY
    + r",?\s+)?(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?[\s\-/.]*"
    + _MONTH
    + r"[\s\-/.,]*"
    + _YEAR
)
_WORDED_MONTH_FIRST = re.compile(
    r"(?:" + _WEEKDAY + r",?\s+)?" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"
)
_MONTH_YEAR = re.compile(_MONTH + r"[\s\-/.,]*" + _YEAR)
_YEAR_ONLY = re.compile(r"(\d{4})")

_LEADING_MARK = re.compile(
    r"(?:(?:about|approx|approximately|circa|around|roughly|estimated)\b\.?|c\.|ca\.|~)\s*"
)
_TRAILING_MARK = re.compile(r"\s*\(?\s*(?:approx\.?|approximately|estimated|est\.)\s*\)?$")
_EXCEL_DAY_NUMBER = re.compile(r"\d{5}(?:\.\d+)?")
_PART_OF = re.compile(r"(early|mid|late)(?:\s+|\s*-\s*|$)")
_SEASON = re.compile(r"\b(spring|summer|autumn|fall|winter)\b")
_SPACES = re.compile(r"\s+")


def parse_entry_date(text: str, *, today: date) -> EntryDate:
    """Read a chronology date as typed in England, day first (never month first).

    Accepted: 22/05/2016, 22/5/16, 22.05.16, 22-05-2016, 22-May-2016, 22 May 2016, 22nd May 2016,
    Sunday 22 May 2016, 2016-05-22, May 2016, 05/2016, 2016; and uncertain forms: about, approx, c., circa,
    around (before any of them), early, mid or late (before a month or a year), or a "?" anywhere
    (?/05/2016 is May 2016, approximate). A two-digit year is this century's unless that would be after
    `today`'s year, then the last century's. Raises `DateProblem` saying what to fix."""
    return _parse_entry_date(text.strip(), _pivot_of(today))


@lru_cache(maxsize=16_384)
def _parse_entry_date(typed: str, pivot: tuple[int, int]) -> EntryDate:
    # Cached: a chronology repeats its dates, and an EntryDate is frozen, so one can be shared.
    if not typed:
        raise DateProblem("the date is empty: give the date, e.g. 22/05/2016 or about May 2016")
    words = _SPACES.sub(" ", typed.lower())
    approximate = "?" in words
    if mark := _LEADING_MARK.match(words):
        approximate, words = True, words[mark.end() :]
    if (mark := _TRAILING_MARK.search(words)) and mark.start() > 0:
        approximate, words = True, words[: mark.start()]
    if part := _PART_OF.match(words):
        approximate, words = True, words[part.end() :]
    if _SEASON.search(words):
        raise DateProblem(f"{typed} is not a date: give the month instead, e.g. about May 2016")
    if not any(character.isalnum() for character in words):
        raise DateProblem("give at least the year, e.g. about 2016")
    # A "?" may stand for the day or the month of a numeric date (?/05/2016); anywhere else it only says
    # the date is uncertain, so the words are read again without it.
    entry_date = _read(typed, words.rstrip("? ").lstrip(), approximate, pivot)
    if entry_date is None and approximate:
        entry_date = _read(typed, _SPACES.sub(" ", words.replace("?", " ")).strip(), approximate, pivot)
    if entry_date is None:
        if _EXCEL_DAY_NUMBER.fullmatch(words):
            raise DateProblem(
                f"{typed} is not a date: it looks like Excel's number for a day: format the cell as a date"
            )
        raise DateProblem(f"{typed} is not a date: {HOW_TO_WRITE}")
    if part and entry_date.precision == "day":
        raise DateProblem(
            f"{typed} is not a date: early, mid or late go before a month or a year, e.g. mid May 2016"
        )
    return entry_date


def _read(typed: str, words: str, approximate: bool, pivot: tuple[int, int]) -> EntryDate | None:
    """The date in `words` (lower case, marks of uncertainty removed), or None if no form matches."""
    if found := _NUMERIC.fullmatch(words):
        day, month, year = found.groups()
        if "?" in month:
            if "?" not in day:
                raise DateProblem(
                    f"{typed} is not a date: give the month, or write about {_year(year, pivot)}"
                )
            return _year_date(typed, _year(year, pivot), approximate=True)
        if "?" in day:
            return _month_date(typed, _year(year, pivot), int(month), approximate=True)
        return _day_date(typed, _year(year, pivot), int(month), int(day), approximate)
    if found := _NUMERIC_MONTH.fullmatch(words):
        month, year = found.groups()
        if "?" in month:
            return _year_date(typed, int(year), approximate=True)
        return _month_date(typed, int(year), int(month), approximate)
    if found := _ISO.fullmatch(words):
        year, month, day = found.groups()
        return _day_date(typed, int(year), int(month), int(day), approximate)
    if found := _WORDED.fullmatch(words):
        weekday, day, month, year = found.groups()
        entry_date = _day_date(typed, _year(year, pivot), _MONTHS[month], int(day), approximate)
        _check_weekday(typed, weekday, entry_date.starts_on)
        return entry_date
    if found := _WORDED_MONTH_FIRST.fullmatch(words):
        weekday, month, day, year = found.groups()
        entry_date = _day_date(typed, int(year), _MONTHS[month], int(day), approximate)
        _check_weekday(typed, weekday, entry_date.starts_on)
        return entry_date
    if found := _MONTH_YEAR.fullmatch(words):
        month, year = found.groups()
        return _month_date(typed, _year(year, pivot), _MONTHS[month], approximate)
    if found := _ISO_MONTH.fullmatch(words):
        year, month = found.groups()
        return _month_date(typed, int(year), int(month), approximate)
    if found := _YEAR_ONLY.fullmatch(words):
        return _year_date(typed, int(found.group(1)), approximate)
    return None


def _check_weekday(typed: str, weekday: str | None, day: date) -> None:
    # "Monday 22 May 2016" names two things; if they disagree, one of them is a slip.
    if weekday is not None and _WEEKDAYS[weekday] != day.weekday():
        raise DateProblem(
            f"{typed} is not a date: {day.day} {calendar.month_name[day.month]} {day.year} was a "
            f"{calendar.day_name[day.weekday()]}, not a {calendar.day_name[_WEEKDAYS[weekday]]}"
        )


def _pivot_of(today: date) -> tuple[int, int]:
    return today.year // 100 * 100, today.year % 100


def _year(digits: str, pivot: tuple[int, int]) -> int:
    if len(digits) == 4:
        return int(digits)
    century, this_year = pivot
    two = int(digits)
    # "16" typed in 2026 is 2016; "99" is 1999: no chronology reaches into a later year.
    return century + two if two <= this_year else century - 100 + two


def _check_year(typed: str, year: int) -> None:
    if year < EARLIEST_YEAR:
        raise DateProblem(f"{typed} is not a date: the year {year} is too early: check the year")


def _check_month(typed: str, month: int) -> None:
    if not 1 <= month <= 12:
        raise DateProblem(f"{typed} is not a date: there is no month {month}")


def _day_date(typed: str, year: int, month: int, day: int, approximate: bool) -> EntryDate:
    _check_year(typed, year)
    _check_month(typed, month)
    days = calendar.monthrange(year, month)[1]
    if day == 0:
        raise DateProblem(f"{typed} is not a date: there is no day 0")
    if day > days:
        raise DateProblem(f"{typed} is not a date: {calendar.month_name[month]} {year} has {days} days")
    on = date(year, month, day)
    # Built without validation: the span is right by construction, and the sheet builds 100,000 of these.
    return EntryDate.model_construct(
        typed=typed, starts_on=on, ends_on=on, precision="day", approximate=approximate
    )


def _month_date(typed: str, year: int, month: int, approximate: bool) -> EntryDate:
    _check_year(typed, year)
    _check_month(typed, month)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return EntryDate.model_construct(
        typed=typed, starts_on=date(year, month, 1), ends_on=last, precision="month", approximate=approximate
    )


def _year_date(typed: str, year: int, approximate: bool) -> EntryDate:
    _check_year(typed, year)
    return EntryDate.model_construct(
        typed=typed,
        starts_on=date(year, 1, 1),
        ends_on=date(year, 12, 31),
        precision="year",
        approximate=approximate,
    )


def day_of_cell(value: date | datetime) -> tuple[EntryDate, time | None]:
    """A spreadsheet cell holding a real date: the day, typed as dd/mm/yyyy, and its time of day if the cell
    holds one other than midnight (a date cell with no time is midnight)."""
    day = value.date() if isinstance(value, datetime) else value
    typed = f"{day:%d/%m/%Y}"
    _check_year(typed, day.year)
    at = value.time().replace(tzinfo=None) if isinstance(value, datetime) else None
    entry_date = EntryDate.model_construct(
        typed=typed, starts_on=day, ends_on=day, precision="day", approximate=False
    )
    return entry_date, (at if at and at != time(0) else None)


# -- times -------------------------------------------------------------------------------------------------

_TIME = re.compile(
    r"(\d{1,2})(?:\s*[:.]\s*(\d{2}))?(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*(?:hrs|hours|h)?"
)
_TIME_RUN_ON = re.compile(r"(\d{2})(\d{2})\s*(?:hrs|hours|h)?")


def parse_time(text: str) -> time:
    """Read a time of day: 14:30, 14.30, 2:30pm, 2pm, 1430hrs, noon, midnight. Raises `DateProblem`."""
    return _parse_time(text.strip())


@lru_cache(maxsize=4096)
def _parse_time(typed: str) -> time:
    words = typed.lower()
    if words in ("noon", "midday", "12 noon"):
        return time(12, 0)
    if words == "midnight":
        return time(0, 0)
    found = _TIME.fullmatch(words)
    if found is None and (run_on := _TIME_RUN_ON.fullmatch(words)):
        hours, minutes, seconds, half = run_on.group(1), run_on.group(2), None, None
    elif found is not None and (found.group(2) or found.group(4)):
        hours, minutes, seconds, half = found.groups()
    else:
        raise DateProblem(
            f"{typed} is not a time: write it as 14:30 or 2:30pm" if typed else "the time is empty"
        )
    hour, minute, second = int(hours), int(minutes or 0), int(seconds or 0)
    if half:
        if not 1 <= hour <= 12:
            raise DateProblem(f"{typed} is not a time: with am or pm the hour is 1 to 12")
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    if hour > 23:
        raise DateProblem(f"{typed} is not a time: hours go from 0 to 23")
    if minute > 59 or second > 59:
        raise DateProblem(f"{typed} is not a time: minutes go from 00 to 59")
    return time(hour, minute, second)


def time_of_cell(value: time | datetime | timedelta) -> time:
    """A spreadsheet cell holding a real time (or a duration under a day, as some sheets store one)."""
    if isinstance(value, datetime):
        return value.time().replace(tzinfo=None)
    if isinstance(value, timedelta):
        if not timedelta(0) <= value < timedelta(days=1):
            raise DateProblem(f"{value} is not a time of day: write it as 14:30")
        seconds = int(value.total_seconds())
        return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
    return value.replace(tzinfo=None)
