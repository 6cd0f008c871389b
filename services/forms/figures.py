"""Business gauges of the forms service, read when Prometheus scrapes: agency returns overdue, and the
open reviews and statutory deadlines by red/amber/green. Counts by partnership id only: no case data."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY
from sqlalchemy import func, select
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


def returns_overdue(session: Session, today: Any) -> list[tuple[tuple[str], float]]:
    """Returns not in whose due date (extended or not) has passed, by partnership."""
    due = func.coalesce(models.AgencyReturnRow.extended_to, models.AgencyReturnRow.due_on)
    query = (
        select(models.AgencyReturnRow.partnership_id, func.count())
        .where(models.AgencyReturnRow.status.in_(("requested", "draft")), due < today)
        .group_by(models.AgencyReturnRow.partnership_id)
    )
    return [((str(partnership),), float(count)) for partnership, count in session.execute(query)]


def deadline_standings(
    session: Session, today: Any
) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """(open reviews by partnership and red/amber/green, statutory deadlines by partnership and status)."""
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
    statutory: Counter[tuple[str, str]] = Counter()
    for record in records:
        state = states[record.id]
        current = domain.plan(state, today)
        partnership = str(record.partnership_id)
        reviews[partnership, current.rag] += 1
        for standing in current.standings:
            if standing.rule.statutory and standing.status in ("due", "overdue", "paused"):
                status = "at_risk" if standing.rag == "amber" else standing.status
                statutory[partnership, status] += 1
    return reviews, statutory


class BusinessFigures(DependencyProvider):
    """Registers the gauges when the service starts; they read the forms schema at each scrape."""

    def setup(self) -> None:
        self.engine = create_schema_engine("forms", get_settings(), pool_size=1)
        self._gauges: list[CallbackGauges] = []

        def today() -> Any:
            return today_in_england()

        def overdue() -> list[tuple[tuple[str], float]]:
            with Session(self.engine) as session:
                return returns_overdue(session, today())

        # Both gauges below come from one planning of the open reviews: done once per scrape, not twice.
        latest: dict[str, Any] = {"at": -SCRAPE_REUSE_SECONDS, "standings": None}

        def standings() -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
            if time.monotonic() - latest["at"] >= SCRAPE_REUSE_SECONDS:
                with Session(self.engine) as session:
                    latest["standings"] = deadline_standings(session, today())
                latest["at"] = time.monotonic()
            result: tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]] = latest["standings"]
            return result

        def by_rag() -> list[tuple[tuple[str, str], float]]:
            return [(key, float(count)) for key, count in standings()[0].items()]

        def statutory() -> list[tuple[tuple[str, str], float]]:
            return [(key, float(count)) for key, count in standings()[1].items()]

        self._gauges = [
            CallbackGauges(
                "caserev_returns_overdue", "Agency returns past their due date", ["partnership"], overdue
            ),
            CallbackGauges(
                "caserev_reviews_by_rag", "Open reviews by red/amber/green", ["partnership", "rag"], by_rag
            ),
            CallbackGauges(
                "caserev_statutory_deadlines",
                "Statutory deadlines not yet met, by standing (due, at_risk, overdue, paused)",
                ["partnership", "status"],
                statutory,
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
