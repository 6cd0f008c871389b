"""What other services and the gateway may know of the forms service: its RPCs' payloads and its events."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


class ReviewOpened(EventData):
    """A partnership opened a review: its type and first stage. Carries no free text about the child."""

    event_type = "forms.review_opened"

    review_id: UUID
    review_type: str
    stage: str
    opened_at: datetime
