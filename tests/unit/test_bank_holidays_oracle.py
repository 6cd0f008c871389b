"""The working-day calendar against GOV.UK's list of England and Wales bank holidays, 2012 to 2028.

The calendar takes its holidays from the `holidays` package at run time; this test holds the list that
GOV.UK publishes (https://www.gov.uk/bank-holidays, in the shape of its bank-holidays.json) as data and
checks every day of those seventeen years against it, so that a package upgrade that drops, adds or moves
a day fails here first. The list gives the days off as observed: substitute days, moved days and the
one-off days (2012 Diamond Jubilee, 2020 VE Day, 2022 Platinum Jubilee and State Funeral, 2023
Coronation). Years after GOV.UK's published range follow the standing rules until it publishes them.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from services.kernel.calendar import add_working_days, is_working_day, working_days_between

ORACLE = Path(__file__).parent / "data" / "england_and_wales_bank_holidays_2012_2028.json"
YEARS = range(2012, 2029)


def _oracle() -> dict[date, str]:
    events = json.loads(ORACLE.read_text())["england-and-wales"]["events"]
    return {date.fromisoformat(event["date"]): event["title"] for event in events}


GOV_UK = _oracle()


def test_the_oracle_covers_every_year_with_the_usual_holidays() -> None:
    for year in YEARS:
        days = [day for day in GOV_UK if day.year == year]
        assert len(days) >= 8, f"the GOV.UK list in {ORACLE.name} has only {len(days)} days for {year}"
        assert all(day.weekday() < 5 for day in days), f"the list for {year} names a weekend day"


@pytest.mark.parametrize("year", YEARS)
def test_every_day_of_the_year_is_a_working_day_exactly_when_gov_uk_says_so(year: int) -> None:
    wrong: list[str] = []
    day = date(year, 1, 1)
    while day.year == year:
        expected = day.weekday() < 5 and day not in GOV_UK
        if is_working_day(day) != expected:
            why = GOV_UK.get(day, "a weekend" if day.weekday() >= 5 else "not a bank holiday")
            wrong.append(f"{day:%a %d %b %Y} ({why}): calendar says working={is_working_day(day)}")
        day += timedelta(days=1)
    assert not wrong, (
        f"the calendar disagrees with GOV.UK's England and Wales list on {len(wrong)} days of {year}: "
        f"{wrong}; check the `holidays` package version against {ORACLE.name}"
    )


@pytest.mark.parametrize(
    ("day", "title"),
    [
        ("2012-06-05", "Queen's Diamond Jubilee"),
        ("2020-05-08", "Early May bank holiday (VE day)"),
        ("2022-06-03", "Platinum Jubilee bank holiday"),
        ("2022-09-19", "Bank Holiday for the State Funeral of Queen Elizabeth II"),
        ("2023-05-08", "Bank holiday for the coronation of King Charles III"),
    ],
)
def test_the_one_off_days_are_days_off(day: str, title: str) -> None:
    assert GOV_UK[date.fromisoformat(day)] == title, f"{day} should be {title!r} in {ORACLE.name}"
    assert not is_working_day(date.fromisoformat(day)), f"{day} ({title}) must not be a working day"


def test_deadlines_across_the_years_count_only_the_days_gov_uk_leaves_working() -> None:
    # Every trigger of 2012-2028, 5 and 15 working days on: the count walks the oracle, not the package.
    def oracle_add(trigger: date, n: int) -> date:
        day = trigger
        while n:
            day += timedelta(days=1)
            if day.weekday() < 5 and day not in GOV_UK:
                n -= 1
        return day

    wrong: list[str] = []
    trigger = date(2012, 1, 1)
    while trigger < date(2028, 12, 1):
        for n in (5, 15):
            expected = oracle_add(trigger, n)
            if add_working_days(trigger, n) != expected:
                wrong.append(f"{trigger} + {n}: {add_working_days(trigger, n)}, GOV.UK gives {expected}")
            elif working_days_between(trigger, expected) != n:
                wrong.append(f"working_days_between({trigger}, {expected}) is not {n}")
        trigger += timedelta(days=1)
    assert not wrong, f"{len(wrong)} deadlines differ from GOV.UK's calendar, first 10: {wrong[:10]}"
