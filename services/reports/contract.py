"""What others may know of the reports service: a review's documents (rapid review report, overview report,
learning brief, agency report) written together, section by section; the RPCs that answer them (the gateway's
live co-editing among them) and the events it publishes (exchange `reports.events`).

A section's text is a Yjs document (https://docs.yjs.dev): the gateway relays its updates between editors and
hands them here to be kept; other services read the sections as structured text (`document_text`). Events
carry identifiers and facts, never what a report says.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, model_validator

from services.kernel.errors import NotFound
from services.kernel.events import EventData
from services.kernel.identity import Actor
from services.kernel.remote import Refused, RemoteService, found_by_id

SERVICE = "reports"

# An id that is not an id reads as "No such review" (or document, section), as one the caller may not see.
ReviewId = Annotated[UUID, found_by_id("review")]
DocumentId = Annotated[UUID, found_by_id("document")]
SectionId = Annotated[UUID, found_by_id("section")]

DocumentKind = Literal["rapid_review_report", "overview_report", "learning_brief", "agency_report"]
KIND_LABELS: dict[str, str] = {
    "rapid_review_report": "Rapid review report",
    "overview_report": "Overview report",
    "learning_brief": "Learning brief",
    "agency_report": "Agency report",
}
# "edit": the caller may change the section; "read": only read it (shared with their agency).
Access = Literal["edit", "read"]
BlockKind = Literal["heading", "paragraph", "list_item", "quote", "code"]

# The largest batch of Yjs updates one call may carry (bytes, base64-encoded): the gateway sends what one
# editor typed since the last save, far smaller in practice.
MAX_UPDATES_BASE64 = 4_000_000


# -- what pages show ----------------------------------------------------------------------------------------


class TextBlock(BaseModel):
    """One block of a section's text: a heading, a paragraph, an item of a list, a quotation, code."""

    kind: BlockKind
    text: str
    level: int | None = None


class SectionView(BaseModel):
    """A section of a document as its reader sees it: title, guidance from the template, who writes it, what
    the caller may do with it, and its text as it was last saved."""

    id: UUID
    key: str
    title: str
    guidance: str
    position: int
    assigned_user_id: str | None = None
    assigned_user_name: str | None = None
    assigned_agency_id: UUID | None = None
    assigned_agency_name: str | None = None
    shared_with_agency_ids: list[UUID] = Field(default_factory=list)
    access: Access
    blocks: list[TextBlock] = Field(default_factory=list)


class DocumentSummary(BaseModel):
    """A document of a review as a list shows it: kind, title, when it was begun. Nothing of its text."""

    id: UUID
    review_id: UUID
    kind: DocumentKind
    kind_label: str
    title: str
    agency_id: UUID | None = None
    created_at: datetime


class DocumentDetail(DocumentSummary):
    """A document with the sections the caller may read (others are left out, not shown empty), and whether
    the caller manages it (assigns and shares sections)."""

    sections: list[SectionView]
    may_manage: bool


class AgencyOption(BaseModel):
    """An agency of the partnership a section can be assigned to or shared with."""

    id: UUID
    name: str


class PersonOption(BaseModel):
    """A person a section can be assigned to: a member of the partnership with a part in reviews."""

    user_id: str
    name: str


class Assignees(BaseModel):
    """Whom the sections of a review's documents can be assigned to, as the service knows them from the
    gateway's identity events."""

    agencies: list[AgencyOption]
    people: list[PersonOption]


class SectionText(BaseModel):
    """A section's text as structured blocks, for other services (and pages without JavaScript)."""

    section_id: UUID
    key: str
    title: str
    blocks: list[TextBlock]


class DocumentText(BaseModel):
    """A whole document as structured text: the sections the caller may read, in order."""

    document_id: UUID
    review_id: UUID
    kind: DocumentKind
    title: str
    sections: list[SectionText]


class SectionGrant(BaseModel):
    """What the gateway may serve of one section's live document to the caller: whether they may change it,
    and its state as saved (a Yjs update, base64), from which the gateway starts the section's room."""

    document_id: UUID
    section_id: UUID
    review_id: UUID
    access: Access
    state_base64: str


class SavedUpdates(BaseModel):
    """Updates kept: how many were appended, and whether the section was compacted into a new snapshot."""

    appended: int
    compacted: bool


# -- what the RPCs take -------------------------------------------------------------------------------------


class NewDocument(BaseModel):
    """Begin a document of a review from its kind's template. An agency report names its agency, whose
    people then write every section of it."""

    review_id: UUID
    kind: DocumentKind
    title: Annotated[str, Field(max_length=200)] = ""
    agency_id: UUID | None = None

    @model_validator(mode="after")
    def _agency_report_names_its_agency(self) -> NewDocument:
        if self.kind == "agency_report" and self.agency_id is None:
            raise ValueError("Choose the agency whose report this is")
        if self.kind != "agency_report" and self.agency_id is not None:
            raise ValueError("Only an agency report belongs to one agency")
        return self


class Assignment(BaseModel):
    """Who writes a section (a person, an agency, both or neither) and which other agencies may read it."""

    assigned_user_id: Annotated[str, Field(max_length=200)] | None = None
    assigned_agency_id: UUID | None = None
    shared_with_agency_ids: list[UUID] = Field(default_factory=list, max_length=50)


class SectionUpdates(BaseModel):
    """Yjs updates to a section made by the caller (each base64), to be appended to its store."""

    updates_base64: list[Annotated[str, Field(max_length=MAX_UPDATES_BASE64)]] = Field(
        min_length=1, max_length=1000
    )


NewDocumentCommand = Annotated[NewDocument, Refused("The document")]
AssignmentCommand = Annotated[Assignment, Refused("The assignment")]
UpdatesCommand = Annotated[SectionUpdates, Refused("The updates")]


# -- publication --------------------------------------------------------------------------------------------

# What the check of a publication copy finds: each kind of identifier from the review's people register.
IdentifierKind = Literal[
    "real_name", "date_of_birth", "address", "postcode", "school", "nhs_number", "record_number"
]
IDENTIFIER_LABELS: dict[str, str] = {
    "real_name": "Real name",
    "date_of_birth": "Date of birth",
    "address": "Address",
    "postcode": "Postcode",
    "school": "School",
    "nhs_number": "NHS number",
    "record_number": "Case record number",
}
CopyState = Literal["draft", "ready"]
ExportFormat = Literal["docx", "pdf"]
MAX_BLOCK_TEXT = 20_000
ShortWords = Annotated[str, Field(max_length=300)]


class RegisterPerson(BaseModel):
    """One person of the review's people register with everything that identifies them, as the chronology
    service keeps it: the gateway asks chronology for it (its keepers only) and hands it to the build and the
    check of a publication copy. Never stored here, never on an event."""

    review_id: UUID
    pseudonym: Annotated[str, Field(max_length=40)]
    role_in_family: Annotated[str, Field(max_length=100)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    also_known_as: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=10)
    born_on: date | None = None
    address: ShortWords | None = None
    postcode: Annotated[str, Field(max_length=10)] | None = None
    school: Annotated[str, Field(max_length=200)] | None = None
    nhs_number: Annotated[str, Field(max_length=12)] | None = None
    record_numbers: list[Annotated[str, Field(max_length=60)]] = Field(default_factory=list, max_length=10)


class Finding(BaseModel):
    """One place where a publication copy still identifies someone: the section, the block (counted from 1;
    block 0 of the "section" whose id is the document's, titled "Title", is the copy's title), the text found,
    what kind of identifier it is and whose (their pseudonym)."""

    section_id: UUID
    section_title: str
    block: int
    found: str
    kind: IdentifierKind
    kind_label: str
    pseudonym: str | None = None


class PublicationCopy(BaseModel):
    """A document's anonymised copy for publication: its own structured text (built from the document with
    every real name replaced by a pseudonym, then edited by hand), the places the last check found, and
    whether it is ready. Only the review's business manager and independent reviewer see it."""

    document_id: UUID
    review_id: UUID
    title: str
    state: CopyState
    sections: list[SectionText]
    findings: list[Finding] = Field(default_factory=list)
    built_at: datetime
    checked_at: datetime | None = None
    ready_at: datetime | None = None


class BlockText(BaseModel):
    """The new text of one block of a publication copy."""

    text: Annotated[str, Field(min_length=1, max_length=MAX_BLOCK_TEXT)]


class ExportedFile(BaseModel):
    """A document (or its publication copy) as Word or PDF: its file name, media type and bytes (base64)."""

    file_name: str
    media_type: str
    content_base64: str


PeopleRegister = Annotated[list[RegisterPerson], Field(max_length=500), Refused("The people register")]
BlockTextCommand = Annotated[BlockText, Refused("The text")]
PartnershipName = Annotated[str, Field(min_length=1, max_length=200)]


# -- events -------------------------------------------------------------------------------------------------


class DocumentCreated(EventData):
    """A document of a review was begun from its kind's template."""

    event_type: ClassVar[str] = "reports.document_created"

    document_id: UUID
    review_id: UUID
    kind: DocumentKind
    agency_id: UUID | None
    sections: int


class SectionAssigned(EventData):
    """A section was assigned to a person or an agency (or unassigned), or shared with other agencies. The
    notifications service may tell the person or the agency's lead."""

    event_type: ClassVar[str] = "reports.section_assigned"

    document_id: UUID
    section_id: UUID
    review_id: UUID
    assigned_user_id: str | None
    assigned_agency_id: UUID | None
    shared_with_agency_ids: list[UUID]


# -- versions --


class VersionNamed(EventData):
    """The current state of every section of a document was kept under a name ("For factual accuracy")."""

    event_type: ClassVar[str] = "reports.version_named"

    version_id: UUID
    document_id: UUID
    review_id: UUID
    name: str
    sections: int


class VersionRestored(EventData):
    """A document's sections were set back to a named version's text, as a new edit (history is kept)."""

    event_type: ClassVar[str] = "reports.version_restored"

    version_id: UUID
    document_id: UUID
    review_id: UUID
    sections_changed: int


class VersionLocked(EventData):
    """A version was locked (the partners signed it off): it can no longer be renamed or deleted."""

    event_type: ClassVar[str] = "reports.version_locked"

    version_id: UUID
    document_id: UUID
    review_id: UUID


class PublicationCopyReady(EventData):
    """A document's publication copy passed the check (no real name, date of birth, address, school or case
    record identifier left) and was marked ready. Ids only."""

    event_type: ClassVar[str] = "reports.publication_copy_ready"

    document_id: UUID
    review_id: UUID


class VersionRenamed(EventData):
    """A version that was not locked was given another name."""

    event_type: ClassVar[str] = "reports.version_renamed"

    version_id: UUID
    document_id: UUID
    review_id: UUID
    name: str


class VersionDeleted(EventData):
    """A version that was not locked was deleted (the document's text and history are untouched)."""

    event_type: ClassVar[str] = "reports.version_deleted"

    version_id: UUID
    document_id: UUID
    review_id: UUID


EVENTS: tuple[type[EventData], ...] = (
    DocumentCreated,
    SectionAssigned,
    VersionNamed,
    VersionRestored,
    VersionLocked,
    VersionRenamed,
    VersionDeleted,
    PublicationCopyReady,
)


# -- the RPCs -----------------------------------------------------------------------------------------------


class Reports(RemoteService):
    """Documents of reviews written together: created from templates, sections assigned, each section's text
    a Yjs document kept update by update and compacted into snapshots.

    The service implements each with the same signature (services/reports/service.py);
    tests/unit/test_contracts.py proves the two agree. Every RPC checks who may read or change what
    (services/reports/policy.py): a document or section the caller may not read is not found.
    """

    service = SERVICE

    async def documents_of_review(self, actor: Actor, review_id: ReviewId) -> list[DocumentSummary]:
        """The review's documents the caller may read some of, oldest first; NotFound for a caller with no
        part in the review."""
        raise NotImplementedError

    async def get_document(self, actor: Actor, document_id: DocumentId) -> DocumentDetail:
        """A document with the sections the caller may read and their saved text; NotFound otherwise."""
        raise NotImplementedError

    async def create_document(self, actor: Actor, command: NewDocumentCommand) -> DocumentDetail:
        """Begin a document from its kind's template (the review's business manager or independent
        reviewer). Emits reports.document_created."""
        raise NotImplementedError

    async def assign_section(
        self, actor: Actor, section_id: SectionId, command: AssignmentCommand
    ) -> DocumentDetail:
        """Assign a section to a person or an agency and share it with other agencies (the review's business
        manager or independent reviewer). Emits reports.section_assigned."""
        raise NotImplementedError

    async def assignees(self, actor: Actor, review_id: ReviewId) -> Assignees:
        """Whom the review's sections can be assigned to (for those who assign)."""
        raise NotImplementedError

    async def open_section(self, actor: Actor, section_id: SectionId) -> SectionGrant:
        """Whether the caller may open a section's live document and with what access, and its saved state;
        NotFound for anyone who may not read it. The gateway asks before it accepts a websocket."""
        raise NotImplementedError

    async def save_updates(
        self, actor: Actor, section_id: SectionId, command: UpdatesCommand
    ) -> SavedUpdates:
        """Append Yjs updates the caller made to a section, in one transaction; compact the section into a
        snapshot when enough have gathered. Forbidden unless the caller may change the section; InvalidRequest
        for bytes that are not a Yjs update (nothing is kept then)."""
        raise NotImplementedError

    async def document_text(self, actor: Actor, document_id: DocumentId) -> DocumentText:
        """The document's sections the caller may read, as structured text."""
        raise NotImplementedError

    # -- versions --

    async def name_version(
        self,
        actor: Actor,
        document_id: DocumentId,
        command: NameVersionCommand,
        idempotency_key: str | None = None,
    ) -> VersionSummary:
        """Keep the current state of every section of the document under a name (the review's business
        manager or independent reviewer): each section's Yjs state and its text as blocks. Emits
        reports.version_named; InvalidRequest for an empty name or one another version of the document has.
        A repeated idempotency key returns the first answer."""
        raise NotImplementedError

    async def versions_of_document(self, actor: Actor, document_id: DocumentId) -> list[VersionSummary]:
        """The document's versions, newest first, with who named them and when; NotFound for a caller who may
        read nothing of the document."""
        raise NotImplementedError

    async def version_text(self, actor: Actor, version_id: VersionId) -> VersionText:
        """A version's text as structured blocks: the sections the caller may read (as document_text does for
        the current text), with the version's name and who named it. NotFound otherwise."""
        raise NotImplementedError

    async def compare_versions(
        self, actor: Actor, document_id: DocumentId, earlier: VersionChoice, later: VersionChoice
    ) -> VersionComparison:
        """What changed from one version to another (None: the current text), section by section, for the
        sections the caller may read: blocks added, removed or changed, with words inserted and deleted."""
        raise NotImplementedError

    async def restore_version(
        self, actor: Actor, version_id: VersionId, idempotency_key: str | None = None
    ) -> RestoredVersion:
        """Set every section of the document back to the version's text as a new edit (the review's business
        manager or independent reviewer): the update that turns each section's current state into the
        version's is appended like an editor's, and returned so the gateway sends it to open pages. Stored
        updates are never rewritten. Emits reports.version_restored."""
        raise NotImplementedError

    async def rename_version(
        self, actor: Actor, version_id: VersionId, command: NameVersionCommand
    ) -> VersionSummary:
        """Give a version another name (manager or reviewer); Conflict once it is locked. Emits
        reports.version_renamed."""
        raise NotImplementedError

    async def delete_version(self, actor: Actor, version_id: VersionId) -> None:
        """Delete a version (manager or reviewer); Conflict once it is locked. The document is untouched.
        Emits reports.version_deleted."""
        raise NotImplementedError

    async def lock_version(self, actor: Actor, version_id: VersionId) -> VersionSummary:
        """Lock a version, recording the partners' sign-off of it (manager or reviewer): from then on it
        cannot be renamed or deleted. Locking a locked version changes nothing. Emits reports.version_locked
        once."""
        raise NotImplementedError

    # -- publication --

    async def build_publication_copy(
        self, actor: Actor, document_id: DocumentId, register: PeopleRegister
    ) -> PublicationCopy:
        """Build (or build again, replacing the old) the document's publication copy from its current text,
        every real name of the review's people register replaced by the person's pseudonym (their role where
        they have none), and check it (the review's business manager or independent reviewer)."""
        raise NotImplementedError

    async def publication_copy(self, actor: Actor, document_id: DocumentId) -> PublicationCopy:
        """The document's publication copy with the last check's findings; NotFound when none is built (or
        the caller may not see it)."""
        raise NotImplementedError

    async def edit_copy_block(
        self,
        actor: Actor,
        document_id: DocumentId,
        section_id: SectionId,
        block: int,
        command: BlockTextCommand,
    ) -> PublicationCopy:
        """Change the text of one block (counted from 1) of a section of the publication copy, or its title
        (block 0, with the document's id as the section's); a ready copy goes back to draft, to be checked
        again."""
        raise NotImplementedError

    async def check_publication_copy(
        self, actor: Actor, document_id: DocumentId, register: PeopleRegister
    ) -> PublicationCopy:
        """Check the copy against the review's people register and keep the places found."""
        raise NotImplementedError

    async def mark_copy_ready(
        self, actor: Actor, document_id: DocumentId, register: PeopleRegister
    ) -> PublicationCopy:
        """Check the copy once more and mark it ready (emits reports.publication_copy_ready); refused while
        any real name, date of birth, address, school or record identifier remains: the copy comes back a
        draft with each place listed in `findings`."""
        raise NotImplementedError

    async def export_document(
        self,
        actor: Actor,
        document_id: DocumentId,
        file_format: ExportFormat,
        partnership_name: PartnershipName,
    ) -> ExportedFile:
        """The document's current text (the sections the caller may read) as Word or PDF, headed by its title
        and the review's partnership."""
        raise NotImplementedError

    async def export_publication_copy(
        self,
        actor: Actor,
        document_id: DocumentId,
        file_format: ExportFormat,
        partnership_name: PartnershipName,
    ) -> ExportedFile:
        """The document's publication copy as Word or PDF (its business manager or independent reviewer)."""
        raise NotImplementedError


# -- versions --

VersionId = Annotated[UUID, found_by_id("version")]


def _version_or_current(value: object) -> object:
    """None (or "current") is the current text; anything else must be a version's id ("No such version")."""
    if value is None or value == "current":
        return None
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound("No such version") from None


# A side of a comparison: a version's id, or None for the document's current text.
VersionChoice = Annotated[UUID | None, BeforeValidator(_version_or_current)]
VersionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
WordChangeKind = Literal["same", "inserted", "deleted"]
BlockChangeKind = Literal["same", "added", "removed", "changed"]


class NameVersion(BaseModel):
    """The name to keep a version under, as people will know it ("For factual accuracy", "Final to the
    Panel"): 1 to 120 characters."""

    name: VersionName


NameVersionCommand = Annotated[NameVersion, Refused("The version")]


class VersionSummary(BaseModel):
    """A named version of a document: its name, who named it and when, and whether it is locked (signed off).
    Nothing of its text."""

    id: UUID
    document_id: UUID
    review_id: UUID
    name: str
    named_by: str
    named_by_name: str | None = None
    named_at: datetime
    locked: bool = False
    locked_by: str | None = None
    locked_by_name: str | None = None
    locked_at: datetime | None = None


class VersionText(DocumentText):
    """A version's text: the sections the caller may read as they were when the version was named (the shape
    of DocumentText, so what exports the current text exports a version too), and the version itself."""

    version: VersionSummary


class WordChange(BaseModel):
    """A run of a block's text: unchanged, inserted in the later text or deleted from the earlier one."""

    change: WordChangeKind
    text: str


class BlockDifference(BaseModel):
    """One block of a section compared: the same, added, removed, or changed (with its words marked)."""

    change: BlockChangeKind
    kind: BlockKind
    level: int | None = None
    words: list[WordChange]


class SectionDifference(BaseModel):
    """A section compared between two texts: whether anything changed, and each block."""

    section_id: UUID
    key: str
    title: str
    changed: bool
    blocks: list[BlockDifference]


class VersionComparison(BaseModel):
    """The difference between two texts of a document (`earlier`, `later`: versions, or None for the current
    text), section by section, for the sections the caller may read."""

    document_id: UUID
    review_id: UUID
    title: str
    earlier: VersionSummary | None
    later: VersionSummary | None
    sections: list[SectionDifference]


class RestoredSection(BaseModel):
    """A section set back to a version's text: the update appended to it (a Yjs update, base64), which the
    gateway sends to the section's open pages."""

    section_id: UUID
    update_base64: str


class RestoredVersion(BaseModel):
    """A version restored: the sections whose text changed and the update each was given (sections already
    equal to the version are left alone)."""

    version: VersionSummary
    document_id: UUID
    review_id: UUID
    sections: list[RestoredSection]
