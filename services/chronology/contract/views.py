"""What the chronology service answers and accepts: the people register, uploads and the merged chronology.

Pure pydantic, no I/O. Real names appear in a `PersonView` or an `EntryView` only when the service decided the
caller may see them (the business manager, the independent reviewer, and an agency for its own entries) and
the caller asked to see them; everyone else reads pseudonyms ("Child A", "Mother").
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.chronology.contract.entries import Precision, Significance

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
# A UK postcode as people write it ("NE1 4ST", "ne14st"): kept in capitals, compared without spaces.
Postcode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s?[0-9][A-Za-z]{2}$"
    ),
]
# An NHS number: ten digits, often written 3-3-4 with spaces or hyphens.
NhsNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{3}[ -]?\d{3}[ -]?\d{4}$")]
RecordNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=60)]

UploadState = Literal["checking", "rejected", "ready", "current", "superseded", "abandoned"]
UploadSource = Literal["file", "system"]

# What a reader may page through at once.
MAX_PAGE = 500


class AddPerson(BaseModel):
    """Add someone in the case to a review's people register, with the pseudonym the chronology shows."""

    model_config = ConfigDict(extra="forbid")

    review_id: UUID
    label: Label = Field(title="Pseudonym", description='How the chronology names them, e.g. "Child A"')
    name: Name = Field(title="Full name", description="As the agencies' records have it")
    role_in_family: Words = Field(title="Role in the family", description='For example "Mother", "Sibling 1"')
    born_on: date | None = Field(default=None, title="Date of birth")
    subject: bool = Field(default=False, title="The child the review is about")
    also_known_as: list[Name] = Field(
        default_factory=list, max_length=10, title="Other names", description="Other spellings agencies use"
    )
    # What else identifies them in the case records; the publication copy of a report is checked for each.
    address: Address | None = Field(default=None, title="Address", description="As the records have it")
    postcode: Postcode | None = Field(default=None, title="Postcode")
    school: Name | None = Field(default=None, title="School, nursery or college")
    nhs_number: NhsNumber | None = Field(default=None, title="NHS number")
    record_numbers: list[RecordNumber] = Field(
        default_factory=list,
        max_length=10,
        title="Case record numbers",
        description="Agencies' record numbers for them (a social care id, a police reference)",
    )


class PersonView(BaseModel):
    """One person in a review's register. `name`, `born_on`, `also_known_as` and what else identifies them
    (address, postcode, school, NHS number, record numbers) are None (empty) unless the caller may see real
    names and asked to."""

    id: UUID
    review_id: UUID
    label: str
    role_in_family: str
    subject: bool
    name: str | None = None
    born_on: date | None = None
    also_known_as: list[str] = Field(default_factory=list)
    address: str | None = None
    postcode: str | None = None
    school: str | None = None
    nhs_number: str | None = None
    record_numbers: list[str] = Field(default_factory=list)


class CheckRules(BaseModel):
    """What the template and the checker of a file need to know of a review: the subject child's date of
    birth, the register's spellings (casefolded spelling -> pseudonym), the partnership's own columns and the
    limits. `spellings` and `born_on` are sent only to an agency that may upload (its entries name these
    people); any other reader gets the template's part only."""

    review_id: UUID
    # The agency the caller uploads for; None (with the reason) when the caller may not upload.
    agency_id: UUID | None
    agency_name: str
    refusal: str | None = None
    born_on: date | None
    spellings: dict[str, str]
    pseudonyms: list[tuple[str, str]]  # (pseudonym, role in the family): what a template may show
    extra_columns: list[str]
    max_bytes: int
    max_rows: int


class ProblemView(BaseModel):
    """One thing to fix in an uploaded file, by row and column where it has them."""

    row: int | None = None
    column: str | None = None
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"row {self.row}" if self.row is not None else "",
                f"column {self.column}" if self.column else "",
            )
            if part
        )
        return f"{where or 'the file'}: {self.message}"


class StartUpload(BaseModel):
    """An agency's author starts to upload its chronology of a review (the file is then checked)."""

    model_config = ConfigDict(extra="forbid")

    review_id: UUID
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    size_bytes: int = Field(ge=0)
    # About how many rows the file holds (lines, or the sheet's dimension), for the progress bar; 0: unknown.
    rows_expected: int = Field(default=0, ge=0)


class UploadView(BaseModel):
    """One version of an agency's chronology of a review: a file uploaded (or a system's feed), its state,
    and who uploaded and imported it when."""

    id: UUID
    review_id: UUID
    agency_id: UUID
    agency_name: str
    source: UploadSource
    filename: str
    size_bytes: int
    state: UploadState
    rows_expected: int
    rows_read: int
    entries: int
    problems: int
    warnings: int
    uploaded_by: str
    uploaded_by_name: str
    uploaded_at: datetime
    imported_at: datetime | None = None
    imported_by_name: str | None = None
    replaced_upload_id: UUID | None = None


class EntryView(BaseModel):
    """One entry of the merged chronology as a reader sees it: pseudonyms unless names are shown."""

    id: UUID
    agency_id: UUID
    agency_name: str
    source: str  # the agency prefixed to its record: "Northbridge Police: CR/123"
    row: int | None
    date_typed: str
    starts_on: date
    ends_on: date
    precision: Precision
    approximate: bool
    time: time | None
    ended_typed: str | None
    practitioner_role: str
    event: str
    action: str | None
    no_action_reason: str | None
    significance: Significance | None
    agency_suggests_episode: bool
    episode: bool
    episode_learning: str | None = None
    # Confirmed by the reviewer as the same event as another agency's entry: that entry's source.
    same_event_as: str | None = None
    people: list[str]
    extra: dict[str, str]
    names_shown: bool
    # Days with no entry from any agency since the entry before it in date order, when over the threshold.
    gap_before_days: int | None = None


class UploadDetail(UploadView):
    """An upload with what its check found and, while it waits to be imported, its first entries."""

    problem_list: list[ProblemView]
    warning_list: list[ProblemView]
    first_entries: list[EntryView]


Learning = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
DuplicateState = Literal["flagged", "confirmed", "dismissed"]
Decision = Literal["confirm", "dismiss"]


class TagEpisode(BaseModel):
    """The reviewer tags an entry of the merged chronology as a key practice episode, noting the learning."""

    model_config = ConfigDict(extra="forbid")

    entry_id: UUID
    learning: Learning = Field(title="What this episode shows", description="The learning it points to")


class EpisodeView(BaseModel):
    """A key practice episode of a review: the entry it is (pseudonymised) and the learning noted.
    `entry_id` is None when the agency's current version no longer has that entry."""

    entry_id: UUID | None
    agency_id: UUID
    agency_name: str
    source: str
    date_typed: str
    starts_on: date | None
    event: str
    learning: str
    tagged_at: datetime


class DuplicateView(BaseModel):
    """Two entries from different agencies that look like one event: the reviewer confirms or dismisses."""

    id: UUID
    state: DuplicateState
    score: float
    first: EntryView
    second: EntryView


class ChronologyQuery(BaseModel):
    """Which entries of a review's merged chronology to read, and from where (keyset paging)."""

    model_config = ConfigDict(extra="forbid")

    agency_id: UUID | None = None
    from_on: date | None = None
    to_on: date | None = None
    episodes_only: bool = False
    person_id: UUID | None = None
    significance: Significance | None = None
    text: SearchText | None = None
    after: Annotated[str, StringConstraints(max_length=200)] | None = None
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    show_names: bool = False


class ChronologyPage(BaseModel):
    """A page of the merged chronology: entries in date order, the cursor of the next page, and counts."""

    entries: list[EntryView]
    next_after: str | None
    matching: int
    total: int
    names_shown: bool
    may_show_names: bool
    agencies: list[tuple[UUID, str]]  # agencies with entries, for the filter
    # Agencies whose newest version is current but still being made searchable and compared for likely
    # duplicates (in the background, seconds after its import): free text and duplicates miss it until then.
    settling: list[str] = []
