"""The statutory clock of a review (services/forms/clock.py): statutory dates from the review type's own
rules, dates revised for pauses, and how each deadline stands today (status, red/amber/green).

Every expected date was counted by hand against the England-and-Wales bank holidays; the count is in the
comment beside it. Day 0 is the trigger, whatever day it is; the first working day after it is day 1.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.forms import clock, definitions
from services.forms.clock import PauseSpan
from services.forms.definitions import DeadlineRule

CHILD = definitions.review_types()["child_safeguarding"]
NOTIFICATION = CHILD.deadlines["notification"]  # 5 working days from referral.date_aware, not pausable
RAPID_REVIEW = CHILD.deadlines["rapid_review"]  # 15 working days from notification.notified_on
LCSPR = CHILD.deadlines["lcspr"]  # 6 calendar months from decision.decided_on, pausable
# No shipped working-day deadline is pausable; a review type may mark one so (data, not code).
PAUSABLE_RETURNS = replace(CHILD.deadlines["returns"], pausable=True)  # 10 working days
AMBER = CHILD.amber_within_working_days  # 3


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def test_the_child_safeguarding_rules_are_the_ones_the_tables_below_assume():
    shapes = {
        code: (rule.unit, rule.amount, rule.pausable)
        for code, rule in {"notification": NOTIFICATION, "rapid_review": RAPID_REVIEW, "lcspr": LCSPR}.items()
    }
    assert shapes == {
        "notification": ("working_days", 5, False),
        "rapid_review": ("working_days", 15, False),
        "lcspr": ("months", 6, True),
    }, "child_safeguarding.yml changed its deadlines: update DOMAIN.md and these tables together"
    assert AMBER == 3 and PAUSABLE_RETURNS.amount == 10


# -- DOMAIN.md's worked examples, through the review type's own rules ---------------------------------------


@pytest.mark.parametrize(
    ("aware", "sin_due", "rapid_review_due"),
    [
        # Fri 19 Dec 2025 = day 0; Mon 22 (1), Tue 23 (2), Wed 24 (3), [Thu 25, Fri 26 holidays], Mon 29 (4),
        # Tue 30 (5). Then Tue 30 = day 0; Wed 31 (1), [Thu 1 Jan], Fri 2 (2), 5-9 Jan (3-7), 12-16 (8-12),
        # Mon 19 (13), Tue 20 (14), Wed 21 Jan (15).
        pytest.param("2025-12-19", "2025-12-30", "2026-01-21", id="aware-19-dec-2025-over-christmas"),
        # Thu 2 Apr 2026 = day 0; [Good Friday 3, Easter Monday 6], Tue 7 (1) ... Fri 10 (4), Mon 13 (5).
        # Then Mon 13 = day 0; 14-17 (1-4), 20-24 (5-9), 27 Apr-1 May (10-14), [Mon 4 May], Tue 5 May (15).
        pytest.param("2026-04-02", "2026-04-13", "2026-05-05", id="aware-2-apr-2026-over-easter-and-may-day"),
        # Fri 28 Aug 2026 = day 0; [Mon 31 Aug late summer], Tue 1 Sep (1) ... Fri 4 (4), Mon 7 Sep (5).
        # Then Mon 7 Sep = day 0; 8-11 (1-4), 14-18 (5-9), 21-25 (10-14), Mon 28 Sep (15).
        pytest.param("2026-08-28", "2026-09-07", "2026-09-28", id="aware-28-aug-2026-over-late-summer"),
    ],
)
def test_domain_worked_examples_hold_through_the_child_review_types_rules(aware, sin_due, rapid_review_due):
    sin = clock.statutory_due(NOTIFICATION, d(aware))
    assert sin == d(sin_due), (
        f"aware {aware}: SIN due {sin:%a %d %b %Y}, DOMAIN.md says {d(sin_due):%a %d %b %Y}"
    )
    rapid = clock.statutory_due(RAPID_REVIEW, sin)
    assert rapid == d(rapid_review_due), (
        f"SIN sent {sin}: rapid review due {rapid:%a %d %b %Y}, expected {d(rapid_review_due):%a %d %b %Y}"
    )


# -- edge cases of the working-day count (notification: 5 working days) ------------------------------------


@pytest.mark.parametrize(
    ("aware", "due"),
    [
        # Sat 10 Jan 2026 is day 0 itself; Mon 12 (1), Tue 13 (2), Wed 14 (3), Thu 15 (4), Fri 16 (5).
        pytest.param("2026-01-10", "2026-01-16", id="saturday-is-day-0-monday-day-1"),
        # Sun 11 Jan 2026: day 0, as above.
        pytest.param("2026-01-11", "2026-01-16", id="sunday-is-day-0-monday-day-1"),
        # Sat 17 Oct 2026 (DOMAIN.md): Mon 19 (1) ... Fri 23 Oct (5), as from Fri 16 Oct.
        pytest.param("2026-10-17", "2026-10-23", id="domain-aware-saturday-17-oct-2026"),
        # Mon 25 May 2026 is the spring bank holiday and day 0; Tue 26 (1), Wed 27 (2), Thu 28 (3),
        # Fri 29 (4), Mon 1 Jun (5).
        pytest.param("2026-05-25", "2026-06-01", id="bank-holiday-is-day-0"),
        # Christmas 2021 on a weekend: substitutes Mon 27 and Tue 28 Dec, New Year substitute Mon 3 Jan 2022.
        # Thu 23 Dec = day 0; Fri 24 (1), Wed 29 (2), Thu 30 (3), Fri 31 (4), Tue 4 Jan 2022 (5).
        pytest.param("2021-12-23", "2022-01-04", id="christmas-2021-weekend-substitute-days"),
        # Christmas 2022 on a Sunday: Boxing Day Mon 26, substitute Tue 27; New Year's substitute Mon 2 Jan.
        # Fri 23 Dec = day 0; Wed 28 (1), Thu 29 (2), Fri 30 (3), Tue 3 Jan 2023 (4), Wed 4 Jan (5).
        pytest.param("2022-12-23", "2023-01-04", id="christmas-2022-sunday-substitute-days"),
        # Boxing Day 2026 on a Saturday: substitute Mon 28 Dec; Fri 1 Jan 2027 a holiday too.
        # Thu 24 Dec = day 0; [25, 28], Tue 29 (1), Wed 30 (2), Thu 31 (3), Mon 4 Jan 2027 (4), Tue 5 (5).
        pytest.param("2026-12-24", "2027-01-05", id="boxing-day-2026-saturday-substitute-monday"),
        # Easter 2025: Good Friday 18 Apr, Easter Monday 21 Apr. Thu 17 Apr = day 0; Tue 22 (1) ...
        # Fri 25 (4), Mon 28 Apr (5).
        pytest.param("2025-04-17", "2025-04-28", id="easter-2025-thursday-before"),
        # Good Friday 3 Apr 2026 is day 0; Easter Monday is not counted: Tue 7 (1), Wed 8 (2), Thu 9 (3),
        # Fri 10 (4), Mon 13 Apr (5).
        pytest.param("2026-04-03", "2026-04-13", id="easter-2026-good-friday-trigger"),
        # 2022: spring bank holiday moved to Thu 2 Jun, Platinum Jubilee Fri 3 Jun. Wed 1 Jun = day 0;
        # Mon 6 (1), Tue 7 (2), Wed 8 (3), Thu 9 (4), Fri 10 Jun (5).
        pytest.param("2022-06-01", "2022-06-10", id="platinum-jubilee-3-june-2022"),
        # State funeral Mon 19 Sep 2022. Thu 15 Sep = day 0; Fri 16 (1), Tue 20 (2), Wed 21 (3), Thu 22 (4),
        # Fri 23 Sep (5).
        pytest.param("2022-09-15", "2022-09-23", id="state-funeral-19-september-2022"),
        # Coronation Mon 8 May 2023. Fri 5 May = day 0; Tue 9 (1), Wed 10 (2), Thu 11 (3), Fri 12 (4),
        # Mon 15 May (5).
        pytest.param("2023-05-05", "2023-05-15", id="coronation-8-may-2023"),
        # May Day Mon 1 May and the coronation Mon 8 May 2023 in one window. Fri 28 Apr = day 0; Tue 2 (1),
        # Wed 3 (2), Thu 4 (3), Fri 5 (4), Tue 9 May (5).
        pytest.param("2023-04-28", "2023-05-09", id="may-day-and-coronation-2023"),
    ],
)
def test_notification_due_date_skips_weekends_and_england_bank_holidays(aware, due):
    result = clock.statutory_due(NOTIFICATION, d(aware))
    assert result == d(due), (
        f"aware {d(aware):%a %d %b %Y}: SIN due {result:%a %d %b %Y}, hand count says {d(due):%a %d %b %Y}; "
        "check the day-0 rule and services.kernel.calendar.bank_holidays"
    )


def test_rapid_review_over_easter_and_may_day_2025():
    # SIN sent Mon 28 Apr 2025 = day 0; Tue 29 (1), Wed 30 (2), Thu 1 May (3), Fri 2 (4), [Mon 5 May Day],
    # Tue 6 (5) ... Fri 9 (8), Mon 12-Fri 16 (9-13), Mon 19 (14), Tue 20 May (15).
    assert clock.statutory_due(RAPID_REVIEW, d("2025-04-28")) == d("2025-05-20")


@pytest.mark.parametrize(
    ("decided", "due"),
    [
        # 31 Aug 2025 + 6 months: February 2026 has no 31st, so its last day.
        pytest.param("2025-08-31", "2026-02-28", id="31-aug-to-28-feb"),
        # 31 Aug 2023 + 6 months: 2024 is a leap year, so 29 Feb.
        pytest.param("2023-08-31", "2024-02-29", id="31-aug-to-29-feb-in-a-leap-year"),
        # 29 Feb 2024 + 6 months: the same day, 29 Aug.
        pytest.param("2024-02-29", "2024-08-29", id="29-feb-to-29-aug"),
        # 31 Mar 2026 + 6 months: September has 30 days (as `caserev deadline 2026-03-31 --months 6`).
        pytest.param("2026-03-31", "2026-09-30", id="31-mar-to-30-sep"),
        # 28 Aug 2025 + 6 months = Sat 28 Feb 2026: calendar months are not moved off a weekend.
        pytest.param("2025-08-28", "2026-02-28", id="lands-on-a-saturday-and-stays"),
    ],
)
def test_lcspr_is_due_six_calendar_months_later_or_on_the_months_last_day(decided, due):
    result = clock.statutory_due(LCSPR, d(decided))
    assert result == d(due), (
        f"decided {decided}: LCSPR due {result}, expected {due} (same day or month's last day)"
    )


# -- pauses --------------------------------------------------------------------------------------------------

# Returns asked Mon 12 Jan 2026 = day 0; 13-16 Jan (1-4), 19-23 (5-9), Mon 26 Jan (10): statutory due 26 Jan.
ASKED = d("2026-01-12")
RETURNS_DUE = d("2026-01-26")
LATER = d("2026-03-02")  # a "today" after every pause below has ended


def test_closed_pause_moves_a_pausable_deadline_by_the_working_days_it_covers():
    # Paused Tue 13 to Thu 15 Jan (3 working days): Fri 16 (1), 19-23 (2-6), 26-29 (7-10): Thu 29 Jan.
    pause = PauseSpan(d("2026-01-13"), d("2026-01-15"))
    assert clock.statutory_due(PAUSABLE_RETURNS, ASKED) == RETURNS_DUE
    assert clock.revised_due(PAUSABLE_RETURNS, ASKED, [pause], LATER) == d("2026-01-29"), (
        "a 3-working-day pause inside the window must move the date 3 working days"
    )


def test_pause_over_a_weekend_counts_only_its_working_days():
    # Paused Fri 16 to Mon 19 Jan: Fri and Mon are 2 working days; 26 Jan + 2 working days = Wed 28 Jan.
    pause = PauseSpan(d("2026-01-16"), d("2026-01-19"))
    assert clock.revised_due(PAUSABLE_RETURNS, ASKED, [pause], LATER) == d("2026-01-28")


@pytest.mark.parametrize(
    "pause",
    [
        pytest.param(PauseSpan(d("2026-01-01"), d("2026-01-09")), id="ended-before-the-trigger"),
        pytest.param(PauseSpan(d("2026-01-27"), d("2026-02-06")), id="starts-after-the-due-date"),
        pytest.param(PauseSpan(d("2026-01-12"), d("2026-01-12")), id="on-day-0-only"),
        pytest.param(PauseSpan(d("2026-01-24"), d("2026-01-25")), id="a-weekend-inside-the-window"),
    ],
)
def test_pause_outside_the_window_moves_nothing(pause):
    assert clock.revised_due(PAUSABLE_RETURNS, ASKED, [pause], LATER) == RETURNS_DUE, (
        f"pause {pause.starts_on}..{pause.ends_on} covers no working day of (12 Jan, 26 Jan]: no move"
    )


def test_pause_begun_before_the_trigger_counts_only_the_days_inside_the_window():
    # Paused Mon 5 to Tue 13 Jan: only Tue 13 lies inside the window: 26 Jan + 1 working day = Tue 27 Jan.
    pause = PauseSpan(d("2026-01-05"), d("2026-01-13"))
    assert clock.revised_due(PAUSABLE_RETURNS, ASKED, [pause], LATER) == d("2026-01-27")


def test_overlapping_pauses_of_working_days_are_not_counted_twice():
    # 13-15 Jan and 14-16 Jan together cover Tue 13 to Fri 16 (4 working days): 19-23 (1-5), 26-30 (6-10).
    pauses = [PauseSpan(d("2026-01-13"), d("2026-01-15")), PauseSpan(d("2026-01-14"), d("2026-01-16"))]
    assert clock.revised_due(PAUSABLE_RETURNS, ASKED, pauses, LATER) == d("2026-01-30"), (
        "two overlapping pauses cover 4 working days, not 6"
    )


def test_open_pause_counts_to_today_and_the_deadline_stands_paused():
    # Open since Wed 21 Jan, today Fri 23 Jan: 21, 22, 23 paused (3 working days). 13-16 (1-4), 19-20 (5-6),
    # 26-29 (7-10): revised Thu 29 Jan, provisional until the pause ends.
    pause = PauseSpan(d("2026-01-21"), None)
    today = d("2026-01-23")
    standing = clock.stand(PAUSABLE_RETURNS, ASKED, None, [pause], today, AMBER)
    assert (standing.due_on, standing.revised_due_on) == (RETURNS_DUE, d("2026-01-29"))
    assert (standing.status, standing.rag) == ("paused", "paused"), "paused is not late: no red, no amber"
    assert clock.paused_today([pause], today)


def test_open_pause_keeps_moving_the_date_as_days_pass():
    pause = PauseSpan(d("2026-01-21"), None)
    # Today Mon 26 Jan: 21, 22, 23, 26 paused (4 working days): revised Fri 30 Jan.
    assert clock.revised_due(PAUSABLE_RETURNS, ASKED, [pause], d("2026-01-26")) == d("2026-01-30")


def test_open_pause_that_starts_after_today_has_moved_nothing_yet():
    # Recorded on Fri 16 Jan to start on Wed 21 Jan: none of it has run, so the date is still 26 Jan.
    pause = PauseSpan(d("2026-01-21"), None)
    standing = clock.stand(PAUSABLE_RETURNS, ASKED, None, [pause], d("2026-01-16"), AMBER)
    assert standing.revised_due_on == RETURNS_DUE, "a pause not begun must not move the date"
    assert standing.status == "due", "the clock is running until the pause begins"


def test_non_pausable_deadline_never_moves_and_is_never_shown_paused():
    # Aware Mon 12 Jan 2026: 13-16 (1-4), Mon 19 (5). The SIN's clock does not stop for a trial.
    pauses = [PauseSpan(d("2026-01-13"), d("2026-01-16")), PauseSpan(d("2026-01-19"), None)]
    today = d("2026-01-19")
    assert clock.revised_due(NOTIFICATION, ASKED, pauses, today) == d("2026-01-19")
    standing = clock.stand(NOTIFICATION, ASKED, None, pauses, today, AMBER)
    assert (standing.revised_due_on, standing.status, standing.rag) == (d("2026-01-19"), "due", "amber"), (
        "a statutory deadline that is not pausable keeps its date and its colour during a pause"
    )


def test_months_deadline_moves_by_the_calendar_days_paused():
    # Decided 15 Jan 2026: due 15 Jul 2026. Paused 1-10 Mar (10 calendar days): revised 25 Jul 2026.
    pause = PauseSpan(d("2026-03-01"), d("2026-03-10"))
    assert clock.revised_due(LCSPR, d("2026-01-15"), [pause], LATER) == d("2026-07-25")


def test_months_deadline_pause_running_past_the_due_date_extends_it_by_the_whole_pause():
    # Due 15 Jul 2026; paused 10-20 Jul (11 calendar days, all inside the widened window): 26 Jul 2026.
    pause = PauseSpan(d("2026-07-10"), d("2026-07-20"))
    assert clock.revised_due(LCSPR, d("2026-01-15"), [pause], d("2026-08-01")) == d("2026-07-26")


def test_overlapping_pauses_of_a_months_deadline_are_not_counted_twice():
    # 1-10 Mar and 5-14 Mar together cover 1-14 Mar (14 calendar days, not 20): 15 Jul + 14 = 29 Jul 2026.
    pauses = [PauseSpan(d("2026-03-01"), d("2026-03-10")), PauseSpan(d("2026-03-05"), d("2026-03-14"))]
    assert clock.revised_due(LCSPR, d("2026-01-15"), pauses, LATER) == d("2026-07-29"), (
        "overlapping pauses must count each paused day once"
    )


def test_open_pause_of_a_months_deadline_counts_calendar_days_to_today():
    # Open since 1 Mar 2026, today 10 Mar: 10 calendar days; 15 Jul + 10 = 25 Jul 2026.
    pause = PauseSpan(d("2026-03-01"), None)
    standing = clock.stand(LCSPR, d("2026-01-15"), None, [pause], d("2026-03-10"), AMBER)
    assert (standing.due_on, standing.revised_due_on) == (d("2026-07-15"), d("2026-07-25"))
    assert standing.status == "paused"


# -- status and red/amber/green ------------------------------------------------------------------------------

AWARE = d("2025-12-19")
SIN_DUE = d("2025-12-30")  # DOMAIN.md's example


def test_deadline_without_its_trigger_date_is_waiting():
    standing = clock.stand(NOTIFICATION, None, None, [], d("2026-01-05"), AMBER)
    assert (standing.status, standing.due_on, standing.rag) == ("waiting", None, "none")


def test_deadline_met_on_or_before_its_date_is_met():
    standing = clock.stand(NOTIFICATION, AWARE, SIN_DUE, [], d("2026-01-05"), AMBER)
    assert (standing.status, standing.late_by_working_days, standing.rag) == ("met", 0, "none")


def test_deadline_met_after_its_date_is_late_by_working_days():
    # Due Tue 30 Dec 2025, sent Mon 5 Jan 2026: Wed 31 (1), [Thu 1 Jan], Fri 2 (2), Mon 5 (3): 3 late.
    standing = clock.stand(NOTIFICATION, AWARE, d("2026-01-05"), [], d("2026-01-09"), AMBER)
    assert (standing.status, standing.late_by_working_days) == ("late", 3), (
        f"sent 5 Jan for 30 Dec must be 3 working days late, got {standing.late_by_working_days}"
    )


def test_late_is_counted_from_the_revised_date_not_the_statutory_one():
    # Paused 13-15 Jan: revised Thu 29 Jan. Returned Fri 30 Jan: 1 working day late (not 4).
    pause = PauseSpan(d("2026-01-13"), d("2026-01-15"))
    standing = clock.stand(PAUSABLE_RETURNS, ASKED, d("2026-01-30"), [pause], LATER, AMBER)
    assert (standing.status, standing.late_by_working_days) == ("late", 1)


def test_deadline_passed_and_not_met_is_overdue_and_red():
    # Due Tue 30 Dec 2025, today Fri 2 Jan 2026: Wed 31 (1), [Thu 1 Jan], Fri 2 (2).
    standing = clock.stand(NOTIFICATION, AWARE, None, [], d("2026-01-02"), AMBER)
    assert (standing.status, standing.rag, standing.late_by_working_days) == ("overdue", "red", 2)


@pytest.mark.parametrize(
    ("today", "left", "rag"),
    [
        # Mon 22 Dec: 23, 24, 29, 30 = 4 working days left: green.
        pytest.param("2025-12-22", 4, "green", id="four-left-green"),
        # Tue 23 Dec: 24, 29, 30 = 3 left: amber (amber_within_working_days is 3).
        pytest.param("2025-12-23", 3, "amber", id="three-left-amber"),
        # Mon 29 Dec: 30 = 1 left.
        pytest.param("2025-12-29", 1, "amber", id="one-left-amber"),
        # The due day itself: 0 left, still due.
        pytest.param("2025-12-30", 0, "amber", id="due-today-amber"),
    ],
)
def test_deadline_due_is_amber_within_the_types_working_days_else_green(today, left, rag):
    standing = clock.stand(NOTIFICATION, AWARE, None, [], d(today), AMBER)
    assert (standing.status, standing.working_days_left, standing.rag) == ("due", left, rag), (
        f"on {today} the SIN due 30 Dec has {left} working days left and must be {rag}"
    )


def test_next_to_meet_is_the_earliest_revised_date_not_yet_met():
    today = d("2026-01-14")
    met = clock.stand(NOTIFICATION, ASKED, d("2026-01-13"), [], today, AMBER)
    waiting = clock.stand(LCSPR, None, None, [], today, AMBER)
    rapid = clock.stand(RAPID_REVIEW, ASKED, None, [], today, AMBER)  # 15 working days: Mon 2 Feb
    returns = clock.stand(PAUSABLE_RETURNS, ASKED, None, [], today, AMBER)  # 10 working days: Mon 26 Jan
    assert clock.next_to_meet([met, waiting, rapid, returns]) is returns
    assert clock.next_to_meet([met, waiting]) is None, "met and waiting deadlines are nothing to watch"


def test_next_to_meet_includes_overdue_and_paused_deadlines():
    today = d("2026-01-28")
    overdue = clock.stand(NOTIFICATION, ASKED, None, [], today, AMBER)  # due 19 Jan
    paused = clock.stand(PAUSABLE_RETURNS, ASKED, None, [PauseSpan(d("2026-01-27"), None)], today, AMBER)
    assert overdue.status == "overdue" and paused.status == "paused"
    assert clock.next_to_meet([paused, overdue]) is overdue


@pytest.mark.parametrize(
    ("rags", "review_rag"),
    [
        (["green", "amber", "red", "paused"], "red"),
        (["green", "paused", "amber"], "amber"),
        (["green", "paused"], "paused"),
        (["green", "none"], "green"),
        (["none"], "none"),
        ([], "none"),
    ],
)
def test_review_rag_is_its_worst_deadline(rags, review_rag):
    standings = [
        clock.Standing(replace(NOTIFICATION, code=f"d{i}"), None, None, None, None, "due", rag=rag)
        for i, rag in enumerate(rags)
    ]
    assert clock.rag_of(standings) == review_rag, f"deadlines {rags} must make the review {review_rag}"


@pytest.mark.parametrize(
    ("rags", "review_rag"),
    [
        (["green"], "paused"),
        (["green", "amber"], "amber"),
        (["red", "green"], "red"),
        (["none"], "none"),
    ],
)
def test_a_paused_review_is_paused_even_while_deadlines_a_pause_cannot_stop_run_on(rags, review_rag):
    standings = [
        clock.Standing(replace(NOTIFICATION, code=f"d{i}"), None, None, None, None, "due", rag=rag)
        for i, rag in enumerate(rags)
    ]
    assert clock.rag_of(standings, paused=True) == review_rag, (
        f"a paused review with deadlines {rags} must read {review_rag}: a pause never hides what is due"
    )


def test_a_partnerships_own_figure_changes_the_date_within_the_rules_bounds():
    four_days: DeadlineRule = NOTIFICATION.with_amount(4)
    # Fri 19 Dec 2025 = day 0; 22 (1), 23 (2), 24 (3), 29 (4).
    assert clock.statutory_due(four_days, AWARE) == d("2025-12-29")
    assert NOTIFICATION.amount == 5, "with_amount must not change the shared rule"
