"""The forms service's events: facts about reviews, their lifecycle and their returns. Identifiers and facts,
no free text about a child."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.kernel.events import EventData


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


# -- events of the lifecycle --------------------------------------------------------------------------------


class StepCompleted(EventData):
    """A step of a review was completed; its timeliness when it had a deadline."""

    event_type = "forms.step_completed"

    review_id: UUID
    review_type: str
    step: str
    form: str
    stage: str
    completed_on: date
    deadline: str | None = None
    due_on: date | None = None
    revised_due_on: date | None = None
    late_by_working_days: int | None = None


class StageChanged(EventData):
    """A review moved to another stage."""

    event_type = "forms.stage_changed"

    review_id: UUID
    review_type: str
    previous_stage: str
    stage: str


class ReviewRestated(EventData):
    """Where a review is now, restated for consumers that came later (forms' migration 0004 restates
    every review once, so that analytics' stages start from the truth rather than from its openings)."""

    event_type = "forms.review_restated"

    review_id: UUID
    review_type: str
    stage: str


class ChildCategories(BaseModel):
    """One child of a notification in the DfE's categories only, for figures: never a name, a date of birth
    or an exact age. `age_band` is worked out by forms from the age or date of birth on the day of the
    incident; `legal_status` holds the codes that apply (none, or several)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    age_band: Literal["under_1", "1_to_4", "5_to_9", "10_to_15", "16_to_17", "18_and_over", "not_known"]
    sex: str
    ethnicity: str
    disability: str
    legal_status: list[str] = Field(default_factory=list)


class SinSubmitted(EventData):
    """A Serious Incident Notification was sent to the Panel: counts and categories only, no details of the
    children (`children_categories`: one entry per child, ChildCategories)."""

    event_type = "forms.sin_submitted"

    review_id: UUID
    notified_on: date
    date_aware: date
    due_on: date | None
    late_by_working_days: int | None
    children: int
    nature: str
    children_categories: list[ChildCategories] = Field(default_factory=list)


class PanelResponded(EventData):
    """The National Panel answered a rapid review: `response` is agrees, questions or national_review;
    `local_decision` the outcome forms recorded (decision_made's code), None if none was recorded yet."""

    event_type = "forms.panel_responded"

    review_id: UUID
    review_type: str
    response: str
    local_decision: str | None
    received_on: date


class DecisionMade(EventData):
    """The partners decided whether to hold a review, with the outcome code (the rationale stays in forms)."""

    event_type = "forms.decision_made"

    review_id: UUID
    review_type: str
    outcome: str
    decided_on: date


class ReviewPublished(EventData):
    """A review's report was published, or it was recorded that it will not be (`published` False)."""

    event_type = "forms.review_published"

    review_id: UUID
    review_type: str
    published: bool
    published_on: date | None


class ReviewClosed(EventData):
    """A review was closed."""

    event_type = "forms.review_closed"

    review_id: UUID
    review_type: str
    closed_on: date


class DeadlineChanged(EventData):
    """A deadline of a review was set or moved: its clock started, a pause moved it, or it was met.

    `due_on` is the statutory date, `revised_due_on` the date after pauses; `reason` is a code: started,
    paused, resumed, met.
    """

    event_type = "forms.deadline_changed"

    review_id: UUID
    review_type: str
    deadline: str
    label: str
    statutory: bool
    due_on: date | None
    revised_due_on: date | None
    previous_revised_due_on: date | None
    status: str
    reason: str


class ReviewPaused(EventData):
    """A review's clock was paused for a parallel process (reason code, dates; no free text)."""

    event_type = "forms.review_paused"

    review_id: UUID
    pause_id: UUID
    reason: str
    starts_on: date
    ends_on: date | None


class ReviewResumed(EventData):
    """An open pause of a review's clock was ended."""

    event_type = "forms.review_resumed"

    review_id: UUID
    pause_id: UUID
    ends_on: date


class ReturnRequested(EventData):
    """An agency was asked for its rapid review return, due on a date (notifications tell its leads)."""

    event_type = "forms.return_requested"

    review_id: UUID
    return_id: UUID
    agency_id: UUID
    due_on: date


class ReturnSubmitted(EventData):
    """An agency submitted its return (`nil`: no involvement), on time or late by some working days."""

    event_type = "forms.return_submitted"

    review_id: UUID
    return_id: UUID
    agency_id: UUID
    nil: bool
    due_on: date
    late_by_working_days: int


class ReturnExtended(EventData):
    """An agency was given more time for its return."""

    event_type = "forms.return_extended"

    review_id: UUID
    return_id: UUID
    agency_id: UUID
    previous_due_on: date
    due_on: date


class ReturnAmended(EventData):
    """An addendum was added to a submitted return."""

    event_type = "forms.return_amended"

    review_id: UUID
    return_id: UUID
    agency_id: UUID
    addendum_id: UUID
