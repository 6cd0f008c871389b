"""The dashboards: an index of the five, a page per dashboard with a chart and a table for each of its figure
tables, each table as CSV, the same figures as JSON, and a stream that tells an open page its figures changed.

The analytics service decides everything a dashboard shows, for whom, and what is suppressed
(services/analytics/contract.py: Analytics.dashboard): these routes only read the filters, ask it, and show
the answer (gateway/figures.py). Who may ask at all is gateway/policy.py's FIGURES: a partnership's business
manager, partners and executive, and the analysts. The service refuses a partnership the caller may not see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import figures, live_figures
from gateway.auth import Caller, session_still_live
from gateway.chronology_export import download_headers
from gateway.deps import AnalyticsDep, error_response, in_words, render
from gateway.figures import DASHBOARDS, FILTER_LABELS, PERIOD_FIELDS, FilterProblems
from gateway.live_figures import NotWatchable
from services.analytics.contract import Dashboard, DashboardCode, DashboardFilters, FigureTable

router = APIRouter()


def _code_or_404(code: str) -> DashboardCode:
    if code not in figures.DASHBOARD_CODES:
        raise HTTPException(404)
    return code  # type: ignore[return-value]


@dataclass(frozen=True)
class FilterField:
    """One filter of the form: a date input for either end of the period, else the service's choices."""

    name: str
    label: str
    kind: str  # "date" or "select"
    value: str
    options: list[tuple[str, str]]


@dataclass(frozen=True)
class TableView:
    """A figure table as its section of the page shows it: the table, the JSON its chart is drawn from, where
    to download it, and each cell's shade when it is a heat map."""

    table: FigureTable
    chart_json: str
    csv_url: str
    shades: list[list[int | None]]
    withheld: bool
    beside: bool


def filter_fields(dashboard: Dashboard | None, query: dict[str, str]) -> list[FilterField]:
    """The form's filters, showing what was asked for: the period always, the others when the service
    offers choices for them (a partnership's own people are offered no partnership)."""
    options = dashboard.filter_options if dashboard is not None else {}
    fields = []
    for name, label in FILTER_LABELS.items():
        value = query.get(name, "")
        if name in PERIOD_FIELDS:
            fields.append(FilterField(name, label, "date", value, []))
        elif options.get(name):
            choices = [(option.value, option.label) for option in options[name]]
            fields.append(FilterField(name, label, "select", value, choices))
    return fields


def table_views(dashboard: Dashboard) -> list[TableView]:
    """Each table of a dashboard as the page shows it."""
    query = figures.query_of(dashboard.filters)
    return [
        TableView(
            table=table,
            chart_json=table.model_dump_json(),
            csv_url=f"/dashboards/{dashboard.code}/{table.code}.csv{query}",
            shades=figures.heat_shades(table) if table.chart == "heatmap" else [],
            withheld=any(cell.suppressed for row in table.rows for cell in row.cells),
            beside=figures.fits_beside(table),
        )
        for table in dashboard.tables
    ]


async def _dashboard(
    analytics: AnalyticsDep, caller: Caller, code: DashboardCode, filters: DashboardFilters
) -> Dashboard:
    return figures.as_shown(await analytics.dashboard(caller.actor, code, filters))


def _query(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in FILTER_LABELS}


# -- pages --------------------------------------------------------------------------------------------------


@router.get("/dashboards", response_class=HTMLResponse, include_in_schema=False)
async def dashboard_index(request: Request, caller: Caller) -> HTMLResponse:
    """The five dashboards, each with what it answers."""
    return render(request, "dashboards/index.html", {"nav": "dashboard", "dashboards": DASHBOARDS})


@router.get("/dashboards/{code}", response_class=HTMLResponse, response_model=None, include_in_schema=False)
async def dashboard_page(request: Request, code: str, analytics: AnalyticsDep, caller: Caller) -> Response:
    """One dashboard for the filters asked for: a section per figure table, with its chart, its table, the
    sentence that says what it shows, and its CSV. Filters that cannot be read are shown as errors."""
    chosen = _code_or_404(code)
    query = _query(request)
    errors: list[dict[str, str]] = []
    try:
        filters = figures.filters_of(query)
    except FilterProblems as problems:
        errors, filters = problems.problems, DashboardFilters()
    dashboard = await _dashboard(analytics, caller, chosen, filters)
    stream_query = f"?partnership_id={filters.partnership_id}" if filters.partnership_id else ""
    context: dict[str, Any] = {
        "nav": "dashboard",
        "dashboards": DASHBOARDS,
        "current": chosen,
        "dashboard": dashboard,
        "fields": filter_fields(dashboard, query),
        "errors": errors,
        "tables": [] if errors else table_views(dashboard),
        "as_of": in_words(dashboard.as_of),
        "filtered": any(query.values()),
        "api_url": f"/api/dashboards/{chosen}{figures.query_of(filters)}",
        "stream_url": f"/dashboards/{chosen}/stream{stream_query}",
    }
    return render(request, "dashboards/dashboard.html", context, status_code=422 if errors else 200)


@router.get("/dashboards/{code}/stream", include_in_schema=False, response_model=None)
async def dashboard_stream(request: Request, code: str, caller: Caller) -> Response:
    """Server-sent events: `figures-changed` whenever figures of a partnership the page shows may have
    changed (the page then fetches its JSON again), a comment every 15 seconds, and `signed-out` once the
    session has ended. Never which partnership changed."""
    _code_or_404(code)
    try:
        chosen = figures.filters_of(_query(request)).partnership_id
        watched = live_figures.watched_partnerships(caller.actor, chosen)
    except (FilterProblems, NotWatchable):
        raise HTTPException(404) from None
    state: live_figures.LiveFigures = request.app.state.live_figures

    async def still_signed_in() -> bool:
        return await run_in_threadpool(session_still_live, request)

    async def events() -> AsyncIterator[str]:
        with state.pages.opened(watched) as changes:
            async for event in live_figures.figures_stream(
                changes, stopping=state.stopping, still_signed_in=still_signed_in
            ):
                yield event

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/dashboards/{code}/{table_code}.csv", include_in_schema=False, response_model=None)
async def dashboard_table_csv(
    request: Request, code: str, table_code: str, analytics: AnalyticsDep, caller: Caller
) -> Response:
    """One figure table as CSV, for the filters asked for, cell for cell as the page shows it."""
    chosen = _code_or_404(code)
    try:
        filters = figures.filters_of(_query(request))
    except FilterProblems as problems:
        return error_response(request, 422, "There is a problem", str(problems), problems.problems)
    dashboard = await _dashboard(analytics, caller, chosen, filters)
    table = figures.table_of(dashboard, table_code)
    if table is None:
        raise HTTPException(404)
    return Response(
        figures.csv_of(dashboard, table),
        media_type="text/csv; charset=utf-8",
        headers=download_headers(figures.csv_filename(dashboard, table)),
    )


# -- the JSON API -------------------------------------------------------------------------------------------

DATE_HINT = "a date, YYYY-MM-DD"


@router.get(
    "/api/dashboards/{code}",
    tags=["dashboards"],
    summary="A dashboard's figure tables, suppressed for analysts",
    response_model=Dashboard,
)
async def api_dashboard(
    request: Request,
    code: DashboardCode,
    analytics: AnalyticsDep,
    caller: Caller,
    partnership_id: Annotated[
        UUID | None, Query(description="One partnership the caller may see; omitted: all of them")
    ] = None,
    period_from: Annotated[str | None, Query(description=f"Counted on or after: {DATE_HINT}")] = None,
    period_to: Annotated[str | None, Query(description=f"Counted on or before: {DATE_HINT}")] = None,
    review_type: Annotated[str | None, Query(description="A review type's code")] = None,
    agency_type: Annotated[str | None, Query(description="An agency type's code")] = None,
    theme: Annotated[str | None, Query(description="A theme's code")] = None,
) -> Response:
    """The figures the dashboard page shows, for the same filters (`filter_options` lists each filter's
    choices). A partnership's own people see their partnership's figures; a regional analyst the region's
    and a national analyst England's, with small counts suppressed ("fewer than 5", `value` null).
    Figures are eventually consistent: they follow events within moments."""
    try:
        filters = figures.filters_of(_query(request))
    except FilterProblems as problems:
        return error_response(request, 422, "There is a problem", str(problems), problems.problems)
    dashboard = await _dashboard(analytics, caller, code, filters)
    # Written once from the model the RPC's answer was read into (and suppressed again) already: FastAPI would
    # check it against response_model a second time before writing it.
    return Response(dashboard.model_dump_json(), media_type="application/json")
