"""What others may know of the reports service: a review's documents (rapid review report, overview report,
learning brief, agency report) written together, section by section; the RPCs that answer them (the gateway's
live co-editing among them) and the events it publishes (exchange `reports.events`).

A section's text is a Yjs document (https://docs.yjs.dev): the gateway relays its updates between editors and
hands them here to be kept; other services read the sections as structured text (`document_text`). Events
carry identifiers and facts, never what a report says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, Field, ValidationError, model_validator

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


EVENTS: tuple[type[EventData], ...] = (DocumentCreated, SectionAssigned, CommentAdded, CommentResolved)


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
