"""Reviews: opening one (directly, or by referring a possible serious incident), reading it, listing the
reviews a caller may read, sharing one with another partnership."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from services.forms import definitions, domain, policy, views
from services.forms.contract import (
    REVIEW_TYPES_OFFERED,
    OpenReview,
    Refer,
    ReviewFile,
    ReviewListEntry,
    ReviewSummary,
    ReviewTypeInfo,
)
from services.forms.handlers import lifecycle
from services.forms.handlers.access import readable_review
from services.forms.models import ReviewRecord
from services.forms.unit_of_work import FormsUnitOfWork
from services.kernel.calendar import today_in_england
from services.kernel.identity import Actor
from services.kernel.remote import answered_before

# A list page shows at most this many reviews (newest first).
LIST_LIMIT = 500


def review_types() -> list[ReviewTypeInfo]:
    """The review types a partnership can open, with their stages."""
    return views.review_types()


def open_review(
    uow: FormsUnitOfWork, caller: Actor, command: OpenReview, idempotency_key: str | None
) -> ReviewSummary:
    """Open a review; a repeated idempotency key answers as the first time and changes nothing."""
    command_once = uow.idempotent("open_review", caller, idempotency_key, command.model_dump(mode="json"))
    if command_once.done:
        return answered_before(command_once.result)
    result = views.summary(opened(uow, command, caller))
    command_once.remember(result.model_dump(mode="json"))
    return result


def opened(uow: FormsUnitOfWork, command: OpenReview, caller: Actor) -> ReviewRecord:
    """The review opened and stored, with the partnership's deadline figures; emits review_opened."""
    definition = domain.review_type(command.review_type)
    figures = uow.reviews.deadline_settings(command.partnership_id, definition.code)
    review = domain.open_review(command, caller, datetime.now(UTC), figures)
    record = uow.reviews.add_review(review)
    uow.emit(review.events, record, caller.user_id)
    return record


def get_review(uow: FormsUnitOfWork, caller: Actor, review_id: UUID) -> ReviewSummary:
    return views.summary(*readable_review(uow.reviews, caller, review_id))


def get_review_file(uow: FormsUnitOfWork, caller: Actor, review_id: UUID) -> ReviewFile:
    return views.review_file(uow.reviews, caller, *readable_review(uow.reviews, caller, review_id))


def list_reviews(uow: FormsUnitOfWork, caller: Actor) -> list[ReviewListEntry]:
    """The reviews the caller may read, newest first, at most LIST_LIMIT, each with where it stands."""
    scope = policy.read_scope(caller)
    # The query renders the scope in SQL; checking each row again means one slip there leaks nothing.
    found = [
        (record, shared_with)
        for record, shared_with in uow.reviews.readable_reviews(scope, LIST_LIMIT)
        if scope.admits(uow.reviews.ownership(record, shared_with))
    ]
    states = uow.reviews.states([record for record, _ in found])
    today = today_in_england()
    return [
        views.list_entry(record, shared_with, domain.plan(states[record.id], today))
        for record, shared_with in found
    ]


def share_review(
    uow: FormsUnitOfWork, caller: Actor, review_id: UUID, partnership_id: UUID, idempotency_key: str | None
) -> ReviewSummary:
    """Share a review with another partnership (once: again changes nothing); emits review_shared."""
    request = {"review_id": str(review_id), "partnership_id": str(partnership_id)}
    command_once = uow.idempotent("share_review", caller, idempotency_key, request)
    if command_once.done:
        return answered_before(command_once.result)
    record, shared_with = readable_review(uow.reviews, caller, review_id, lock=True)
    ownership = uow.reviews.ownership(record, shared_with)
    share = domain.share_review(ownership, partnership_id, caller, datetime.now(UTC))
    if share is not None:
        uow.reviews.add_share(share)
        uow.emit(share.events, record, caller.user_id)
        shared_with = [*shared_with, share.shared_with_partnership_id]
    result = views.summary(record, shared_with)
    command_once.remember(result.model_dump(mode="json"))
    return result


def refer(uow: FormsUnitOfWork, caller: Actor, referral: Refer, idempotency_key: str | None) -> ReviewSummary:
    """Refer a possible serious incident: open a review and complete its first step with the referral's
    answers; nothing is stored if any answer is wrong."""
    command_once = uow.idempotent("refer", caller, idempotency_key, referral.model_dump(mode="json"))
    if command_once.done:
        return answered_before(command_once.result)
    policy.check_may_refer(caller, referral.partnership_id)
    first = domain.review_type(referral.review_type).steps[0]
    domain.form_answers(first, referral.referral)  # every answer checked before anything is stored
    # The referrer opens the review as the system would: the business manager takes it from here.
    opener = Actor(
        user_id=caller.user_id, partnership_id=referral.partnership_id, roles=frozenset({"system"})
    )
    command = OpenReview(
        review_type=referral.review_type, partnership_id=referral.partnership_id, title=referral.title
    )
    record = opened(uow, command, opener)
    lifecycle.save(uow, opener, record, first.code, referral.referral, None)
    lifecycle.complete(uow, opener, record, first.code, None, actor_id=caller.user_id)
    result = views.summary(record)
    command_once.remember(result.model_dump(mode="json"))
    return result


def validation_context() -> dict[str, Any]:
    """What the contract's validators need to know of the service: the review types it offers."""
    return {REVIEW_TYPES_OFFERED: frozenset(definitions.review_types())}
