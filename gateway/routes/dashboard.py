"""The dashboard: reviews by type and stage, from the analytics read model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from gateway import identity
from gateway.auth import Caller
from gateway.deps import AnalyticsDep, FormsDep, render
from services.analytics.contract import ReviewCount
from services.forms.contract import ReviewTypeInfo
from services.kernel.identity import Role

router = APIRouter()

# The states the analytics service counts actions in (services/analytics/domain.py), in a reader's words.
ACTION_STATE_WORDS = {
    "open": "Open",
    "overdue": "Overdue",
    "completed": "Completed, awaiting sign-off",
    "not_implemented": "Not implemented",
    "closed": "Signed off and closed",
}


@dataclass(frozen=True)
class CountRow:
    """A line of the dashboard table."""

    review_type_label: str
    stage_label: str
    count: int


def count_rows(types: list[ReviewTypeInfo], counts: list[ReviewCount]) -> list[CountRow]:
    """The dashboard's lines in the order a reader knows them: the review types as forms lists them, and
    each type's stages in the order a review passes through them. A code no definition names (a type or
    stage retired since) keeps its code as its label and comes after the known ones."""
    type_order = {t.code: (index, t) for index, t in enumerate(types)}

    def position(count: ReviewCount) -> tuple[int, int, str, str]:
        index, review_type = type_order.get(count.review_type, (len(types), None))
        stages = [s.code for s in review_type.stages] if review_type else []
        stage_index = stages.index(count.stage) if count.stage in stages else len(stages)
        return index, stage_index, count.review_type, count.stage

    rows = []
    for count in sorted(counts, key=position):
        review_type = type_order.get(count.review_type, (0, None))[1]
        stage = (
            next((s.label for s in review_type.stages if s.code == count.stage), None)
            if review_type
            else None
        )
        rows.append(
            CountRow(
                review_type.label if review_type else count.review_type, stage or count.stage, count.count
            )
        )
    return rows


@router.get("/api/review-counts", tags=["dashboard"], summary="Reviews by type and stage in a partnership")
async def api_review_counts(
    partnership_id: UUID, analytics: AnalyticsDep, caller: Caller
) -> list[ReviewCount]:
    """Counts from the analytics read model (eventually consistent: a new review appears within moments).
    A partnership's own people see their partnership; analysts the partnerships of their region, or all."""
    return await analytics.review_counts(caller.actor, partnership_id)


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
async def dashboard(
    request: Request,
    forms: FormsDep,
    analytics: AnalyticsDep,
    caller: Caller,
    partnership_id: UUID | None = None,
) -> HTMLResponse:
    """Totals for one partnership the caller may see figures of (their own, unless an analyst)."""
    actor = caller.actor
    partnerships = [
        p
        for p in await run_in_threadpool(identity.list_partnerships)
        if actor.has_role(Role.NATIONAL_ANALYST) or p.id == actor.partnership_id or p.id in actor.partnerships
    ]
    chosen = next(
        (p for p in partnerships if p.id == partnership_id),
        next(
            (p for p in partnerships if p.id == actor.partnership_id),
            partnerships[0] if partnerships else None,
        ),
    )
    rows: list[CountRow] = []
    actions: list[tuple[str, int]] = []
    if chosen is not None:
        types = await forms.review_types()
        rows = count_rows(types, await api_review_counts(chosen.id, analytics, caller))
        actions = [
            (ACTION_STATE_WORDS.get(c.state, c.state), c.count)
            for c in await analytics.action_counts(caller.actor, chosen.id)
        ]
    chart = {
        "labels": [f"{r.review_type_label}: {r.stage_label}" for r in rows],
        "values": [r.count for r in rows],
    }
    return render(
        request,
        "dashboard.html",
        {
            "nav": "dashboard",
            "partnerships": partnerships,
            "partnership": chosen,
            "counts": rows,
            "actions": actions if any(count for _, count in actions) else [],
            "total": sum(r.count for r in rows),
            "chart": json.dumps(chart),
            "updated_at": datetime.now(UTC).strftime("%-d %B %Y at %H:%M:%S UTC"),
        },
    )
