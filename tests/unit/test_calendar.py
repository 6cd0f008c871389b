"""Unit tests for the England-and-Wales working-day calendar (services.kernel.calendar).

Every expected date below was hand-counted against the published England-and-Wales bank holidays.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from services.kernel.calendar import (
    add_calendar_months,
    add_working_days,
    bank_holidays,
    end_of_day,
    is_working_day,
    today_in_england,
    working_days_between,
)


def d(iso: str) -> date:
    """Parse an ISO date, to keep the tables readable."""
    return date.fromisoformat(iso)


def _naive_working_days_between(start: date, end: date) -> int:
    """Reference implementation: walk day by day (slow, obviously correct)."""
    if end < start:
        return -_naive_working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


# --- DOMAIN.md worked examples -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "n", "expected"),
    [
        pytest.param("2025-12-19", 5, "2025-12-30", id="aware-fri-19-dec-2025-sin-due-tue-30-dec"),
        pytest.param("2025-12-30", 15, "2026-01-21", id="sin-30-dec-2025-rapid-review-due-wed-21-jan"),
        pytest.param("2026-04-02", 5, "2026-04-13", id="aware-thu-2-apr-2026-over-easter-sin-due-mon-13-apr"),
        pytest.param(
            "2026-04-13", 15, "2026-05-05", id="sin-13-apr-2026-over-may-day-rapid-review-tue-5-may"
        ),
        pytest.param(
            "2026-08-28", 5, "2026-09-07", id="aware-fri-28-aug-2026-over-late-summer-sin-mon-7-sep"
        ),
    ],
)
def test_add_working_days_matches_domain_worked_examples(trigger: str, n: int, expected: str) -> None:
    result = add_working_days(d(trigger), n)
    assert result == d(expected), (
        f"DOMAIN.md example broken: {trigger} + {n} working days gave {result:%a %Y-%m-%d}, "
        f"expected {d(expected):%a %Y-%m-%d}; check the holiday data and the day-0 rule"
    )


def test_sin_then_rapid_review_chain_composes_like_domain_example() -> None:
    sin_due = add_working_days(d("2025-12-19"), 5)
    rapid_review_due = add_working_days(sin_due, 15)
    assert (sin_due, rapid_review_due) == (d("2025-12-30"), d("2026-01-21")), (
        "chaining SIN (5) then rapid review (15) from aware date 2025-12-19 must give 30 Dec then 21 Jan"
    )
    assert add_working_days(d("2025-12-19"), 20) == rapid_review_due, (
        "adding 5 then 15 working days must equal adding 20 when the intermediate date is a working day"
    )


# --- add_working_days: day 0, weekends, holidays ---------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "n", "expected"),
    [
        pytest.param("2026-01-09", 0, "2026-01-09", id="n0-on-working-day-is-the-trigger"),
        pytest.param("2026-01-09", 1, "2026-01-12", id="friday-plus-1-is-monday"),
        pytest.param("2026-01-09", 5, "2026-01-16", id="friday-plus-5-is-next-friday"),
        pytest.param("2026-01-10", 0, "2026-01-10", id="saturday-n0-is-the-trigger-itself"),
        pytest.param("2026-01-10", 1, "2026-01-12", id="saturday-day-1-is-monday"),
        pytest.param("2026-01-10", 5, "2026-01-16", id="saturday-plus-5-is-friday-as-from-friday"),
        pytest.param("2026-01-11", 5, "2026-01-16", id="sunday-plus-5-is-friday-as-from-friday"),
        pytest.param("2026-10-17", 5, "2026-10-23", id="issue-example-aware-sat-17-oct-sin-fri-23-oct"),
        pytest.param("2026-10-16", 5, "2026-10-23", id="issue-example-aware-fri-16-oct-sin-fri-23-oct"),
        pytest.param("2026-05-04", 1, "2026-05-05", id="may-day-trigger-day-1-is-tuesday"),
        pytest.param("2026-05-04", 5, "2026-05-11", id="may-day-trigger-plus-5-is-monday"),
        pytest.param("2026-05-02", 5, "2026-05-11", id="saturday-before-may-day-plus-5-is-monday"),
        pytest.param("2026-01-01", 1, "2026-01-02", id="new-year-thursday-day-1-is-friday"),
    ],
)
def test_add_working_days_counts_from_the_trigger_whatever_day_it_is(
    trigger: str, n: int, expected: str
) -> None:
    result = add_working_days(d(trigger), n)
    assert result == d(expected), (
        f"{d(trigger):%a %Y-%m-%d} + {n} gave {result:%a %Y-%m-%d}, expected {d(expected):%a %Y-%m-%d}: "
        "the trigger is day 0 whatever day it is and the first working day after it is day 1"
    )


@pytest.mark.parametrize("trigger", [f"2026-10-{day:02d}" for day in (16, 17, 18)])
def test_a_weekend_trigger_gives_the_same_deadline_as_the_friday_before(trigger: str) -> None:
    for n in (1, 5, 10, 15, 20):
        assert add_working_days(d(trigger), n) == add_working_days(d("2026-10-16"), n), (
            f"aware {d(trigger):%a %d %b} + {n} working days must equal aware Fri 16 Oct + {n}: "
            "a weekend trigger adds no day"
        )


@pytest.mark.parametrize(
    ("trigger", "n", "expected"),
    [
        # Easter 2026: Good Friday 3 Apr, Easter Monday 6 Apr.
        pytest.param("2026-04-02", 1, "2026-04-07", id="easter-2026-thursday-plus-1-is-tuesday"),
        pytest.param("2026-04-03", 1, "2026-04-07", id="easter-2026-good-friday-trigger-day-1-tuesday"),
        pytest.param("2026-04-03", 5, "2026-04-13", id="easter-2026-good-friday-trigger-plus-5"),
        pytest.param("2026-04-06", 5, "2026-04-13", id="easter-2026-easter-monday-trigger-plus-5"),
        # Christmas 2021: 25/26 at the weekend, substitutes Mon 27 and Tue 28; New Year substitute Mon 3 Jan.
        pytest.param("2021-12-24", 1, "2021-12-29", id="xmas-2021-substitutes-27-and-28-skipped"),
        pytest.param("2021-12-24", 3, "2021-12-31", id="xmas-2021-plus-3-is-new-years-eve"),
        pytest.param("2021-12-24", 4, "2022-01-04", id="xmas-2021-new-year-substitute-3-jan-2022-skipped"),
        pytest.param("2021-12-27", 1, "2021-12-29", id="xmas-2021-trigger-on-substitute-day-1-wednesday"),
        # Christmas 2022: Sunday 25, Boxing Day Mon 26, substitute Tue 27.
        pytest.param("2022-12-23", 1, "2022-12-28", id="xmas-2022-substitute-27-dec-skipped"),
        pytest.param("2022-12-27", 1, "2022-12-28", id="xmas-2022-trigger-on-substitute-day-1-wednesday"),
        # Christmas 2026: Boxing Day Saturday, substitute Mon 28.
        pytest.param("2026-12-24", 1, "2026-12-29", id="xmas-2026-boxing-day-substitute-28-skipped"),
        # One-off days.
        pytest.param("2022-06-01", 1, "2022-06-06", id="platinum-jubilee-2022-thu-2-and-fri-3-june-skipped"),
        pytest.param("2022-09-16", 1, "2022-09-20", id="state-funeral-2022-09-19-skipped"),
        pytest.param("2023-05-05", 1, "2023-05-09", id="coronation-2023-05-08-skipped"),
        pytest.param("2023-04-28", 5, "2023-05-09", id="may-day-and-coronation-2023-both-skipped"),
        # Leap years.
        pytest.param("2024-02-28", 1, "2024-02-29", id="leap-2024-feb-29-is-a-working-day"),
        pytest.param("2024-02-23", 5, "2024-03-01", id="leap-2024-counts-feb-29"),
        pytest.param("2025-02-21", 5, "2025-02-28", id="non-leap-2025-five-days-stay-in-february"),
    ],
)
def test_add_working_days_skips_bank_holidays_and_substitute_days(
    trigger: str, n: int, expected: str
) -> None:
    result = add_working_days(d(trigger), n)
    assert result == d(expected), (
        f"{d(trigger):%a %Y-%m-%d} + {n} gave {result:%a %Y-%m-%d}, expected {d(expected):%a %Y-%m-%d}: "
        f"check bank_holidays({d(trigger).year}) and bank_holidays({d(expected).year})"
    )


@pytest.mark.parametrize("n", [-1, -5])
def test_add_working_days_rejects_negative_n(n: int) -> None:
    with pytest.raises(ValueError, match="n must be >= 0"):
        add_working_days(d("2026-01-09"), n)


def test_add_working_days_handles_long_periods_across_years() -> None:
    # 2026 has 253 working days; from 31 Dec 2025, the 253rd is the last working day of 2026.
    assert add_working_days(d("2025-12-31"), 253) == d("2026-12-31"), (
        "253 working days after 31 Dec 2025 must be Thu 31 Dec 2026 (2026 has 253 England working days)"
    )


# --- is_working_day -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param("2026-01-09", True, id="ordinary-friday"),
        pytest.param("2026-01-10", False, id="saturday"),
        pytest.param("2026-01-11", False, id="sunday"),
        pytest.param("2026-04-03", False, id="good-friday-2026"),
        pytest.param("2026-04-06", False, id="easter-monday-2026"),
        pytest.param("2026-04-07", True, id="tuesday-after-easter-2026"),
        pytest.param("2021-12-27", False, id="christmas-substitute-2021"),
        pytest.param("2021-12-28", False, id="boxing-day-substitute-2021"),
        pytest.param("2022-12-26", False, id="boxing-day-2022-monday"),
        pytest.param("2022-12-27", False, id="christmas-substitute-2022"),
        pytest.param("2026-12-28", False, id="boxing-day-substitute-2026"),
        pytest.param("2022-06-02", False, id="moved-spring-bank-holiday-2022"),
        pytest.param("2022-05-30", True, id="usual-spring-bank-holiday-slot-2022-is-working"),
        pytest.param("2022-06-03", False, id="platinum-jubilee-2022"),
        pytest.param("2022-09-19", False, id="state-funeral-2022"),
        pytest.param("2023-05-08", False, id="coronation-2023"),
        pytest.param("2020-05-08", False, id="ve-day-may-day-moved-2020"),
        pytest.param("2020-05-04", True, id="usual-may-day-slot-2020-is-working"),
        pytest.param("2025-12-24", True, id="christmas-eve-is-working"),
        pytest.param("2025-12-31", True, id="new-years-eve-is-working"),
        pytest.param("2024-02-29", True, id="leap-day-thursday"),
    ],
)
def test_is_working_day_follows_england_and_wales_calendar(day: str, expected: bool) -> None:
    assert is_working_day(d(day)) is expected, (
        f"is_working_day({d(day):%a %Y-%m-%d}) should be {expected}; bank_holidays gives "
        f"{bank_holidays(d(day).year).get(d(day), 'no holiday')!r} for that date"
    )


def test_calendar_functions_reject_datetime_to_avoid_silent_holiday_misses() -> None:
    # datetime(2025, 12, 25) != date(2025, 12, 25), so a datetime would never match a holiday.
    with pytest.raises(TypeError, match=r"\.date\(\)"):
        is_working_day(datetime(2025, 12, 25, 9, 0))
    with pytest.raises(TypeError, match="trigger"):
        add_working_days(datetime(2025, 12, 19, 9, 0), 5)


# --- add_calendar_months --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "months", "expected"),
    [
        pytest.param("2026-03-31", 6, "2026-09-30", id="31st-to-30-day-month-clamps"),
        pytest.param("2024-08-31", 6, "2025-02-28", id="31st-to-non-leap-february"),
        pytest.param("2023-08-31", 6, "2024-02-29", id="31st-to-leap-february"),
        pytest.param("2024-02-29", 12, "2025-02-28", id="leap-day-to-non-leap-year"),
        pytest.param("2024-02-29", 48, "2028-02-29", id="leap-day-to-next-leap-year"),
        pytest.param("2026-01-31", 1, "2026-02-28", id="january-31st-plus-1"),
        pytest.param("2025-12-31", 2, "2026-02-28", id="year-boundary-clamps"),
        pytest.param("2026-01-15", 6, "2026-07-15", id="mid-month-same-day"),
        pytest.param("2026-02-28", 6, "2026-08-28", id="feb-28-stays-28-not-month-end"),
        pytest.param("2026-01-15", 0, "2026-01-15", id="zero-months-is-identity"),
        pytest.param("2025-06-28", 6, "2025-12-28", id="weekend-trigger-and-result-not-moved"),
    ],
)
def test_add_calendar_months_keeps_day_or_clamps_to_month_end(
    trigger: str, months: int, expected: str
) -> None:
    result = add_calendar_months(d(trigger), months)
    assert result == d(expected), (
        f"{trigger} + {months} calendar months gave {result}, expected {expected} "
        "(same day of month, else the month's last day; no working-day adjustment)"
    )


# --- working_days_between -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param("2026-01-09", "2026-01-09", 0, id="same-day-is-zero"),
        pytest.param("2026-01-10", "2026-01-10", 0, id="same-weekend-day-is-zero"),
        pytest.param("2026-01-09", "2026-01-10", 0, id="friday-to-saturday-is-zero"),
        pytest.param("2026-01-09", "2026-01-12", 1, id="friday-to-monday-is-one"),
        pytest.param("2026-01-10", "2026-01-12", 1, id="saturday-to-monday-is-one"),
        pytest.param("2025-12-19", "2025-12-30", 5, id="domain-sin-example-2025"),
        pytest.param("2026-04-02", "2026-04-13", 5, id="domain-sin-example-easter-2026"),
        pytest.param("2025-12-30", "2026-01-05", 3, id="late-by-3-over-new-year"),
        pytest.param("2021-12-24", "2022-01-04", 4, id="xmas-2021-substitutes-and-new-year-2022"),
        pytest.param("2026-12-24", "2026-12-29", 1, id="xmas-2026-boxing-day-substitute"),
        pytest.param("2022-06-01", "2022-06-06", 1, id="platinum-jubilee-2022"),
        pytest.param("2025-12-31", "2026-12-31", 253, id="whole-year-2026"),
    ],
)
def test_working_days_between_counts_start_exclusive_end_inclusive_and_is_antisymmetric(
    start: str, end: str, expected: int
) -> None:
    forward = working_days_between(d(start), d(end))
    backward = working_days_between(d(end), d(start))
    assert forward == expected, f"working days in ({start}, {end}] should be {expected}, got {forward}"
    assert backward == -expected, (
        f"working_days_between({end}, {start}) should be {-expected} (negated forward count), got {backward}"
    )


@pytest.mark.parametrize("year", [2021, 2022, 2023, 2024, 2025, 2026, 2027])
def test_working_days_between_matches_day_by_day_count_over_whole_years(year: int) -> None:
    start, end = date(year - 1, 12, 31), date(year, 12, 31)
    fast = working_days_between(start, end)
    assert fast == _naive_working_days_between(start, end), (
        f"arithmetic working_days_between disagrees with a day-by-day walk for {year}: {fast}"
    )


# --- end_of_day -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "offset_hours", "tzname", "utc_iso"),
    [
        pytest.param("2026-01-15", 0, "GMT", "2026-01-15T23:59:59.999999+00:00", id="winter-gmt"),
        pytest.param("2026-07-15", 1, "BST", "2026-07-15T22:59:59.999999+00:00", id="summer-bst"),
        pytest.param("2026-03-29", 1, "BST", "2026-03-29T22:59:59.999999+00:00", id="clocks-forward-day"),
        pytest.param("2026-10-25", 0, "GMT", "2026-10-25T23:59:59.999999+00:00", id="clocks-back-day"),
    ],
)
def test_end_of_day_is_last_microsecond_in_europe_london(
    day: str, offset_hours: int, tzname: str, utc_iso: str
) -> None:
    result = end_of_day(d(day))
    assert result.tzinfo is not None, "end_of_day must return a timezone-aware datetime"
    assert (result.date(), result.time().isoformat()) == (d(day), "23:59:59.999999"), (
        f"end_of_day({day}) should be {day} 23:59:59.999999 local, got {result.isoformat()}"
    )
    assert result.utcoffset() == timedelta(hours=offset_hours), (
        f"end_of_day({day}) should be UTC+{offset_hours} ({tzname}), got {result.utcoffset()}"
    )
    assert result.tzname() == tzname, f"end_of_day({day}) tzname should be {tzname}, got {result.tzname()}"
    assert result.astimezone(UTC).isoformat() == utc_iso, f"end_of_day({day}) in UTC should be {utc_iso}"


def test_end_of_day_is_just_before_next_local_midnight() -> None:
    deadline = end_of_day(d("2026-07-15"))
    next_midnight = datetime(2026, 7, 16, tzinfo=deadline.tzinfo)
    assert next_midnight - deadline == timedelta(microseconds=1), (
        "a deadline must end one microsecond before the next day starts in Europe/London"
    )


# --- bank_holidays --------------------------------------------------------------------------------------


def test_bank_holidays_2026_lists_every_england_holiday_including_weekend_date_and_substitute() -> None:
    expected = {
        d("2026-01-01"),
        d("2026-04-03"),
        d("2026-04-06"),
        d("2026-05-04"),
        d("2026-05-25"),
        d("2026-08-31"),
        d("2026-12-25"),
        d("2026-12-26"),  # Boxing Day itself, a Saturday
        d("2026-12-28"),  # its Monday substitute
    }
    result = bank_holidays(2026)
    assert set(result) == expected, (
        f"2026 holidays differ: missing {expected - set(result)}, extra {set(result) - expected}"
    )
    assert list(result) == sorted(result), "bank_holidays must be returned in date order"


@pytest.mark.parametrize(
    ("day", "name_fragment"),
    [
        pytest.param("2022-06-03", "Jubilee", id="platinum-jubilee"),
        pytest.param("2022-09-19", "Funeral", id="state-funeral"),
        pytest.param("2023-05-08", "Coronation", id="coronation"),
        pytest.param("2022-12-27", "observed", id="christmas-2022-substitute"),
    ],
)
def test_bank_holidays_include_one_off_and_substitute_days(day: str, name_fragment: str) -> None:
    names = bank_holidays(d(day).year)
    assert d(day) in names, f"{day} missing from bank_holidays({d(day).year}); upgrade the holidays package?"
    assert name_fragment in names[d(day)], (
        f"{day} should be named like {name_fragment!r}, got {names[d(day)]!r}"
    )


def test_bank_holidays_returns_a_copy_that_cannot_corrupt_the_cache() -> None:
    first = bank_holidays(2026)
    first.clear()
    first[d("2026-01-02")] = "made up"
    assert is_working_day(d("2026-01-02")), "mutating bank_holidays() output must not change the calendar"
    assert d("2026-01-01") in bank_holidays(2026), (
        "mutating bank_holidays() output must not change later calls"
    )


def test_bank_holidays_of_a_year_contain_only_that_year() -> None:
    for year in (2021, 2022, 2026, 2027):
        years_seen = {day.year for day in bank_holidays(year)}
        assert years_seen == {year}, f"bank_holidays({year}) leaked other years: {sorted(years_seen)}"


# --- property-style checks over 400 consecutive triggers -------------------------------------------------

_PROPERTY_START = d("2025-12-01")  # 400 days to 2027-01-04: two Christmases, Easter 2026, New Year 2027
_PROPERTY_TRIGGERS = [_PROPERTY_START + timedelta(days=i) for i in range(400)]
_PROPERTY_NS = (0, 1, 2, 5, 10, 15, 20, 40)


def test_property_add_working_days_lands_on_working_day_exactly_n_after_the_trigger() -> None:
    failures: list[str] = []
    for trigger in _PROPERTY_TRIGGERS:
        for n in _PROPERTY_NS:
            result = add_working_days(trigger, n)
            if n and not is_working_day(result):
                failures.append(f"{trigger}+{n} -> {result:%a %Y-%m-%d} is not a working day")
            counted = working_days_between(trigger, result)
            if counted != n:
                failures.append(f"{trigger}+{n} -> {result}: working_days_between(trigger, result)={counted}")
            if n and working_days_between(trigger, result - timedelta(days=1)) != n - 1:
                failures.append(f"{trigger}+{n} -> {result}: an earlier day already had {n} working days")
    assert not failures, f"{len(failures)} property failures, first 10: {failures[:10]}"


def test_property_add_working_days_is_strictly_increasing_and_composes() -> None:
    failures: list[str] = []
    for trigger in _PROPERTY_TRIGGERS:
        results = [add_working_days(trigger, n) for n in range(21)]
        if any(later <= earlier for earlier, later in pairwise(results)):
            failures.append(f"{trigger}: results for n=0..20 not strictly increasing: {results}")
        if add_working_days(add_working_days(trigger, 5), 15) != results[20]:
            failures.append(f"{trigger}: +5 then +15 != +20")
    assert not failures, f"{len(failures)} property failures, first 10: {failures[:10]}"


def test_property_working_days_between_agrees_with_day_by_day_walk() -> None:
    failures: list[str] = []
    for i, start in enumerate(_PROPERTY_TRIGGERS):
        end = _PROPERTY_TRIGGERS[(i * 37) % len(_PROPERTY_TRIGGERS)]  # spread of forward and backward spans
        fast, slow = working_days_between(start, end), _naive_working_days_between(start, end)
        if fast != slow:
            failures.append(f"working_days_between({start}, {end}) = {fast}, day-by-day walk = {slow}")
    assert not failures, f"{len(failures)} mismatches, first 10: {failures[:10]}"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 7, 1, 22, 59, tzinfo=UTC), "2026-07-01"),  # 23:59 BST
        (datetime(2026, 7, 1, 23, 0, tzinfo=UTC), "2026-07-02"),  # midnight BST: the next day in England
        (datetime(2026, 1, 15, 23, 59, tzinfo=UTC), "2026-01-15"),  # GMT: England's date is UTC's
    ],
)
def test_today_in_england_is_the_date_in_england_at_that_moment(moment: datetime, expected: str) -> None:
    assert today_in_england(moment) == d(expected), f"at {moment.isoformat()} England's date is {expected}"


def test_today_in_england_defaults_to_now() -> None:
    before = today_in_england(datetime.now(UTC))
    assert today_in_england() in (before, before + timedelta(days=1)), "no moment given means now"
