"""The rules of a merged chronology. Pure Python: no broker, no database.

Where an entry is placed (its date, uncertain dates after exact ones on the same day), how a reader's place
in it is kept between pages (a cursor), how people's names become their pseudonyms, and where the gaps are.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from uuid import UUID

from services.chronology.contract.entries import ChronologyEntry

# A stretch with no entry from any agency longer than this is shown as a gap in the merged chronology.
GAP_DAYS = 90


def sort_at(entry: ChronologyEntry) -> datetime:
    """The moment the merged chronology places an entry: its date (a month's first day, a year's 1 January
    when that is all that is known) and its time, if any."""
    return datetime.combine(entry.occurred.sort_on(), entry.time or time(0))


def sort_rank(entry: ChronologyEntry) -> int:
    """On the same day, exact dates first, then month-only, year-only, then approximate ones."""
    return entry.occurred.sort_rank()


@dataclass(frozen=True)
class Place:
    """Where a page of the merged chronology ended: the last entry's order key, and the latest day the entries
    read so far cover (so that the next page can tell a gap before its first entry)."""

    sort_at: datetime
    sort_rank: int
    seq: int
    seen_until: date | None = None

    def cursor(self) -> str:
        """The place as an opaque token for the next page's address."""
        until = self.seen_until.isoformat() if self.seen_until else ""
        raw = f"{self.sort_at.isoformat()}|{self.sort_rank}|{self.seq}|{until}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def from_cursor(cls, token: str) -> Place | None:
        """The place a cursor names; None for a token that is not one (the reader starts again)."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            moment, rank, seq, until = raw.split("|")
            seen_until = date.fromisoformat(until) if until else None
            return cls(datetime.fromisoformat(moment), int(rank), int(seq), seen_until)
        except (ValueError, UnicodeDecodeError):
            return None


@dataclass(frozen=True)
class Person:
    """Someone in a review's register, as the rules about names need them."""

    id: UUID
    label: str
    name: str
    also_known_as: tuple[str, ...] = ()

    def spellings(self) -> list[str]:
        """Every way an agency may write this person: the pseudonym, the full name, other names."""
        return [self.label, self.name, *self.also_known_as]


def spellings(people: Iterable[Person]) -> dict[str, str]:
    """Casefolded spelling -> pseudonym, for the checker matching the names in a file to the register."""
    found: dict[str, str] = {}
    for person in people:
        for spelling in person.spellings():
            found.setdefault(" ".join(spelling.split()).casefold(), person.label)
    return found


def matched_people(names: Sequence[str], people: Iterable[Person]) -> tuple[list[UUID], list[str]]:
    """The register entries an entry's names refer to, and the names that match nobody."""
    by_spelling = {
        " ".join(spelling.split()).casefold(): person.id
        for person in people
        for spelling in person.spellings()
    }
    ids: list[UUID] = []
    unmatched: list[str] = []
    for name in names:
        person_id = by_spelling.get(" ".join(name.split()).casefold())
        if person_id is None:
            unmatched.append(name)
        elif person_id not in ids:
            ids.append(person_id)
    return ids, unmatched


class Pseudonymiser:
    """Replaces the names of a review's people in free text with their pseudonyms ("Child A").

    Whole words only, longest names first (so "Amy Smith" becomes "Child A", not "Child A Smith"), and each
    part of a full name of three letters or more on its own too, since records often give a first name.
    """

    def __init__(self, people: Iterable[Person]) -> None:
        names: dict[str, str] = {}
        for person in people:
            for spelling in (person.name, *person.also_known_as):
                names.setdefault(spelling.casefold(), person.label)
                for part in spelling.split():
                    if len(part) >= 3:
                        names.setdefault(part.casefold(), person.label)
        self._labels = names
        ordered = sorted(names, key=len, reverse=True)
        self._pattern = (
            re.compile(r"\b(" + "|".join(re.escape(name) for name in ordered) + r")\b", re.IGNORECASE)
            if ordered
            else None
        )

    def __call__(self, text: str | None) -> str | None:
        if text is None or self._pattern is None:
            return text
        return self._pattern.sub(lambda match: self._labels[match.group(0).casefold()], text)


def contact_until(starts_on: date, ends_on: date, precision: str, ended_on: date | None) -> date:
    """The last day an entry shows an agency in contact: a period's end, else its day. A date known only to
    the month or year is placed at its first day and not taken to cover the whole month or year, so that
    it hides no gap."""
    if ended_on is not None:
        return ended_on
    return ends_on if precision == "day" else starts_on


def gap_days(previous_end: date | None, starts_on: date) -> int | None:
    """Days with no entry between the end of the one before and this one, when long enough to show."""
    if previous_end is None:
        return None
    days = (starts_on - previous_end).days
    return days if days > GAP_DAYS else None
