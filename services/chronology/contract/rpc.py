"""The chronology service's RPCs as typed stubs: the gateway and the operator's tools call them through
`Chronology.client(...)`; the service implements each with the same signature (tests/unit/test_contracts.py).

An upload is checked where the file arrives (the gateway streams it through the checker of this contract,
services/chronology/contract/sheet.py) and staged here in chunks, each entry validated again; nothing of it
is read by anyone until `import_upload` makes it the agency's current version in one transaction.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from services.chronology.contract.entries import ChronologyEntry
from services.chronology.contract.feed import (
    IssueConnection,
    IssuedConnection,
    RefusedMessage,
    SystemConnectionView,
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
    ProblemView,
    StartUpload,
    TagEpisode,
    UploadDetail,
    UploadView,
)
from services.kernel.identity import Actor
from services.kernel.remote import RemoteService, found_by_id

SERVICE = "chronology"

# An id that is not an id reads as "No such …", as the id of one the caller may not see does.
ReviewId = Annotated[UUID, found_by_id("review")]
UploadId = Annotated[UUID, found_by_id("upload")]
AgencyId = Annotated[UUID, found_by_id("agency")]
EntryId = Annotated[UUID, found_by_id("entry")]
DuplicateId = Annotated[UUID, found_by_id("duplicate")]
ConnectionId = Annotated[UUID, found_by_id("connection")]
# Entries staged in one call: small enough for one message, large enough to keep calls few.
StagedEntries = Annotated[list[ChronologyEntry], Field(max_length=5000)]
Problems = Annotated[list[ProblemView], Field(max_length=100_000)]
PartnershipColumns = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=64)]


class Chronology(RemoteService):
    """Agencies' chronologies of a review: the people register, uploads and their history, the merged view."""

    service = SERVICE

    async def people_of_review(
        self, actor: Actor, review_id: ReviewId, show_names: bool = False
    ) -> list[PersonView]:
        """The review's people register, pseudonyms first; names only to those who may see them and asked."""
        raise NotImplementedError

    async def add_person(self, actor: Actor, command: AddPerson) -> PersonView:
        """Add a person to a review's register (the business manager, the independent reviewer)."""
        raise NotImplementedError

    async def ask_agency(self, actor: Actor, review_id: ReviewId, agency_id: AgencyId) -> list[UUID]:
        """Ask an agency for its chronology of a review (the business manager); the agencies now asked."""
        raise NotImplementedError

    async def agencies_asked(self, actor: Actor, review_id: ReviewId) -> list[UUID]:
        """The agencies asked for a chronology of a review, in the order they were asked."""
        raise NotImplementedError

    async def partnership_columns(self, actor: Actor) -> list[str]:
        """The caller's partnership's own chronology template columns, after the standard ones."""
        raise NotImplementedError

    async def set_partnership_columns(self, actor: Actor, columns: PartnershipColumns) -> list[str]:
        """Set the partnership's own template columns (its business manager); the columns now."""
        raise NotImplementedError

    async def check_rules(self, actor: Actor, review_id: ReviewId) -> CheckRules:
        """What the checker needs to check a file of the caller's agency for the review; NotFound for a
        review the caller may not upload to."""
        raise NotImplementedError

    async def start_upload(self, actor: Actor, command: StartUpload) -> UploadView:
        """Begin an upload of the caller's agency's chronology of a review: it is checked next."""
        raise NotImplementedError

    async def stage_entries(
        self, actor: Actor, upload_id: UploadId, entries: StagedEntries, rows_read: int
    ) -> UploadView:
        """Stage the next checked entries of an upload (unseen by anyone until it is imported)."""
        raise NotImplementedError

    async def finish_check(
        self, actor: Actor, upload_id: UploadId, problems: Problems, warnings: Problems, rows_read: int
    ) -> UploadView:
        """The check is over: with any problem the upload is rejected whole (its staged entries dropped, its
        problems kept for the uploader); without, it is ready to import."""
        raise NotImplementedError

    async def upload(self, actor: Actor, upload_id: UploadId) -> UploadDetail:
        """An upload with its progress, problems, warnings and (while ready) its first entries."""
        raise NotImplementedError

    async def import_upload(self, actor: Actor, upload_id: UploadId) -> UploadView:
        """Make a ready upload its agency's current chronology of the review, in one transaction; the version
        it replaces is kept as history."""
        raise NotImplementedError

    async def uploads_of_review(self, actor: Actor, review_id: ReviewId) -> list[UploadView]:
        """Every version of every agency's chronology of a review the caller may see, newest first."""
        raise NotImplementedError

    async def tag_episode(self, actor: Actor, review_id: ReviewId, command: TagEpisode) -> EpisodeView:
        """Tag an entry as a key practice episode with its learning (the business manager, the reviewer)."""
        raise NotImplementedError

    async def untag_episode(self, actor: Actor, review_id: ReviewId, entry_id: EntryId) -> list[EpisodeView]:
        """Take an entry off the key practice episodes; the episodes left."""
        raise NotImplementedError

    async def episodes_of_review(self, actor: Actor, review_id: ReviewId) -> list[EpisodeView]:
        """The review's key practice episodes in date order, pseudonymised (for the reports too)."""
        raise NotImplementedError

    async def likely_duplicates(self, actor: Actor, review_id: ReviewId) -> list[DuplicateView]:
        """Pairs of entries from different agencies that look like one event, still to decide."""
        raise NotImplementedError

    async def resolve_duplicate(
        self, actor: Actor, review_id: ReviewId, duplicate_id: DuplicateId, decision: Decision
    ) -> DuplicateView:
        """Confirm two entries as one event, or dismiss the pair for good (business manager, reviewer)."""
        raise NotImplementedError

    async def issue_connection(self, actor: Actor, command: IssueConnection) -> IssuedConnection:
        """Give an agency's case system a broker user of its own (the partnership's administrator); its
        password is in this answer only."""
        raise NotImplementedError

    async def revoke_connection(self, actor: Actor, connection_id: ConnectionId) -> SystemConnectionView:
        """Close and delete a system connection's broker user: its system can no longer publish."""
        raise NotImplementedError

    async def connections_of_partnership(self, actor: Actor) -> list[SystemConnectionView]:
        """The system connections the administrator's partnership has issued, newest first."""
        raise NotImplementedError

    async def refused_messages(self, actor: Actor, review_id: ReviewId) -> list[RefusedMessage]:
        """Messages from agencies' systems refused for a review, with the reasons (its business manager)."""
        raise NotImplementedError

    async def chronology_of_review(
        self, actor: Actor, review_id: ReviewId, query: ChronologyQuery
    ) -> ChronologyPage:
        """A page of the review's merged chronology in date order, filtered; pseudonyms unless names are asked
        for by one who may see them."""
        raise NotImplementedError
