"""The rules of the review case file. Pure Python: no I/O, no framework."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from uuid import UUID
from zoneinfo import ZoneInfo

from services.forms import policy
from services.forms.contract import OpenReview, ReviewOpened, ReviewShared
from services.kernel.identity import Actor


@dataclass(frozen=True)
class Stage:
    """A step of a review type."""

    code: str
    label: str


@dataclass(frozen=True)
class ReviewType:
    """A kind of statutory review and its stages, in order."""

    code: str
    label: str
    hint: str
    stages: tuple[Stage, ...]

    def stage_label(self, code: str) -> str:
        """The words for a stage code."""
        return next((stage.label for stage in self.stages if stage.code == code), code)


# The first stages of each review type; the full stage machine with its deadlines is data (issue 4).
REVIEW_TYPES: dict[str, ReviewType] = {
    review_type.code: review_type
    for review_type in (
        ReviewType(
            "child_safeguarding",
            "Child safeguarding review (rapid review, then LCSPR)",
            "A child died or was seriously harmed and abuse or neglect is known or suspected",
            (Stage("referral", "Referral"), Stage("rapid_review", "Rapid review"), Stage("lcspr", "LCSPR")),
        ),
        ReviewType(
            "safeguarding_adults",
            "Safeguarding Adults Review",
            "Care Act 2014 section 44: an adult with care and support needs died or was seriously harmed",
            (Stage("referral", "Referral"), Stage("review", "Review")),
        ),
        ReviewType(
            "domestic_homicide",
            "Domestic Homicide Review",
            "Domestic Violence, Crime and Victims Act 2004 section 9",
            (Stage("notification", "Notification"), Stage("review", "Review")),
        ),
    )
}


@dataclass
class Review:
    """A statutory review in one partnership."""

    id: UUID
    partnership_id: UUID
    review_type: str
    title: str
    stage: str
    opened_at: datetime
    opened_by: str
    events: list[ReviewOpened] = field(default_factory=list)

    @property
    def type(self) -> ReviewType:
        return REVIEW_TYPES[self.review_type]


def open_review(command: OpenReview, actor: Actor, now: datetime) -> Review:
    """Open a review at its type's first stage, if the actor may open reviews in that partnership."""
    policy.check_may_open(actor, command.partnership_id)
    review_type = REVIEW_TYPES[command.review_type]
    review = Review(
        id=uuid.uuid4(),
        partnership_id=command.partnership_id,
        review_type=review_type.code,
        title=command.title,
        stage=review_type.stages[0].code,
        opened_at=now,
        opened_by=actor.user_id,
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


ENGLAND = ZoneInfo("Europe/London")


def start_of_day(day: date) -> datetime:
    """Midnight in England at the start of a day: "opened before 1 April" means before this moment."""
    return datetime.combine(day, time.min, tzinfo=ENGLAND)
