"""Chronology dates and times as people in England type them: day first, often uncertain, and every
refusal saying what to fix."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from services.chronology.contract import DateProblem, EntryDate, parse_entry_date, parse_time
from services.chronology.contract.dates import day_of_cell, time_of_cell

TODAY = date(2026, 3, 1)
MAY_22 = date(2016, 5, 22)


def read(text: str) -> EntryDate:
    return parse_entry_date(text, today=TODAY)


@pytest.mark.parametrize(
    "typed",
    [
        "22/05/2016",
        "22/5/16",
        "22.05.16",
        "22-05-2016",
        "22-May-2016",
        "22 May 2016",
        "22nd May 2016",
        "22nd of May 2016",
        "Sunday 22 May 2016",
        "Sun, 22 May 2016",
        "2016-05-22",
        "May 22, 2016",
        "  22/05/2016  ",
    ],
)
def test_a_day_is_read_day_first_in_every_usual_form(typed):
    read_date = read(typed)
    assert (read_date.starts_on, read_date.ends_on, read_date.precision) == (MAY_22, MAY_22, "day")
    assert not read_date.approximate
    assert read_date.typed == typed.strip()


def test_a_numeric_date_is_never_read_month_first():
    assert read("05/06/2016").starts_on == date(2016, 6, 5)
    with pytest.raises(DateProblem, match="there is no month 22"):
        read("05/22/2016")


@pytest.mark.parametrize("typed", ["May 2016", "05/2016", "5/2016", "May-16", "2016-05", "Sept 2016"])
def test_a_month_spans_its_first_to_its_last_day(typed):
    read_date = read(typed)
    month = 9 if typed.startswith("Sept") else 5
    assert read_date.precision == "month"
    assert read_date.starts_on == date(2016, month, 1)
    assert read_date.ends_on == date(2016, month, 30 if month == 9 else 31)


def test_a_year_spans_the_whole_year():
    read_date = read("2016")
    assert (read_date.starts_on, read_date.ends_on, read_date.precision) == (
        date(2016, 1, 1),
        date(2016, 12, 31),
        "year",
    )


@pytest.mark.parametrize(
    ("typed", "precision", "starts_on"),
    [
        ("about 2016", "year", date(2016, 1, 1)),
        ("approx May 2016", "month", date(2016, 5, 1)),
        ("approx. 22/05/2016", "day", MAY_22),
        ("c. 2016", "year", date(2016, 1, 1)),
        ("c.2016", "year", date(2016, 1, 1)),
        ("circa 2016", "year", date(2016, 1, 1)),
        ("around 22 May 2016", "day", MAY_22),
        ("early 2016", "year", date(2016, 1, 1)),
        ("mid May 2016", "month", date(2016, 5, 1)),
        ("mid-2016", "year", date(2016, 1, 1)),
        ("late May 2016", "month", date(2016, 5, 1)),
        ("?/05/2016", "month", date(2016, 5, 1)),
        ("??/??/2016", "year", date(2016, 1, 1)),
        ("22/05/2016?", "day", MAY_22),
        ("May 2016?", "month", date(2016, 5, 1)),
        ("?2016", "year", date(2016, 1, 1)),
        ("May 2016 (approx)", "month", date(2016, 5, 1)),
    ],
)
def test_an_uncertain_date_is_approximate_at_the_precision_it_gives(typed, precision, starts_on):
    read_date = read(typed)
    assert read_date.approximate, typed
    assert (read_date.precision, read_date.starts_on) == (precision, starts_on)


def test_a_two_digit_year_is_this_centurys_unless_that_is_after_this_year():
    assert read("22/05/26").starts_on.year == 2026
    assert read("22/05/27").starts_on.year == 1927
    assert read("May 99").starts_on.year == 1999
    assert parse_entry_date("22/05/27", today=date(2027, 1, 1)).starts_on.year == 2027


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/02/2024", "31/02/2024 is not a date: February 2024 has 29 days"),
        ("29/02/2023", "29/02/2023 is not a date: February 2023 has 28 days"),
        ("2024-13-01", "2024-13-01 is not a date: there is no month 13"),
        ("00/05/2016", "00/05/2016 is not a date: there is no day 0"),
        ("", "the date is empty"),
        ("   ", "the date is empty"),
        ("?", "give at least the year, e.g. about 2016"),
        ("about", "give at least the year, e.g. about 2016"),
        ("Spring 2016", "Spring 2016 is not a date: give the month instead"),
        ("summer of 2016", "give the month instead"),
        ("yesterday", "yesterday is not a date: write it as 22/05/2016, May 2016 or about 2016"),
        ("5/16", "5/16 is not a date: write it as 22/05/2016, May 2016 or about 2016"),
        ("42512", "looks like Excel's number for a day"),
        ("1016", "the year 1016 is too early"),
        ("Monday 22 May 2016", "22 May 2016 was a Sunday, not a Monday"),
        ("late 22/05/2016", "early, mid or late go before a month or a year"),
        ("22/?/2016", "give the month"),
    ],
)
def test_a_date_that_cannot_be_read_says_what_to_fix(typed, message):
    with pytest.raises(DateProblem) as refused:
        read(typed)
    assert message in str(refused.value)


def test_a_date_problem_is_a_value_error():
    assert issubclass(DateProblem, ValueError)


def test_entries_on_one_day_sort_exact_before_approximate_and_day_before_month_before_year():
    dates = [read("about 2016"), read("2016"), read("May 2016"), read("01/05/2016"), read("about 01/05/2016")]
    dates += [read("about May 2016")]
    ordered = sorted(dates, key=lambda entry_date: (entry_date.sort_on(), entry_date.sort_rank()))
    assert [entry_date.shown() for entry_date in ordered] == [
        "2016",
        "about 2016",
        "01/05/2016",
        "May 2016",
        "about 01/05/2016",
        "about May 2016",
    ]
    assert read("May 2016").sort_on() == date(2016, 5, 1)
    ranks = [read(typed).sort_rank() for typed in ("22/05/2016", "May 2016", "2016", "about 2016")]
    assert ranks == [0, 1, 2, 5]


def test_an_entry_date_given_whole_must_span_what_its_precision_says():
    with pytest.raises(ValueError, match="not one month"):
        EntryDate(typed="May 2016", starts_on=MAY_22, ends_on=date(2016, 5, 31), precision="month")
    kept = EntryDate(
        typed="May 2016", starts_on=date(2016, 5, 1), ends_on=date(2016, 5, 31), precision="month"
    )
    assert kept == read("May 2016")


def test_a_real_date_cell_is_a_day_typed_day_first_with_its_time_if_not_midnight():
    assert day_of_cell(datetime(2016, 5, 22)) == (read("22/05/2016"), None)
    entry_date, at = day_of_cell(datetime(2016, 5, 22, 14, 30))
    assert (entry_date.typed, entry_date.precision, at) == ("22/05/2016", "day", time(14, 30))
    assert day_of_cell(date(2016, 5, 2))[0].typed == "02/05/2016"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("14:30", time(14, 30)),
        ("14.30", time(14, 30)),
        ("2:30pm", time(14, 30)),
        ("2.30 pm", time(14, 30)),
        ("2pm", time(14, 0)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("9.05 a.m.", time(9, 5)),
        ("1430hrs", time(14, 30)),
        ("09:15:30", time(9, 15, 30)),
        ("noon", time(12, 0)),
    ],
)
def test_a_time_is_read_in_twenty_four_or_twelve_hour_forms(typed, expected):
    assert parse_time(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("25:00", "25:00 is not a time: hours go from 0 to 23"),
        ("14:60", "minutes go from 00 to 59"),
        ("13pm", "with am or pm the hour is 1 to 12"),
        ("14", "14 is not a time: write it as 14:30 or 2:30pm"),
        ("teatime", "teatime is not a time"),
    ],
)
def test_a_time_that_cannot_be_read_says_what_to_fix(typed, message):
    with pytest.raises(DateProblem, match=message):
        parse_time(typed)


def test_a_time_cell_may_hold_a_time_a_datetime_or_a_duration_under_a_day():
    assert time_of_cell(time(14, 30)) == time(14, 30)
    assert time_of_cell(datetime(1899, 12, 30, 14, 30)) == time(14, 30)
    assert time_of_cell(timedelta(hours=14, minutes=30)) == time(14, 30)
    with pytest.raises(DateProblem):
        time_of_cell(timedelta(days=2))
