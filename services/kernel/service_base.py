"""What every nameko service of Case Review has: its metrics, its log ids and a health RPC."""

from __future__ import annotations

from typing import Any

from services.kernel.entrypoints import rpc
from services.kernel.health import health_report
from services.kernel.log_context import LogContext
from services.kernel.metrics_endpoint import Metrics
from services.kernel.unit_of_work import UnitOfWork


class ServiceBase:
    """Subclass it, set `name` and `uow = Database(Base.metadata)`; nameko finds inherited entrypoints."""

    name: str
    uow: UnitOfWork

    metrics = Metrics()
    log_context = LogContext()

    @rpc(public=True)
    def health(self) -> dict[str, Any]:
        """Whether the service reaches its own schema; its outbox backlog."""
        return health_report(self.name, self.uow)
