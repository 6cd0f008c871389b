"""What other services and the gateway may know of the forms service: its RPCs' payloads and its events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from services.kernel.events import EventData

SERVICE = "forms"

ReviewTypeCode = Literal["child_safeguarding", "safeguarding_adults", "domestic_homicide"]
TITLE_MAX = 200


class OpenReview(BaseModel):
    """Command: open a new review in a partnership. The title is a case reference, never a child's name."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    review_type: ReviewTypeCode
    partnership_id: UUID
    title: str = Field(min_length=3, max_length=TITLE_MAX)

    @field_validator("title")
    @classmethod
    def _title_is_printable(cls, value: str) -> str:
        if any(ord(ch) < 32 for ch in value):
            raise ValueError("Title must be a single line of text")
        return value


class StageInfo(BaseModel):
    """A stage of a review type."""

    code: str
    label: str


class ReviewTypeInfo(BaseModel):
    """A kind of review the partnership can open, as the forms service defines it."""

    code: str
    label: str
    hint: str
    stages: list[StageInfo]


class ReviewSummary(BaseModel):
    """A review as its list and its confirmation page show it."""

    id: UUID
    partnership_id: UUID
    review_type: str
    review_type_label: str
    title: str
    stage: str
    stage_label: str
    opened_at: datetime
    # Other partnerships the review is shared with (their partnership case roles can read it).
    shared_with: list[UUID] = Field(default_factory=list)


class ShareReview(BaseModel):
    """Command: let another partnership's business manager, partners and executive read a review."""

    model_config = ConfigDict(extra="forbid")

    review_id: UUID
    partnership_id: UUID


class PersonQuery(BaseModel):
    """Data protection: whom to look for (subject access, erasure). At least one field is given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user_id: str | None = Field(default=None, min_length=1, max_length=100)
    email: EmailStr | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> PersonQuery:
        if self.user_id is None and self.email is None:
            raise ValueError("Give a user id or an e-mail address")
        return self


class PersonRecord(BaseModel):
    """Data protection: one record a service holds that refers to a person, described without case details.

    Every service answers `records_about_person` with these (the notifications service uses this type
    too), so the gateway can list them together.
    """

    service: str
    record_type: str
    record_id: str
    partnership_id: UUID | None
    summary: str
    # When the record was made or last changed; None where the service did not record it.
    recorded_at: datetime | None


class RetentionQuery(BaseModel):
    """Data protection: list the reviews opened before this date (ISO, e.g. 2019-04-01)."""

    model_config = ConfigDict(extra="forbid")

    opened_before: date


class RetentionCandidate(BaseModel):
    """A review old enough to be considered under the partnership's retention schedule."""

    id: UUID
    partnership_id: UUID
    title: str
    review_type: str
    opened_at: datetime


class ReviewOpened(EventData):
    """A partnership opened a review: its type and first stage. Carries no free text about the child."""

    event_type = "forms.review_opened"

    review_id: UUID
    review_type: str
    stage: str
    opened_at: datetime


class ReviewShared(EventData):
    """A partnership shared one of its reviews with another partnership, which may now read it."""

    event_type = "forms.review_shared"

    review_id: UUID
    shared_with_partnership_id: UUID
