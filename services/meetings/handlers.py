"""The meetings use cases. Each takes the worker's unit of work (one transaction, committed by the entrypoint
before it replies), the typed arguments and, last, the store (the tables, unless a test hands in a fake).
Each checks the policy, asks the domain, stores, and emits its events through the outbox."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from services.kernel.calendar import ENGLAND, today_in_england
from services.kernel.errors import Conflict, InvalidRequest, NotFound
from services.kernel.events import Envelope
from services.kernel.identity import Actor, Role
from services.kernel.uploads import check_upload
from services.meetings import domain, models, policy
from services.meetings.contract import (
    KIND_LABELS,
    ActionAgreed,
    Amendment,
    Attendance,
    AttendanceRecorded,
    CalendarEntry,
    ChangeMeeting,
    Circulation,
    DecisionRecorded,
    FamilyContact,
    FamilyContactRecorded,
    FamilyContactView,
    MeetingCancelled,
    MeetingDetail,
    MeetingReminderDue,
    MeetingScheduled,
    MeetingSummary,
    MeetingUpdated,
    MinutesApproved,
    MinutesCirculated,
    MinutesComment,
    MinutesDraft,
    NewPaper,
    PaperFile,
    Reply,
    ReplyReceived,
    ScheduleMeeting,
)
from services.meetings.domain import Meeting
from services.meetings.repository import MeetingStore, MeetingTables, ReviewMeetings

# A paper's largest size; the gateway refuses a larger body before it reaches the service.
MAX_PAPER_BYTES = 20 * 1024 * 1024
LONGEST_CALENDAR = timedelta(days=400)


def _store(uow: Any, store: Any) -> Any:
    return MeetingTables(uow.session) if store is None else store


def _now() -> datetime:
    return datetime.now(UTC)


def _emit(uow: Any, meeting: Meeting, payload: Any, actor: Actor) -> None:
    uow.emit(
        payload, partnership_id=meeting.partnership_id, review_id=meeting.review_id, actor_id=actor.user_id
    )


def _invitation(meeting: Meeting) -> dict[str, Any]:
    return {
        "meeting_id": meeting.id,
        "review_id": meeting.review_id,
        "review_reference": meeting.review_reference,
        "kind": meeting.kind,
        "kind_label": KIND_LABELS[meeting.kind],
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends,
        "place": meeting.place,
        "online_link": meeting.online_link,
        "sequence": meeting.sequence,
        "organizer_id": meeting.organizer_id,
        "invitee_ids": domain.account_holders(meeting),
    }


def _detail(
    actor: Actor, meeting: Meeting, store: MeetingStore, warnings: list[str] | None = None
) -> MeetingDetail:
    return domain.detail(
        meeting,
        store.papers(meeting.id),
        viewer=actor.user_id,
        may_manage=policy.manages(actor, meeting.partnership_id),
        may_see_papers=policy.may_see_meeting(actor, meeting),
        today=today_in_england(),
        warnings=warnings,
    )


def _seen(actor: Actor, store: MeetingStore, meeting_id: UUID, *, lock: bool = False) -> Meeting:
    return policy.check_sees_meeting(actor, store.get(meeting_id, lock=lock))


# -- reading -------------------------------------------------------------------------------------------------


def meetings_of_review(
    uow: Any, actor: Actor, review_id: UUID, meetings: ReviewMeetings | None = None
) -> list[MeetingSummary]:
    """A review's meetings the caller may see, soonest first: NotFound for a caller who could see the review
    in no partnership; empty for one whose partnership does not hold it (policy)."""
    # Before any read: refuse whom the review would not be shown to whichever partnership held it.
    policy.check_may_see_review(actor, review_id, holder=None)
    held = (MeetingTables(uow.session) if meetings is None else meetings).of_review(review_id)
    if not policy.may_see_review(actor, review_id, domain.holder(held)):
        # Another partnership's review reads exactly as one with no meetings here: its existence is not told.
        return []
    return [meeting.summary() for meeting in domain.in_order(held) if policy.may_see_meeting(actor, meeting)]


def calendar(
    uow: Any, actor: Actor, from_on: date, to_on: date, store: MeetingStore | None = None
) -> list[CalendarEntry]:
    """The meetings the caller may see between two UK days (inclusive), with their clashes for the same
    people (clashes are found among every meeting of the partnership, shown only on meetings one sees)."""
    if to_on < from_on or to_on - from_on > LONGEST_CALENDAR:
        raise InvalidRequest(
            "The calendar has problems",
            problems=[{"field": "to_on", "message": "Choose an end on or after the start, within 400 days"}],
        )
    if actor.partnership_id is None and "system" not in actor.roles:
        return []
    store = _store(uow, store)
    starts = datetime.combine(from_on, time(0), ENGLAND).astimezone(UTC)
    ends = datetime.combine(to_on + timedelta(days=1), time(0), ENGLAND).astimezone(UTC)
    every = store.between(actor.partnership_id, starts, ends)
    seen = {meeting.id for meeting in every if policy.may_see_meeting(actor, meeting)}
    entries = domain.calendar(every)
    return [
        entry.model_copy(update={"clashes_with": [i for i in entry.clashes_with if i in seen]})
        for entry in entries
        if entry.id in seen
    ]


def get_meeting(uow: Any, actor: Actor, meeting_id: UUID, store: MeetingStore | None = None) -> MeetingDetail:
    """One meeting the caller may see."""
    store = _store(uow, store)
    return _detail(actor, _seen(actor, store, meeting_id), store)


# -- scheduling ----------------------------------------------------------------------------------------------


def schedule_meeting(
    uow: Any, actor: Actor, command: ScheduleMeeting, store: MeetingStore | None = None
) -> MeetingDetail:
    """Schedule a meeting of a review the caller's partnership holds; emits meetings.meeting_scheduled."""
    policy.check_may_see_review(actor, command.review_id, holder=None)
    if actor.partnership_id is None:
        raise NotFound("No such review")
    policy.check_manages(actor, actor.partnership_id, "schedule meetings")
    store = _store(uow, store)
    if _holder(actor, store, command.review_id) != actor.partnership_id:
        raise NotFound("No such review")
    meeting, warnings = domain.schedule(
        command,
        review_id=command.review_id,
        partnership_id=actor.partnership_id,
        review_reference=command.review_reference,
        report_due_on=command.report_due_on,
        organizer_id=actor.user_id,
        now=_now(),
        past=actor.has_role(Role.SYSTEM),
    )
    store.add(meeting)
    _emit(uow, meeting, MeetingScheduled(**_invitation(meeting)), actor)
    return _detail(actor, meeting, store, warnings)


def update_meeting(
    uow: Any, actor: Actor, meeting_id: UUID, command: ChangeMeeting, store: MeetingStore | None = None
) -> MeetingDetail:
    """Change a scheduled meeting; emits meetings.meeting_updated (a higher sequence)."""
    store = _store(uow, store)
    meeting = _seen(actor, store, meeting_id, lock=True)
    policy.check_manages(actor, meeting.partnership_id, "change meetings")
    warnings = domain.change(meeting, command, command.report_due_on, _now())
    store.save(meeting)
    _emit(uow, meeting, MeetingUpdated(**_invitation(meeting)), actor)
    return _detail(actor, meeting, store, warnings)


def cancel_meeting(
    uow: Any, actor: Actor, meeting_id: UUID, store: MeetingStore | None = None
) -> MeetingDetail:
    """Cancel a scheduled meeting; emits meetings.meeting_cancelled."""
    store = _store(uow, store)
    meeting = _seen(actor, store, meeting_id, lock=True)
    policy.check_manages(actor, meeting.partnership_id, "cancel meetings")
    domain.cancel(meeting)
    store.save(meeting)
    _emit(uow, meeting, MeetingCancelled(**_invitation(meeting)), actor)
    return _detail(actor, meeting, store)


# -- replies and attendance ----------------------------------------------------------------------------------


def reply(
    uow: Any, actor: Actor, meeting_id: UUID, command: Reply, store: MeetingStore | None = None
) -> MeetingDetail:
    """An invitee's reply: the later one wins, every one is recorded; emits meetings.reply_received."""
    store = _store(uow, store)
    meeting = _seen(actor, store, meeting_id, lock=True)
    replaced = domain.reply(meeting, actor.user_id, command.reply, command.deputy_name, _now())
    store.save(meeting)
    _emit(
        uow,
        meeting,
        ReplyReceived(
            meeting_id=meeting.id,
            review_id=meeting.review_id,
            user_id=actor.user_id,
            reply=command.reply,
            replaced=replaced,
            organizer_id=meeting.organizer_id,
        ),
        actor,
    )
    return _detail(actor, meeting, store)


def record_attendance(
    uow: Any, actor: Actor, meeting_id: UUID, command: Attendance, store: MeetingStore | None = None
) -> MeetingDetail:
    """Who came and who sent apologies; the meeting is held. Emits meetings.attendance_recorded."""
    store = _store(uow, store)
    meeting = _seen(actor, store, meeting_id, lock=True)
    policy.check_manages_or_chairs(actor, meeting, "record attendance")
    domain.record_attendance(meeting, command.present, command.apologies, _now())
    store.save(meeting)
    _emit(
        uow,
        meeting,
        AttendanceRecorded(
            meeting_id=meeting.id,
            review_id=meeting.review_id,
            kind=meeting.kind,
            present=sum(1 for person in meeting.invitees if person.attended),
            apologies=sum(1 for person in meeting.invitees if person.apologies),
            quorate=domain.quorum(meeting).met,
        ),
        actor,
    )
    return _detail(actor, meeting, store)


# -- papers --------------------------------------------------------------------------------------------------


def add_paper(
    uow: Any, actor: Actor, meeting_id: UUID, command: NewPaper, store: MeetingStore | None = None
) -> MeetingDetail:
    """A paper, checked by content before anything is kept: the checker's FileRefused names every problem."""
    store = _store(uow, store)
    meeting = _seen(actor, store, meeting_id, lock=True)
    if meeting.status == "cancelled":
        raise Conflict("This meeting was cancelled: papers cannot be added to it")
    if command.agenda_item_id is not None and all(
        item.id != command.agenda_item_id for item in meeting.agenda
    ):
        raise InvalidRequest(
            "The paper has problems", problems=[{"field": "agenda_item_id", "message": "No such agenda item"}]
        )
    policy.check_may_add_paper(actor, meeting, command.agenda_item_id)
    try:
        content = base64.b64decode(command.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(
            "The paper has problems", problems=[{"field": "file", "message": "The file did not arrive whole"}]
        ) from None
    checked = check_upload(content, command.filename, max_bytes=MAX_PAPER_BYTES)
    store.add_paper(
        models.PaperRecord(
            id=uuid.uuid4(),
            meeting_id=meeting.id,
            agenda_item_id=command.agenda_item_id,
            filename=checked.filename,
            kind=checked.kind.value,
            media_type=checked.media_type,
            size_bytes=checked.size_bytes,
            sha256=checked.sha256,
            store_key="",
            uploaded_by=actor.user_id,
            uploaded_at=_now(),
        ),
        content,
    )
    return _detail(actor, meeting, store)


def paper_file(
    uow: Any, actor: Actor, meeting_id: UUID, paper_id: UUID, store: MeetingStore | None = None
) -> PaperFile:
    """A paper's bytes, for whoever may see the meeting (the gateway audits every download)."""
    store = _store(uow, store)
    meeting = _seen(actor, store, meeting_id)
    found = store.paper(meeting.id, paper_id)
    if found is None:
        raise NotFound("No such paper")
    record, content = found
    return PaperFile(
        filename=record.filename,
        media_type=record.media_type,
        content_base64=base64.b64encode(content).decode("ascii"),
    )


# -- minutes -------------------------------------------------------------------------------------------------


def save_minutes(
    uow: Any, actor: Actor, meeting_id: UUID, command: MinutesDraft, store: MeetingStore | None = None
) -> MeetingDetail:
    """Draft or redraft the minutes (the business manager or the chair); refused once approved."""
    store = _store(uow, store)
    meeting = _seen(actor, store, meeting_id, lock=True)
    policy.check_manages_or_chairs(actor, meeting, "draft the minutes")
    domain.draft_minutes(meeting, command.text, command.items)
    store.save(meeting)
    return _detail(actor, meeting, store)


def circulate_minutes(
    uow: Any, actor: Actor, meeting_id: UUID, command: Circulation, store: MeetingStore | None = None
) -> MeetingDetail:
    """Send the draft to the attendees for comment by a date."""
    store = _store(uow, store)
    meeting = _seen(actor, store, meeting_id, lock=True)
    policy.check_manages_or_chairs(actor, meeting, "circulate the minutes")
    domain.circulate(meeting, command.comments_by, today_in_england())
    store.save(meeting)
    attendees = [
        p.user_id for p in meeting.invitees if p.attended and not p.guest and p.user_id != actor.user_id
    ]
    _emit(
        uow,
        meeting,
        MinutesCirculated(
            meeting_id=meeting.id,
            review_id=meeting.review_id,
            attendee_ids=attendees,
            comments_due_on=command.comments_by,
        ),
        actor,
    )
    return _detail(actor, meeting, store)


def comment_on_minutes(
    uow: Any, actor: Actor, meeting_id: UUID, command: MinutesComment, store: MeetingStore | None = None
) -> MeetingDetail:
    """An attendee's comment on circulated minutes."""
    store = _store(uow, store)
    meeting = _seen(actor, store, meeting_id, lock=True)
    domain.comment(meeting, actor.user_id, command.text, _now())
    store.save(meeting)
    return _detail(actor, meeting, store)


def approve_minutes(
    uow: Any, actor: Actor, meeting_id: UUID, store: MeetingStore | None = None
) -> MeetingDetail:
    """The chair approves and locks the minutes; emits meetings.minutes_approved and each decision and
    action arising (meetings.decision_recorded, meetings.action_agreed)."""
    store = _store(uow, store)
    meeting = _seen(actor, store, meeting_id, lock=True)
    domain.approve(meeting, actor.user_id, _now())
    store.save(meeting)
    items = meeting.minutes.items
    _emit(
        uow,
        meeting,
        MinutesApproved(
            meeting_id=meeting.id,
            review_id=meeting.review_id,
            kind=meeting.kind,
            held_on=domain.uk_day(meeting.starts_at),
            decisions=sum(1 for item in items if item.kind == "decision"),
            actions=sum(1 for item in items if item.kind == "action"),
        ),
        actor,
    )
    for item in items:
        if item.kind == "decision":
            _emit(
                uow,
                meeting,
                DecisionRecorded(meeting_id=meeting.id, review_id=meeting.review_id, decision_id=item.id),
                actor,
            )
        else:
            _emit(
                uow,
                meeting,
                ActionAgreed(
                    meeting_id=meeting.id,
                    review_id=meeting.review_id,
                    action_item_id=item.id,
                    what=item.what,
                    owner_id=item.owner_id,
                    due_on=item.due_on,
                ),
                actor,
            )
    return _detail(actor, meeting, store)


def amend_minutes(
    uow: Any, actor: Actor, meeting_id: UUID, command: Amendment, store: MeetingStore | None = None
) -> MeetingDetail:
    """A correction recorded beside approved minutes."""
    store = _store(uow, store)
    meeting = _seen(actor, store, meeting_id, lock=True)
    policy.check_manages_or_chairs(actor, meeting, "amend the minutes")
    name = meeting.name_of(actor.user_id) or "The business manager"
    domain.amend(meeting, actor.user_id, name, command.reason, command.text, _now())
    store.save(meeting)
    return _detail(actor, meeting, store)


# -- reminders -----------------------------------------------------------------------------------------------


def send_reminders(uow: Any, now: datetime | None = None, store: MeetingStore | None = None) -> int:
    """Remind the invitees of the next day's meetings, once each (rows locked, a second scheduler skips them);
    emits meetings.meeting_reminder_due per meeting. Returns how many meetings were reminded."""
    now = now or _now()
    store = _store(uow, store)
    tomorrow = domain.uk_day(now) + timedelta(days=1)
    starts = datetime.combine(tomorrow, time(0), ENGLAND).astimezone(UTC)
    ends = datetime.combine(tomorrow + timedelta(days=1), time(0), ENGLAND).astimezone(UTC)
    reminded = 0
    for meeting in store.to_remind(starts, ends):
        if not domain.due_for_reminder(meeting, now):
            continue
        meeting.reminded = True
        store.save(meeting)
        uow.emit(
            MeetingReminderDue(
                meeting_id=meeting.id,
                review_id=meeting.review_id,
                starts_at=meeting.starts_at,
                invitee_ids=domain.to_remind(meeting),
            ),
            partnership_id=meeting.partnership_id,
            review_id=meeting.review_id,
            actor_id="system",
        )
        reminded += 1
    return reminded


# -- what forms tells ----------------------------------------------------------------------------------------


def learn_review(uow: Any, envelope: Envelope, store: MeetingStore | None = None) -> None:
    """Remember which partnership holds a review forms opened (or restated), once per event."""
    if envelope.review_id is None or envelope.partnership_id is None or not uow.first_delivery(envelope):
        return
    _store(uow, store).keep_review(envelope.review_id, envelope.partnership_id)


# -- the family ----------------------------------------------------------------------------------------------


def _holder(actor: Actor, store: MeetingStore, review_id: UUID) -> UUID | None:
    """The partnership holding the review; while forms' word of a new review is on its way (and nothing
    here names it), the caller's own: the gateway showed them the review through forms, which checked."""
    return store.holder_of(review_id) or actor.partnership_id


def family_contacts(
    uow: Any, actor: Actor, review_id: UUID, store: MeetingStore | None = None
) -> list[FamilyContactView]:
    """A review's family contacts (and those of linked reviews that serve it): BM and reviewer only."""
    store = _store(uow, store)
    policy.check_sees_family(actor, review_id, _holder(actor, store, review_id))
    return [
        view
        for partnership_id, view in store.family_contacts(review_id)
        if partnership_id == actor.partnership_id
    ]


def record_family_contact(
    uow: Any, actor: Actor, review_id: UUID, command: FamilyContact, store: MeetingStore | None = None
) -> list[FamilyContactView]:
    """Record a contact with the family for the review and its linked reviews; emits
    meetings.family_contact_recorded."""
    store = _store(uow, store)
    holder = _holder(actor, store, review_id)
    policy.check_sees_family(actor, review_id, holder)
    if command.contacted_on > today_in_england():
        raise InvalidRequest(
            "The family contact has problems",
            problems=[{"field": "contacted_on", "message": "The contact must be today or earlier"}],
        )
    review_ids = [
        review_id,
        *[linked for linked in dict.fromkeys(command.linked_review_ids) if linked != review_id],
    ]
    for linked in review_ids[1:]:
        # A linked review must be one whose family the caller may see too (else it is not found).
        policy.check_sees_family(actor, linked, _holder(actor, store, linked))
    contact = models.FamilyContactRecord(
        id=uuid.uuid4(),
        partnership_id=actor.partnership_id,
        review_ids=review_ids,
        contacted_on=command.contacted_on,
        family_member=command.family_member.strip(),
        method=command.method.strip(),
        through_professional=command.through_professional.strip(),
        consent=command.consent,
        wishes=command.wishes.strip(),
        outcome=command.outcome.strip(),
        wants_report_before_publication=command.wants_report_before_publication,
        recorded_by=actor.user_id,
        recorded_at=_now(),
    )
    store.add_family_contact(contact)
    uow.emit(
        FamilyContactRecorded(
            contact_id=contact.id, review_ids=review_ids, contacted_on=command.contacted_on
        ),
        partnership_id=actor.partnership_id,
        review_id=review_id,
        actor_id=actor.user_id,
    )
    return family_contacts(uow, actor, review_id, store)
