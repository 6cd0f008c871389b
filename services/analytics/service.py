"""The analytics service's entrypoints: each translates the message and hands it to a handler."""

from __future__ import annotations

from typing import Any

from services.analytics import handlers
from services.analytics.contract import SERVICE, ActionCount, PartnershipChoice, ReviewCount
from services.analytics.models import Base
from services.forms.contract import ReviewOpened, ReviewRestated, StageChanged
from services.kernel.entrypoints import event_handler, rpc
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork


class AnalyticsService(ServiceBase):
    """Counts and figures built from events; answers only in aggregates (contract.Analytics)."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]

    @event_handler("forms", "review_opened")
    def count_opened_review(self, message: dict[str, Any]) -> None:
        """A review opened: it is at its first stage."""
        handlers.place_review(self.uow, Envelope.model_validate(message), ReviewOpened)

    @event_handler("forms", "stage_changed")
    def count_stage_change(self, message: dict[str, Any]) -> None:
        """A review moved on: it is at its new stage."""
        handlers.place_review(self.uow, Envelope.model_validate(message), StageChanged)

    @event_handler("forms", "review_restated")
    def count_restated_review(self, message: dict[str, Any]) -> None:
        """forms restated where a review is (after an upgrade): it is at that stage."""
        handlers.place_review(self.uow, Envelope.model_validate(message), ReviewRestated)

    # The actions service's events: each leaves an action in a state (domain.ACTION_STATES).
    @event_handler("actions", "action_assigned")
    def count_assigned_action(self, message: dict[str, Any]) -> None:
        """An action was assigned: it is open."""
        handlers.place_action(self.uow, Envelope.model_validate(message))

    @event_handler("actions", "action_reopened")
    def count_reopened_action(self, message: dict[str, Any]) -> None:
        """An action was reopened: it is open again."""
        handlers.place_action(self.uow, Envelope.model_validate(message))

    @event_handler("actions", "action_overdue")
    def count_overdue_action(self, message: dict[str, Any]) -> None:
        """An action passed its due date unfinished: it is overdue."""
        handlers.place_action(self.uow, Envelope.model_validate(message))

    @event_handler("actions", "action_completed")
    def count_completed_action(self, message: dict[str, Any]) -> None:
        """An action was completed."""
        handlers.place_action(self.uow, Envelope.model_validate(message))

    @event_handler("actions", "action_not_implemented")
    def count_not_implemented_action(self, message: dict[str, Any]) -> None:
        """An action will not be implemented."""
        handlers.place_action(self.uow, Envelope.model_validate(message))

    @event_handler("actions", "action_signed_off")
    def count_signed_off_action(self, message: dict[str, Any]) -> None:
        """An action was signed off: it is closed."""
        handlers.place_action(self.uow, Envelope.model_validate(message))

    @rpc
    def action_counts(self, actor: Actor, partnership_id: PartnershipChoice = None) -> list[ActionCount]:
        """Actions by state, for one partnership or summed over all the caller may see."""
        return handlers.action_counts(self.uow, actor, partnership_id)

    @rpc
    def review_counts(self, actor: Actor, partnership_id: PartnershipChoice = None) -> list[ReviewCount]:
        """Reviews by type and stage, for one partnership or summed over all the caller may see."""
        return handlers.review_counts(self.uow, actor, partnership_id)
