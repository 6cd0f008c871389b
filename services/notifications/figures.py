"""Delivery gauges of the notifications service, read from its schema at each scrape."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.kernel.config import get_settings
from services.kernel.db import create_schema_engine
from services.kernel.metrics import CallbackGauges
from services.notifications.models import EmailRecord


def emails_by_status(session: Session) -> list[tuple[tuple[str], float]]:
    """E-mail not sent, by status: queued, sending, failed, uncertain, not_sent (sent ones not counted)."""
    rows = session.execute(
        select(EmailRecord.status, func.count())
        .where(EmailRecord.status != "sent")
        .group_by(EmailRecord.status)
    ).all()
    return [((status,), float(count)) for status, count in rows]


class DeliveryFigures(DependencyProvider):
    """Registers `caserev_emails{status}` when the service starts."""

    def setup(self) -> None:
        self.engine = create_schema_engine("notifications", get_settings(), pool_size=1)

        def read() -> list[tuple[tuple[str], float]]:
            with Session(self.engine) as session:
                return emails_by_status(session)

        self.gauge: Any = CallbackGauges(
            "caserev_emails", "E-mail not (yet) sent, by status", ["status"], read
        )
        REGISTRY.register(self.gauge)

    def stop(self) -> None:
        REGISTRY.unregister(self.gauge)
        self.engine.dispose()

    def kill(self) -> None:
        self.stop()
