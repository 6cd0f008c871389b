"""The rules of meetings: scheduling in UK time, invitations and replies, attendance and quorum, minutes from
draft to locked, and the reminder the day before. Pure Python: no broker, no database.

A meeting is one aggregate (its agenda, invitees, replies and minutes travel with it), stored whole by the
repository; its papers and the family's contacts are records of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from services.kernel.calendar import ENGLAND, is_working_day, working_days_between
from services.kernel.errors import Conflict, Forbidden, InvalidRequest
from services.meetings.contract import (
    KIND_LABELS,
    AgendaItemView,
    AmendmentView,
    CalendarEntry,
    InviteeView,
    MeetingDetail,
    MeetingKind,
    MeetingPlan,
    MeetingStatus,
    MeetingSummary,
    MinutesCommentView,
    MinutesItem,
    MinutesItemView,
    MinutesState,
    MinutesView,
    PaperView,
    Quorum,
    ReplyKind,
)

# A rapid review meeting needs this many working days after it for the report and the partners' sign-off
# before the report is due (the day plan's meeting is day 12 of 15).
WORKING_DAYS_BEFORE_REPORT = 3
LONGEST_MEETING = timedelta(hours=12)
# Roles whose presence counts for a sign-off's quorum: the safeguarding partners or their delegates.
PARTNER_ROLES = frozenset({"safeguarding_partner", "executive"})


class ReplyRecord(BaseModel):
    """One reply as it came: every reply is kept, the latest is the one that counts."""

    reply: ReplyKind
    deputy_name: str | None = None
    at: datetime


GUEST = "guest-"


class Invited(BaseModel):
    """Someone invited, with every reply they sent and their attendance. A guest (a practitioner without an
    account) has an id of the meeting's own, `guest-...`, and is recorded but sent nothing."""

    user_id: str
    name: str
    role: str = ""
    guest: bool = False
    replies: list[ReplyRecord] = Field(default_factory=list)
    attended: bool | None = None
    apologies: bool = False

    @property
    def latest(self) -> ReplyRecord | None:
        return self.replies[-1] if self.replies else None


class AgendaEntry(BaseModel):
    """An agenda item and who leads it."""

    id: UUID
    title: str
    owner_id: str | None = None


class ItemArising(BaseModel):
    """A decision or an action arising, as the minutes record it."""

    id: UUID
    kind: Literal["decision", "action"]
    what: str
    owner_id: str | None = None
    due_on: date | None = None
    agenda_item_id: UUID | None = None


class Comment(BaseModel):
    author_id: str
    author_name: str
    text: str
    at: datetime


class Correction(BaseModel):
    author_id: str
    author_name: str
    reason: str
    text: str
    at: datetime


class Minutes(BaseModel):
    """The minutes: drafted, circulated for comment by a date, approved by the chair (then locked)."""

    state: MinutesState = "none"
    text: str = ""
    items: list[ItemArising] = Field(default_factory=list)
    comments_by: date | None = None
    comments: list[Comment] = Field(default_factory=list)
    approved_at: datetime | None = None
    approved_by: str | None = None
    amendments: list[Correction] = Field(default_factory=list)


class Meeting(BaseModel):
    """A meeting of a review, held by the review's partnership."""

    id: UUID
    review_id: UUID
    partnership_id: UUID
    kind: MeetingKind
    starts_at: datetime
    status: MeetingStatus
    ends_at: datetime | None = None
    review_reference: str = ""
    place: str = ""
    online_link: str = ""
    chair_id: str = ""
    sequence: int = 0
    agenda: list[AgendaEntry] = Field(default_factory=list)
    invitees: list[Invited] = Field(default_factory=list)
    minutes: Minutes = Field(default_factory=Minutes)
    reminded: bool = False
    organizer_id: str = ""
    # The rapid review report's date on the review's clock when the meeting was planned (for the warning).
    report_due_on: date | None = None

    @property
    def ends(self) -> datetime:
        return self.ends_at or self.starts_at + timedelta(hours=1)

    def invitee(self, user_id: str) -> Invited | None:
        return next((person for person in self.invitees if person.user_id == user_id), None)

    def name_of(self, user_id: str | None) -> str | None:
        person = self.invitee(user_id) if user_id else None
        return person.name if person else None

    def summary(self) -> MeetingSummary:
        """The meeting as the contract lists it."""
        return MeetingSummary(
            id=self.id, review_id=self.review_id, kind=self.kind, starts_at=self.starts_at, status=self.status
        )


# -- scheduling ---------------------------------------------------------------------------------------------


def in_uk_time(moment: datetime) -> datetime:
    """A time as UTC; a time without a zone is read as UK time (Europe/London, summer time included)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ENGLAND)
    return moment.astimezone(UTC)


def uk_day(moment: datetime) -> date:
    return moment.astimezone(ENGLAND).date()


def _plan_problems(
    plan: MeetingPlan, starts: datetime, ends: datetime, now: datetime, *, past: bool = False
) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    if starts <= now and not past:
        problems.append({"field": "starts_at", "message": "The meeting must start in the future"})
    if ends <= starts:
        problems.append({"field": "ends_at", "message": "The meeting must end after it starts"})
    elif ends - starts > LONGEST_MEETING:
        problems.append({"field": "ends_at", "message": "A meeting cannot last more than 12 hours"})
    ids = [person.user_id for person in plan.invitees]
    if any(user_id.startswith(GUEST) for user_id in ids):
        problems.append({"field": "invitees", "message": "Invite people by their account"})
    if len(set(ids)) != len(ids):
        problems.append({"field": "invitees", "message": "Someone is invited twice"})
    if plan.chair_id not in ids:
        problems.append({"field": "chair_id", "message": "Choose a chair from the people invited"})
    for index, item in enumerate(plan.agenda):
        if item.owner_id and item.owner_id not in ids:
            problems.append(
                {"field": f"agenda.{index}.owner_id", "message": "An agenda item's owner must be invited"}
            )
    if plan.online_link and not plan.online_link.startswith("https://"):
        problems.append({"field": "online_link", "message": "An online link must start with https://"})
    if not plan.place.strip() and not plan.online_link:
        problems.append({"field": "place", "message": "Give a place, an online link, or both"})
    return problems


def warnings_for(kind: MeetingKind, starts: datetime, report_due_on: date | None) -> list[str]:
    """What the business manager should know before confirming: allowed, but worth a second look."""
    day = uk_day(starts)
    warnings = []
    if not is_working_day(day):
        warnings.append(f"{day:%A %-d %B %Y} is not a working day")
    if kind == "rapid_review_meeting" and report_due_on is not None:
        left = working_days_between(day, report_due_on) if day < report_due_on else 0
        if left < WORKING_DAYS_BEFORE_REPORT:
            warnings.append(
                f"The rapid review report is due on {report_due_on:%-d %B %Y}: a meeting on {day:%-d %B %Y} "
                f"leaves {left} working day{'' if left == 1 else 's'} for the report and the partners' "
                f"sign-off, where {WORKING_DAYS_BEFORE_REPORT} are needed"
            )
    return warnings


def _apply_plan(meeting: Meeting, plan: MeetingPlan, starts: datetime, ends: datetime) -> None:
    earlier = {person.user_id: person for person in meeting.invitees}
    meeting.kind = plan.kind
    meeting.starts_at, meeting.ends_at = starts, ends
    meeting.place, meeting.online_link = plan.place.strip(), plan.online_link.strip()
    meeting.chair_id = plan.chair_id
    kept = {item.title: item.id for item in meeting.agenda}
    meeting.agenda = [
        AgendaEntry(id=kept.get(item.title, uuid.uuid4()), title=item.title, owner_id=item.owner_id or None)
        for item in plan.agenda
    ]
    meeting.invitees = [
        earlier[person.user_id].model_copy(update={"name": person.name, "role": person.role})
        if person.user_id in earlier
        else Invited(user_id=person.user_id, name=person.name, role=person.role)
        for person in plan.invitees
    ]
    guests = {(person.name, person.role): person for person in earlier.values() if person.guest}
    meeting.invitees += [
        guests.get((guest.name.strip(), guest.role.strip()))
        or Invited(
            user_id=f"{GUEST}{uuid.uuid4()}", name=guest.name.strip(), role=guest.role.strip(), guest=True
        )
        for guest in plan.participants
    ]


def schedule(
    plan: MeetingPlan,
    *,
    review_id: UUID,
    partnership_id: UUID,
    review_reference: str,
    report_due_on: date | None,
    organizer_id: str,
    now: datetime,
    meeting_id: UUID | None = None,
    past: bool = False,
) -> tuple[Meeting, list[str]]:
    """A new meeting and its warnings; InvalidRequest naming every problem with the plan. `past`: the system
    only, recording a meeting that was held before it was in the system (the demo's stories)."""
    starts, ends = in_uk_time(plan.starts_at), in_uk_time(plan.ends_at)
    problems = _plan_problems(plan, starts, ends, now, past=past)
    if problems:
        raise InvalidRequest("The meeting has problems", problems=problems)
    meeting = Meeting(
        id=meeting_id or uuid.uuid4(),
        review_id=review_id,
        partnership_id=partnership_id,
        kind=plan.kind,
        starts_at=starts,
        status="scheduled",
        review_reference=review_reference,
        organizer_id=organizer_id,
        report_due_on=report_due_on,
    )
    _apply_plan(meeting, plan, starts, ends)
    return meeting, warnings_for(plan.kind, starts, report_due_on)


def change(meeting: Meeting, plan: MeetingPlan, report_due_on: date | None, now: datetime) -> list[str]:
    """Change a scheduled meeting (its sequence rises, so calendars take the update); its warnings."""
    _check_scheduled(meeting, "changed")
    starts, ends = in_uk_time(plan.starts_at), in_uk_time(plan.ends_at)
    problems = _plan_problems(plan, starts, ends, now)
    if problems:
        raise InvalidRequest("The meeting has problems", problems=problems)
    _apply_plan(meeting, plan, starts, ends)
    meeting.sequence += 1
    meeting.reminded = False
    meeting.report_due_on = report_due_on or meeting.report_due_on
    return warnings_for(plan.kind, starts, meeting.report_due_on)


def cancel(meeting: Meeting) -> None:
    """Cancel a scheduled meeting (its sequence rises with the cancellation)."""
    _check_scheduled(meeting, "cancelled")
    meeting.status = "cancelled"
    meeting.sequence += 1


def _check_scheduled(meeting: Meeting, doing: str) -> None:
    if meeting.status == "cancelled":
        raise Conflict(f"This meeting was cancelled: it cannot be {doing}. Schedule a new one instead")
    if meeting.status == "held":
        raise Conflict(f"This meeting has been held: it cannot be {doing}")


# -- replies and attendance ---------------------------------------------------------------------------------


def reply(meeting: Meeting, user_id: str, answer: ReplyKind, deputy_name: str | None, now: datetime) -> bool:
    """Record an invitee's reply (kept with every earlier one; the latest counts). True when it replaces an
    earlier reply. Forbidden for anyone not invited."""
    person = meeting.invitee(user_id)
    if person is None or person.guest:
        raise Forbidden("Only people invited to this meeting can reply to its invitation")
    if meeting.status != "scheduled":
        raise Conflict("This meeting is no longer open for replies")
    deputy = (deputy_name or "").strip() or None
    if answer == "deputy" and deputy is None:
        raise InvalidRequest(
            "The reply has problems", problems=[{"field": "deputy_name", "message": "Name your deputy"}]
        )
    replaced = bool(person.replies)
    person.replies.append(
        ReplyRecord(reply=answer, deputy_name=deputy if answer == "deputy" else None, at=now)
    )
    return replaced


def record_attendance(
    meeting: Meeting, present: Iterable[str], apologies: Iterable[str], now: datetime
) -> None:
    """Who came and who sent apologies (everyone else invited was absent): from the meeting's day on."""
    if meeting.status == "cancelled":
        raise Conflict("This meeting was cancelled: there is no attendance to record")
    if uk_day(now) < uk_day(meeting.starts_at):
        raise Conflict("Attendance is recorded on the day of the meeting, not before")
    came, sorry = set(present), set(apologies)
    unknown = (came | sorry) - {person.user_id for person in meeting.invitees}
    problems = []
    if unknown:
        problems.append({"field": "present", "message": "Only people invited can be recorded"})
    if came & sorry:
        problems.append(
            {"field": "apologies", "message": "Someone is recorded as present and as sending apologies"}
        )
    if problems:
        raise InvalidRequest("The attendance has problems", problems=problems)
    for person in meeting.invitees:
        person.attended = person.user_id in came
        person.apologies = person.user_id in sorry
    meeting.status = "held"


def quorum(meeting: Meeting) -> Quorum:
    """Whether those present make the meeting quorate, by its kind's rule."""
    present = [person for person in meeting.invitees if person.attended]
    chair_there = any(person.user_id == meeting.chair_id for person in present)
    if meeting.kind == "executive_sign_off":
        partners = sum(1 for person in present if person.role in PARTNER_ROLES)
        return Quorum(
            met=partners >= 3,
            rule="All three safeguarding partners, or their delegates, must be present",
        )
    if meeting.kind in ("rapid_review_meeting", "panel"):
        return Quorum(
            met=chair_there and len(present) >= 3, rule="The chair and at least three members must be present"
        )
    return Quorum(met=chair_there, rule="The chair must be present")


# -- minutes ------------------------------------------------------------------------------------------------


def _check_not_approved(meeting: Meeting) -> None:
    if meeting.minutes.state == "approved":
        raise Conflict("The minutes are approved and locked: record an amendment instead")


def draft_minutes(meeting: Meeting, text: str, items: list[MinutesItem]) -> None:
    """Draft (or redraft) the minutes of a held meeting, with the decisions and actions arising."""
    if meeting.status != "held":
        raise Conflict("Record the attendance first: minutes are of a meeting that has been held")
    _check_not_approved(meeting)
    agenda = {item.id for item in meeting.agenda}
    problems = []
    for index, item in enumerate(items):
        if item.kind == "action" and not item.owner_id:
            problems.append({"field": f"items.{index}.owner_id", "message": "Say who owns the action"})
        if item.kind == "action" and item.due_on is None:
            problems.append({"field": f"items.{index}.due_on", "message": "Say when the action is due"})
        if item.agenda_item_id is not None and item.agenda_item_id not in agenda:
            problems.append({"field": f"items.{index}.agenda_item_id", "message": "No such agenda item"})
    if problems:
        raise InvalidRequest("The minutes have problems", problems=problems)
    kept = {(item.kind, item.what): item.id for item in meeting.minutes.items}
    meeting.minutes.text = text
    meeting.minutes.items = [
        ItemArising(
            id=kept.get((item.kind, item.what.strip()), uuid.uuid4()),
            kind=item.kind,
            what=item.what.strip(),
            owner_id=item.owner_id if item.kind == "action" else None,
            due_on=item.due_on if item.kind == "action" else None,
            agenda_item_id=item.agenda_item_id,
        )
        for item in items
    ]
    if meeting.minutes.state == "none":
        meeting.minutes.state = "draft"


def circulate(meeting: Meeting, comments_by: date, today: date) -> None:
    """Send drafted minutes to the attendees for comment by a date."""
    _check_not_approved(meeting)
    if meeting.minutes.state == "none":
        raise Conflict("Draft the minutes before circulating them")
    if comments_by < today:
        raise InvalidRequest(
            "The circulation has problems",
            problems=[{"field": "comments_by", "message": "The date for comments must be today or later"}],
        )
    meeting.minutes.state = "circulated"
    meeting.minutes.comments_by = comments_by


def may_comment(meeting: Meeting, user_id: str, today: date) -> bool:
    person = meeting.invitee(user_id)
    return (
        meeting.minutes.state == "circulated"
        and person is not None
        and (bool(person.attended) or user_id == meeting.chair_id)
        and meeting.minutes.comments_by is not None
        and today <= meeting.minutes.comments_by
    )


def comment(meeting: Meeting, user_id: str, text: str, now: datetime) -> None:
    """An attendee's comment on circulated minutes, by the date set."""
    _check_not_approved(meeting)
    if meeting.minutes.state != "circulated":
        raise Conflict("The minutes are not out for comment")
    if meeting.invitee(user_id) is None or not may_comment(meeting, user_id, uk_day(now)):
        person = meeting.invitee(user_id)
        if person is None or not (person.attended or user_id == meeting.chair_id):
            raise Forbidden("Only those who attended can comment on the minutes")
        raise Conflict(f"Comments closed on {meeting.minutes.comments_by:%-d %B %Y}")
    meeting.minutes.comments.append(
        Comment(author_id=user_id, author_name=meeting.name_of(user_id) or "", text=text.strip(), at=now)
    )


def approve(meeting: Meeting, user_id: str, now: datetime) -> None:
    """The chair approves the minutes: they are locked from now on."""
    _check_not_approved(meeting)
    if user_id != meeting.chair_id:
        raise Forbidden("Only the chair can approve the minutes")
    if meeting.minutes.state == "none" or not meeting.minutes.text.strip():
        raise Conflict("Draft the minutes before approving them")
    meeting.minutes.state = "approved"
    meeting.minutes.approved_at = now
    meeting.minutes.approved_by = user_id


def amend(meeting: Meeting, user_id: str, author_name: str, reason: str, text: str, now: datetime) -> None:
    """A correction to approved minutes, recorded beside them: the approved text is never changed."""
    if meeting.minutes.state != "approved":
        raise Conflict("Only approved minutes are amended: until then, edit the draft")
    meeting.minutes.amendments.append(
        Correction(
            author_id=user_id, author_name=author_name, reason=reason.strip(), text=text.strip(), at=now
        )
    )


# -- the reminder the day before ----------------------------------------------------------------------------


def due_for_reminder(meeting: Meeting, now: datetime) -> bool:
    """A scheduled meeting that starts on the next day (UK), not yet reminded."""
    return (
        meeting.status == "scheduled"
        and not meeting.reminded
        and uk_day(meeting.starts_at) == uk_day(now) + timedelta(days=1)
    )


def to_remind(meeting: Meeting) -> list[str]:
    """Who is reminded: everyone invited with an account who has not declined."""
    return [
        person.user_id
        for person in meeting.invitees
        if not person.guest and (person.latest is None or person.latest.reply != "declined")
    ]


def account_holders(meeting: Meeting) -> list[str]:
    """Who the system writes to about the meeting: the invitees with an account."""
    return [person.user_id for person in meeting.invitees if not person.guest]


# -- how pages see it ---------------------------------------------------------------------------------------


def holder(meetings: Iterable[Meeting]) -> UUID | None:
    """The partnership holding the review, as its meetings record it; None when it has none here yet."""
    return next((meeting.partnership_id for meeting in meetings), None)


def in_order(meetings: Iterable[Meeting]) -> list[Meeting]:
    """A review's meetings as a reader follows them: soonest first."""
    return sorted(meetings, key=lambda meeting: (meeting.starts_at, str(meeting.id)))


def detail(
    meeting: Meeting,
    papers: list[PaperView],
    *,
    viewer: str,
    may_manage: bool,
    may_see_papers: bool,
    today: date,
    warnings: list[str] | None = None,
) -> MeetingDetail:
    """The meeting as its page shows it to one viewer, with what they may do."""
    mine = meeting.invitee(viewer)
    minutes = meeting.minutes
    return MeetingDetail(
        id=meeting.id,
        review_id=meeting.review_id,
        kind=meeting.kind,
        starts_at=meeting.starts_at,
        status=meeting.status,
        partnership_id=meeting.partnership_id,
        review_reference=meeting.review_reference,
        kind_label=KIND_LABELS[meeting.kind],
        ends_at=meeting.ends,
        place=meeting.place,
        online_link=meeting.online_link,
        chair_id=meeting.chair_id,
        chair_name=meeting.name_of(meeting.chair_id) or "",
        sequence=meeting.sequence,
        agenda=[
            AgendaItemView(
                id=item.id,
                title=item.title,
                owner_id=item.owner_id,
                owner_name=meeting.name_of(item.owner_id),
            )
            for item in meeting.agenda
        ],
        invitees=[
            InviteeView(
                user_id=person.user_id,
                name=person.name,
                role=person.role,
                guest=person.guest,
                reply=person.latest.reply if person.latest else None,
                deputy_name=person.latest.deputy_name if person.latest else None,
                replied_at=person.latest.at if person.latest else None,
                replies=len(person.replies),
                attended=person.attended,
                apologies=person.apologies,
            )
            for person in meeting.invitees
        ],
        papers=papers if may_see_papers else [],
        minutes=MinutesView(
            state=minutes.state,
            text=minutes.text,
            items=[
                MinutesItemView(
                    id=item.id,
                    kind=item.kind,
                    what=item.what,
                    owner_id=item.owner_id,
                    owner_name=meeting.name_of(item.owner_id),
                    due_on=item.due_on,
                    agenda_item_id=item.agenda_item_id,
                )
                for item in minutes.items
            ],
            comments_by=minutes.comments_by,
            comments=[
                MinutesCommentView(author_name=c.author_name, text=c.text, at=c.at) for c in minutes.comments
            ],
            approved_at=minutes.approved_at,
            amendments=[
                AmendmentView(author_name=a.author_name, reason=a.reason, text=a.text, at=a.at)
                for a in minutes.amendments
            ],
        ),
        quorum=quorum(meeting),
        warnings=warnings
        if warnings is not None
        else (
            warnings_for(meeting.kind, meeting.starts_at, meeting.report_due_on)
            if meeting.status == "scheduled"
            else []
        ),
        may_manage=may_manage and meeting.status != "cancelled",
        may_reply=mine is not None and meeting.status == "scheduled",
        my_reply=mine.latest.reply if mine and mine.latest else None,
        may_comment=may_comment(meeting, viewer, today),
        may_approve=viewer == meeting.chair_id and minutes.state in ("draft", "circulated"),
        may_see_papers=may_see_papers,
    )


def calendar(meetings: list[Meeting]) -> list[CalendarEntry]:
    """Meetings in time order, each with the others it overlaps that share someone invited (not declined)."""
    live = [meeting for meeting in in_order(meetings)]
    entries = []
    for meeting in live:
        people = set(to_remind(meeting))
        clashes: list[UUID] = []
        names: set[str] = set()
        if meeting.status == "scheduled":
            for other in live:
                if other.id == meeting.id or other.status != "scheduled":
                    continue
                if other.starts_at < meeting.ends and meeting.starts_at < other.ends:
                    shared = people & set(to_remind(other))
                    if shared:
                        clashes.append(other.id)
                        names |= {meeting.name_of(user) or "" for user in shared}
        entries.append(
            CalendarEntry(
                id=meeting.id,
                review_id=meeting.review_id,
                review_reference=meeting.review_reference,
                kind=meeting.kind,
                kind_label=KIND_LABELS[meeting.kind],
                starts_at=meeting.starts_at,
                ends_at=meeting.ends,
                status=meeting.status,
                clashes_with=clashes,
                clash_names=sorted(names),
            )
        )
    return entries
