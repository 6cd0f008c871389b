"""The statutory clock of a review: every deadline's statutory date, its date revised for pauses, and how it
stands today. Pure: dates in, dates out, on the working-day calendar of the kernel.

A pause (a parallel process: a criminal trial, an inquest) stops the clock of the deadlines that may be
paused (`pausable` in the review type): their revised date moves on by the working days (or, for a period
in months, the calendar days) the pause covers. An open pause is counted to today, so the revised date is
provisional until it ends. Statutory dates never move: "paused" is not "late".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from services.forms.definitions import DeadlineRule
from services.kernel import calendar

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class PauseSpan:
    """The days a review's clock stood still: `ends_on` None while the pause is open."""

    starts_on: date
    ends_on: date | None

    def last_day(self, today: date) -> date:
        """The pause's last day; an open pause runs to today (none of it has run if it starts later)."""
        return self.ends_on if self.ends_on is not None else today

    def covers(self, day: date, today: date) -> bool:
        return self.starts_on <= day <= self.last_day(today)


@dataclass(frozen=True)
class Standing:
    """How one deadline stands on a day."""

    rule: DeadlineRule
    trigger_on: date | None
    due_on: date | None
    revised_due_on: date | None
    done_on: date | None
    status: str  # waiting, due, paused, overdue, met, late
    late_by_working_days: int = 0
    working_days_left: int | None = None
    rag: str = "none"


def statutory_due(rule: DeadlineRule, trigger_on: date) -> date:
    """The statutory date: `amount` working days (trigger day 0) or calendar months after the trigger."""
    return _statutory_due(rule.unit, rule.amount, trigger_on)


@lru_cache(maxsize=8192)
def _statutory_due(unit: str, amount: int, trigger_on: date) -> date:
    # Cached: a list of reviews asks for the same few (unit, amount, trigger) many times over.
    if unit == "months":
        return calendar.add_calendar_months(trigger_on, amount)
    return calendar.add_working_days(trigger_on, amount)


def revised_due(rule: DeadlineRule, trigger_on: date, pauses: Iterable[PauseSpan], today: date) -> date:
    """The due date moved on by the pauses that fall inside the deadline's window."""
    due = statutory_due(rule, trigger_on)
    spans = list(pauses) if rule.pausable else []
    if not spans:
        return due
    if rule.unit == "months":
        # Calendar days paused inside (trigger, due], repeated until the window stops growing.
        extra = 0
        while True:
            candidate = due + timedelta(days=extra)
            paused = _calendar_days_paused(spans, trigger_on, candidate, today)
            if paused == extra:
                return candidate
            extra = paused
    # Working days: the nth working day after the trigger (day 0, whatever day it is) that no pause covers.
    day = trigger_on
    remaining = rule.amount
    while remaining:
        day += ONE_DAY
        if calendar.is_working_day(day) and not any(span.covers(day, today) for span in spans):
            remaining -= 1
    return day


def _calendar_days_paused(spans: list[PauseSpan], after: date, through: date, today: date) -> int:
    """Calendar days d with after < d <= through that a pause covers (a day two pauses cover counts once)."""
    clipped = sorted(
        (max(span.starts_on, after + ONE_DAY), min(span.last_day(today), through)) for span in spans
    )
    days, reach = 0, after
    for first, last in clipped:
        first = max(first, reach + ONE_DAY)
        if first <= last:
            days += (last - first).days + 1
            reach = last
    return days


def stand(
    rule: DeadlineRule,
    trigger_on: date | None,
    done_on: date | None,
    pauses: Iterable[PauseSpan],
    today: date,
    amber_within: int,
) -> Standing:
    """How a deadline stands today, given its trigger date and the date it was met (None: not yet)."""
    if trigger_on is None:
        return Standing(rule, None, None, None, done_on, "waiting")
    spans = list(pauses)
    due = statutory_due(rule, trigger_on)
    revised = revised_due(rule, trigger_on, spans, today)
    if done_on is not None:
        late = max(0, calendar.working_days_between(revised, done_on))
        return Standing(rule, trigger_on, due, revised, done_on, "late" if late else "met", late)
    if rule.pausable and any(span.covers(today, today) for span in spans):
        return Standing(rule, trigger_on, due, revised, None, "paused", rag="paused")
    if today > revised:
        late = calendar.working_days_between(revised, today)
        return Standing(rule, trigger_on, due, revised, None, "overdue", late, 0, "red")
    left = calendar.working_days_between(today, revised)
    return Standing(
        rule, trigger_on, due, revised, None, "due", 0, left, "amber" if left <= amber_within else "green"
    )


def next_to_meet(standings: Iterable[Standing]) -> Standing | None:
    """The deadline to watch: the earliest revised date among those not yet met."""
    open_ones = [s for s in standings if s.status in ("due", "overdue", "paused") and s.revised_due_on]
    return min(open_ones, key=lambda s: (s.revised_due_on, s.rule.code), default=None)


def rag_of(standings: Iterable[Standing], paused: bool = False) -> str:
    """A review's red/amber/green: red if anything is overdue, else amber if something is close, else
    paused if a deadline stands still or the review is paused (even while the deadlines a pause cannot stop
    run on), else green (none when nothing is running)."""
    states = {s.rag for s in standings}
    if paused and states & {"green", "paused"}:
        states.add("paused")
    for colour in ("red", "amber", "paused", "green"):
        if colour in states:
            return colour
    return "none"


def paused_today(pauses: Iterable[PauseSpan], today: date) -> bool:
    return any(span.covers(today, today) for span in pauses)


def by_code(standings: Iterable[Standing]) -> Mapping[str, Standing]:
    return {s.rule.code: s for s in standings}
