"""When a date rule sends its message: on which working day, and under which occurrence number. Pure Python.

A reminder before a due date is sent once for that date: on the first working day within `days` working
days of it (so a service that was stopped on the exact day still sends it the next working day). An
escalation `days` working days after the date is sent once, likewise. A chaser (`every`) is sent on each
working day from `days` working days after the date, numbered by how late it is, so each day's chaser is
sent once and a day missed while stopped is not made up with a pile of chasers. Changing the due date (an
extension, a pause) makes the reminders of the new date due again; the old date's are never repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.kernel.calendar import is_working_day, working_days_between


@dataclass(frozen=True)
class Occurrence:
    """One sending of a date rule: its number (0 for once-only rules, the days late for a chaser) and
    the figures its words use."""

    number: int
    working_days: int  # working days left until the due date (0 on the day)
    days_overdue: int  # working days since the due date (0 until then)


def occurrence_on(today: date, due_on: date, *, before: bool, every: bool, days: int) -> Occurrence | None:
    """The occurrence of a date rule due `today` for a date due on `due_on`, or None (nothing today)."""
    if not is_working_day(today):
        return None
    if before:
        left = working_days_between(today, due_on)
        if 0 <= left <= days and today <= due_on:
            return Occurrence(number=0, working_days=left, days_overdue=0)
        return None
    late = working_days_between(due_on, today)
    if late < max(days, 1):
        return None
    return Occurrence(number=late if every else 0, working_days=0, days_overdue=late)
