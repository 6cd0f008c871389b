"""One chronology entry, normalised: what a row of an agency's chronology, or one message from an agency's
system on the bus, becomes.

The rules every entry keeps, wherever it came from, live here: lengths, the action or the reason for none,
a time only with a full date, an end not before the start. What depends on the review (today's date, the
child's date of birth, the people register) is checked by `check_entry` in sheet.py.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from services.chronology.contract.dates import (
    DateProblem,
    EntryDate,
    Precision,
    day_of_cell,
    parse_entry_date,
    parse_time,
    time_of_cell,
)
from services.kernel.calendar import today_in_england

__all__ = [
    "LONG_TEXT",
    "MAX_EXTRA",
    "MAX_PEOPLE",
    "SHORT_TEXT",
    "ChronologyEntry",
    "EntryDate",
    "Precision",
    "Significance",
    "entry_json_schema",
]

Significance = Literal["low", "medium", "high"]

SHORT_TEXT: Final = 200
LONG_TEXT: Final = 10_000
MAX_PEOPLE: Final = 50
MAX_EXTRA: Final = 64


def _today(info: ValidationInfo) -> date:
    # The sheet passes the review's today; a message from the bus is read on the day it arrives.
    context = info.context if isinstance(info.context, dict) else {}
    today = context.get("today")
    return today if isinstance(today, date) else today_in_england()


def _entry_date(value: Any, info: ValidationInfo) -> Any:
    """A date as typed ("22/05/2016", {"typed": "about 2016"}) is read by the one date parser; a stored
    EntryDate (all its fields) is taken as it is; a real date is that day."""
    if isinstance(value, dict) and set(value) == {"typed"}:
        value = value["typed"]
    if isinstance(value, str):
        try:
            return parse_entry_date(value, today=_today(info))
        except DateProblem as problem:
            raise PydanticCustomError("entry_date", "{problem}", {"problem": str(problem)}) from None
    if isinstance(value, date):
        return day_of_cell(value)[0]
    return value


def _time_of_day(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return parse_time(value)
        except DateProblem as problem:
            raise PydanticCustomError("entry_time", "{problem}", {"problem": str(problem)}) from None
    if isinstance(value, datetime):
        return time_of_cell(value)
    return value


def _plain_text(value: Any) -> Any:
    # Newlines are the agency's paragraphs and are kept (as \n); a tab is only spacing.
    if isinstance(value, str) and ("\r" in value or "\t" in value):
        return value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return value


def _optional_text(value: Any) -> Any:
    value = _plain_text(value)
    return None if isinstance(value, str) and not value.strip() else value


def people_named(value: Any) -> Any:
    """Names split on ";", trimmed, the second spelling of a name dropped (case does not make another)."""
    names = value.split(";") if isinstance(value, str) else value
    if not isinstance(names, list | tuple):
        return value
    seen: set[str] = set()
    kept: list[Any] = []
    for name in names:
        if isinstance(name, str):
            name = " ".join(name.split())
            if not name or name.casefold() in seen:
                continue
            seen.add(name.casefold())
        kept.append(name)
    return kept


def _significance(value: Any) -> Any:
    return value.strip().casefold() or None if isinstance(value, str) else value


def _yes_or_no(value: Any) -> Any:
    if isinstance(value, str):
        words = value.strip().casefold()
        if not words:
            return False
        return {"yes": True, "y": True, "no": False, "n": False}.get(words, value)
    return value


# The constraints come before the validator that prepares the text, so that they stay string constraints
# (string_too_long, with the limit) rather than generic ones.
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_TEXT),
    BeforeValidator(_plain_text),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=LONG_TEXT),
    BeforeValidator(_plain_text),
]
OptionalLongText = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LONG_TEXT)] | None,
    BeforeValidator(_optional_text),
]
Heading = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_TEXT)]
PartnershipValue = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=LONG_TEXT), BeforeValidator(_plain_text)
]
Person = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_TEXT)]

_DATE_AS_TYPED = {
    "title": "Date",
    "description": "The date as the agency's record has it, day first: a day, a month or a year, "
    "perhaps uncertain",
    "examples": ["22/05/2016", "May 2016", "about 2016", "?/05/2016", "early 2016"],
}


class ChronologyEntry(BaseModel):
    """One event in an agency's chronology of its work with a child and family.

    `row` is the spreadsheet row it came from (the headings are row 1), None for a message from the bus.
    Exactly one of `action` and `no_action_reason` is given. People are named as the agency typed them
    (a register name such as "Child A", or a name the review's register knows); a practitioner only by
    role. `extra` holds the partnership's own columns, by heading."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    row: int | None = Field(default=None, ge=1)
    occurred: Annotated[
        EntryDate,
        BeforeValidator(_entry_date, json_schema_input_type=str),
        Field(json_schema_extra=_DATE_AS_TYPED),
    ]
    time: Annotated[
        dt.time | None,
        BeforeValidator(_time_of_day, json_schema_input_type=str | None),
        Field(description="Time of day, only with a full date: 14:30 or 2:30pm", examples=["14:30"]),
    ] = None
    ended: Annotated[
        EntryDate | None,
        BeforeValidator(_entry_date, json_schema_input_type=str | None),
        Field(description="The end of a period the entry covers, in the same forms as the date"),
    ] = None
    source_record: Annotated[ShortText, Field(description="The agency's own reference to the record")]
    practitioner_role: Annotated[ShortText, Field(description="The practitioner's role, never their name")]
    event: Annotated[LongText, Field(description="What happened; newlines are kept")]
    action: Annotated[OptionalLongText, Field(description="The action taken or decision made")] = None
    no_action_reason: Annotated[
        OptionalLongText, Field(description="Why no action was taken", validate_default=True)
    ] = None
    significance: Annotated[Significance | None, BeforeValidator(_significance)] = None
    key_practice_episode: Annotated[
        bool,
        BeforeValidator(_yes_or_no),
        Field(description="The agency suggests this is a key practice episode; the reviewer decides"),
    ] = False
    people: Annotated[
        list[Person],
        BeforeValidator(people_named),
        Field(
            default_factory=list,
            max_length=MAX_PEOPLE,
            description='The people involved, by their names in the review\'s register ("Child A")',
        ),
    ]
    extra: Annotated[
        dict[Heading, PartnershipValue],
        Field(
            default_factory=dict,
            max_length=MAX_EXTRA,
            description="The partnership's own columns, by heading",
        ),
    ]

    # Each rule across fields is a validator on the later field, reading the earlier one from info.data, so
    # that one pass reports every problem of an entry (a model validator would run only when all else passed).

    @field_validator("time")
    @classmethod
    def _time_needs_a_day(cls, value: dt.time | None, info: ValidationInfo) -> dt.time | None:
        occurred = info.data.get("occurred")
        if value is not None and isinstance(occurred, EntryDate) and occurred.precision != "day":
            raise PydanticCustomError(
                "time_without_day",
                "a time needs the full date: {occurred} is not one day",
                {"occurred": occurred.typed},
            )
        return value

    @field_validator("ended")
    @classmethod
    def _ends_after_it_starts(cls, value: EntryDate | None, info: ValidationInfo) -> EntryDate | None:
        occurred = info.data.get("occurred")
        # An uncertain end ("June 2016") is wrong only if its latest day is before the earliest start.
        if value is not None and isinstance(occurred, EntryDate) and value.ends_on < occurred.starts_on:
            raise PydanticCustomError(
                "ended_before_occurred",
                "the end date {ended} is before the date {occurred}",
                {"ended": value.typed, "occurred": occurred.typed},
            )
        return value

    @field_validator("no_action_reason")
    @classmethod
    def _action_or_reason(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "action" not in info.data:  # the action itself was refused: that problem is enough
            return value
        action = info.data["action"]
        if action is None and value is None:
            raise PydanticCustomError(
                "action_or_reason", "give the action or decision, or the reason no action was taken"
            )
        if action is not None and value is not None:
            raise PydanticCustomError(
                "action_and_reason",
                "give the action or decision, or the reason no action was taken, not both",
            )
        return value


def entry_json_schema() -> dict[str, Any]:
    """The JSON Schema of a chronology entry sent on the bus by an agency's system, for publishing: dates
    and the time are strings as typed (the date parser reads them); `row` is the sheet's, not a sender's."""
    schema = ChronologyEntry.model_json_schema(mode="validation")
    schema["properties"].pop("row", None)
    schema["title"] = "Chronology entry"
    return schema
