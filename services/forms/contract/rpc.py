"""The forms service's RPCs, typed: what the gateway (and any caller) may ask of it.

The service implements each with the same signature (services/forms/service.py); the gateway calls them
through `Forms.client(rpc)`. tests/unit/test_contracts.py proves the two agree.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field

from services.forms.contract.answers import FormDate, PastDate, plain_problems
from services.forms.contract.commands import (
    AddAddendum,
    AskAgency,
    ChangeDeadlineSettings,
    EndPause,
    ExtendReturn,
    OpenReview,
    RecordPause,
    Refer,
)
from services.forms.contract.names import SERVICE
from services.forms.contract.views import (
    ChronologyEpisode,
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
from services.kernel.data_protection import PersonQuery, PersonRecord
from services.kernel.identity import Actor
from services.kernel.remote import Refused, RemoteService, found_by_id

ReviewId = Annotated[UUID, found_by_id("review")]
ReturnId = Annotated[UUID, found_by_id("return")]
PauseId = Annotated[UUID, found_by_id("pause")]

# Each argument as the service takes it, and how it is refused when it does not validate: one name for both
# ends (the declaration here, the method in service.py), so their annotations are the same object.
OpenReviewCommand = Annotated[OpenReview, Refused("The request", plain_problems)]
ReferCommand = Annotated[Refer, Refused("The referral", plain_problems)]
SharedWith = Annotated[UUID, Refused("The share")]
EarlierDay = Annotated[PastDate | None, Refused("The date")]
PauseCommand = Annotated[RecordPause, Refused("The pause", plain_problems)]
EndPauseCommand = Annotated[EndPause, Refused("The end of the pause", plain_problems)]
AskAgencyCommand = Annotated[AskAgency, Refused("The agency", plain_problems)]
AddendumCommand = Annotated[AddAddendum, Refused("The addendum", plain_problems)]
ExtensionCommand = Annotated[ExtendReturn, Refused("The extension", plain_problems)]
FiguresCommand = Annotated[ChangeDeadlineSettings, Refused("The figures", plain_problems)]
PersonAsked = Annotated[PersonQuery, Refused("The person")]
RetentionDate = Annotated[FormDate, Refused("The date")]
ChronologyEpisodes = Annotated[list[ChronologyEpisode], Field(max_length=1000), Refused("The episodes")]

StepAnswers = dict[str, Any]  # checked against the step's own form by the service (its definitions)
ReturnAnswers = dict[str, Any]  # a draft: AgencyReturnAnswers, some answers may wait


class Forms(RemoteService):
    """The review case file: reviews, their lifecycle and clock, pauses, agency returns, documents."""

    service = SERVICE

    # -- reviews ------------------------------------------------------------------------------------------

    async def review_types(self) -> list[ReviewTypeInfo]:
        """The review types a partnership can open (public: nothing about any case)."""
        raise NotImplementedError

    async def open_review(
        self,
        actor: Actor,
        command: OpenReviewCommand,
        idempotency_key: str | None = None,
    ) -> ReviewSummary:
        """Open a review; emits forms.review_opened. A repeated idempotency key returns the first answer."""
        raise NotImplementedError

    async def get_review(self, actor: Actor, review_id: ReviewId) -> ReviewSummary:
        """One review, if the caller may read it; NotFound otherwise."""
        raise NotImplementedError

    async def list_reviews(self, actor: Actor) -> list[ReviewListEntry]:
        """The reviews the caller may read, with each one's next deadline, newest first."""
        raise NotImplementedError

    async def share_review(
        self,
        actor: Actor,
        review_id: ReviewId,
        partnership_id: SharedWith,
        idempotency_key: str | None = None,
    ) -> ReviewSummary:
        """Let another partnership read a review; emits forms.review_shared."""
        raise NotImplementedError

    async def get_review_file(self, actor: Actor, review_id: ReviewId) -> ReviewFile:
        """A review with its lifecycle: steps, stages, deadlines, pauses, the returns the caller may read."""
        raise NotImplementedError

    async def refer(
        self,
        actor: Actor,
        command: ReferCommand,
        idempotency_key: str | None = None,
    ) -> ReviewSummary:
        """Refer a possible serious incident: opens a review and completes its referral step."""
        raise NotImplementedError

    # -- the lifecycle ------------------------------------------------------------------------------------

    async def save_step(
        self,
        actor: Actor,
        review_id: ReviewId,
        step: str,
        answers: StepAnswers,
        version: int | None = None,
        idempotency_key: str | None = None,
    ) -> ReviewFile:
        """Save a step's answers as a draft, checked in full against its form. A repeated idempotency key
        answers with the review as it stands and saves nothing again (a late repeat would move the draft's
        version on under its author)."""
        raise NotImplementedError

    async def complete_step(
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
        raise NotImplementedError

    async def record_pause(
        self,
        actor: Actor,
        review_id: ReviewId,
        pause: PauseCommand,
        idempotency_key: str | None = None,
    ) -> ReviewFile:
        """Pause a review's clock for a parallel process; emits review_paused and deadline_changed."""
        raise NotImplementedError

    async def end_pause(
        self,
        actor: Actor,
        review_id: ReviewId,
        pause_id: PauseId,
        command: EndPauseCommand,
    ) -> ReviewFile:
        """End an open pause on a date; emits review_resumed and deadline_changed."""
        raise NotImplementedError

    # -- agency returns -----------------------------------------------------------------------------------

    async def ask_agency(
        self,
        actor: Actor,
        review_id: ReviewId,
        command: AskAgencyCommand,
        idempotency_key: str | None = None,
    ) -> ReviewFile:
        """Ask one more agency for a return once the rapid review has begun; emits return_requested."""
        raise NotImplementedError

    async def list_returns(self, actor: Actor) -> list[ReturnSummary]:
        """The returns asked of the caller's agency, soonest due first."""
        raise NotImplementedError

    async def partnership_returns(self, actor: Actor) -> list[ReturnSummary]:
        """Every agency's return across the caller's partnership's open reviews, overdue first."""
        raise NotImplementedError

    async def get_return(self, actor: Actor, return_id: ReturnId) -> ReturnView:
        """One return, if the caller may read it; NotFound for another agency's."""
        raise NotImplementedError

    async def save_return(
        self, actor: Actor, return_id: ReturnId, answers: ReturnAnswers, version: int | None = None
    ) -> ReturnView:
        """Save a draft of the agency's return (missing answers may wait)."""
        raise NotImplementedError

    async def submit_return(
        self,
        actor: Actor,
        return_id: ReturnId,
        version: int | None = None,
        submitted_on: EarlierDay = None,
    ) -> ReturnView:
        """Submit the saved return, complete and with its records secured; locked from then on."""
        raise NotImplementedError

    async def nil_return(
        self,
        actor: Actor,
        return_id: ReturnId,
        version: int | None = None,
        submitted_on: EarlierDay = None,
    ) -> ReturnView:
        """Record that the agency had no involvement; locked like a submission."""
        raise NotImplementedError

    async def add_addendum(
        self,
        actor: Actor,
        return_id: ReturnId,
        command: AddendumCommand,
        idempotency_key: str | None = None,
    ) -> ReturnView:
        """Add a correction to a submitted return; emits return_amended."""
        raise NotImplementedError

    async def extend_return(
        self,
        actor: Actor,
        return_id: ReturnId,
        command: ExtensionCommand,
    ) -> ReturnView:
        """Give an agency more time, with the reason; emits return_extended."""
        raise NotImplementedError

    # -- deadline figures, documents, data protection -----------------------------------------------------

    async def deadline_settings(self, actor: Actor) -> list[DeadlineSetting]:
        """The caller's partnership's deadline figures for every review type, with their bounds."""
        raise NotImplementedError

    async def change_deadline_settings(self, actor: Actor, command: FiguresCommand) -> list[DeadlineSetting]:
        """Set the partnership's figures for one review type, each within its bounds."""
        raise NotImplementedError

    async def document(
        self,
        actor: Actor,
        review_id: ReviewId,
        kind: str,
        partnership_name: str,
        episodes: ChronologyEpisodes | None = None,
    ) -> DocumentFile:
        """A document assembled from the review (DOCX): one of documents.KINDS that its type has. `episodes`:
        the key practice episodes of the review's chronology, which the caller read from the chronology
        service (the rapid review report lists them)."""
        raise NotImplementedError

    async def records_about_person(self, actor: Actor, person: PersonAsked) -> list[PersonRecord]:
        """Data protection: every forms record that refers to a person (the data protection officer only)."""
        raise NotImplementedError

    async def reviews_for_retention(
        self, actor: Actor, opened_before: RetentionDate
    ) -> list[RetentionCandidate]:
        """Data protection: the partnership's reviews opened before a date, oldest first."""
        raise NotImplementedError


__all__ = [
    "AddendumCommand",
    "AskAgencyCommand",
    "EarlierDay",
    "EndPauseCommand",
    "ExtensionCommand",
    "FiguresCommand",
    "Forms",
    "OpenReviewCommand",
    "PauseCommand",
    "PauseId",
    "PersonAsked",
    "ReferCommand",
    "RetentionDate",
    "ReturnAnswers",
    "ReturnId",
    "ReviewId",
    "SharedWith",
    "StepAnswers",
]
