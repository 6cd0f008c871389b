"""The operator's part in analytics: rebuilding a projection (or all) from the service's own event store."""

from __future__ import annotations

from sqlalchemy.orm import Session

from caserev.progress import ProgressBar
from services.analytics import handlers
from services.kernel.config import Settings
from services.kernel.db import create_schema_engine


def rebuild(settings: Settings, projection: str | None, batch: int | None = None) -> handlers.Rebuilt:
    """Drop the projection's rows (every projection's, when None) and replay the event store into them, in one
    transaction, as the analytics schema's own role; a progress bar on standard error."""
    engine = create_schema_engine("analytics", settings, pool_size=1)
    bar = ProgressBar(f"rebuilding {projection or 'every projection'}")
    try:
        with Session(engine) as session, session.begin():
            rebuilt = handlers.rebuild(session, projection, batch=batch, progress=bar.update)
    finally:
        bar.finish()
        engine.dispose()
    return rebuilt
