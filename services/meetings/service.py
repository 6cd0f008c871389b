"""The meetings service's entrypoints: each hands its typed arguments to a handler (contract.Meetings)."""

from __future__ import annotations

from typing import Any

from services.kernel.entrypoints import event_handler, rpc, timer
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork
from services.meetings import handlers
from services.meetings.contract import (
    SERVICE,
    AmendmentCommand,
    AttendanceCommand,
    CalendarDay,
    CalendarEntry,
    ChangeCommand,
    CirculationCommand,
    CommentCommand,
    FamilyContactCommand,
    FamilyContactView,
    MeetingDetail,
    MeetingId,
    MeetingSummary,
    MinutesCommand,
    PaperCommand,
    PaperFile,
    PaperId,
    ReplyCommand,
    ReviewId,
    ScheduleCommand,
)
from services.meetings.models import Base

REMINDER_INTERVAL_S = 300


class MeetingsService(ServiceBase):
    """Rapid review meetings, panels, practitioner events and sign-offs; the family's contacts."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]

    @rpc
    def meetings_of_review(self, actor: Actor, review_id: ReviewId) -> list[MeetingSummary]:
        """A review's meetings the caller may see, soonest first."""
        return handlers.meetings_of_review(self.uow, actor, review_id)

    @rpc
    def calendar(self, actor: Actor, from_on: CalendarDay, to_on: CalendarDay) -> list[CalendarEntry]:
        """The meetings the caller may see between two days, with clashes."""
        return handlers.calendar(self.uow, actor, from_on, to_on)

    @rpc
    def get_meeting(self, actor: Actor, meeting_id: MeetingId) -> MeetingDetail:
        """One meeting."""
        return handlers.get_meeting(self.uow, actor, meeting_id)

    @rpc(command=True)
    def schedule_meeting(self, actor: Actor, command: ScheduleCommand) -> MeetingDetail:
        """Schedule a meeting of a review."""
        return handlers.schedule_meeting(self.uow, actor, command)

    @rpc(command=True)
    def update_meeting(self, actor: Actor, meeting_id: MeetingId, command: ChangeCommand) -> MeetingDetail:
        """Change a meeting."""
        return handlers.update_meeting(self.uow, actor, meeting_id, command)

    @rpc(command=True)
    def cancel_meeting(self, actor: Actor, meeting_id: MeetingId) -> MeetingDetail:
        """Cancel a meeting."""
        return handlers.cancel_meeting(self.uow, actor, meeting_id)

    @rpc(command=True)
    def reply(self, actor: Actor, meeting_id: MeetingId, command: ReplyCommand) -> MeetingDetail:
        """An invitee's reply."""
        return handlers.reply(self.uow, actor, meeting_id, command)

    @rpc(command=True)
    def record_attendance(
        self, actor: Actor, meeting_id: MeetingId, command: AttendanceCommand
    ) -> MeetingDetail:
        """Record who came."""
        return handlers.record_attendance(self.uow, actor, meeting_id, command)

    @rpc(command=True)
    def add_paper(self, actor: Actor, meeting_id: MeetingId, command: PaperCommand) -> MeetingDetail:
        """Upload a paper."""
        return handlers.add_paper(self.uow, actor, meeting_id, command)

    @rpc
    def paper_file(self, actor: Actor, meeting_id: MeetingId, paper_id: PaperId) -> PaperFile:
        """A paper's bytes."""
        return handlers.paper_file(self.uow, actor, meeting_id, paper_id)

    @rpc(command=True)
    def save_minutes(self, actor: Actor, meeting_id: MeetingId, command: MinutesCommand) -> MeetingDetail:
        """Draft the minutes."""
        return handlers.save_minutes(self.uow, actor, meeting_id, command)

    @rpc(command=True)
    def circulate_minutes(
        self, actor: Actor, meeting_id: MeetingId, command: CirculationCommand
    ) -> MeetingDetail:
        """Circulate the minutes for comment."""
        return handlers.circulate_minutes(self.uow, actor, meeting_id, command)

    @rpc(command=True)
    def comment_on_minutes(
        self, actor: Actor, meeting_id: MeetingId, command: CommentCommand
    ) -> MeetingDetail:
        """Comment on circulated minutes."""
        return handlers.comment_on_minutes(self.uow, actor, meeting_id, command)

    @rpc(command=True)
    def approve_minutes(self, actor: Actor, meeting_id: MeetingId) -> MeetingDetail:
        """Approve and lock the minutes."""
        return handlers.approve_minutes(self.uow, actor, meeting_id)

    @rpc(command=True)
    def amend_minutes(self, actor: Actor, meeting_id: MeetingId, command: AmendmentCommand) -> MeetingDetail:
        """Record an amendment to approved minutes."""
        return handlers.amend_minutes(self.uow, actor, meeting_id, command)

    @rpc
    def family_contacts(self, actor: Actor, review_id: ReviewId) -> list[FamilyContactView]:
        """A review's family contacts."""
        return handlers.family_contacts(self.uow, actor, review_id)

    @rpc(command=True)
    def record_family_contact(
        self, actor: Actor, review_id: ReviewId, command: FamilyContactCommand
    ) -> list[FamilyContactView]:
        """Record a contact with the family."""
        return handlers.record_family_contact(self.uow, actor, review_id, command)

    @event_handler("forms", "review_opened")
    def learn_opened_review(self, message: dict[str, Any]) -> None:
        """A review was opened: which partnership holds it."""
        handlers.learn_review(self.uow, Envelope.model_validate(message))

    @event_handler("forms", "review_restated")
    def learn_restated_review(self, message: dict[str, Any]) -> None:
        """forms restated a review (after an upgrade): which partnership holds it."""
        handlers.learn_review(self.uow, Envelope.model_validate(message))

    @timer(interval=REMINDER_INTERVAL_S)
    def remind(self) -> None:
        """Remind the invitees of the next day's meetings (each meeting once, whichever process finds it)."""
        handlers.send_reminders(self.uow)
