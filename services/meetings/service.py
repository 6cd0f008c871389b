"""The meetings service: rapid review meetings, panels, practitioner events and family contact."""

from __future__ import annotations

from typing import Any

from services.kernel.entrypoints import rpc
from services.kernel.health import health_report
from services.kernel.log_context import LogContext
from services.kernel.metrics import Metrics
from services.kernel.unit_of_work import Database, UnitOfWork
from services.meetings.contract import SERVICE
from services.meetings.models import Base


class MeetingsService:
    """On the bus with its schema, outbox and metrics; its domain arrives with later issues."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]
    metrics = Metrics()
    log_context = LogContext()

    @rpc
    def health(self) -> dict[str, Any]:
        """Whether the service reaches its schema; its outbox backlog."""
        return health_report(self.name, self.uow)
