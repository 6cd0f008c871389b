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

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, ValidationError, model_validator

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
# -- comments -----------------------------------------------------------------------------------------------

# The longest a comment's or a reply's plain text may be, and the text an anchor quotes.
MAX_COMMENT = 2000
MAX_QUOTE = 1000
CommentBody = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_COMMENT,
        title="Comment",
        description=f"Plain text of at most {MAX_COMMENT} characters; @Name mentions a person",
    ),
]
CommentId = Annotated[UUID, found_by_id("comment")]


class NewComment(BaseModel):
    """A comment on a range of a section's text. `anchor_id` is the id the editor put on the range (a TipTap
    mark `comment` in the section's Yjs document, so it moves with the text as others edit); `quote` the text
    it covered when the comment was made. An @ followed by the name of a person who may read the section
    mentions them: they are told."""

    anchor_id: UUID
    quote: Annotated[str, Field(max_length=MAX_QUOTE)] = ""
    body: CommentBody

    @model_validator(mode="after")
    def _body_has_words(self) -> NewComment:
        if not self.body.strip():
            raise ValueError("Write the comment")
        return self


class NewReply(BaseModel):
    """A reply to a comment (plain text; @Name mentions a person who may read the section)."""

    body: CommentBody

    @model_validator(mode="after")
    def _body_has_words(self) -> NewReply:
        if not self.body.strip():
            raise ValueError("Write the reply")
        return self


class Resolution(BaseModel):
    """Resolve a comment (its thread is done with) or reopen it."""

    resolved: bool


class ReplyView(BaseModel):
    """A reply in a comment's thread: who wrote it, when, and its words."""

    id: UUID
    author_id: str
    author_name: str
    body: str
    created_at: datetime


class CommentView(BaseModel):
    """A comment as its readers see it: the section and anchor it is on, the text quoted, who wrote it and
    when, its words, the replies in order, and whether (and by whom) it is resolved."""

    id: UUID
    document_id: UUID
    section_id: UUID
    anchor_id: UUID
    quote: str
    author_id: str
    author_name: str
    body: str
    created_at: datetime
    replies: list[ReplyView] = Field(default_factory=list)
    resolved: bool = False
    resolved_by_name: str | None = None
    resolved_at: datetime | None = None


class DocumentComments(BaseModel):
    """The comments on the sections of a document the caller may read, oldest first, and, per section, the
    people who may be mentioned on it (@Name)."""

    document_id: UUID
    comments: list[CommentView]
    mentionable: dict[UUID, list[PersonOption]] = Field(default_factory=dict)


def comment_problems(error: ValidationError) -> list[dict[str, str]]:
    """A comment or reply that does not validate, in words that say what to fix (never the value given)."""
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "body"
        if field == "body" and item["type"] == "string_too_long":
            message = f"The comment must be {MAX_COMMENT} characters or fewer"
        elif field == "body" and item["type"] in ("string_too_short", "missing"):
            message = "Write the comment"
        elif field == "quote":
            message = f"Select less text to comment on: at most {MAX_QUOTE} characters"
        elif field == "anchor_id":
            message = "Select the text to comment on"
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
        problems.append({"field": field, "message": message})
    return problems


NewCommentCommand = Annotated[NewComment, Refused("The comment", comment_problems)]
NewReplyCommand = Annotated[NewReply, Refused("The reply", comment_problems)]
ResolutionCommand = Annotated[Resolution, Refused("The resolution")]


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


class CommentAdded(EventData):
    """A comment (or a reply to one: `reply_id`) was written on a section; `mentioned_user_ids` are the people
    it mentions, whom the notifications service tells. Ids only: never the comment's words or the quoted
    text."""

    event_type: ClassVar[str] = "reports.comment_added"

    comment_id: UUID
    reply_id: UUID | None
    section_id: UUID
    document_id: UUID
    review_id: UUID
    author_id: str
    mentioned_user_ids: list[str]


class CommentResolved(EventData):
    """A comment's thread was resolved (`resolved`) or reopened."""

    event_type: ClassVar[str] = "reports.comment_resolved"

    comment_id: UUID
    section_id: UUID
    document_id: UUID
    review_id: UUID
    resolved: bool


EVENTS: tuple[type[EventData], ...] = (
    DocumentCreated,
    SectionAssigned,
    VersionNamed,
    VersionRestored,
    VersionLocked,
    VersionRenamed,
    VersionDeleted,
    PublicationCopyReady,
    CommentAdded,
    CommentResolved,
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

    async def export_version(
        self,
        actor: Actor,
        document_id: DocumentId,
        version_id: VersionId,
        file_format: ExportFormat,
        partnership_name: PartnershipName,
    ) -> ExportedFile:
        """A named version's text, as it was when it was named, as Word or PDF: the sections the caller may
        read (whoever may read the version, as version_text), headed by the document's title and the review's
        partnership, the file named after the version. NotFound for a version of another document."""
        raise NotImplementedError

    # -- factual accuracy --

    async def open_accuracy_round(
        self,
        actor: Actor,
        version_id: VersionId,
        command: OpenAccuracyRoundCommand,
        idempotency_key: str | None = None,
    ) -> AccuracyPage:
        """Ask agencies to check a version for factual accuracy by a date (the review's business manager or
        independent reviewer). Default date: 10 working days from today; default agencies: those the
        document's sections are assigned to or shared with. Each agency checks the sections assigned to it or
        shared with it. Conflict while another round of the version is open or once the version is locked;
        InvalidRequest for a date not after today or an agency with no section about it. Emits
        reports.accuracy_round_opened and one reports.accuracy_requested per agency."""
        raise NotImplementedError

    async def accuracy_of_version(self, actor: Actor, version_id: VersionId) -> AccuracyPage:
        """The version's factual-accuracy rounds as the caller may see them: the manager and reviewer see
        every agency's answer and comments; an agency's lead or author the sections about their agency in the
        version and their agency's answer. NotFound for anyone else."""
        raise NotImplementedError

    async def answer_accuracy(
        self, actor: Actor, round_id: RoundId, command: AccuracyAnswerCommand
    ) -> AccuracyPage:
        """Confirm the sections about the caller's agency, or dispute them with a comment per section (the
        agency's lead or author, a member of the review). The answer can be changed until the round closes.
        Emits reports.accuracy_confirmed or reports.accuracy_disputed (ids only, never the comments)."""
        raise NotImplementedError

    async def close_accuracy_round(self, actor: Actor, round_id: RoundId) -> AccuracyPage:
        """Close a round (manager or reviewer): answers can no longer change, chasing stops. Emits
        reports.accuracy_round_closed with the requests left unanswered."""
        raise NotImplementedError

    async def accuracy_request(self, actor: Actor, request_id: RequestId) -> AccuracyRequestPlace:
        """Where an agency's request of a round is (review, document, version), for a message's link; NotFound
        for a caller who may not see it."""
        raise NotImplementedError

    async def sign_off_of_version(self, actor: Actor, version_id: VersionId) -> SignOffPage:
        """The partners' sign-off of a version: who signed and when, how many are needed, and for a
        safeguarding partner of the partnership the version's whole text to sign. NotFound otherwise."""
        raise NotImplementedError

    async def sign_offs_of_review(self, actor: Actor, review_id: ReviewId) -> list[SignOffStanding]:
        """For each document of the review that has a named version, where its partners' sign-off stands
        (SignOffStanding), for those who see sign-off: the review's business manager and independent reviewer,
        and the partnership's safeguarding partners. Empty for anyone else."""
        raise NotImplementedError

    async def sign_off_version(self, actor: Actor, version_id: VersionId) -> SignOffPage:
        """Sign a version off for the caller's partner agency (a safeguarding partner of the partnership
        holding the review; one signature per partner). When every partner needed has signed, the version is
        locked, any open round of it is closed, and reports.version_signed_off is emitted. Conflict for a
        partner who signed already or a version locked already."""
        raise NotImplementedError

    async def family_comments_of_version(self, actor: Actor, version_id: VersionId) -> list[FamilyComments]:
        """When the family was shown the version, their comments and the response (manager or reviewer)."""
        raise NotImplementedError

    async def record_family_comments(
        self, actor: Actor, version_id: VersionId, command: FamilyCommentsCommand
    ) -> list[FamilyComments]:
        """Record that the family was shown the version on a date, what they said and the response (manager or
        reviewer; the family has no account). Emits reports.family_comments_recorded (ids and date only)."""
        raise NotImplementedError

    # -- comments --

    async def add_comment(
        self, actor: Actor, section_id: SectionId, command: NewCommentCommand
    ) -> CommentView:
        """Comment on a range of a section's text (anyone who may read the section, agencies it is shared with
        included); NotFound for anyone who may not. Emits reports.comment_added with the people mentioned."""
        raise NotImplementedError

    async def reply_to_comment(
        self, actor: Actor, comment_id: CommentId, command: NewReplyCommand
    ) -> CommentView:
        """Reply to a comment on a section the caller may read. Emits reports.comment_added (with
        `reply_id`)."""
        raise NotImplementedError

    async def resolve_comment(
        self, actor: Actor, comment_id: CommentId, command: ResolutionCommand
    ) -> CommentView:
        """Resolve a comment or reopen it (anyone who may read its section). Emits reports.comment_resolved
        when that changes anything."""
        raise NotImplementedError

    async def comments_of_document(self, actor: Actor, document_id: DocumentId) -> DocumentComments:
        """The comments on the document's sections the caller may read, and whom they may mention on each."""
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


# -- factual accuracy --

RoundId = Annotated[UUID, found_by_id("round")]
RequestId = Annotated[UUID, found_by_id("request")]
AccuracyAnswerKind = Literal["confirmed", "disputed"]
# The longest comment on a section, and the longest family comment or response (characters).
MAX_COMMENT = 5000


class OpenAccuracyRound(BaseModel):
    """A factual-accuracy round to open on a version: the date answers are due (None: 10 working days from
    today) and the agencies asked (empty: every agency a section of the document is assigned to or shared
    with)."""

    due_on: date | None = None
    agency_ids: list[UUID] = Field(default_factory=list, max_length=50)


class SectionComment(BaseModel):
    """An agency's comment on one section it disputes: what is not accurate and why."""

    section_id: UUID
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_COMMENT)]


class AccuracyAnswer(BaseModel):
    """An agency's answer: the sections about it are confirmed, or disputed with at least one comment."""

    answer: AccuracyAnswerKind
    comments: list[SectionComment] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _a_dispute_says_what(self) -> AccuracyAnswer:
        if self.answer == "disputed" and not self.comments:
            raise ValueError("Say what is not accurate in at least one section")
        if self.answer == "confirmed" and self.comments:
            raise ValueError("A confirmation has no comments: dispute the sections to comment on them")
        return self


class FamilyCommentsEntry(BaseModel):
    """The family was shown a version on a date: what they said (as the manager writes it down) and the
    response."""

    shown_on: date
    comments: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT)] = ""
    response: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT)] = ""


OpenAccuracyRoundCommand = Annotated[OpenAccuracyRound, Refused("The round")]
AccuracyAnswerCommand = Annotated[AccuracyAnswer, Refused("The answer")]
FamilyCommentsCommand = Annotated[FamilyCommentsEntry, Refused("The family's comments")]


class AccuracyComment(BaseModel):
    """A comment of an agency on a section it disputes, with the section's title."""

    section_id: UUID
    section_title: str
    text: str


class AgencyAnswerView(BaseModel):
    """One agency asked in a round: its sections, its answer (None: not answered yet), who answered and when,
    whether it is overdue, and its comments (shown to the manager, the reviewer and the agency itself)."""

    request_id: UUID
    agency_id: UUID
    agency_name: str
    section_ids: list[UUID]
    answer: AccuracyAnswerKind | None = None
    answered_by_name: str | None = None
    answered_at: datetime | None = None
    overdue: bool = False
    comments: list[AccuracyComment] = Field(default_factory=list)


class AccuracyRoundView(BaseModel):
    """A factual-accuracy round of a version as the caller may see it: when it is due, whether it is open,
    and the agencies' answers the caller may see (every one for the manager, their own for an agency)."""

    id: UUID
    version_id: UUID
    due_on: date
    opened_by_name: str | None = None
    opened_at: datetime
    open: bool
    closed_at: datetime | None = None
    agencies: list[AgencyAnswerView]
    counts: dict[str, int] = Field(default_factory=dict)


class AccuracyPage(BaseModel):
    """What the factual-accuracy page of a version shows the caller: the rounds, whether they manage them,
    the agencies that can be asked (for a new round), and the version's sections they check (their agency's,
    as the version keeps them)."""

    version: VersionSummary
    document_title: str
    may_manage: bool
    rounds: list[AccuracyRoundView]
    agency_options: list[AgencyOption] = Field(default_factory=list)
    default_agency_ids: list[UUID] = Field(default_factory=list)
    default_due_on: date | None = None
    sections: list[SectionText] = Field(default_factory=list)


class AccuracyRequestPlace(BaseModel):
    """Where an agency's request is: its review, document, version and round."""

    request_id: UUID
    round_id: UUID
    review_id: UUID
    document_id: UUID
    version_id: UUID


class PartnerSignOff(BaseModel):
    """One partner's signature of a version: the partner agency (or the person, if they have none), who signed
    and when."""

    partner_name: str
    signed_by_name: str | None = None
    signed_at: datetime


class SignOffPage(BaseModel):
    """The partners' sign-off of a version: the signatures, how many are needed, whether it is complete (the
    version is then locked), and whether the caller may sign now; for a partner, the version's text."""

    version: VersionSummary
    document_title: str
    signatures: list[PartnerSignOff]
    required: int
    complete: bool
    may_sign: bool
    signed_by_caller: bool
    sections: list[SectionText] = Field(default_factory=list)


class SignOffStanding(BaseModel):
    """Where the partners' sign-off of a document stands, for its report page and the review's list: its
    newest version, how many partners have signed that version off of how many needed, whether the caller may
    sign it now or has signed it, and the version last locked by sign-off (which may be an older one)."""

    document_id: UUID
    document_title: str
    version: VersionSummary
    signatures: int
    required: int
    may_sign: bool
    signed_by_caller: bool
    last_locked: VersionSummary | None = None


class FamilyComments(BaseModel):
    """The family shown a version on a date, their comments and the response, as the manager recorded them."""

    id: UUID
    version_id: UUID
    shown_on: date
    comments: str
    response: str
    recorded_by_name: str | None = None
    recorded_at: datetime


class AccuracyRoundOpened(EventData):
    """Agencies were asked to check a version of a document for factual accuracy by a date."""

    event_type: ClassVar[str] = "reports.accuracy_round_opened"

    round_id: UUID
    version_id: UUID
    document_id: UUID
    review_id: UUID
    due_on: date
    agency_ids: list[UUID]


class AccuracyRequested(EventData):
    """One agency of a round was asked to check the sections about it by a date (the notifications service
    tells its lead, and chases until it answers)."""

    event_type: ClassVar[str] = "reports.accuracy_requested"

    request_id: UUID
    round_id: UUID
    version_id: UUID
    document_id: UUID
    review_id: UUID
    agency_id: UUID
    due_on: date


class AccuracyConfirmed(EventData):
    """An agency confirmed the sections about it are factually accurate."""

    event_type: ClassVar[str] = "reports.accuracy_confirmed"

    request_id: UUID
    round_id: UUID
    version_id: UUID
    document_id: UUID
    review_id: UUID
    agency_id: UUID


class AccuracyDisputed(EventData):
    """An agency disputed sections about it, commenting on each (the comments stay in the service)."""

    event_type: ClassVar[str] = "reports.accuracy_disputed"

    request_id: UUID
    round_id: UUID
    version_id: UUID
    document_id: UUID
    review_id: UUID
    agency_id: UUID
    sections_disputed: int


class AccuracyRoundClosed(EventData):
    """A round was closed: answers no longer change; `request_ids` are the agencies' requests left
    unanswered (chasing stops)."""

    event_type: ClassVar[str] = "reports.accuracy_round_closed"

    round_id: UUID
    version_id: UUID
    document_id: UUID
    review_id: UUID
    request_ids: list[UUID]


class VersionSignOffRecorded(EventData):
    """A safeguarding partner signed a version off: how many partners have, of how many needed."""

    event_type: ClassVar[str] = "reports.version_sign_off_recorded"

    version_id: UUID
    document_id: UUID
    review_id: UUID
    partner_agency_id: UUID | None
    signatures: int
    required: int


class VersionSignedOff(EventData):
    """Every partner needed has signed a version off: it is locked."""

    event_type: ClassVar[str] = "reports.version_signed_off"

    version_id: UUID
    document_id: UUID
    review_id: UUID
    signatures: int


class FamilyCommentsRecorded(EventData):
    """The family's comments on a version were recorded (the words stay in the service)."""

    event_type: ClassVar[str] = "reports.family_comments_recorded"

    version_id: UUID
    document_id: UUID
    review_id: UUID
    shown_on: date


# The events of factual accuracy join the catalogue here, below their classes.
EVENTS = (
    *EVENTS,
    AccuracyRoundOpened,
    AccuracyRequested,
    AccuracyConfirmed,
    AccuracyDisputed,
    AccuracyRoundClosed,
    VersionSignOffRecorded,
    VersionSignedOff,
    FamilyCommentsRecorded,
)
