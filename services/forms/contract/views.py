"""What the forms service answers with: reviews, their steps, deadlines, returns and documents
as the pages show them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    Field,
)


class StageInfo(BaseModel):
    """A stage of a review type."""

    code: str
    label: str


class ReviewTypeInfo(BaseModel):
    """A kind of review the partnership can open, as its definition file (review_types/*.yml) says."""

    code: str
    label: str
    hint: str
    stages: list[StageInfo]
    basis: str = ""


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


class RetentionCandidate(BaseModel):
    """A review old enough to be considered under the partnership's retention schedule."""

    id: UUID
    partnership_id: UUID
    title: str
    review_type: str
    opened_at: datetime


# -- what the pages and the API see of a review's lifecycle ------------------------------------------------

StepStatus = Literal["completed", "in_progress", "not_started", "cannot_start", "not_needed"]
Rag = Literal["red", "amber", "green", "paused", "none"]


class DeadlineView(BaseModel):
    """A deadline of a review: the statutory date, the date revised for pauses, and how it stands.

    `status`: "waiting" (its clock has not started), "due", "paused", "overdue", "met", "late".
    `pausable`: a pause for a parallel process stops it (the rapid review's statutory deadlines run on).
    """

    code: str
    label: str
    statutory: bool
    step: str | None
    basis: str
    trigger_on: date | None
    due_on: date | None
    revised_due_on: date | None
    done_on: date | None
    status: Literal["waiting", "due", "paused", "overdue", "met", "late"]
    late_by_working_days: int = 0
    working_days_left: int | None = None
    rag: Rag = "none"
    day_plan: int | None = None
    pausable: bool = False


class StepView(BaseModel):
    """A step of a review as its task list shows it."""

    code: str
    label: str
    stage: str
    form: str
    status: StepStatus
    blocked_by: str = ""
    may_complete: bool = False
    # Who completes the step, in words ("The executive or a safeguarding partner").
    done_by: str = ""
    deadline: str | None = None
    due_on: date | None = None
    completed_on: date | None = None
    completed_by: str | None = None
    answers: dict[str, Any] | None = None
    version: int = 0
    # Before anything is saved: the earlier answers this step's form starts with (editable), if any.
    prefill: dict[str, Any] | None = None


class PauseView(BaseModel):
    """A pause of a review's clock for a parallel process."""

    id: UUID
    reason: str
    reason_label: str
    detail: str
    starts_on: date
    ends_on: date | None
    approved_by: str
    recorded_by: str
    recorded_at: datetime


class ReturnSummary(BaseModel):
    """An agency's return as the returns board and the agency's list show it.

    `list_returns` RPC: the returns asked of the caller's agency. `partnership_returns` RPC: every return
    of the caller's own partnership's open reviews, overdue first, then by due date (its business manager,
    partners and executive only; Forbidden for anyone else).
    """

    id: UUID
    review_id: UUID
    review_title: str
    partnership_id: UUID
    agency_id: UUID
    agency_name: str
    status: Literal["requested", "draft", "submitted", "nil"]
    due_on: date
    extended_to: date | None
    extension_reason: str
    submitted_at: datetime | None
    submitted_by: str | None
    late_by_working_days: int
    overdue: bool
    # While not in: working days past the due date (overdue), or left before it (None once overdue or in).
    overdue_by_working_days: int = 0
    working_days_left: int | None
    version: int


class Addendum(BaseModel):
    """A correction to a submitted return, with its own author and time."""

    id: UUID
    text: str
    author: str
    added_at: datetime


class ReturnView(ReturnSummary):
    """One return, whole: its answers and any addenda."""

    answers: dict[str, Any]
    addenda: list[Addendum]
    # The caller is one of the agency's own people (drafts, addenda) / its safeguarding lead (submits).
    own_agency: bool = False
    agency_lead: bool = False
    may_edit: bool
    may_submit: bool
    missing: list[dict[str, str]]


class StageView(BaseModel):
    """A stage of a review's timeline: reached or not, and when."""

    code: str
    label: str
    state: Literal["done", "current", "future", "skipped"]
    reached_on: date | None = None


class ReviewFile(ReviewSummary):
    """A review with its lifecycle: steps, stages, the statutory clock, pauses and the returns."""

    steps: list[StepView]
    stages: list[StageView]
    deadlines: list[DeadlineView]
    pauses: list[PauseView]
    returns: list[ReturnSummary]
    next_deadline: DeadlineView | None
    rag: Rag
    paused: bool
    closed: bool
    may_manage: bool
    version: int


class ReviewListEntry(ReviewSummary):
    """A review in "my reviews": its next deadline and red/amber/green state."""

    next_deadline: DeadlineView | None
    rag: Rag
    paused: bool
    closed: bool


class DeadlineSetting(BaseModel):
    """A partnership's own figure for a deadline of a review type, within what statute allows."""

    review_type: str
    code: str
    label: str
    unit: Literal["working_days", "months"]
    default: int
    minimum: int
    maximum: int
    value: int
    statutory: bool


class ChronologyEpisode(BaseModel):
    """A key practice episode of the review's merged chronology, as the reports show it (pseudonymised):
    when, from which agency's record, what happened and the learning the reviewer noted."""

    date_typed: str
    source: str
    what_happened: str
    learning: str


class DocumentFile(BaseModel):
    """A document assembled from a review's data: its file name, media type and bytes (base64)."""

    filename: str
    media_type: str
    content_base64: str
