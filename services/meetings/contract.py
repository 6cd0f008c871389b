"""What others may know of the meetings service: a review's meetings, from invitation to locked minutes, the
family's contacts, the RPCs that answer them and the events it publishes (exchange `meetings.events`).

Events carry identifiers and facts: never what the minutes say about a child or family. An action agreed
carries its words (the actions service takes it up), which name a task, not a person's history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from services.kernel.events import EventData
from services.kernel.identity import Actor
from services.kernel.remote import Refused, RemoteService, found_by_id

SERVICE = "meetings"

# An id that is not an id reads as "No such review" (or meeting, paper), as one the caller may not see does.
ReviewId = Annotated[UUID, found_by_id("review")]
MeetingId = Annotated[UUID, found_by_id("meeting")]
PaperId = Annotated[UUID, found_by_id("paper")]

MeetingKind = Literal["rapid_review_meeting", "panel", "practitioner_event", "executive_sign_off", "other"]
MeetingStatus = Literal["scheduled", "held", "cancelled"]
ReplyKind = Literal["accepted", "declined", "deputy"]
MinutesState = Literal["none", "draft", "circulated", "approved"]

KIND_LABELS: dict[str, str] = {
    "rapid_review_meeting": "Rapid review meeting",
    "panel": "Review group or panel",
    "practitioner_event": "Practitioner learning event",
    "executive_sign_off": "Executive sign-off",
    "other": "Other meeting",
}
REPLY_LABELS: dict[str, str] = {
    "accepted": "Accepted",
    "declined": "Declined",
    "deputy": "Sending a deputy",
}

ShortText = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=20_000)]


def _stripped(value: str) -> str:
    return value.strip()


# -- what pages show ----------------------------------------------------------------------------------------


class MeetingSummary(BaseModel):
    """One meeting of a review as a list shows it: its kind, when, whether it was held.

    No names, no minutes, nothing about the child.
    """

    id: UUID
    review_id: UUID
    kind: MeetingKind
    starts_at: datetime
    status: MeetingStatus


class AgendaItemView(BaseModel):
    """An item of a meeting's agenda, with its owner's name."""

    id: UUID
    title: str
    owner_id: str | None = None
    owner_name: str | None = None


class InviteeView(BaseModel):
    """Someone invited, their reply (the latest wins; `replies` counts them all) and their attendance.
    `guest`: a practitioner without an account, recorded but sent nothing."""

    user_id: str
    name: str
    role: str
    guest: bool = False
    reply: ReplyKind | None = None
    deputy_name: str | None = None
    replied_at: datetime | None = None
    replies: int = 0
    attended: bool | None = None
    apologies: bool = False


class PaperView(BaseModel):
    """A paper of a meeting (or of one agenda item): the file as checked, not its content."""

    id: UUID
    agenda_item_id: UUID | None
    filename: str
    kind: str
    size_bytes: int
    uploaded_at: datetime


class MinutesItemView(BaseModel):
    """A decision or an action arising, in the minutes: what, who, by when."""

    id: UUID
    kind: Literal["decision", "action"]
    what: str
    owner_id: str | None = None
    owner_name: str | None = None
    due_on: date | None = None
    agenda_item_id: UUID | None = None


class MinutesCommentView(BaseModel):
    """A comment of an attendee on circulated minutes."""

    author_name: str
    text: str
    at: datetime


class AmendmentView(BaseModel):
    """A correction to approved minutes, recorded beside them (they are never edited)."""

    author_name: str
    reason: str
    text: str
    at: datetime


class MinutesView(BaseModel):
    """A meeting's minutes and where they stand: drafted, circulated for comment, approved (locked)."""

    state: MinutesState = "none"
    text: str = ""
    items: list[MinutesItemView] = Field(default_factory=list)
    comments_by: date | None = None
    comments: list[MinutesCommentView] = Field(default_factory=list)
    approved_at: datetime | None = None
    amendments: list[AmendmentView] = Field(default_factory=list)


class Quorum(BaseModel):
    """Whether the people recorded as present make the meeting quorate, and the rule in words."""

    met: bool
    rule: str


class MeetingDetail(MeetingSummary):
    """A meeting as its page shows it, with what the caller may do (decided by the service)."""

    partnership_id: UUID
    review_reference: str
    kind_label: str
    ends_at: datetime
    place: str
    online_link: str
    chair_id: str
    chair_name: str
    sequence: int
    agenda: list[AgendaItemView]
    invitees: list[InviteeView]
    papers: list[PaperView]
    minutes: MinutesView
    quorum: Quorum
    warnings: list[str] = Field(default_factory=list)
    may_manage: bool = False
    may_reply: bool = False
    my_reply: ReplyKind | None = None
    may_comment: bool = False
    may_approve: bool = False
    may_see_papers: bool = False


class CalendarEntry(BaseModel):
    """A meeting in the partnership's calendar, and the people it shares with another meeting at that time."""

    id: UUID
    review_id: UUID
    review_reference: str
    kind: MeetingKind
    kind_label: str
    starts_at: datetime
    ends_at: datetime
    status: MeetingStatus
    clashes_with: list[UUID] = Field(default_factory=list)
    clash_names: list[str] = Field(default_factory=list)


class FamilyContactView(BaseModel):
    """One contact with the family, as the business manager and the independent reviewer read it."""

    id: UUID
    review_ids: list[UUID]
    contacted_on: date
    family_member: str
    method: str
    through_professional: str
    consent: bool
    wishes: str
    outcome: str
    wants_report_before_publication: bool
    recorded_at: datetime


class PaperFile(BaseModel):
    """A paper's bytes for download (base64), with the name and type it is served with."""

    filename: str
    media_type: str
    content_base64: str


# -- what callers send --------------------------------------------------------------------------------------


class Invitee(BaseModel):
    """Someone to invite: their account (the gateway names them from the partnership's people)."""

    user_id: ShortText
    name: ShortText
    role: ShortText = ""


class Participant(BaseModel):
    """A practitioner taking part without an account (a practitioner learning event's): named and recorded,
    sent nothing by the system."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: ShortText = ""


class AgendaItem(BaseModel):
    """An agenda item to be discussed, and who leads it."""

    title: Annotated[str, Field(min_length=1, max_length=300)]
    owner_id: ShortText | None = None

    _strip = field_validator("title")(_stripped)


class MeetingPlan(BaseModel):
    """When and where a meeting is, who chairs it, its agenda and whom it invites (times in UK time: a
    naive time is read as Europe/London)."""

    kind: MeetingKind
    starts_at: datetime
    ends_at: datetime
    place: ShortText = ""
    online_link: Annotated[str, Field(max_length=500)] = ""
    chair_id: ShortText
    agenda: list[AgendaItem] = Field(default_factory=list, max_length=50)
    invitees: list[Invitee] = Field(default_factory=list, max_length=100)
    participants: list[Participant] = Field(default_factory=list, max_length=200)


class ScheduleMeeting(MeetingPlan):
    """A new meeting of a review. `review_reference` is the review's title as forms keeps it (the only thing
    about the review the invitation carries); `report_due_on` the rapid review report's date on its clock,
    for the warning when a rapid review meeting is too late."""

    review_id: UUID
    review_reference: ShortText
    report_due_on: date | None = None


class ChangeMeeting(MeetingPlan):
    """A meeting changed: every attendee is sent the update (a higher SEQUENCE)."""

    report_due_on: date | None = None


class Reply(BaseModel):
    """An invitee's reply; a deputy's name when sending one."""

    reply: ReplyKind
    deputy_name: ShortText | None = None


class Attendance(BaseModel):
    """Who came, and who sent apologies, by user id (everyone else is recorded absent)."""

    present: list[ShortText] = Field(default_factory=list, max_length=100)
    apologies: list[ShortText] = Field(default_factory=list, max_length=100)


class NewPaper(BaseModel):
    """A paper uploaded: its name, the bytes as base64, and the agenda item it belongs to (if any)."""

    filename: ShortText
    content_base64: str
    agenda_item_id: UUID | None = None


class MinutesItem(BaseModel):
    """A decision or an action arising; an action has an owner and a date."""

    kind: Literal["decision", "action"]
    what: Annotated[str, Field(min_length=1, max_length=2000)]
    owner_id: ShortText | None = None
    due_on: date | None = None
    agenda_item_id: UUID | None = None


class MinutesDraft(BaseModel):
    """The minutes as drafted: the text against the agenda, and the decisions and actions arising."""

    text: LongText
    items: list[MinutesItem] = Field(default_factory=list, max_length=100)


class Circulation(BaseModel):
    """Minutes sent to the attendees for comment by a date."""

    comments_by: date


class MinutesComment(BaseModel):
    """An attendee's comment on circulated minutes."""

    text: Annotated[str, Field(min_length=1, max_length=5000)]


class Amendment(BaseModel):
    """A correction to approved minutes: why, and what it corrects."""

    reason: Annotated[str, Field(min_length=1, max_length=1000)]
    text: Annotated[str, Field(min_length=1, max_length=5000)]


class FamilyContact(BaseModel):
    """A contact with the family: who, when, how, through which professional they know, consent, what they
    want from the review, the outcome, and whether they wish to see the report before publication.
    `linked_review_ids`: other reviews of the same incident that the record serves too."""

    contacted_on: date
    family_member: Annotated[str, Field(min_length=1, max_length=200)]
    method: Annotated[str, Field(min_length=1, max_length=100)]
    through_professional: ShortText = ""
    consent: bool
    wishes: LongText = ""
    outcome: LongText = ""
    wants_report_before_publication: bool = False
    linked_review_ids: list[UUID] = Field(default_factory=list, max_length=10)


ScheduleCommand = Annotated[ScheduleMeeting, Refused("The meeting")]
ChangeCommand = Annotated[ChangeMeeting, Refused("The meeting")]
ReplyCommand = Annotated[Reply, Refused("The reply")]
AttendanceCommand = Annotated[Attendance, Refused("The attendance")]
PaperCommand = Annotated[NewPaper, Refused("The paper")]
MinutesCommand = Annotated[MinutesDraft, Refused("The minutes")]
CirculationCommand = Annotated[Circulation, Refused("The circulation")]
CommentCommand = Annotated[MinutesComment, Refused("The comment")]
AmendmentCommand = Annotated[Amendment, Refused("The amendment")]
FamilyContactCommand = Annotated[FamilyContact, Refused("The family contact")]
CalendarDay = Annotated[date, Refused("The calendar")]


# -- events -------------------------------------------------------------------------------------------------


class MeetingInvitation(BaseModel):
    """What an invitation, an update or a cancellation tells: enough for a calendar entry (RFC 5545) and
    nothing about the case. `meeting_id` is the calendar UID's stem; `sequence` rises on every change."""

    meeting_id: UUID
    review_id: UUID
    review_reference: str
    kind: MeetingKind
    kind_label: str
    starts_at: datetime
    ends_at: datetime
    place: str
    online_link: str
    sequence: int
    organizer_id: str
    invitee_ids: list[str]


class MeetingScheduled(MeetingInvitation, EventData):
    """A meeting was scheduled and its invitees are to be invited."""

    event_type: ClassVar[str] = "meetings.meeting_scheduled"


class MeetingUpdated(MeetingInvitation, EventData):
    """A meeting's time, place, agenda or invitees changed (`sequence` is higher than before)."""

    event_type: ClassVar[str] = "meetings.meeting_updated"


class MeetingCancelled(MeetingInvitation, EventData):
    """A meeting was cancelled; its invitees' calendars are told (METHOD:CANCEL)."""

    event_type: ClassVar[str] = "meetings.meeting_cancelled"


class MeetingReminderDue(EventData):
    """A meeting is the next day: its invitees who have not declined are reminded."""

    event_type: ClassVar[str] = "meetings.meeting_reminder_due"

    meeting_id: UUID
    review_id: UUID
    starts_at: datetime
    invitee_ids: list[str]


class ReplyReceived(EventData):
    """An invitee replied; `replaced` when it replaces an earlier reply (the later one wins)."""

    event_type: ClassVar[str] = "meetings.reply_received"

    meeting_id: UUID
    review_id: UUID
    user_id: str
    reply: ReplyKind
    replaced: bool
    organizer_id: str


class AttendanceRecorded(EventData):
    """Attendance was recorded on the day: how many came, sent apologies, and whether it was quorate."""

    event_type: ClassVar[str] = "meetings.attendance_recorded"

    meeting_id: UUID
    review_id: UUID
    kind: MeetingKind
    present: int
    apologies: int
    quorate: bool


class MinutesCirculated(EventData):
    """Drafted minutes were sent to those who attended, for comment by a date."""

    event_type: ClassVar[str] = "meetings.minutes_circulated"

    meeting_id: UUID
    review_id: UUID
    attendee_ids: list[str]
    comments_due_on: date


class MinutesApproved(EventData):
    """The chair approved a meeting's minutes, which are now locked. The forms service completes the rapid
    review meeting step from it, with `held_on`."""

    event_type: ClassVar[str] = "meetings.minutes_approved"

    meeting_id: UUID
    review_id: UUID
    kind: MeetingKind
    held_on: date
    decisions: int
    actions: int


class DecisionRecorded(EventData):
    """A decision in approved minutes."""

    event_type: ClassVar[str] = "meetings.decision_recorded"

    meeting_id: UUID
    review_id: UUID
    decision_id: UUID


class ActionAgreed(EventData):
    """An action arising, in approved minutes: what, who, by when. The actions service takes it up."""

    event_type: ClassVar[str] = "meetings.action_agreed"

    meeting_id: UUID
    review_id: UUID
    action_item_id: UUID
    what: str
    owner_id: str | None
    due_on: date | None


class FamilyContactRecorded(EventData):
    """A contact with the family was recorded for one review or several linked ones (no detail travels)."""

    event_type: ClassVar[str] = "meetings.family_contact_recorded"

    contact_id: UUID
    review_ids: list[UUID]
    contacted_on: date


EVENTS: tuple[type[EventData], ...] = (
    MeetingScheduled,
    MeetingUpdated,
    MeetingCancelled,
    MeetingReminderDue,
    ReplyReceived,
    AttendanceRecorded,
    MinutesCirculated,
    MinutesApproved,
    DecisionRecorded,
    ActionAgreed,
    FamilyContactRecorded,
)


# -- the RPCs -----------------------------------------------------------------------------------------------


class Meetings(RemoteService):
    """Meetings of reviews: rapid review meetings, panels, practitioner events, sign-offs; family contact.

    The service implements each with the same signature (services/meetings/service.py);
    tests/unit/test_contracts.py proves the two agree. Every RPC checks who may see or do what
    (services/meetings/policy.py): a meeting the caller may not see is not found.
    """

    service = SERVICE

    async def meetings_of_review(self, actor: Actor, review_id: ReviewId) -> list[MeetingSummary]:
        """A review's meetings the caller may see, soonest first; NotFound if the caller may not see the
        review at all. Agency people, sub-group members and action owners see the meetings they are invited
        to only."""
        raise NotImplementedError

    async def calendar(self, actor: Actor, from_on: CalendarDay, to_on: CalendarDay) -> list[CalendarEntry]:
        """The meetings the caller may see between two days (UK), across the partnership's reviews, each
        with the meetings it clashes with for the same people."""
        raise NotImplementedError

    async def get_meeting(self, actor: Actor, meeting_id: MeetingId) -> MeetingDetail:
        """One meeting; NotFound unless the caller may see it."""
        raise NotImplementedError

    async def schedule_meeting(self, actor: Actor, command: ScheduleCommand) -> MeetingDetail:
        """Schedule a meeting of a review (the business manager): refused in the past or ending before it
        starts; warned on a non-working day, or a rapid review meeting too close to the report's date.
        Emits meetings.meeting_scheduled (the invitations)."""
        raise NotImplementedError

    async def update_meeting(
        self, actor: Actor, meeting_id: MeetingId, command: ChangeCommand
    ) -> MeetingDetail:
        """Change a meeting (the business manager); Conflict once cancelled or held. Emits
        meetings.meeting_updated with a higher sequence."""
        raise NotImplementedError

    async def cancel_meeting(self, actor: Actor, meeting_id: MeetingId) -> MeetingDetail:
        """Cancel a meeting (the business manager); emits meetings.meeting_cancelled."""
        raise NotImplementedError

    async def reply(self, actor: Actor, meeting_id: MeetingId, command: ReplyCommand) -> MeetingDetail:
        """An invitee's reply (the later one wins, every one is kept); Forbidden for anyone not invited."""
        raise NotImplementedError

    async def record_attendance(
        self, actor: Actor, meeting_id: MeetingId, command: AttendanceCommand
    ) -> MeetingDetail:
        """Record who came and who sent apologies (the business manager or the chair); the meeting is held."""
        raise NotImplementedError

    async def add_paper(self, actor: Actor, meeting_id: MeetingId, command: PaperCommand) -> MeetingDetail:
        """Upload a paper (the business manager, the chair or an agenda item's owner), checked by content
        (services/kernel/uploads.py): FileRefused lists every problem; nothing is stored then."""
        raise NotImplementedError

    async def paper_file(self, actor: Actor, meeting_id: MeetingId, paper_id: PaperId) -> PaperFile:
        """A paper's bytes, for someone invited or with a part in the review; NotFound otherwise."""
        raise NotImplementedError

    async def save_minutes(
        self, actor: Actor, meeting_id: MeetingId, command: MinutesCommand
    ) -> MeetingDetail:
        """Draft (or redraft) the minutes, with decisions and actions arising; Conflict once approved."""
        raise NotImplementedError

    async def circulate_minutes(
        self, actor: Actor, meeting_id: MeetingId, command: CirculationCommand
    ) -> MeetingDetail:
        """Send the drafted minutes to the attendees for comment by a date."""
        raise NotImplementedError

    async def comment_on_minutes(
        self, actor: Actor, meeting_id: MeetingId, command: CommentCommand
    ) -> MeetingDetail:
        """An attendee's comment on circulated minutes (by the deadline)."""
        raise NotImplementedError

    async def approve_minutes(self, actor: Actor, meeting_id: MeetingId) -> MeetingDetail:
        """The chair approves the minutes, which are locked; emits meetings.minutes_approved and each
        decision and action arising."""
        raise NotImplementedError

    async def amend_minutes(
        self, actor: Actor, meeting_id: MeetingId, command: AmendmentCommand
    ) -> MeetingDetail:
        """A correction to approved minutes, recorded beside them (the business manager or the chair)."""
        raise NotImplementedError

    async def family_contacts(self, actor: Actor, review_id: ReviewId) -> list[FamilyContactView]:
        """The family contacts of a review (also those recorded on a linked review), newest first: the
        business manager and the review's independent reviewer only; NotFound for anyone else."""
        raise NotImplementedError

    async def record_family_contact(
        self, actor: Actor, review_id: ReviewId, command: FamilyContactCommand
    ) -> list[FamilyContactView]:
        """Record a contact with the family, for the review and any linked reviews; emits
        meetings.family_contact_recorded."""
        raise NotImplementedError
