"""The chronology service's entrypoints: each hands its typed arguments to a handler (contract.Chronology)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from gateway.contract import AgencyChanged, PersonChanged
from services.chronology import agency_systems, handlers
from services.chronology.contract.events import ChronologyReplaced, ChronologyUploaded, EntriesPublished
from services.chronology.contract.feed import (
    IssueConnection,
    IssuedConnection,
    RefusedMessage,
    SystemConnectionView,
)
from services.chronology.contract.rpc import (
    SERVICE,
    AgencyId,
    ConnectionId,
    DuplicateId,
    EntryId,
    PartnershipColumns,
    Problems,
    ReviewId,
    StagedEntries,
    UploadId,
)
from services.chronology.contract.views import (
    AddPerson,
    CheckRules,
    ChronologyPage,
    ChronologyQuery,
    Decision,
    DuplicateView,
    EpisodeView,
    PersonView,
    StartUpload,
    TagEpisode,
    UploadDetail,
    UploadView,
)
from services.chronology.feed import receive_agency_entries
from services.chronology.models import Base
from services.chronology.settings import chronology_settings
from services.forms.contract import ReturnRequested, ReviewOpened
from services.kernel.entrypoints import event_handler, rpc, timer
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork


class ChronologyService(ServiceBase):
    """Agencies' chronologies of reviews: the register, uploads checked whole, the merged chronology."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]

    # ------------------------------------------------------------------------------------ the register

    @rpc
    def people_of_review(
        self, actor: Actor, review_id: ReviewId, show_names: bool = False
    ) -> list[PersonView]:
        """The review's people register, pseudonyms first; names only to those who may see them and asked."""
        return handlers.people_of_review(self.uow, actor, review_id, show_names)

    @rpc(command=True)
    def add_person(self, actor: Actor, command: AddPerson) -> PersonView:
        """Add a person to a review's register (the business manager, the independent reviewer)."""
        return handlers.add_person(self.uow, actor, command)

    @rpc(command=True)
    def ask_agency(self, actor: Actor, review_id: ReviewId, agency_id: AgencyId) -> list[UUID]:
        """Ask an agency for its chronology of a review (the business manager); the agencies now asked."""
        return handlers.ask_agency(self.uow, actor, review_id, agency_id)

    @rpc
    def agencies_asked(self, actor: Actor, review_id: ReviewId) -> list[UUID]:
        """The agencies asked for a chronology of a review, in the order they were asked."""
        return handlers.agencies_asked(self.uow, actor, review_id)

    # ------------------------------------------------------------------------------------------ uploads

    @rpc
    def partnership_columns(self, actor: Actor) -> list[str]:
        """The caller's partnership's own chronology template columns, after the standard ones."""
        return handlers.partnership_columns(self.uow, actor)

    @rpc(command=True)
    def set_partnership_columns(self, actor: Actor, columns: PartnershipColumns) -> list[str]:
        """Set the partnership's own template columns (its business manager); the columns now."""
        return handlers.set_partnership_columns(self.uow, actor, columns)

    @rpc
    def check_rules(self, actor: Actor, review_id: ReviewId) -> CheckRules:
        """What the checker needs to check a file of the caller's agency for the review."""
        return handlers.check_rules(self.uow, actor, review_id)

    @rpc(command=True)
    def start_upload(self, actor: Actor, command: StartUpload) -> UploadView:
        """Begin an upload of the caller's agency's chronology of a review: it is checked next."""
        return handlers.start_upload(self.uow, actor, command)

    @rpc
    def stage_entries(
        self, actor: Actor, upload_id: UploadId, entries: StagedEntries, rows_read: int
    ) -> UploadView:
        """Stage the next checked entries of an upload (unseen by anyone until it is imported)."""
        return handlers.stage_entries(self.uow, actor, upload_id, entries, rows_read)

    @rpc(command=True)
    def finish_check(
        self, actor: Actor, upload_id: UploadId, problems: Problems, warnings: Problems, rows_read: int
    ) -> UploadView:
        """The check is over: rejected whole with any problem, else ready to import."""
        return handlers.finish_check(self.uow, actor, upload_id, problems, warnings, rows_read)

    @rpc
    def upload(self, actor: Actor, upload_id: UploadId) -> UploadDetail:
        """An upload with its progress, problems, warnings and (while ready) its first entries."""
        return handlers.upload_detail(self.uow, actor, upload_id)

    @rpc(command=True)
    def import_upload(self, actor: Actor, upload_id: UploadId) -> UploadView:
        """Make a ready upload its agency's current chronology of the review, in one transaction."""
        return handlers.import_upload(self.uow, actor, upload_id)

    @rpc
    def uploads_of_review(self, actor: Actor, review_id: ReviewId) -> list[UploadView]:
        """Every version of every agency's chronology of a review the caller may see, newest first."""
        return handlers.uploads_of_review(self.uow, actor, review_id)

    @timer(interval=chronology_settings().sweep_interval_s)
    def abandon_stale_uploads(self) -> None:
        """Drop uploads left half-checked or never imported (each locked, so one process takes each)."""
        handlers.abandon_stale_uploads(self.uow)

    # ------------------------------------------------------------------------------- the merged chronology

    @rpc(command=True)
    def tag_episode(self, actor: Actor, review_id: ReviewId, command: TagEpisode) -> EpisodeView:
        """Tag an entry as a key practice episode with its learning (the business manager, the reviewer)."""
        return handlers.tag_episode(self.uow, actor, review_id, command)

    @rpc(command=True)
    def untag_episode(self, actor: Actor, review_id: ReviewId, entry_id: EntryId) -> list[EpisodeView]:
        """Take an entry off the key practice episodes; the episodes left."""
        return handlers.untag_episode(self.uow, actor, review_id, entry_id)

    @rpc
    def episodes_of_review(self, actor: Actor, review_id: ReviewId) -> list[EpisodeView]:
        """The review's key practice episodes in date order, pseudonymised."""
        return handlers.episodes_of_review(self.uow, actor, review_id)

    @rpc
    def likely_duplicates(self, actor: Actor, review_id: ReviewId) -> list[DuplicateView]:
        """Pairs of entries from different agencies that look like one event, still to decide."""
        return handlers.likely_duplicates(self.uow, actor, review_id)

    @rpc(command=True)
    def resolve_duplicate(
        self, actor: Actor, review_id: ReviewId, duplicate_id: DuplicateId, decision: Decision
    ) -> DuplicateView:
        """Confirm two entries as one event, or dismiss the pair for good."""
        return handlers.resolve_duplicate(self.uow, actor, review_id, duplicate_id, decision)

    # ----------------------------------------------------------------------------- agencies' own systems

    @rpc
    def issue_connection(self, actor: Actor, command: IssueConnection) -> IssuedConnection:
        """Give an agency's case system a broker user of its own (the partnership's administrator)."""
        return agency_systems.issue_connection(self.uow, actor, command)

    @rpc(command=True)
    def revoke_connection(self, actor: Actor, connection_id: ConnectionId) -> SystemConnectionView:
        """Close and delete a system connection's broker user."""
        return agency_systems.revoke_connection(self.uow, actor, connection_id)

    @rpc
    def connections_of_partnership(self, actor: Actor) -> list[SystemConnectionView]:
        """The system connections the administrator's partnership has issued, newest first."""
        return agency_systems.connections_of_partnership(self.uow, actor)

    @rpc
    def refused_messages(self, actor: Actor, review_id: ReviewId) -> list[RefusedMessage]:
        """Messages from agencies' systems refused for a review, with the reasons (its business manager)."""
        return agency_systems.refused_messages(self.uow, actor, review_id)

    @receive_agency_entries
    def receive_agency_entries(self, body: bytes, properties: dict[str, Any]) -> agency_systems.Outcome:
        """A message an agency's system published: applied like an upload, or refused with the reason."""
        return agency_systems.receive_message(self.uow, body, properties)

    @rpc
    def chronology_of_review(
        self, actor: Actor, review_id: ReviewId, query: ChronologyQuery
    ) -> ChronologyPage:
        """A page of the review's merged chronology in date order, filtered."""
        return handlers.chronology_of_review(self.uow, actor, review_id, query)

    # ------------------------------------------------------------------------------- the service's own facts

    @event_handler("chronology", "chronology_uploaded")
    def settle_first_version(self, message: dict[str, Any]) -> None:
        """An agency's first version was imported: make it searchable and flag its likely duplicates."""
        envelope = Envelope.model_validate(message)
        handlers.settle_upload(self.uow, envelope, envelope.payload(ChronologyUploaded).upload_id)

    @event_handler("chronology", "chronology_replaced")
    def settle_new_version(self, message: dict[str, Any]) -> None:
        """An agency replaced its version: make the new one searchable and flag its likely duplicates."""
        envelope = Envelope.model_validate(message)
        handlers.settle_upload(self.uow, envelope, envelope.payload(ChronologyReplaced).upload_id)

    @event_handler("chronology", "entries_published")
    def settle_published_entries(self, message: dict[str, Any]) -> None:
        """An agency's system published entries: make them searchable and flag their likely duplicates."""
        envelope = Envelope.model_validate(message)
        handlers.settle_upload(self.uow, envelope, envelope.payload(EntriesPublished).upload_id)

    # --------------------------------------------------------------- what forms and the gateway announce

    @event_handler("forms", "review_opened")
    def hold_review(self, message: dict[str, Any]) -> None:
        """A review opened: who holds it decides who may read its chronology."""
        envelope = Envelope.model_validate(message)
        opened = envelope.payload(ReviewOpened)
        handlers.hold_review(self.uow, envelope, opened.review_type, opened.opened_at)

    @event_handler("forms", "review_closed")
    def close_review(self, message: dict[str, Any]) -> None:
        """A review closed: its chronology no longer changes."""
        handlers.close_review(self.uow, Envelope.model_validate(message))

    @event_handler("forms", "return_requested")
    def agency_asked(self, message: dict[str, Any]) -> None:
        """An agency was asked for its return on a review: it is asked for its chronology too."""
        envelope = Envelope.model_validate(message)
        handlers.agency_asked(self.uow, envelope, envelope.payload(ReturnRequested).agency_id)

    @event_handler("identity", "agency_changed")
    def name_agency(self, message: dict[str, Any]) -> None:
        """Keep an agency's name: the merged chronology prefixes it to each source."""
        envelope = Envelope.model_validate(message)
        changed = envelope.payload(AgencyChanged)
        handlers.name_agency(
            self.uow, envelope, changed.agency_id, changed.partnership_id, changed.name, changed.changed_at
        )

    @event_handler("identity", "person_changed")
    def name_user(self, message: dict[str, Any]) -> None:
        """Keep a person's name: a version's history says who uploaded and imported it."""
        envelope = Envelope.model_validate(message)
        changed = envelope.payload(PersonChanged)
        handlers.name_user(self.uow, envelope, changed.user_id, changed.display_name, changed.changed_at)
