"""The data protection rules of gateway/gdpr.py: the one-month deadline of a subject access request, what
the form must hold, and the retention arithmetic. Pure: no database, no clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gateway.gdpr import (
    DEFAULT_MONTHS,
    DEFAULT_RETENTION,
    DUE_SOON_DAYS,
    MONTHS_MAX,
    check_retention_months,
    check_subject_access_request,
    field_of,
    is_past_retention,
    records_past_retention,
    retention_cutoff,
    retention_ends,
    retention_schedule,
    sar_deadline,
    sar_due_on,
)


def d(iso: str) -> date:
    return date.fromisoformat(iso)


TODAY = d("2025-06-16")


# -- the one-month deadline ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2025-01-31", "2025-02-28"),  # no 31 February: the month's last day
        ("2024-01-31", "2024-02-29"),  # a leap year
        ("2024-01-29", "2024-02-29"),
        ("2025-03-30", "2025-04-30"),
        ("2025-03-31", "2025-04-30"),
        ("2025-08-31", "2025-09-30"),
        ("2025-12-15", "2026-01-15"),  # across the year
        ("2025-02-28", "2025-03-28"),  # the corresponding date, not the month's end
        ("2025-06-16", "2025-07-16"),
    ],
)
def test_a_request_is_due_one_calendar_month_after_it_was_received(received: str, due: str) -> None:
    assert sar_due_on(d(received)) == d(due), f"received {received}: due date should be {due}"


def test_a_request_is_overdue_only_after_its_due_date() -> None:
    assert sar_deadline(TODAY, TODAY).words == "Due today"
    assert sar_deadline(TODAY - timedelta(days=1), TODAY).words == "Overdue"
    assert sar_deadline(TODAY - timedelta(days=1), TODAY).colour == "red"


def test_a_request_due_within_a_week_is_flagged_with_the_days_left() -> None:
    assert sar_deadline(TODAY + timedelta(days=1), TODAY).words == "Due in 1 day"
    soon = sar_deadline(TODAY + timedelta(days=DUE_SOON_DAYS), TODAY)
    assert (soon.words, soon.colour) == (f"Due in {DUE_SOON_DAYS} days", "orange")
    later = sar_deadline(TODAY + timedelta(days=DUE_SOON_DAYS + 1), TODAY)
    assert later.colour != "orange", "a request due in more than a week should not be flagged as due soon"


# -- logging a request --------------------------------------------------------------------------------------


def form(**changes: str) -> dict[str, str]:
    values = {
        "reference": "SAR-2025-001",
        "requester": "A. Solicitor for Person X",
        "subject_email": "jo@northbridge.example",
        "received_on-day": "31",
        "received_on-month": "1",
        "received_on-year": "2025",
    }
    return {**values, **changes}


def test_a_complete_form_gives_a_request_with_its_due_date() -> None:
    request, problems = check_subject_access_request(form(reference="  SAR-1 "), TODAY)
    assert problems == []
    assert request is not None
    assert (request.reference, request.received_on, request.due_on) == (
        "SAR-1",
        d("2025-01-31"),
        d("2025-02-28"),
    )


def test_the_subject_email_is_optional() -> None:
    request, problems = check_subject_access_request(form(subject_email=""), TODAY)
    assert problems == [] and request is not None and request.subject_email is None


def problems_of(values: dict[str, str]) -> dict[str, str]:
    request, problems = check_subject_access_request(values, TODAY)
    assert request is None, "a form with problems must not give a request"
    return {problem["field"]: problem["message"] for problem in problems}


def test_every_missing_field_is_named() -> None:
    problems = problems_of(
        form(
            reference="",
            requester=" ",
            **{"received_on-day": "", "received_on-month": "", "received_on-year": ""},
        )
    )
    assert problems == {
        "reference": "Enter the request's reference",
        "requester": "Enter who made the request",
        "received_on-day": "Enter the date received",
    }


@pytest.mark.parametrize(
    ("day", "month", "year", "field", "message"),
    [
        ("", "2", "2025", "received_on-day", "Date received must include a day"),
        ("3", "", "", "received_on-month", "Date received must include a month and a year"),
        ("30", "2", "2025", "received_on-day", "Date received must be a real date"),
        ("3", "13", "2025", "received_on-month", "Date received must be a real date"),
        ("x", "2", "2025", "received_on-day", "Date received must be a real date"),
        ("3", "²", "2025", "received_on-month", "Date received must be a real date"),
        ("3", "2", "25", "received_on-year", "Year must include 4 numbers"),
        ("17", "6", "2025", "received_on-day", "Date received must be today or in the past"),
    ],
)
def test_a_bad_received_date_names_the_part_to_fix(
    day: str, month: str, year: str, field: str, message: str
) -> None:
    problems = problems_of(
        form(**{"received_on-day": day, "received_on-month": month, "received_on-year": year})
    )
    assert problems == {field: message}


def test_today_is_a_valid_received_date() -> None:
    request, _ = check_subject_access_request(
        form(**{"received_on-day": "16", "received_on-month": "06", "received_on-year": "2025"}), TODAY
    )
    assert request is not None and request.received_on == TODAY


def test_overlong_fields_and_a_malformed_email_are_refused() -> None:
    problems = problems_of(form(reference="R" * 41, requester="x" * 201, subject_email="not an address"))
    assert set(problems) == {"reference", "requester", "subject_email"}
    assert "40 characters or fewer" in problems["reference"]
    assert "200 characters or fewer" in problems["requester"]


# -- retention ----------------------------------------------------------------------------------------------


def test_the_defaults_cover_each_record_type_once_with_an_action() -> None:
    assert DEFAULT_MONTHS == {
        "review": 180,
        "user_account": 12,
        "audit_log": 72,
        "session": 1,
        "subject_access_request": 24,
    }
    assert {rule.action for rule in DEFAULT_RETENTION} <= {"review", "delete"}


def test_a_partnership_override_replaces_the_default_and_is_marked() -> None:
    schedule = {rule.record_type: rule for rule in retention_schedule({"user_account": 24, "session": 1})}
    assert (schedule["user_account"].months, schedule["user_account"].changed) == (24, True)
    assert (schedule["session"].months, schedule["session"].changed) == (1, False), "equal to the default"
    assert (schedule["review"].months, schedule["review"].changed) == (180, False)


def test_a_retention_period_ends_in_calendar_months_and_is_due_on_its_last_day() -> None:
    assert retention_ends(d("2024-01-31"), 1) == d("2024-02-29")
    assert retention_ends(d("2010-06-16"), 180) == d("2025-06-16")
    assert is_past_retention(d("2010-06-16"), 180, TODAY)
    assert not is_past_retention(d("2010-06-17"), 180, TODAY)


@pytest.mark.parametrize("today", ["2024-02-29", "2025-02-28", "2025-03-31", "2025-06-16", "2025-12-31"])
@pytest.mark.parametrize("months", [1, 6, 12, 24, 180])
def test_the_cutoff_splits_records_exactly_at_the_end_of_their_period(today: str, months: int) -> None:
    cutoff = retention_cutoff(months, d(today))
    for offset in range(-70, 70):
        started = cutoff + timedelta(days=offset)
        assert (started < cutoff) == is_past_retention(started, months, d(today)), (
            f"started {started}, {months} months, today {today}: cutoff {cutoff} disagrees with the period"
        )


def test_the_cutoff_of_one_month_on_29_february_takes_in_the_end_of_january() -> None:
    assert retention_cutoff(1, d("2024-02-29")) == d("2024-02-01")
    assert retention_cutoff(1, d("2025-06-16")) == d("2025-05-17")


def test_only_records_past_their_period_are_due_with_what_to_do() -> None:
    rule = next(rule for rule in DEFAULT_RETENTION if rule.record_type == "user_account")
    due = records_past_retention(
        rule, [("Account of A", d("2024-06-16")), ("Account of B", d("2024-06-17"))], TODAY
    )
    assert [(record.description, record.ended_on, record.action) for record in due] == [
        ("Account of A", d("2025-06-16"), "delete")
    ]


def months_form(**changes: str) -> dict[str, str]:
    return {field_of(record_type): str(months) for record_type, months in DEFAULT_MONTHS.items()} | {
        field_of(record_type): value for record_type, value in changes.items()
    }


def test_retention_months_from_the_form() -> None:
    months, problems = check_retention_months(months_form(user_account=" 36 "))
    assert problems == []
    assert months == {**DEFAULT_MONTHS, "user_account": 36}


def test_each_bad_retention_period_is_named() -> None:
    months, problems = check_retention_months(
        months_form(review="0", user_account=str(MONTHS_MAX + 1), audit_log="six", session="1²")
    )
    assert months == {}
    messages = {problem["field"]: problem["message"] for problem in problems}
    assert messages == {
        "months-review": "Months for review case files must be between 1 and 600",
        "months-user_account": "Months for user accounts must be between 1 and 600",
        "months-audit_log": "Months for audit log must be a whole number",
        "months-session": "Months for sessions and sign-in records must be a whole number",
    }


def test_a_blank_retention_period_asks_for_one() -> None:
    _, problems = check_retention_months(months_form(session=" "))
    assert problems == [
        {"field": "months-session", "message": "Enter how many months to keep sessions and sign-in records"}
    ]
