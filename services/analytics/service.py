"""The analytics service's entrypoints: each translates the message and hands it to a handler.

Every event some projection takes (domain.HANDLED_EVENTS) has a handler on its own queue: the first ones by
the names their queues were declared under, the rest made below as `apply_<source>_<event>`, as the
notifications service makes its own. Each is batched (services/kernel/event_batches.py): it gets the messages
already delivered, up to a batch, and applies them in one transaction.
"""

from __future__ import annotations

from typing import Any

from services.analytics import domain, handlers
from services.analytics.contract import (
    SERVICE,
    ActionCount,
    Dashboard,
    DashboardCode,
    DashboardFilters,
    PartnershipChoice,
    ReviewCount,
)
from services.analytics.gauges import BusinessFigures
from services.analytics.models import Base
from services.analytics.settings import analytics_settings
from services.kernel.entrypoints import rpc, timer
from services.kernel.event_batches import batch_event_handler
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork


class AnalyticsService(ServiceBase):
    """Figures built from events kept in its own store; answers only in aggregates (contract.Analytics)."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]
    figures = BusinessFigures()

    @batch_event_handler("forms", "review_opened")
    def count_opened_review(self, messages: list[dict[str, Any]]) -> None:
        """A review opened: it is at its first stage."""
        _apply(self.uow, messages)

    @batch_event_handler("forms", "stage_changed")
    def count_stage_change(self, messages: list[dict[str, Any]]) -> None:
        """A review moved on: it is at its new stage."""
        _apply(self.uow, messages)

    @batch_event_handler("forms", "review_restated")
    def count_restated_review(self, messages: list[dict[str, Any]]) -> None:
        """forms restated where a review is (after an upgrade): it is at that stage."""
        _apply(self.uow, messages)

    @batch_event_handler("actions", "action_assigned")
    def count_assigned_action(self, messages: list[dict[str, Any]]) -> None:
        """An action was assigned: it is open, with its agency, due date and themes."""
        _apply(self.uow, messages)

    @batch_event_handler("actions", "action_reopened")
    def count_reopened_action(self, messages: list[dict[str, Any]]) -> None:
        """An action was reopened: it is open again."""
        _apply(self.uow, messages)

    @batch_event_handler("actions", "action_overdue")
    def count_overdue_action(self, messages: list[dict[str, Any]]) -> None:
        """An action passed its due date unfinished: it is overdue."""
        _apply(self.uow, messages)

    @batch_event_handler("actions", "action_completed")
    def count_completed_action(self, messages: list[dict[str, Any]]) -> None:
        """An action was completed."""
        _apply(self.uow, messages)

    @batch_event_handler("actions", "action_not_implemented")
    def count_not_implemented_action(self, messages: list[dict[str, Any]]) -> None:
        """An action will not be implemented."""
        _apply(self.uow, messages)

    @batch_event_handler("actions", "action_signed_off")
    def count_signed_off_action(self, messages: list[dict[str, Any]]) -> None:
        """An action was signed off: it is closed."""
        _apply(self.uow, messages)

    @timer(interval=analytics_settings().figures_changed_interval_s)
    def announce_figures_changed(self) -> None:
        """Tell open dashboards whose figures changed since the last tick (one process per tick)."""
        handlers.announce_figures_changed(self.uow)

    @rpc
    def action_counts(self, actor: Actor, partnership_id: PartnershipChoice = None) -> list[ActionCount]:
        """Actions by state, for one partnership or summed over all the caller may see."""
        return handlers.action_counts(self.uow, actor, partnership_id)

    @rpc
    def review_counts(self, actor: Actor, partnership_id: PartnershipChoice = None) -> list[ReviewCount]:
        """Reviews by type and stage, for one partnership or summed over all the caller may see."""
        return handlers.review_counts(self.uow, actor, partnership_id)

    @rpc
    def dashboard(
        self, actor: Actor, code: DashboardCode, filters: DashboardFilters | None = None
    ) -> Dashboard:
        """One dashboard's figure tables for the caller and filters, suppressed for analysts."""
        return handlers.dashboard(self.uow, actor, code, filters)


def _apply(uow: UnitOfWork, messages: list[dict[str, Any]]) -> None:
    handlers.apply_events(uow, [Envelope.model_validate(message) for message in messages])


def _subscribe(event_type: str) -> None:
    """Give the service a handler for an event a projection takes: `apply_<source>_<event>`, on its own queue,
    unless one of the handlers above has it."""
    source, name = event_type.split(".", 1)
    for entrypoint_owner in vars(AnalyticsService).values():
        for entrypoint in getattr(entrypoint_owner, "nameko_entrypoints", ()):
            if (getattr(entrypoint, "source_service", None), getattr(entrypoint, "event_type", None)) == (
                source,
                name,
            ):
                return
    method = f"apply_{source}_{name}"

    def handler(self: AnalyticsService, messages: list[dict[str, Any]]) -> None:
        _apply(self.uow, messages)

    handler.__name__ = handler.__qualname__ = method
    handler.__doc__ = f"{event_type}: kept in the event store and applied to every projection that takes it."
    setattr(AnalyticsService, method, batch_event_handler(source, name)(handler))


for _event_type in sorted(domain.HANDLED_EVENTS):
    _subscribe(_event_type)
