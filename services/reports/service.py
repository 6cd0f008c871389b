"""The reports service's entrypoints: each hands its typed arguments to a handler (contract.Reports)."""

from __future__ import annotations

from typing import Any

from services.kernel.entrypoints import event_handler, rpc
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork
from services.reports import comment_handlers, handlers
from services.reports.contract import (
    SERVICE,
    Assignees,
    AssignmentCommand,
    CommentId,
    CommentView,
    DocumentComments,
    DocumentDetail,
    DocumentId,
    DocumentSummary,
    DocumentText,
    NewCommentCommand,
    NewDocumentCommand,
    NewReplyCommand,
    ResolutionCommand,
    ReviewId,
    SavedUpdates,
    SectionGrant,
    SectionId,
    UpdatesCommand,
)
from services.reports.models import Base


class ReportsService(ServiceBase):
    """Documents of reviews written together, section by section; each section's Yjs text kept durably."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]

    @rpc
    def documents_of_review(self, actor: Actor, review_id: ReviewId) -> list[DocumentSummary]:
        """The review's documents the caller may read some of."""
        return handlers.documents_of_review(self.uow, actor, review_id)

    @rpc
    def get_document(self, actor: Actor, document_id: DocumentId) -> DocumentDetail:
        """A document with the sections the caller may read."""
        return handlers.get_document(self.uow, actor, document_id)

    @rpc
    def create_document(self, actor: Actor, command: NewDocumentCommand) -> DocumentDetail:
        """Begin a document from its kind's template."""
        return handlers.create_document(self.uow, actor, command)

    @rpc
    def assign_section(
        self, actor: Actor, section_id: SectionId, command: AssignmentCommand
    ) -> DocumentDetail:
        """Assign and share a section."""
        return handlers.assign_section(self.uow, actor, section_id, command)

    @rpc
    def assignees(self, actor: Actor, review_id: ReviewId) -> Assignees:
        """Whom the review's sections can be assigned to."""
        return handlers.assignees(self.uow, actor, review_id)

    @rpc
    def open_section(self, actor: Actor, section_id: SectionId) -> SectionGrant:
        """Whether the caller may open a section's live document, and its saved state."""
        return handlers.open_section(self.uow, actor, section_id)

    @rpc
    def save_updates(self, actor: Actor, section_id: SectionId, command: UpdatesCommand) -> SavedUpdates:
        """Append a section's Yjs updates."""
        return handlers.save_updates(self.uow, actor, section_id, command)

    @rpc
    def document_text(self, actor: Actor, document_id: DocumentId) -> DocumentText:
        """A document as structured text."""
        return handlers.document_text(self.uow, actor, document_id)

    @event_handler("forms", "review_opened")
    def learn_opened_review(self, message: dict[str, Any]) -> None:
        """A review was opened: which partnership holds it."""
        handlers.learn_review(self.uow, Envelope.model_validate(message))

    @event_handler("forms", "review_restated")
    def learn_restated_review(self, message: dict[str, Any]) -> None:
        """forms restated a review (after an upgrade): which partnership holds it."""
        handlers.learn_review(self.uow, Envelope.model_validate(message))

    @event_handler("identity", "person_changed")
    def keep_person(self, message: dict[str, Any]) -> None:
        """Whom sections can be assigned to, and their names."""
        handlers.keep_person(self.uow, Envelope.model_validate(message))

    @event_handler("identity", "agency_changed")
    def keep_agency(self, message: dict[str, Any]) -> None:
        """An agency's name."""
        handlers.keep_agency(self.uow, Envelope.model_validate(message))

    # -- comments --

    @rpc
    def add_comment(self, actor: Actor, section_id: SectionId, command: NewCommentCommand) -> CommentView:
        """Comment on a range of a section's text."""
        return comment_handlers.add_comment(self.uow, actor, section_id, command)

    @rpc
    def reply_to_comment(self, actor: Actor, comment_id: CommentId, command: NewReplyCommand) -> CommentView:
        """Reply to a comment."""
        return comment_handlers.reply_to_comment(self.uow, actor, comment_id, command)

    @rpc
    def resolve_comment(self, actor: Actor, comment_id: CommentId, command: ResolutionCommand) -> CommentView:
        """Resolve or reopen a comment."""
        return comment_handlers.resolve_comment(self.uow, actor, comment_id, command)

    @rpc
    def comments_of_document(self, actor: Actor, document_id: DocumentId) -> DocumentComments:
        """The comments on the document's sections the caller may read."""
        return comment_handlers.comments_of_document(self.uow, actor, document_id)
