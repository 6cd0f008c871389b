"""The actions service's entrypoints: each hands its typed arguments to a handler (contract.Actions)."""

from __future__ import annotations

from services.actions import handlers
from services.actions.contract import SERVICE, ActionSummary, ReviewId
from services.actions.models import Base
from services.kernel.entrypoints import rpc
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork


class ActionsService(ServiceBase):
    """Lessons, recommendations and the action plan of each review."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]

    @rpc
    def actions_of_review(self, actor: Actor, review_id: ReviewId) -> list[ActionSummary]:
        """A review's actions, soonest due first; NotFound if the caller may not see the review."""
        return handlers.actions_of_review(self.uow, actor, review_id)
