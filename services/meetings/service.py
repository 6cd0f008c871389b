"""The meetings service's entrypoints: each hands its typed arguments to a handler (contract.Meetings)."""

from __future__ import annotations

from services.kernel.entrypoints import rpc
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork
from services.meetings import handlers
from services.meetings.contract import SERVICE, MeetingSummary, ReviewId
from services.meetings.models import Base


class MeetingsService(ServiceBase):
    """Rapid review meetings, panels, practitioner events and family contact."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]

    @rpc
    def meetings_of_review(self, actor: Actor, review_id: ReviewId) -> list[MeetingSummary]:
        """A review's meetings, soonest first; NotFound if the caller may not see the review."""
        return handlers.meetings_of_review(self.uow, actor, review_id)
