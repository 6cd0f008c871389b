"""Business gauges of the forms service, read when Prometheus scrapes: the open reviews by red/amber/green
(which only forms' planning of a review can say). Counts by partnership id only: no case data. Returns
overdue and statutory deadlines by standing come from the analytics service's read models
(services/analytics/gauges.py)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.forms import domain, models
from services.kernel.calendar import today_in_england
from services.kernel.config import get_settings
from services.kernel.db import create_schema_engine
from services.kernel.metrics import CallbackGauges

# At most this many open reviews are planned per scrape (the newest); more is a sign to aggregate in
# analytics rather than here.
SCRAPE_LIMIT = 2000
# Gauges read within this many seconds of each other (one scrape) share one planning.
SCRAPE_REUSE_SECONDS = 5.0


def reviews_by_rag(session: Session, today: Any) -> Counter[tuple[str, str]]:
    """Open reviews by partnership and red/amber/green."""
    records = list(
        session.scalars(
            select(models.ReviewRecord)
            .where(models.ReviewRecord.stage != "closed")
            .order_by(models.ReviewRecord.opened_at.desc())
            .limit(SCRAPE_LIMIT)
        )
    )
    states = models.review_states(session, records)
    reviews: Counter[tuple[str, str]] = Counter()
    for record in records:
        reviews[str(record.partnership_id), domain.plan(states[record.id], today).rag] += 1
    return reviews


class BusinessFigures(DependencyProvider):
    """Registers the gauges when the service starts; they read the forms schema at each scrape."""

    def setup(self) -> None:
        self.engine = create_schema_engine("forms", get_settings(), pool_size=1)
        self._gauges: list[CallbackGauges] = []

        def today() -> Any:
            return today_in_england()

        latest: dict[str, Any] = {"at": -SCRAPE_REUSE_SECONDS, "rag": Counter()}

        def by_rag() -> list[tuple[tuple[str, str], float]]:
            if time.monotonic() - latest["at"] >= SCRAPE_REUSE_SECONDS:
                with Session(self.engine) as session:
                    latest["rag"] = reviews_by_rag(session, today())
                latest["at"] = time.monotonic()
            return [(key, float(count)) for key, count in latest["rag"].items()]

        self._gauges = [
            CallbackGauges(
                "caserev_reviews_by_rag", "Open reviews by red/amber/green", ["partnership", "rag"], by_rag
            ),
        ]
        for gauge in self._gauges:
            REGISTRY.register(gauge)

    def stop(self) -> None:
        for gauge in self._gauges:
            REGISTRY.unregister(gauge)
        self._gauges = []
        self.engine.dispose()

    def kill(self) -> None:
        self.stop()
