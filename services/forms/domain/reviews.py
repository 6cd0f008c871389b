"""Opening a review and sharing it: the review types a partnership may open, the deadline figures a
review keeps for life. Pure: no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from uuid import UUID

from services.forms import policy
from services.forms.contract import (
    OpenReview,
    ReviewOpened,
    ReviewShared,
)
from services.forms.definitions import ReviewTypeDef, review_types
from services.kernel.calendar import ENGLAND
from services.kernel.errors import InvalidRequest
from services.kernel.events import EventData
from services.kernel.identity import Actor


def review_type(code: str) -> ReviewTypeDef:
    """The definition of a review type; InvalidRequest naming the field if there is none of that code."""
    found = review_types().get(code)
    if found is None:
        raise InvalidRequest("No such review type", problems=[UNKNOWN_REVIEW_TYPE])
    return found


UNKNOWN_REVIEW_TYPE = {
    "field": "review_type",
    "message": "Select the type of review",
    "type": "unknown_review_type",
}


# -- opening and sharing ------------------------------------------------------------------------------------


@dataclass
class Review:
    """A statutory review in one partnership, as it is opened."""

    id: UUID
    partnership_id: UUID
    review_type: str
    title: str
    stage: str
    opened_at: datetime
    opened_by: str
    deadline_figures: dict[str, int]
    events: list[EventData] = field(default_factory=list)


def figures_for(definition: ReviewTypeDef, partnership_figures: Mapping[str, int]) -> dict[str, int]:
    """The deadline figures a new review keeps for life: the partnership's own where it set one, else the
    default. Later changes to the partnership's figures apply to reviews opened after them."""
    return {
        code: partnership_figures.get(code, rule.amount)
        for code, rule in definition.deadlines.items()
        if rule.minimum <= partnership_figures.get(code, rule.amount) <= rule.maximum
    }


def open_review(
    command: OpenReview, actor: Actor, now: datetime, partnership_figures: Mapping[str, int] | None = None
) -> Review:
    """Open a review at its type's first stage, if the actor may open reviews in that partnership."""
    policy.check_may_open(actor, command.partnership_id)
    definition = review_type(command.review_type)
    review = Review(
        id=uuid.uuid4(),
        partnership_id=command.partnership_id,
        review_type=definition.code,
        title=command.title,
        stage=definition.first_stage,
        opened_at=now,
        opened_by=actor.user_id,
        deadline_figures=figures_for(definition, partnership_figures or {}),
    )
    review.events.append(
        ReviewOpened(review_id=review.id, review_type=review.review_type, stage=review.stage, opened_at=now)
    )
    return review


@dataclass
class ReviewShare:
    """A review made readable to another partnership, by whom and when."""

    review_id: UUID
    shared_with_partnership_id: UUID
    shared_by: str
    shared_at: datetime
    events: list[ReviewShared] = field(default_factory=list)


def share_review(
    review: policy.ReviewOwnership, partnership_id: UUID, actor: Actor, now: datetime
) -> ReviewShare | None:
    """Share a review with another partnership (policy.check_may_share); None if it already is shared."""
    policy.check_may_share(actor, review, partnership_id)
    if partnership_id in review.shared_with:
        return None
    share = ReviewShare(
        review_id=review.review_id,
        shared_with_partnership_id=partnership_id,
        shared_by=actor.user_id,
        shared_at=now,
    )
    share.events.append(ReviewShared(review_id=review.review_id, shared_with_partnership_id=partnership_id))
    return share


def start_of_day(day: date) -> datetime:
    """Midnight in England at the start of a day: "opened before 1 April" means before this moment."""
    return datetime.combine(day, time.min, tzinfo=ENGLAND)


def check_deadline_figures(definition: ReviewTypeDef, values: Mapping[str, int]) -> None:
    """A partnership's figures for one review type, each a deadline of the type and within the bounds
    statute allows; InvalidRequest naming every figure that is not."""
    problems = []
    for code, value in values.items():
        rule = definition.deadlines.get(code)
        if rule is None:
            problems.append({"field": code, "message": "This review type has no such deadline"})
        elif not rule.minimum <= value <= rule.maximum:
            unit = "working days" if rule.unit == "working_days" else "months"
            problems.append(
                {"field": code, "message": f"{rule.label}: enter {rule.minimum} to {rule.maximum} {unit}"}
            )
    if problems:
        raise InvalidRequest("Some figures are outside what statute allows", problems=problems)
