"""The reports service's entrypoints: each hands its typed arguments to a handler (contract.Reports)."""

from __future__ import annotations

from typing import Any

from services.kernel.entrypoints import event_handler, rpc
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork
from services.reports import accuracy_handlers, comment_handlers, handlers, publishing, version_handlers
from services.reports.contract import (
    SERVICE,
    AccuracyAnswerCommand,
    AccuracyPage,
    AccuracyRequestPlace,
    Assignees,
    AssignmentCommand,
    BlockTextCommand,
    CommentId,
    CommentView,
    DocumentComments,
    DocumentDetail,
    DocumentId,
    DocumentSummary,
    DocumentText,
    ExportedFile,
    ExportFormat,
    FamilyComments,
    FamilyCommentsCommand,
    NameVersionCommand,
    NewCommentCommand,
    NewDocumentCommand,
    NewReplyCommand,
    OpenAccuracyRoundCommand,
    PartnershipName,
    PeopleRegister,
    PublicationCopy,
    RequestId,
    ResolutionCommand,
    RestoredVersion,
    ReviewId,
    RoundId,
    SavedUpdates,
    SectionGrant,
    SectionId,
    SignOffPage,
    SignOffStanding,
    UpdatesCommand,
    VersionChoice,
    VersionComparison,
    VersionId,
    VersionSummary,
    VersionText,
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

    @rpc(command=True)
    def create_document(self, actor: Actor, command: NewDocumentCommand) -> DocumentDetail:
        """Begin a document from its kind's template."""
        return handlers.create_document(self.uow, actor, command)

    @rpc(command=True)
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

    # -- versions --

    @rpc
    def name_version(
        self,
        actor: Actor,
        document_id: DocumentId,
        command: NameVersionCommand,
        idempotency_key: str | None = None,
    ) -> VersionSummary:
        """Keep the current state of every section under a name."""
        return version_handlers.name_version(self.uow, actor, document_id, command, idempotency_key)

    @rpc
    def versions_of_document(self, actor: Actor, document_id: DocumentId) -> list[VersionSummary]:
        """The document's versions, newest first."""
        return version_handlers.versions_of_document(self.uow, actor, document_id)

    @rpc
    def version_text(self, actor: Actor, version_id: VersionId) -> VersionText:
        """A version's text as structured blocks."""
        return version_handlers.version_text(self.uow, actor, version_id)

    @rpc
    def compare_versions(
        self, actor: Actor, document_id: DocumentId, earlier: VersionChoice, later: VersionChoice
    ) -> VersionComparison:
        """The difference between two versions (or a version and the current text)."""
        return version_handlers.compare_versions(self.uow, actor, document_id, earlier, later)

    @rpc
    def restore_version(
        self, actor: Actor, version_id: VersionId, idempotency_key: str | None = None
    ) -> RestoredVersion:
        """Set every section back to a version's text as a new edit."""
        return version_handlers.restore_version(self.uow, actor, version_id, idempotency_key)

    @rpc(command=True)
    def rename_version(
        self, actor: Actor, version_id: VersionId, command: NameVersionCommand
    ) -> VersionSummary:
        """Give a version that is not locked another name."""
        return version_handlers.rename_version(self.uow, actor, version_id, command)

    @rpc(command=True)
    def delete_version(self, actor: Actor, version_id: VersionId) -> None:
        """Delete a version that is not locked."""
        version_handlers.delete_version(self.uow, actor, version_id)

    # -- publication --

    @rpc(command=True)
    def build_publication_copy(
        self, actor: Actor, document_id: DocumentId, register: PeopleRegister
    ) -> PublicationCopy:
        """Build the document's anonymised copy from its current text and check it."""
        return publishing.build_publication_copy(self.uow, actor, document_id, register)

    @rpc
    def publication_copy(self, actor: Actor, document_id: DocumentId) -> PublicationCopy:
        """The document's publication copy with the last check's findings."""
        return publishing.publication_copy(self.uow, actor, document_id)

    @rpc(command=True)
    def edit_copy_block(
        self,
        actor: Actor,
        document_id: DocumentId,
        section_id: SectionId,
        block: int,
        command: BlockTextCommand,
    ) -> PublicationCopy:
        """Change one block of the publication copy."""
        return publishing.edit_copy_block(self.uow, actor, document_id, section_id, block, command)

    @rpc
    def check_publication_copy(
        self, actor: Actor, document_id: DocumentId, register: PeopleRegister
    ) -> PublicationCopy:
        """Check the publication copy against the people register."""
        return publishing.check_publication_copy(self.uow, actor, document_id, register)

    @rpc(command=True)
    def mark_copy_ready(
        self, actor: Actor, document_id: DocumentId, register: PeopleRegister
    ) -> PublicationCopy:
        """Mark the publication copy ready, if the check finds nothing."""
        return publishing.mark_copy_ready(self.uow, actor, document_id, register)

    @rpc
    def export_document(
        self,
        actor: Actor,
        document_id: DocumentId,
        file_format: ExportFormat,
        partnership_name: PartnershipName,
    ) -> ExportedFile:
        """The document's current text as Word or PDF."""
        return publishing.export_document(self.uow, actor, document_id, file_format, partnership_name)

    @rpc
    def export_publication_copy(
        self,
        actor: Actor,
        document_id: DocumentId,
        file_format: ExportFormat,
        partnership_name: PartnershipName,
    ) -> ExportedFile:
        """The publication copy as Word or PDF."""
        return publishing.export_publication_copy(self.uow, actor, document_id, file_format, partnership_name)

    @rpc
    def export_version(
        self,
        actor: Actor,
        document_id: DocumentId,
        version_id: VersionId,
        file_format: ExportFormat,
        partnership_name: PartnershipName,
    ) -> ExportedFile:
        """A named version's text as Word or PDF."""
        return version_handlers.export_version(
            self.uow, actor, document_id, version_id, file_format, partnership_name
        )

    # -- factual accuracy --

    @rpc
    def open_accuracy_round(
        self,
        actor: Actor,
        version_id: VersionId,
        command: OpenAccuracyRoundCommand,
        idempotency_key: str | None = None,
    ) -> AccuracyPage:
        """Ask agencies to check a version for factual accuracy by a date."""
        return accuracy_handlers.open_accuracy_round(self.uow, actor, version_id, command, idempotency_key)

    @rpc
    def accuracy_of_version(self, actor: Actor, version_id: VersionId) -> AccuracyPage:
        """The version's factual-accuracy rounds as the caller may see them."""
        return accuracy_handlers.accuracy_of_version(self.uow, actor, version_id)

    @rpc(command=True)
    def answer_accuracy(
        self, actor: Actor, round_id: RoundId, command: AccuracyAnswerCommand
    ) -> AccuracyPage:
        """An agency confirms or disputes the sections about it."""
        return accuracy_handlers.answer_accuracy(self.uow, actor, round_id, command)

    @rpc(command=True)
    def close_accuracy_round(self, actor: Actor, round_id: RoundId) -> AccuracyPage:
        """Close a round."""
        return accuracy_handlers.close_accuracy_round(self.uow, actor, round_id)

    @rpc
    def accuracy_request(self, actor: Actor, request_id: RequestId) -> AccuracyRequestPlace:
        """Where an agency's request is."""
        return accuracy_handlers.accuracy_request(self.uow, actor, request_id)

    @rpc
    def sign_off_of_version(self, actor: Actor, version_id: VersionId) -> SignOffPage:
        """The partners' sign-off of a version."""
        return accuracy_handlers.sign_off_of_version(self.uow, actor, version_id)

    @rpc
    def sign_offs_of_review(self, actor: Actor, review_id: ReviewId) -> list[SignOffStanding]:
        """Where each document's partners' sign-off stands."""
        return accuracy_handlers.sign_offs_of_review(self.uow, actor, review_id)

    @rpc(command=True)
    def sign_off_version(self, actor: Actor, version_id: VersionId) -> SignOffPage:
        """A partner signs a version off; the last needed locks it."""
        return accuracy_handlers.sign_off_version(self.uow, actor, version_id)

    @rpc
    def family_comments_of_version(self, actor: Actor, version_id: VersionId) -> list[FamilyComments]:
        """The family's comments on a version."""
        return accuracy_handlers.family_comments_of_version(self.uow, actor, version_id)

    @rpc(command=True)
    def record_family_comments(
        self, actor: Actor, version_id: VersionId, command: FamilyCommentsCommand
    ) -> list[FamilyComments]:
        """Record the family shown a version, their comments and the response."""
        return accuracy_handlers.record_family_comments(self.uow, actor, version_id, command)

    # -- comments --

    @rpc(command=True)
    def add_comment(self, actor: Actor, section_id: SectionId, command: NewCommentCommand) -> CommentView:
        """Comment on a range of a section's text."""
        return comment_handlers.add_comment(self.uow, actor, section_id, command)

    @rpc(command=True)
    def reply_to_comment(self, actor: Actor, comment_id: CommentId, command: NewReplyCommand) -> CommentView:
        """Reply to a comment."""
        return comment_handlers.reply_to_comment(self.uow, actor, comment_id, command)

    @rpc(command=True)
    def resolve_comment(self, actor: Actor, comment_id: CommentId, command: ResolutionCommand) -> CommentView:
        """Resolve or reopen a comment."""
        return comment_handlers.resolve_comment(self.uow, actor, comment_id, command)

    @rpc
    def comments_of_document(self, actor: Actor, document_id: DocumentId) -> DocumentComments:
        """The comments on the document's sections the caller may read."""
        return comment_handlers.comments_of_document(self.uow, actor, document_id)
