"""Commands to the forms service: what a caller asks it to do, validated at the boundary."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.forms.contract.answers import FormDate, LongText, PastDate, ShortText, choices
from services.forms.contract.forms import InvitedAgency
from services.forms.contract.names import TITLE_MAX

# The validation context's key for the codes of the review types the service offers (see OpenReview).
REVIEW_TYPES_OFFERED = "review_types_offered"


class OpenReview(BaseModel):
    """Command: open a new review in a partnership. The title is a case reference, never a child's name."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    review_type: str = Field(min_length=1, max_length=50)
    partnership_id: UUID
    title: str = Field(min_length=3, max_length=TITLE_MAX)

    @field_validator("title")
    @classmethod
    def _title_is_printable(cls, value: str) -> str:
        if any(ord(ch) < 32 for ch in value):
            raise ValueError("Title must be a single line of text")
        return value

    @field_validator("review_type")
    @classmethod
    def _review_type_is_offered(cls, value: str, info: ValidationInfo) -> str:
        # Review types are data the service holds: it says which it offers (the validation context
        # REVIEW_TYPES_OFFERED), so an unknown one is refused in the same list as the other fields.
        offered = (info.context or {}).get(REVIEW_TYPES_OFFERED)
        if offered is not None and value not in offered:
            raise PydanticCustomError("unknown_review_type", "Select the type of review")
        return value


class ShareReview(BaseModel):
    """Command: let another partnership's business manager, partners and executive read a review."""

    model_config = ConfigDict(extra="forbid")

    review_id: UUID
    partnership_id: UUID


class RetentionQuery(BaseModel):
    """Data protection: list the reviews opened before this date (ISO, e.g. 2019-04-01)."""

    model_config = ConfigDict(extra="forbid")

    opened_before: FormDate


PAUSE_REASONS = {
    "criminal_investigation": "Criminal investigation or trial",
    "inquest": "Coroner's inquest",
    "family_proceedings": "Family proceedings",
    "other_review": "Another statutory review of the same death or harm",
    "single_agency_review": "Single-agency review",
    "other": "Other parallel process",
}


class EarlierCompletion(BaseModel):
    """Command detail: the earlier day a step was done, for the system recording what happened before."""

    model_config = ConfigDict(extra="forbid")

    completed_on: PastDate


class RecordPause(BaseModel):
    """Command: pause a review's clock for a parallel process, with who agreed it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Literal[
        "criminal_investigation",
        "inquest",
        "family_proceedings",
        "other_review",
        "single_agency_review",
        "other",
    ] = Field(
        title="Why is the review paused?",
        json_schema_extra={**choices(**PAUSE_REASONS), "missing": "Select why the review is paused"},
    )
    detail: LongText = Field(
        title="Details", description="No names: say what the process is and what it affects"
    )
    starts_on: FormDate = Field(
        title="Pause starts on", json_schema_extra={"missing": "Enter the date the pause starts"}
    )
    ends_on: FormDate | None = Field(
        default=None, title="Pause ends on", description="Leave empty if not known yet"
    )
    approved_by: ShortText = Field(
        title="Who agreed the pause?",
        description="Their role, for example 'Lead safeguarding partner (police)'",
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> RecordPause:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise PydanticCustomError(
                "date_order", "The pause must end on or after the day it starts", {"field": "ends_on"}
            )
        return self


class EndPause(BaseModel):
    """Command: end an open pause on a date."""

    model_config = ConfigDict(extra="forbid")

    ends_on: FormDate = Field(title="Pause ended on")


class AskAgency(BaseModel):
    """Command: ask one more agency for a return once the rapid review has begun."""

    model_config = ConfigDict(extra="forbid")

    agency: InvitedAgency


class ExtendReturn(BaseModel):
    """Command: give an agency more time for its return, with the reason."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    extended_to: FormDate = Field(title="New due date")
    reason: LongText = Field(title="Reason for the extension")


class AddAddendum(BaseModel):
    """Command: add a correction to a submitted return."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: LongText = Field(title="Addendum", description="What is corrected or added, and why")


class ChangeDeadlineSettings(BaseModel):
    """Command: set a partnership's deadline figures for one review type ({deadline code: value})."""

    model_config = ConfigDict(extra="forbid")

    review_type: str
    values: dict[str, int]


class Refer(BaseModel):
    """Command: refer a possible serious incident. Opens a review whose first step (the referral) is
    completed with these answers; anyone with a case role in the partnership may refer."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    review_type: str = Field(min_length=1, max_length=50)
    partnership_id: UUID
    title: str = Field(min_length=3, max_length=TITLE_MAX)
    referral: dict[str, Any]
