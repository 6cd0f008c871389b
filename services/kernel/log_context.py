"""The nameko side of structured logs: each worker's ids for services.kernel.logs to print."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.kernel.logs import worker_ids


class LogContext(DependencyProvider):
    """Puts the worker's call id, and for an event its event id, on every line the worker logs."""

    def worker_setup(self, worker_ctx: Any) -> None:
        worker_ids.call_id = worker_ctx.call_id
        # The first id of the stack is where the call began: the gateway's request id, for example.
        worker_ids.origin = worker_ctx.call_id_stack[0] if len(worker_ctx.call_id_stack) > 1 else None
        first = worker_ctx.args[0] if worker_ctx.args else None
        worker_ids.event_id = first.get("event_id") if isinstance(first, dict) else None

    def worker_teardown(self, worker_ctx: Any) -> None:
        worker_ids.call_id = worker_ids.event_id = worker_ids.origin = None
