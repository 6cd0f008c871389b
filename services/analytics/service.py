"""The analytics service: read models from every event, for dashboards."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.analytics.contract import SERVICE, ReviewCount
from services.analytics.models import Base, ReviewCountRecord
from services.forms.contract import ReviewOpened
from services.kernel.entrypoints import event_handler, rpc
from services.kernel.errors import Forbidden
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
        """A review opened: one more of its type at its first stage."""
        envelope = Envelope.model_validate(message)
        if not self.uow.first_delivery(envelope):
            return
        opened = envelope.payload(ReviewOpened)
        self.uow.session.execute(
            insert(ReviewCountRecord)
            .values(
                partnership_id=envelope.partnership_id,
                review_type=opened.review_type,
                stage=opened.stage,
                count=1,
            )
            .on_conflict_do_update(
                index_elements=["partnership_id", "review_type", "stage"],
                set_={"count": ReviewCountRecord.count + 1},
            )
        )

    @rpc
    def review_counts(self, actor: dict[str, Any], partnership_id: str | None = None) -> list[dict[str, Any]]:
        """Reviews by type and stage: the caller's partnership, or every partnership for national analysts."""
        caller = Actor.model_validate(actor)
        query = select(ReviewCountRecord).order_by(ReviewCountRecord.review_type, ReviewCountRecord.stage)
        if partnership_id is None:
            if not caller.has_role("national_analyst", "system"):
                raise Forbidden("Only national analysts see every partnership's figures")
        else:
            if UUID(partnership_id) != caller.partnership_id and not caller.has_role(
                "national_analyst", "system"
            ):
                raise Forbidden("You see figures of your own partnership only")
            query = query.where(ReviewCountRecord.partnership_id == UUID(partnership_id))
        return [
            ReviewCount(
                partnership_id=row.partnership_id,
                review_type=row.review_type,
                stage=row.stage,
                count=row.count,
            ).model_dump(mode="json")
            for row in self.uow.session.scalars(query)
        ]
