"""`caserev chronology check FILE`: an agency's chronology file checked as an upload would be, offline
(no register of people, so names are not matched), with what to fix said row by row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from services.chronology.contract import CheckContext, DateProblem, check_whole, parse_entry_date
from services.kernel.calendar import today_in_england


def partnership_columns(value: str) -> tuple[str, ...]:
    """--columns "Team,Location": the partnership's own column headings, comma-separated."""
    return tuple(heading.strip() for heading in value.split(",") if heading.strip())


def date_of_birth(value: str) -> date:
    """--born DD/MM/YYYY: a whole day, read day first like every chronology date. Raises ValueError (a
    `DateProblem`) saying what is wrong."""
    born = parse_entry_date(value, today=today_in_england())
    if born.precision != "day" or born.approximate:
        raise DateProblem(f"--born {value} is not one day: give the date of birth as DD/MM/YYYY")
    return born.starts_on


def check_report(
    path: Path, *, extra_columns: Sequence[str] = (), born_on: date | None = None, today: date | None = None
) -> tuple[list[str], int]:
    """The lines to print and the exit code: every problem (one a line, then how many) and 1; or every
    warning ("warning: " first), then how many valid entries, and 0."""
    context = CheckContext(
        today=today if today is not None else today_in_england(), born_on=born_on, extra_columns=extra_columns
    )
    result = check_whole(path, filename=path.name, context=context)
    if result.problems:
        count = len(result.problems)
        return [*map(str, result.problems), f"{count:,} {'problem' if count == 1 else 'problems'} to fix"], 1
    entries = f"{result.entries:,} valid {'entry' if result.entries == 1 else 'entries'}"
    return [*(f"warning: {warning}" for warning in result.warnings), entries], 0
