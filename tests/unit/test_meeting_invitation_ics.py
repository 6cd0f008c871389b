"""The iCalendar files of a meeting's invitation, update and cancellation (services/notifications/
calendar_invites.py), read back with the icalendar library as a calendar client reads them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from icalendar import Calendar

from services.meetings.contract import MeetingCancelled, MeetingScheduled, MeetingUpdated
from services.notifications.calendar_invites import meeting_calendar


@dataclass
class Person:
    user_id: UUID
    display_name: str
    email: str | None
    partnership_id: UUID | None = None
    agency_id: UUID | None = None
    roles: list[str] | None = None
    active: bool = True


MANAGER = Person(uuid.uuid4(), "Business Manager", "bm@northbridge.example")
POLICE = Person(uuid.uuid4(), "Police Lead", "police@northbridge.example")
NO_EMAIL = Person(uuid.uuid4(), "No Address", None)
MEETING = uuid.uuid4()
LINK = f"http://127.0.0.1:8000/reviews/r/meetings/{MEETING}"


def facts(sequence: int, starts: datetime) -> dict[str, object]:
    return {
        "meeting_id": MEETING,
        "review_id": uuid.uuid4(),
        "review_reference": "NB-2026-001",
        "kind": "rapid_review_meeting",
        "kind_label": "Rapid review meeting",
        "starts_at": starts,
        "ends_at": starts.replace(hour=starts.hour + 2),
        "place": "Room 1, Civic Centre",
        "online_link": "",
        "sequence": sequence,
        "organizer_id": str(MANAGER.user_id),
        "invitee_ids": [str(POLICE.user_id), str(NO_EMAIL.user_id)],
    }


def calendar_of(event_type: type, sequence: int, starts: datetime) -> Calendar:
    # As the event travels: its JSON form, times as ISO strings.
    data = event_type(**facts(sequence, starts)).model_dump(mode="json")
    made = meeting_calendar(event_type.event_type, data, [MANAGER, POLICE, NO_EMAIL], LINK, datetime.now(UTC))
    assert made is not None
    name, text = made
    assert name.endswith(".ics")
    return Calendar.from_ical(text)


def test_invitation_update_and_cancellation_share_one_uid_with_a_rising_sequence() -> None:
    winter = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    files = [
        calendar_of(MeetingScheduled, 0, winter),
        calendar_of(MeetingUpdated, 1, winter.replace(hour=13)),
        calendar_of(MeetingCancelled, 2, winter.replace(hour=13)),
    ]
    assert [str(c["METHOD"]) for c in files] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [next(iter(c.walk("VEVENT"))) for c in files]
    assert {str(e["UID"]) for e in events} == {f"{MEETING}@caserev"}
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1, 2]
    assert str(events[2]["STATUS"]) == "CANCELLED"
    # The update moved the meeting: a client shows the new time, in UK time with its zone.
    start = events[1].decoded("DTSTART")
    assert start == datetime(2026, 12, 9, 13, 0, tzinfo=UTC)
    assert str(events[1]["DTSTART"].params["TZID"]) == "Europe/London"
    assert [tz["TZID"] for tz in files[1].walk("VTIMEZONE")] == ["Europe/London"]


def test_summer_time_is_kept_as_uk_time() -> None:
    summer = calendar_of(MeetingScheduled, 0, datetime(2027, 7, 7, 9, 0, tzinfo=UTC))
    event = next(iter(summer.walk("VEVENT")))
    assert event.decoded("DTSTART").hour == 10  # 09:00 UTC is 10:00 BST


def test_organizer_and_attendees_are_named_by_their_addresses_and_nothing_of_the_case_is_told() -> None:
    made = calendar_of(MeetingScheduled, 0, datetime(2026, 12, 9, 10, 0, tzinfo=UTC))
    event = next(iter(made.walk("VEVENT")))
    assert str(event["ORGANIZER"]) == "mailto:bm@northbridge.example"
    attendees = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
    assert [str(a) for a in attendees] == ["mailto:police@northbridge.example"]
    assert attendees[0].params["CN"] == "Police Lead"
    assert str(event["SUMMARY"]) == "Rapid review meeting: NB-2026-001"
    assert LINK in str(event["DESCRIPTION"]) and str(event["URL"]) == LINK
    text = made.to_ical().decode()
    assert "child" not in text.lower()


def test_an_event_without_a_meetings_facts_has_no_calendar_file() -> None:
    assert (
        meeting_calendar("meetings.reply_received", {"review_id": "x"}, [], LINK, datetime.now(UTC)) is None
    )
