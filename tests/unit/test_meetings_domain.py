"""The rules of meetings (services/meetings/domain.py) and its use cases with a fake store: UK times, the
rapid review meeting's warning, replies, attendance and quorum, minutes from draft to locked, reminders,
clashes, and who may see what."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from services.kernel.errors import Conflict, Forbidden, InvalidRequest, NotFound
from services.kernel.identity import Actor
from services.kernel.uploads import FileRefused
from services.meetings import domain, handlers, models
from services.meetings.contract import (
    Amendment,
    Attendance,
    ChangeMeeting,
    Circulation,
    FamilyContact,
    Invitee,
    MinutesComment,
    MinutesDraft,
    MinutesItem,
    NewPaper,
    Reply,
    ScheduleMeeting,
)
from services.meetings.domain import Meeting

HOLDER, OTHER = uuid.uuid4(), uuid.uuid4()
REVIEW = uuid.uuid4()
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday
PEOPLE = [
    Invitee(user_id="chair", name="Chair Person", role="subgroup_member"),
    Invitee(user_id="police", name="Police Lead", role="agency_lead"),
    Invitee(user_id="health", name="Health Lead", role="agency_lead"),
    Invitee(user_id="la", name="LA Lead", role="agency_lead"),
]


def plan(**change: Any) -> ScheduleMeeting:
    values: dict[str, Any] = {
        "review_id": REVIEW,
        "review_reference": "NB-2026-001",
        "kind": "rapid_review_meeting",
        "starts_at": datetime(2026, 12, 9, 10, 0),
        "ends_at": datetime(2026, 12, 9, 12, 0),
        "place": "Room 1, Civic Centre",
        "chair_id": "chair",
        "invitees": PEOPLE,
        "agenda": [{"title": "Agency summaries", "owner_id": "police"}],
    }
    return ScheduleMeeting.model_validate({**values, **change})


def scheduled(**change: Any) -> Meeting:
    meeting, _ = domain.schedule(
        plan(**change),
        review_id=REVIEW,
        partnership_id=HOLDER,
        review_reference="NB-2026-001",
        report_due_on=None,
        organizer_id="bm",
        now=NOW,
    )
    return meeting


# -- scheduling ----------------------------------------------------------------------------------------------


def test_a_time_without_zone_is_uk_time_in_winter_and_in_summer() -> None:
    assert domain.in_uk_time(datetime(2026, 12, 9, 10, 0)) == datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    assert domain.in_uk_time(datetime(2026, 7, 9, 10, 0)) == datetime(2026, 7, 9, 9, 0, tzinfo=UTC)


def test_a_meeting_in_the_past_or_ending_before_it_starts_is_refused_with_every_problem() -> None:
    with pytest.raises(InvalidRequest) as refused:
        scheduled(starts_at=datetime(2026, 12, 1, 10, 0), ends_at=datetime(2026, 12, 1, 9, 0))
    fields = [problem["field"] for problem in refused.value.problems]
    assert fields == ["starts_at", "ends_at"], refused.value.problems


def test_a_chair_who_is_not_invited_and_a_meeting_with_nowhere_to_be_are_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        scheduled(chair_id="stranger", place="")
    assert {problem["field"] for problem in refused.value.problems} == {"chair_id", "place"}


def test_a_start_on_a_non_working_day_is_warned_and_allowed() -> None:
    warnings = domain.warnings_for("panel", datetime(2026, 12, 26, 10, 0, tzinfo=UTC), None)
    assert warnings == ["Saturday 26 December 2026 is not a working day"]


def test_a_rapid_review_meeting_too_close_to_the_report_date_is_warned() -> None:
    meeting_day = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    assert domain.warnings_for("rapid_review_meeting", meeting_day, date(2026, 12, 14)) == []
    (warning,) = domain.warnings_for("rapid_review_meeting", meeting_day, date(2026, 12, 11))
    assert "leaves 2 working days" in warning and "3 are needed" in warning
    assert domain.warnings_for("panel", meeting_day, date(2026, 12, 10)) == []


def test_every_change_raises_the_sequence_and_a_cancelled_meeting_cannot_be_changed() -> None:
    meeting = scheduled()
    assert meeting.sequence == 0
    domain.change(meeting, ChangeMeeting.model_validate(plan(place="Room 2").model_dump()), None, NOW)
    assert (meeting.sequence, meeting.place) == (1, "Room 2")
    domain.cancel(meeting)
    assert (meeting.sequence, meeting.status) == (2, "cancelled")
    with pytest.raises(Conflict, match="cancelled"):
        domain.change(meeting, ChangeMeeting.model_validate(plan().model_dump()), None, NOW)
    with pytest.raises(Conflict):
        domain.cancel(meeting)


# -- replies, attendance, quorum -----------------------------------------------------------------------------


def test_a_reply_from_someone_not_invited_is_refused() -> None:
    with pytest.raises(Forbidden, match="Only people invited"):
        domain.reply(scheduled(), "stranger", "accepted", None, NOW)


def test_a_later_reply_wins_and_every_reply_is_recorded() -> None:
    meeting = scheduled()
    assert domain.reply(meeting, "police", "accepted", None, NOW) is False
    assert domain.reply(meeting, "police", "deputy", "D. Deputy", NOW + timedelta(hours=1)) is True
    person = meeting.invitee("police")
    assert person is not None and [r.reply for r in person.replies] == ["accepted", "deputy"]
    assert person.latest is not None and person.latest.deputy_name == "D. Deputy"
    with pytest.raises(InvalidRequest):
        domain.reply(meeting, "health", "deputy", "  ", NOW)


def test_attendance_is_recorded_on_the_day_and_decides_the_quorum() -> None:
    meeting = scheduled()
    with pytest.raises(Conflict, match="on the day"):
        domain.record_attendance(meeting, ["chair"], [], NOW)
    on_the_day = datetime(2026, 12, 9, 13, 0, tzinfo=UTC)
    domain.record_attendance(meeting, ["chair", "police"], ["health"], on_the_day)
    assert meeting.status == "held"
    assert not domain.quorum(meeting).met
    domain.record_attendance(meeting, ["chair", "police", "la"], ["health"], on_the_day)
    assert domain.quorum(meeting).met
    with pytest.raises(InvalidRequest):
        domain.record_attendance(meeting, ["stranger"], [], on_the_day)


def test_a_sign_off_needs_all_three_safeguarding_partners_or_their_delegates() -> None:
    partners = [Invitee(user_id=f"p{i}", name=f"Partner {i}", role="safeguarding_partner") for i in range(3)]
    meeting = scheduled(kind="executive_sign_off", invitees=partners, chair_id="p0", agenda=[])
    day = datetime(2026, 12, 9, 13, 0, tzinfo=UTC)
    domain.record_attendance(meeting, ["p0", "p1"], [], day)
    assert not domain.quorum(meeting).met
    domain.record_attendance(meeting, ["p0", "p1", "p2"], [], day)
    assert domain.quorum(meeting).met


# -- minutes -------------------------------------------------------------------------------------------------


def held() -> Meeting:
    meeting = scheduled()
    domain.record_attendance(meeting, ["chair", "police", "la"], [], datetime(2026, 12, 9, 13, 0, tzinfo=UTC))
    return meeting


def test_minutes_go_from_draft_through_comment_to_approved_and_are_then_locked() -> None:
    meeting = held()
    action = MinutesItem(
        kind="action", what="Share the strategy notes", owner_id="police", due_on=date(2027, 1, 8)
    )
    domain.draft_minutes(
        meeting, "Discussed.", [action, MinutesItem(kind="decision", what="Recommend a CSPR")]
    )
    today = date(2026, 12, 10)
    domain.circulate(meeting, date(2026, 12, 14), today)
    domain.comment(
        meeting, "police", "Add the date of the strategy meeting", datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    )
    with pytest.raises(Forbidden, match="attended"):
        domain.comment(meeting, "health", "I was not there", datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    with pytest.raises(Forbidden, match="chair"):
        domain.approve(meeting, "police", NOW)
    domain.approve(meeting, "chair", NOW)
    assert meeting.minutes.state == "approved"
    with pytest.raises(Conflict, match="locked"):
        domain.draft_minutes(meeting, "Changed after approval", [])
    domain.amend(
        meeting, "chair", "Chair Person", "Wrong date", "The strategy meeting was on 2 December", NOW
    )
    assert meeting.minutes.text == "Discussed." and len(meeting.minutes.amendments) == 1


def test_an_action_arising_needs_an_owner_and_a_date() -> None:
    with pytest.raises(InvalidRequest) as refused:
        domain.draft_minutes(held(), "x", [MinutesItem(kind="action", what="Do it")])
    assert {problem["field"] for problem in refused.value.problems} == {"items.0.owner_id", "items.0.due_on"}


def test_minutes_are_of_a_held_meeting_only() -> None:
    with pytest.raises(Conflict, match="attendance"):
        domain.draft_minutes(scheduled(), "x", [])


def test_comments_close_after_their_date() -> None:
    meeting = held()
    domain.draft_minutes(meeting, "x", [])
    domain.circulate(meeting, date(2026, 12, 10), date(2026, 12, 10))
    with pytest.raises(Conflict, match="closed"):
        domain.comment(meeting, "police", "late", datetime(2026, 12, 11, 9, 0, tzinfo=UTC))


# -- reminders and the calendar ------------------------------------------------------------------------------


def test_the_reminder_is_due_the_day_before_for_everyone_who_has_not_declined() -> None:
    meeting = scheduled()
    domain.reply(meeting, "health", "declined", None, NOW)
    assert not domain.due_for_reminder(meeting, NOW)
    assert domain.due_for_reminder(meeting, datetime(2026, 12, 8, 7, 0, tzinfo=UTC))
    assert domain.to_remind(meeting) == ["chair", "police", "la"]


def test_the_calendar_shows_clashes_for_the_same_people() -> None:
    first = scheduled()
    overlapping = scheduled(starts_at=datetime(2026, 12, 9, 11, 0), ends_at=datetime(2026, 12, 9, 13, 0))
    elsewhere = scheduled(
        starts_at=datetime(2026, 12, 9, 11, 0),
        ends_at=datetime(2026, 12, 9, 13, 0),
        invitees=[Invitee(user_id="other", name="Someone Else")],
        chair_id="other",
        agenda=[],
    )
    entries = {entry.id: entry for entry in domain.calendar([first, overlapping, elsewhere])}
    assert entries[first.id].clashes_with == [overlapping.id]
    assert "Police Lead" in entries[first.id].clash_names
    assert entries[elsewhere.id].clashes_with == []


# -- use cases with a fake store -----------------------------------------------------------------------------


class FakeStore:
    def __init__(self) -> None:
        self.meetings: dict[UUID, Meeting] = {}
        self.paper_rows: list[tuple[models.PaperRecord, bytes]] = []
        self.contacts: list[models.FamilyContactRecord] = []

    def of_review(self, review_id: UUID) -> list[Meeting]:
        return [m.model_copy(deep=True) for m in self.meetings.values() if m.review_id == review_id]

    def get(self, meeting_id: UUID, *, lock: bool = False) -> Meeting | None:
        found = self.meetings.get(meeting_id)
        return found.model_copy(deep=True) if found else None

    def add(self, meeting: Meeting) -> None:
        self.meetings[meeting.id] = meeting.model_copy(deep=True)

    save = add

    def between(self, partnership_id: UUID | None, starts: datetime, ends: datetime) -> list[Meeting]:
        return [m for m in self.meetings.values() if starts <= m.starts_at < ends]

    def to_remind(self, starts: datetime, ends: datetime) -> list[Meeting]:
        return [m.model_copy(deep=True) for m in self.between(None, starts, ends) if not m.reminded]

    def papers(self, meeting_id: UUID) -> list[Any]:
        from services.meetings.repository import paper_view

        return [paper_view(row) for row, _ in self.paper_rows if row.meeting_id == meeting_id]

    def add_paper(self, paper: models.PaperRecord, content: bytes) -> None:
        self.paper_rows.append((paper, content))

    def paper(self, meeting_id: UUID, paper_id: UUID) -> tuple[models.PaperRecord, bytes] | None:
        return next(
            ((r, c) for r, c in self.paper_rows if r.id == paper_id and r.meeting_id == meeting_id), None
        )

    def family_contacts(self, review_id: UUID) -> list[Any]:
        return []

    def add_family_contact(self, contact: models.FamilyContactRecord) -> None:
        self.contacts.append(contact)

    def holder_of(self, review_id: UUID) -> UUID | None:
        return HOLDER if review_id == REVIEW else None

    def keep_review(self, review_id: UUID, partnership_id: UUID) -> None:
        raise AssertionError("not asked here")


class FakeUnit:
    def __init__(self) -> None:
        self.emitted: list[Any] = []

    def emit(self, payload: Any, **where: Any) -> None:
        self.emitted.append(payload)


def person(
    user: str, *roles: str, partnership: UUID | None = HOLDER, reviews: tuple[UUID, ...] = ()
) -> Actor:
    return Actor(user_id=user, partnership_id=partnership, roles=frozenset(roles), reviews=frozenset(reviews))


BM = person("bm", "business_manager")


def scheduled_in(store: FakeStore, uow: FakeUnit) -> UUID:
    future = datetime.now(UTC) + timedelta(days=3)
    command = plan(starts_at=future, ends_at=future + timedelta(hours=2))
    return handlers.schedule_meeting(uow, BM, command, store).id


def test_scheduling_emits_the_invitation_and_only_the_business_manager_schedules() -> None:
    store, uow = FakeStore(), FakeUnit()
    scheduled_in(store, uow)
    (event,) = uow.emitted
    assert event.event_type == "meetings.meeting_scheduled" and event.invitee_ids == [
        "chair",
        "police",
        "health",
        "la",
    ]
    with pytest.raises(Forbidden):
        handlers.schedule_meeting(uow, person("x", "safeguarding_partner"), plan(), store)


def test_an_agency_person_sees_only_meetings_they_are_invited_to() -> None:
    store, uow = FakeStore(), FakeUnit()
    meeting_id = scheduled_in(store, uow)
    invited = person("police", "agency_lead")
    assert handlers.get_meeting(uow, invited, meeting_id, store).may_reply
    for stranger in (
        person("other", "agency_lead", reviews=(REVIEW,)),
        person("bm", "business_manager", partnership=OTHER),
    ):
        with pytest.raises(NotFound):
            handlers.get_meeting(uow, stranger, meeting_id, store)
        with pytest.raises(NotFound):
            handlers.reply(uow, stranger, meeting_id, Reply(reply="accepted"), store)


def test_a_renamed_program_is_refused_and_nothing_is_stored() -> None:
    store, uow = FakeStore(), FakeUnit()
    meeting_id = scheduled_in(store, uow)
    bad = NewPaper(
        filename="agenda.pdf", content_base64=base64.b64encode(b"MZ\x90\x00" + b"\x00" * 64).decode()
    )
    with pytest.raises(FileRefused, match="Windows program"):
        handlers.add_paper(uow, BM, meeting_id, bad, store)
    assert store.paper_rows == []


def test_a_paper_is_kept_and_given_back_only_to_those_who_may_see_the_meeting() -> None:
    from tests.unit.test_uploads import a_pdf

    store, uow = FakeStore(), FakeUnit()
    meeting_id = scheduled_in(store, uow)
    pdf = a_pdf()
    detail = handlers.add_paper(
        uow,
        BM,
        meeting_id,
        NewPaper(filename="agenda.pdf", content_base64=base64.b64encode(pdf).decode()),
        store,
    )
    (paper,) = detail.papers
    got = handlers.paper_file(uow, person("police", "agency_lead"), meeting_id, paper.id, store)
    assert base64.b64decode(got.content_base64) == pdf and got.media_type == "application/pdf"
    with pytest.raises(NotFound):
        handlers.paper_file(
            uow, person("other", "agency_author", reviews=(REVIEW,)), meeting_id, paper.id, store
        )


def test_approved_minutes_emit_the_decisions_and_actions_arising() -> None:
    store, uow = FakeStore(), FakeUnit()
    meeting = scheduled()
    meeting.starts_at = datetime.now(UTC) - timedelta(hours=2)
    store.add(meeting)
    handlers.record_attendance(uow, BM, meeting.id, Attendance(present=["chair", "police", "la"]), store)
    items = [
        MinutesItem(kind="action", what="Share the notes", owner_id="police", due_on=date(2027, 1, 8)),
        MinutesItem(kind="decision", what="Recommend a review"),
    ]
    handlers.save_minutes(uow, BM, meeting.id, MinutesDraft(text="Minutes", items=items), store)
    handlers.circulate_minutes(
        uow, BM, meeting.id, Circulation(comments_by=date.today() + timedelta(days=3)), store
    )
    handlers.comment_on_minutes(
        uow, person("police", "agency_lead"), meeting.id, MinutesComment(text="Fine"), store
    )
    handlers.approve_minutes(uow, person("chair", "subgroup_member"), meeting.id, store)
    types = [event.event_type for event in uow.emitted]
    assert types[-3:] == ["meetings.minutes_approved", "meetings.action_agreed", "meetings.decision_recorded"]
    agreed = uow.emitted[-2]
    assert (agreed.what, agreed.owner_id, agreed.due_on) == ("Share the notes", "police", date(2027, 1, 8))
    with pytest.raises(Conflict, match="locked"):
        handlers.save_minutes(uow, BM, meeting.id, MinutesDraft(text="Edited"), store)
    handlers.amend_minutes(uow, BM, meeting.id, Amendment(reason="Typo", text="Notes, not note"), store)


def test_reminders_go_once_the_day_before() -> None:
    store, uow = FakeStore(), FakeUnit()
    meeting = scheduled()
    store.add(meeting)
    the_day_before = datetime(2026, 12, 8, 7, 0, tzinfo=UTC)
    assert handlers.send_reminders(uow, the_day_before, store) == 1
    assert handlers.send_reminders(uow, the_day_before, store) == 0
    assert uow.emitted[0].event_type == "meetings.meeting_reminder_due"


def test_family_contacts_are_for_the_business_manager_and_the_reviewer_only() -> None:
    store, uow = FakeStore(), FakeUnit()
    contact = FamilyContact(
        contacted_on=date(2026, 12, 1), family_member="Mother", method="Home visit", consent=True
    )
    handlers.record_family_contact(uow, BM, REVIEW, contact, store)
    assert store.contacts and uow.emitted[0].event_type == "meetings.family_contact_recorded"
    handlers.family_contacts(uow, person("r", "independent_reviewer", reviews=(REVIEW,)), REVIEW, store)
    for refused in (
        person("p", "safeguarding_partner"),
        person("a", "agency_lead", reviews=(REVIEW,)),
        person("r", "independent_reviewer"),
        person("bm", "business_manager", partnership=OTHER),
    ):
        with pytest.raises(NotFound):
            handlers.family_contacts(uow, refused, REVIEW, store)


def test_practitioners_without_an_account_are_recorded_and_sent_nothing() -> None:
    store, uow = FakeStore(), FakeUnit()
    future = datetime.now(UTC) + timedelta(days=3)
    command = plan(
        kind="practitioner_event",
        starts_at=future,
        ends_at=future + timedelta(hours=2),
        participants=[{"name": "Sam Example", "role": "school nurse"}, {"name": "Jo Example"}],
    )
    detail = handlers.schedule_meeting(uow, BM, command, store)
    guests = [person for person in detail.invitees if person.guest]
    assert [(g.name, g.role) for g in guests] == [("Sam Example", "school nurse"), ("Jo Example", "")]
    (invitation,) = uow.emitted
    assert invitation.invitee_ids == ["chair", "police", "health", "la"], "a guest is sent nothing"
    meeting = store.meetings[detail.id]
    with pytest.raises(Forbidden):
        domain.reply(meeting, guests[0].user_id, "accepted", None, NOW)
    domain.change(meeting, ChangeMeeting.model_validate(command.model_dump()), None, NOW)
    assert [p.user_id for p in meeting.invitees if p.guest] == [g.user_id for g in guests], "kept on a change"
    domain.record_attendance(meeting, ["chair", guests[0].user_id], [], future + timedelta(minutes=5))
    assert domain.quorum(meeting).met and meeting.invitee(guests[0].user_id).attended  # type: ignore[union-attr]
    assert domain.to_remind(meeting) == ["chair", "police", "health", "la"]
