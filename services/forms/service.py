"""The forms service: the review case file. Entrypoints only: each hands its typed arguments (checked
against the contract, services/forms/contract/rpc.py, before it runs) to a handler (handlers/), which owns
the unit of work and asks the domain to decide."""

from __future__ import annotations

from typing import Any

from services.forms.contract import (
    DeadlineSetting,
    DocumentFile,
    RetentionCandidate,
    ReturnSummary,
    ReturnView,
    ReviewFile,
    ReviewListEntry,
    ReviewSummary,
    ReviewTypeInfo,
)
from services.forms.contract.names import SERVICE
from services.forms.contract.rpc import (
    AddendumCommand,
    AskAgencyCommand,
    ChronologyEpisodes,
    EarlierDay,
    EndPauseCommand,
    ExtensionCommand,
    FiguresCommand,
    OpenReviewCommand,
    PauseCommand,
    PauseId,
    PersonAsked,
    ReferCommand,
    RetentionDate,
    ReturnAnswers,
    ReturnId,
    ReviewId,
    SharedWith,
    StepAnswers,
)
from services.forms.figures import BusinessFigures
from services.forms.handlers import (
    data_protection,
    documents,
    lifecycle,
    meetings,
    returns,
    reviews,
    settings,
)
from services.forms.handlers.reviews import LIST_LIMIT
from services.forms.models import Base
from services.forms.unit_of_work import FormsUnitOfWork
from services.kernel.data_protection import PersonRecord
from services.kernel.entrypoints import event_handler, rpc
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork

__all__ = ["LIST_LIMIT", "FormsService"]


class FormsService(ServiceBase):
    """Reviews and their lifecycle: steps and forms, the statutory clock, pauses and agency returns."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]
    figures = BusinessFigures()

    # What the contract's validators need to know of this service: the review types it offers.
    validation_context = staticmethod(reviews.validation_context)

    # -- reviews ------------------------------------------------------------------------------------------

    @rpc(public=True)
    def review_types(self) -> list[ReviewTypeInfo]:
        """The review types a partnership can open (public: nothing about any case)."""
        return reviews.review_types()

    @rpc
    def open_review(
        self, actor: Actor, command: OpenReviewCommand, idempotency_key: str | None = None
    ) -> ReviewSummary:
        """Open a review; emits forms.review_opened. A repeated idempotency key returns the first answer."""
        return reviews.open_review(FormsUnitOfWork(self.uow), actor, command, idempotency_key)

    @rpc
    def get_review(self, actor: Actor, review_id: ReviewId) -> ReviewSummary:
        """One review, if the caller may read it (policy.may_read); NotFound otherwise."""
        return reviews.get_review(FormsUnitOfWork(self.uow), actor, review_id)

    @rpc
    def list_reviews(self, actor: Actor) -> list[ReviewListEntry]:
        """The reviews the caller may read, with each one's next deadline, newest first (LIST_LIMIT)."""
        return reviews.list_reviews(FormsUnitOfWork(self.uow), actor)

    @rpc
    def share_review(
        self,
        actor: Actor,
        review_id: ReviewId,
        partnership_id: SharedWith,
        idempotency_key: str | None = None,
    ) -> ReviewSummary:
        """Let another partnership read a review (policy.check_may_share); emits forms.review_shared."""
        return reviews.share_review(
            FormsUnitOfWork(self.uow), actor, review_id, partnership_id, idempotency_key
        )

    @rpc
    def get_review_file(self, actor: Actor, review_id: ReviewId) -> ReviewFile:
        """A review with its lifecycle: steps, stages, deadlines, pauses, the returns the caller may read."""
        return reviews.get_review_file(FormsUnitOfWork(self.uow), actor, review_id)

    @rpc
    def refer(self, actor: Actor, command: ReferCommand, idempotency_key: str | None = None) -> ReviewSummary:
        """Refer a possible serious incident: opens a review and completes its referral step."""
        return reviews.refer(FormsUnitOfWork(self.uow), actor, command, idempotency_key)

    # -- the lifecycle ------------------------------------------------------------------------------------

    @rpc
    def save_step(
        self,
        actor: Actor,
        review_id: ReviewId,
        step: str,
        answers: StepAnswers,
        version: int | None = None,
        idempotency_key: str | None = None,
    ) -> ReviewFile:
        """Save a step's answers as a draft, checked in full against its form; once per idempotency key."""
        return lifecycle.save_step(
            FormsUnitOfWork(self.uow), actor, review_id, step, answers, version, idempotency_key
        )

    @rpc
    def complete_step(
        self,
        actor: Actor,
        review_id: ReviewId,
        step: str,
        version: int | None = None,
        idempotency_key: str | None = None,
        completed_on: EarlierDay = None,
    ) -> ReviewFile:
        """Complete a step from its saved answers: locks them, moves the stage, emits its events.
        `completed_on`: the system only, to record a step done on an earlier day."""
        return lifecycle.complete_step(
            FormsUnitOfWork(self.uow), actor, review_id, step, version, idempotency_key, completed_on
        )

    @rpc
    def record_pause(
        self, actor: Actor, review_id: ReviewId, pause: PauseCommand, idempotency_key: str | None = None
    ) -> ReviewFile:
        """Pause a review's clock for a parallel process; emits review_paused and deadline_changed."""
        return lifecycle.record_pause(FormsUnitOfWork(self.uow), actor, review_id, pause, idempotency_key)

    @rpc(command=True)
    def end_pause(
        self, actor: Actor, review_id: ReviewId, pause_id: PauseId, command: EndPauseCommand
    ) -> ReviewFile:
        """End an open pause on a date; emits review_resumed and deadline_changed."""
        return lifecycle.end_pause(FormsUnitOfWork(self.uow), actor, review_id, pause_id, command)

    # -- agency returns -----------------------------------------------------------------------------------

    @rpc
    def ask_agency(
        self,
        actor: Actor,
        review_id: ReviewId,
        command: AskAgencyCommand,
        idempotency_key: str | None = None,
    ) -> ReviewFile:
        """Ask one more agency for a return once the rapid review has begun; emits return_requested."""
        return returns.ask_agency(FormsUnitOfWork(self.uow), actor, review_id, command, idempotency_key)

    @rpc
    def list_returns(self, actor: Actor) -> list[ReturnSummary]:
        """The returns asked of the caller's agency, soonest due first."""
        return returns.list_returns(FormsUnitOfWork(self.uow), actor)

    @rpc
    def partnership_returns(self, actor: Actor) -> list[ReturnSummary]:
        """Every agency's return across the caller's partnership's open reviews, overdue first."""
        return returns.partnership_returns(FormsUnitOfWork(self.uow), actor)

    @rpc
    def get_return(self, actor: Actor, return_id: ReturnId) -> ReturnView:
        """One return, if the caller may read it; NotFound for another agency's."""
        return returns.get_return(FormsUnitOfWork(self.uow), actor, return_id)

    @rpc(command=True)
    def save_return(
        self, actor: Actor, return_id: ReturnId, answers: ReturnAnswers, version: int | None = None
    ) -> ReturnView:
        """Save a draft of the agency's return (missing answers may wait)."""
        return returns.save_return(FormsUnitOfWork(self.uow), actor, return_id, answers, version)

    @rpc(command=True)
    def submit_return(
        self, actor: Actor, return_id: ReturnId, version: int | None = None, submitted_on: EarlierDay = None
    ) -> ReturnView:
        """Submit the saved return, complete and with its records secured; locked from then on."""
        return returns.lock_return(
            FormsUnitOfWork(self.uow), actor, return_id, version, submitted_on, nil=False
        )

    @rpc(command=True)
    def nil_return(
        self, actor: Actor, return_id: ReturnId, version: int | None = None, submitted_on: EarlierDay = None
    ) -> ReturnView:
        """Record that the agency had no involvement; locked like a submission."""
        return returns.lock_return(
            FormsUnitOfWork(self.uow), actor, return_id, version, submitted_on, nil=True
        )

    @rpc
    def add_addendum(
        self,
        actor: Actor,
        return_id: ReturnId,
        command: AddendumCommand,
        idempotency_key: str | None = None,
    ) -> ReturnView:
        """Add a correction to a submitted return; emits return_amended."""
        return returns.add_addendum(FormsUnitOfWork(self.uow), actor, return_id, command, idempotency_key)

    @rpc(command=True)
    def extend_return(self, actor: Actor, return_id: ReturnId, command: ExtensionCommand) -> ReturnView:
        """Give an agency more time, with the reason; emits return_extended."""
        return returns.extend_return(FormsUnitOfWork(self.uow), actor, return_id, command)

    # -- deadline figures, documents, data protection -----------------------------------------------------

    @rpc
    def deadline_settings(self, actor: Actor) -> list[DeadlineSetting]:
        """The caller's partnership's deadline figures for every review type, with their bounds."""
        return settings.deadline_settings(FormsUnitOfWork(self.uow), actor)

    @rpc(command=True)
    def change_deadline_settings(self, actor: Actor, command: FiguresCommand) -> list[DeadlineSetting]:
        """Set the partnership's figures for one review type, each within its bounds."""
        return settings.change_deadline_settings(FormsUnitOfWork(self.uow), actor, command)

    @rpc
    def document(
        self,
        actor: Actor,
        review_id: ReviewId,
        kind: str,
        partnership_name: str,
        episodes: ChronologyEpisodes | None = None,
    ) -> DocumentFile:
        """A document assembled from the review (DOCX): one of documents.KINDS that its type has."""
        return documents.document(
            FormsUnitOfWork(self.uow), actor, review_id, kind, partnership_name, episodes or []
        )

    @rpc
    def records_about_person(self, actor: Actor, person: PersonAsked) -> list[PersonRecord]:
        """Data protection: every forms record that refers to a person (the data protection officer only)."""
        return data_protection.records_about_person(FormsUnitOfWork(self.uow), actor, person)

    @rpc
    def reviews_for_retention(self, actor: Actor, opened_before: RetentionDate) -> list[RetentionCandidate]:
        """Data protection: the partnership's reviews opened before a date, oldest first."""
        return data_protection.reviews_for_retention(FormsUnitOfWork(self.uow), actor, opened_before)

    # -- what other services tell -------------------------------------------------------------------------

    @event_handler("meetings", "minutes_approved")
    def complete_meeting_step(self, message: dict[str, Any]) -> None:
        """The minutes of a rapid review meeting were approved: its review's meeting step is done."""
        meetings.complete_meeting_step(FormsUnitOfWork(self.uow), self.uow, Envelope.model_validate(message))
