"""The health report every service's `health` RPC returns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from services.kernel.unit_of_work import UnitOfWork


def health_report(service: str, unit: UnitOfWork) -> dict[str, Any]:
    """Whether this service reaches its own schema, and how many events wait in its outbox."""
    try:
        backlog = unit.session.execute(
            text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        ).scalar_one()
        return {"service": service, "status": "ok", "database": "ok", "outbox_backlog": int(backlog)}
    except Exception as exc:
        return {"service": service, "status": "degraded", "database": type(exc).__name__}
