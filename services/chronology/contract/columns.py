"""The columns of the chronology template: the standard ones every agency fills, in their order, and the
partnership's own columns after them. The template is built from these, and an uploaded file is read by
them: a heading matches whatever its case and surrounding spaces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from services.chronology.contract.entries import MAX_EXTRA, SHORT_TEXT


@dataclass(frozen=True)
class Column:
    """One column of the template: the entry field it fills (`key`; a partnership column's key is its
    heading), the heading the file must use, whether every entry needs it, how to fill it, examples, and
    the only values allowed, if it has a fixed list."""

    key: str
    heading: str
    required: bool = False
    help: str = ""
    examples: tuple[str, ...] = ()
    allowed: tuple[str, ...] | None = None
    partnership: bool = False  # the partnership's own column: free text kept in the entry's `extra`
    width: int = 18  # characters, for the template

    def matches(self, heading: str) -> bool:
        """Whether a heading as typed in a file is this column's."""
        return heading_key(heading) == heading_key(self.heading)


def heading_key(heading: str) -> str:
    """A heading as compared: case, surrounding spaces and runs of spaces do not matter."""
    return " ".join(heading.split()).casefold()


STANDARD_COLUMNS: Final[tuple[Column, ...]] = (
    Column(
        "occurred",
        "Date",
        required=True,
        help="The day it happened, day first: 22/05/2016. If the record does not give the day, give what "
        "it does: May 2016, ?/05/2016, 2016; put about, c. or ? for a date you are not sure of "
        "(about May 2016).",
        examples=("22/05/2016", "May 2016", "about 2016"),
        width=14,
    ),
    Column(
        "time",
        "Time",
        help="The time of day, if the record gives it and the date is a full date: 14:30 or 2:30pm.",
        examples=("14:30", "2:30pm"),
        width=9,
    ),
    Column(
        "ended",
        "End date",
        help="For something that went on for a while (a stay in hospital, a placement), the day it ended, "
        "in the same forms as Date. Leave it empty for a single event.",
        examples=("29/05/2016", "June 2016"),
        width=14,
    ),
    Column(
        "source_record",
        "Source record",
        required=True,
        help="Your agency's own reference to the record this comes from (a case note, contact or log "
        "number), so that it can be found again.",
        examples=("CN-000123", "Contact 4471"),
        width=16,
    ),
    Column(
        "practitioner_role",
        "Practitioner role",
        required=True,
        help="The role of the practitioner who was involved, never their name.",
        examples=("Health visitor", "Social worker", "Police officer"),
        width=20,
    ),
    Column(
        "event",
        "Event",
        required=True,
        help="What happened, in plain words and in the order the record gives it. New lines are kept.",
        examples=("Home visit. Child A seen asleep in a cot; Adult 1 said feeding was going well.",),
        width=60,
    ),
    Column(
        "action",
        "Action or decision",
        help="What was done or decided as a result. Give this or the reason no action was taken.",
        examples=("Referral to children's social care",),
        width=40,
    ),
    Column(
        "no_action_reason",
        "Reason if no action",
        help="Why no action was taken, when none was. Give this or the action or decision, not both.",
        examples=("Routine contact; no concerns noted",),
        width=30,
    ),
    Column(
        "significance",
        "Significance",
        help="How significant your agency thinks this event is for the review.",
        examples=("Low", "Medium", "High"),
        allowed=("Low", "Medium", "High"),
        width=13,
    ),
    Column(
        "key_practice_episode",
        "Key practice episode",
        help="Yes if your agency thinks this is a key practice episode; the reviewer decides. "
        "Empty means No.",
        examples=("Yes", "No"),
        allowed=("Yes", "No"),
        width=12,
    ),
    Column(
        "people",
        "People",
        help="The people involved, by their names in the review's people register (see the People sheet), "
        "separated by ; as in Child A; Adult 1.",
        examples=("Child A; Adult 1",),
        width=24,
    ),
)


def columns_for(extra: Sequence[str] = ()) -> list[Column]:
    """The template's columns: the standard ones, then the partnership's own (free text, optional) in the
    order given. Raises ValueError if a partnership heading is empty, too long, repeated or a standard one."""
    if len(extra) > MAX_EXTRA:
        raise ValueError(f"a review can have up to {MAX_EXTRA} partnership columns, not {len(extra)}")
    columns = list(STANDARD_COLUMNS)
    taken = {heading_key(column.heading): column.heading for column in columns}
    for heading in extra:
        heading = " ".join(heading.split())
        if not heading:
            raise ValueError("a partnership column needs a heading")
        if len(heading) > SHORT_TEXT:
            raise ValueError(f"a partnership column's heading can be up to {SHORT_TEXT} characters long")
        if heading_key(heading) in taken:
            raise ValueError(f"the template already has a column {taken[heading_key(heading)]}")
        taken[heading_key(heading)] = heading
        columns.append(
            Column(
                heading,
                heading,
                help="A column your partnership asks for: fill it as its business manager says.",
                partnership=True,
                width=max(14, min(len(heading) + 2, 40)),
            )
        )
    return columns
