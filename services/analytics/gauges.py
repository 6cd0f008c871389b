"""Business gauges from the analytics read models, read when Prometheus scrapes: open reviews by stage,
agencies' returns overdue, statutory deadlines not yet met by standing (due, at risk, overdue, paused),
actions overdue. Counts by partnership id only: no case data. They replace the forms service's own gauges of
returns and statutory deadlines (same names), which planned every open review at each scrape."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.analytics import models
from services.kernel import calendar
from services.kernel.calendar import today_in_england
from services.kernel.config import get_settings
from services.kernel.db import create_schema_engine
from services.kernel.metrics import CallbackGauges

# A statutory deadline due within this many working days is at risk (the review types' default amber).
AT_RISK_WORKING_DAYS = 3
# Gauges read within this many seconds of each other (one scrape) share one reading.
SCRAPE_REUSE_SECONDS = 5.0

Samples = list[tuple[tuple[str, ...], float]]


def deadline_standing(status: str, revised_due_on: date | None, today: date) -> str | None:
    """How a statutory deadline stands today from its last recorded standing: None once met (or not started);
    else paused, overdue (its revised date passed), at_risk (due within AT_RISK_WORKING_DAYS) or due."""
    if status in ("met", "late", "waiting") or revised_due_on is None:
        return None
    if status == "paused":
        return "paused"
    if today > revised_due_on:
        return "overdue"
    if calendar.working_days_between(today, revised_due_on) <= AT_RISK_WORKING_DAYS:
        return "at_risk"
    return "due"


def read_gauges(session: Session, today: date) -> dict[str, Samples]:
    """Every gauge's samples, from the read models."""
    stage = models.review_stage.c
    reviews = session.execute(
        select(stage.partnership_id, stage.stage, func.count())
        .where(stage.stage != "closed")
        .group_by(stage.partnership_id, stage.stage)
    )
    due, submitted = models.return_due.c, models.return_submitted.c
    returns = session.execute(
        select(due.partnership_id, func.count())
        .select_from(
            models.return_due.outerjoin(models.return_submitted, submitted.return_id == due.return_id)
        )
        .where(submitted.return_id.is_(None), due.due_on < today)
        .group_by(due.partnership_id)
    )
    standing = models.deadline_standing.c
    deadlines: Counter[tuple[str, str]] = Counter()
    for partnership, status, revised in session.execute(
        select(standing.partnership_id, standing.status, standing.revised_due_on).where(
            standing.statutory.is_(True), standing.status.in_(("due", "overdue", "paused"))
        )
    ):
        now = deadline_standing(status, revised, today)
        if now is not None:
            deadlines[(str(partnership), now)] += 1
    action, plan = models.action_state.c, models.action_plan.c
    overdue = func.count().filter(
        (action.state == "overdue") | ((action.state == "open") & (plan.due_on < today))
    )
    actions = session.execute(
        select(action.partnership_id, overdue)
        .select_from(models.action_state.outerjoin(models.action_plan, plan.action_id == action.action_id))
        .group_by(action.partnership_id)
    )
    return {
        "reviews": [((str(p), s), float(n)) for p, s, n in reviews],
        "returns": [((str(p),), float(n)) for p, n in returns],
        "deadlines": [(key, float(n)) for key, n in deadlines.items()],
        "actions": [((str(p),), float(n)) for p, n in actions if n],
    }


class BusinessFigures(DependencyProvider):
    """Registers the gauges when the service starts; they read the analytics schema at each scrape."""

    def setup(self) -> None:
        self.engine = create_schema_engine("analytics", get_settings(), pool_size=1)
        latest: dict[str, Any] = {"at": -SCRAPE_REUSE_SECONDS, "gauges": {}}

        def reading(name: str) -> Samples:
            if time.monotonic() - latest["at"] >= SCRAPE_REUSE_SECONDS:
                with Session(self.engine) as session:
                    latest["gauges"] = read_gauges(session, today_in_england())
                latest["at"] = time.monotonic()
            samples: Samples = latest["gauges"].get(name, [])
            return samples

        self._gauges = [
            CallbackGauges(
                "caserev_reviews_open",
                "Open reviews by stage",
                ["partnership", "stage"],
                lambda: reading("reviews"),
            ),
            CallbackGauges(
                "caserev_returns_overdue",
                "Agency returns past their due date",
                ["partnership"],
                lambda: reading("returns"),
            ),
            CallbackGauges(
                "caserev_statutory_deadlines",
                "Statutory deadlines not yet met, by standing (due, at_risk, overdue, paused)",
                ["partnership", "status"],
                lambda: reading("deadlines"),
            ),
            CallbackGauges(
                "caserev_actions_overdue",
                "Actions of review plans past their due date, unfinished",
                ["partnership"],
                lambda: reading("actions"),
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
