"""The forms service: the review case file. Entrypoints translate and delegate; the domain decides."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from services.forms import domain
from services.forms.contract import SERVICE, OpenReview, ReviewSummary, ReviewTypeInfo, StageInfo
from services.forms.models import Base, ReviewRecord
from services.kernel.entrypoints import rpc
from services.kernel.errors import NotFound, validated
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork


def _summary(record: ReviewRecord) -> dict[str, Any]:
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
    ).model_dump(mode="json")


class FormsService(ServiceBase):
    """Reviews and their stages (more of the case file arrives with the lifecycle issue)."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]

    @rpc
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
        """One review, if the caller's partnership holds it."""
        caller = Actor.model_validate(actor)
        record = self.uow.session.get(ReviewRecord, UUID(review_id))
        if record is None or (
            record.partnership_id != caller.partnership_id and not caller.has_role("system")
        ):
            raise NotFound("No such review")
        return _summary(record)
