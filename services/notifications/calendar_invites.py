"""The iCalendar file (RFC 5545) attached to a meeting's invitation, update, cancellation: built from the
meetings service's event, with the people's addresses the notifications service knows.

One UID per meeting (`<meeting id>@caserev`), SEQUENCE as the meeting's (raised on every change), METHOD
REQUEST or CANCEL, ORGANIZER and ATTENDEEs, times in Europe/London with the zone's definition. Nothing
about the case: the summary is the kind of meeting and the review's reference, the description the link.
Replies go through the link (sign-in needed), so attendees are asked for no RSVP by e-mail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from icalendar import Calendar, Event, vCalAddress, vText

from services.kernel.calendar import ENGLAND
from services.notifications.domain import Recipient

PRODID = "-//Case Review//Meetings//EN"
CANCELLING = frozenset({"meetings.meeting_cancelled"})


def uid_of(meeting_id: Any) -> str:
    """The meeting's calendar UID: the same for its invitation, every update and its cancellation."""
    return f"{meeting_id}@caserev"


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(ENGLAND)


def _address(person: Recipient, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.display_name)
    if role:
        address.params["ROLE"] = vText(role)
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("FALSE")
    return address


def meeting_calendar(
    event_type: str, context: Mapping[str, Any], people: Iterable[Recipient], link: str, now: datetime
) -> tuple[str, str] | None:
    """The attachment's name and text for a meeting event, or None if the event lacks a meeting's facts."""
    if "meeting_id" not in context or "starts_at" not in context:
        return None
    method = "CANCEL" if event_type in CANCELLING else "REQUEST"
    by_id = {str(person.user_id): person for person in people if person.email}
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    entry = Event()
    entry.add("uid", uid_of(context["meeting_id"]))
    entry.add("sequence", int(context.get("sequence") or 0))
    entry.add("dtstamp", now)
    entry.add("dtstart", _moment(context["starts_at"]))
    entry.add("dtend", _moment(context.get("ends_at") or context["starts_at"]))
    entry.add(
        "summary", f"{context.get('kind_label') or 'Review meeting'}: {context.get('review_reference', '')}"
    )
    where = ", ".join(
        part for part in (str(context.get("place") or ""), str(context.get("online_link") or "")) if part
    )
    if where:
        entry.add("location", where)
    entry.add("description", f"Agenda, papers and replies (sign-in needed): {link}")
    entry.add("url", link)
    entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = by_id.get(str(context.get("organizer_id")))
    if organizer is not None:
        entry.add("organizer", _address(organizer))
    for user_id in context.get("invitee_ids") or []:
        person = by_id.get(str(user_id))
        if person is not None:
            entry.add("attendee", _address(person, "REQ-PARTICIPANT"))
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    name = "cancellation.ics" if method == "CANCEL" else "invitation.ics"
    return name, calendar.to_ical().decode("utf-8")
