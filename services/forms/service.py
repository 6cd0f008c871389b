"""The forms service: the review case file. Entrypoints translate and delegate; the domain decides."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from services.forms import domain, models, policy
from services.forms.contract import (
    SERVICE,
    OpenReview,
    PersonQuery,
    PersonRecord,
    RetentionCandidate,
    RetentionQuery,
    ReviewSummary,
    ReviewTypeInfo,
    ShareReview,
    StageInfo,
)
from services.forms.models import Base, ReviewRecord, ReviewShareRecord
from services.kernel.entrypoints import rpc
from services.kernel.errors import NotFound, validated
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork

# A list page shows at most this many reviews (newest first).
LIST_LIMIT = 500


def _summary(record: ReviewRecord, shared_with: Iterable[UUID] = ()) -> dict[str, Any]:
    review_type = domain.REVIEW_TYPES[record.review_type]
    return ReviewSummary(
        id=record.id,
        partnership_id=record.partnership_id,
        review_type=record.review_type,
        review_type_label=review_type.label,
        title=record.title,
        stage=record.stage,
        stage_label=review_type.stage_label(record.stage),
        opened_at=record.opened_at,
        shared_with=list(shared_with),
    ).model_dump(mode="json")


def _readable_review(
    session: Session, caller: Actor, review_id: Any, *, lock: bool = False
) -> tuple[ReviewRecord, list[UUID]]:
    """The review and its shares if the caller may read it; NotFound otherwise, so existence is not told."""
    try:
        wanted = UUID(str(review_id))
    except ValueError:
        raise NotFound("No such review") from None
    found = models.review_with_shares(session, wanted, lock=lock)
    if found is None or not policy.may_read(caller, models.ownership(*found)):
        raise NotFound("No such review")
    return found


class FormsService(ServiceBase):
    """Reviews and their stages (more of the case file arrives with the lifecycle issue)."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]

    @rpc(public=True)
    def review_types(self) -> list[dict[str, Any]]:
        """The review types a partnership can open."""
        return [
            ReviewTypeInfo(
                code=t.code,
                label=t.label,
                hint=t.hint,
                stages=[StageInfo(code=stage.code, label=stage.label) for stage in t.stages],
            ).model_dump()
            for t in domain.REVIEW_TYPES.values()
        ]

    @rpc
    def open_review(
        self, actor: dict[str, Any], command: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Open a review (OpenReview); emits forms.review_opened.

        Repeating an idempotency key returns the first result and changes nothing.
        """
        caller = Actor.model_validate(actor)
        command_once = self.uow.idempotent("open_review", caller, idempotency_key, command)
        if command_once.done:
            return command_once.result
        review = domain.open_review(validated(OpenReview, command), caller, datetime.now(UTC))
        record = ReviewRecord(
            id=review.id,
            partnership_id=review.partnership_id,
            review_type=review.review_type,
            title=review.title,
            stage=review.stage,
            opened_at=review.opened_at,
            opened_by=review.opened_by,
        )
        self.uow.session.add(record)
        for event in review.events:
            self.uow.emit(
                event, partnership_id=review.partnership_id, review_id=review.id, actor_id=caller.user_id
            )
        result = _summary(record)
        command_once.remember(result)
        return result

    @rpc
    def get_review(self, actor: dict[str, Any], review_id: str) -> dict[str, Any]:
        """One review (ReviewSummary), if the caller may read it (policy.may_read); else NotFound."""
        caller = Actor.model_validate(actor)
        return _summary(*_readable_review(self.uow.session, caller, review_id))

    @rpc
    def list_reviews(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The reviews the caller may read (ReviewSummary), newest first, at most LIST_LIMIT."""
        caller = Actor.model_validate(actor)
        scope = policy.read_scope(caller)
        found = models.readable_reviews(self.uow.session, scope, LIST_LIMIT)
        # The query renders the scope in SQL; checking each row again means one slip there leaks nothing.
        return [
            _summary(record, shared_with)
            for record, shared_with in found
            if scope.admits(models.ownership(record, shared_with))
        ]

    @rpc
    def share_review(
        self,
        actor: dict[str, Any],
        review_id: str,
        partnership_id: str,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Share a review with another partnership (policy.check_may_share); emits forms.review_shared.

        Returns the review (ReviewSummary). Sharing it again with the same partnership changes nothing;
        repeating an idempotency key returns the first result. NotFound if the caller cannot see it.
        """
        caller = Actor.model_validate(actor)
        request = {"review_id": review_id, "partnership_id": partnership_id}
        command_once = self.uow.idempotent("share_review", caller, idempotency_key, request)
        if command_once.done:
            return command_once.result
        record, shared_with = _readable_review(self.uow.session, caller, review_id, lock=True)
        command = validated(ShareReview, request, "The share")
        share = domain.share_review(
            models.ownership(record, shared_with), command.partnership_id, caller, datetime.now(UTC)
        )
        if share is not None:
            self.uow.session.add(
                ReviewShareRecord(
                    review_id=share.review_id,
                    shared_with_partnership_id=share.shared_with_partnership_id,
                    shared_by=share.shared_by,
                    shared_at=share.shared_at,
                )
            )
            for event in share.events:
                self.uow.emit(
                    event, partnership_id=record.partnership_id, review_id=record.id, actor_id=caller.user_id
                )
            shared_with = [*shared_with, share.shared_with_partnership_id]
        result = _summary(record, shared_with)
        command_once.remember(result)
        return result

    @rpc
    def records_about_person(self, actor: dict[str, Any], person: dict[str, Any]) -> list[dict[str, Any]]:
        """Data protection: every forms record that refers to a person (PersonQuery), as PersonRecords.

        Reviews the user opened and shares they made, in the caller's partnership. Only its data
        protection officer, or the system, may ask (policy.data_protection_scope); others are Forbidden.
        Forms holds no e-mail addresses, so a query by e-mail alone finds nothing here.
        """
        caller = Actor.model_validate(actor)
        partnership_id = policy.data_protection_scope(caller)
        wanted = validated(PersonQuery, person, "The person")
        if wanted.user_id is None:
            return []
        session = self.uow.session
        records = [
            PersonRecord(
                service=SERVICE,
                record_type="review",
                record_id=str(review.id),
                partnership_id=review.partnership_id,
                summary=f"Opened the review {review.title} ({domain.REVIEW_TYPES[review.review_type].label})",
                recorded_at=review.opened_at,
            )
            for review in models.reviews_opened_by(session, wanted.user_id, partnership_id)
        ]
        records += [
            PersonRecord(
                service=SERVICE,
                record_type="review_share",
                record_id=f"{share.review_id}:{share.shared_with_partnership_id}",
                partnership_id=owner,
                summary=f"Shared a review with the partnership {share.shared_with_partnership_id}",
                recorded_at=share.shared_at,
            )
            for share, owner in models.shares_made_by(session, wanted.user_id, partnership_id)
        ]
        records.sort(key=lambda record: record.recorded_at or datetime.min.replace(tzinfo=UTC))
        return [record.model_dump(mode="json") for record in records]

    @rpc
    def reviews_for_retention(self, actor: dict[str, Any], opened_before: str) -> list[dict[str, Any]]:
        """Data protection: the partnership's reviews opened before a date (ISO), oldest first.

        RetentionCandidates, for the retention review. Only the partnership's data protection officer,
        or the system, may ask (policy.data_protection_scope); others are Forbidden.
        """
        caller = Actor.model_validate(actor)
        partnership_id = policy.data_protection_scope(caller)
        query = validated(RetentionQuery, {"opened_before": opened_before}, "The date")
        before = domain.start_of_day(query.opened_before)
        return [
            RetentionCandidate(
                id=review.id,
                partnership_id=review.partnership_id,
                title=review.title,
                review_type=review.review_type,
                opened_at=review.opened_at,
            ).model_dump(mode="json")
            for review in models.reviews_opened_before(self.uow.session, before, partnership_id)
        ]
