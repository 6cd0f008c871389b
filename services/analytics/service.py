"""The analytics service: read models from every event, for dashboards."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.analytics import models, policy
from services.analytics.contract import SERVICE, ReviewCount
from services.analytics.models import Base
from services.forms.contract import ReviewOpened, ReviewRestated, StageChanged
from services.kernel.entrypoints import event_handler, rpc
from services.kernel.errors import InvalidRequest
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork


class AnalyticsService(ServiceBase):
    """Counts and figures built from events; answers only in aggregates."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]

    @event_handler("forms", "review_opened")
    def count_opened_review(self, message: dict[str, Any]) -> None:
        """A review opened: it is at its first stage."""
        envelope = Envelope.model_validate(message)
        opened = envelope.payload(ReviewOpened)
        self._place(envelope, opened.review_id, opened.review_type, opened.stage)

    @event_handler("forms", "stage_changed")
    def count_stage_change(self, message: dict[str, Any]) -> None:
        """A review moved on: it is at its new stage."""
        envelope = Envelope.model_validate(message)
        changed = envelope.payload(StageChanged)
        self._place(envelope, changed.review_id, changed.review_type, changed.stage)

    @event_handler("forms", "review_restated")
    def count_restated_review(self, message: dict[str, Any]) -> None:
        """forms restated where a review is (after an upgrade): it is at that stage."""
        envelope = Envelope.model_validate(message)
        restated = envelope.payload(ReviewRestated)
        self._place(envelope, restated.review_id, restated.review_type, restated.stage)

    def _place(self, envelope: Envelope, review_id: UUID, review_type: str, stage: str) -> None:
        if envelope.partnership_id is None or not self.uow.first_delivery(envelope):
            return
        models.place_review(
            self.uow.session, review_id, envelope.partnership_id, review_type, stage, envelope.occurred_at
        )

    @rpc
    def review_counts(self, actor: dict[str, Any], partnership_id: str | None = None) -> list[dict[str, Any]]:
        """Reviews by type and stage (ReviewCount), for one partnership or summed over all the caller sees.

        Who sees what is policy.visible_partnerships; anyone else is Forbidden.
        """
        caller = Actor.model_validate(actor)
        try:
            wanted = None if partnership_id is None else UUID(str(partnership_id))
        except ValueError:
            raise InvalidRequest(
                "The partnership is not valid",
                problems=[{"field": "partnership_id", "message": "Give a partnership id"}],
            ) from None
        partnerships = policy.visible_partnerships(caller, wanted)
        if wanted is not None:
            rows = models.counts_of(self.uow.session, wanted)
        elif partnerships is not None and not partnerships:
            rows = []  # a region of no partnerships has nothing to sum
        else:
            rows = models.summed_counts(self.uow.session, partnerships)
        return [
            ReviewCount(partnership_id=wanted, review_type=review_type, stage=stage, count=count).model_dump(
                mode="json"
            )
            for review_type, stage, count in rows
        ]
