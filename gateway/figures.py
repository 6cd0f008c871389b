"""How a dashboard's figures are shown: the filters read from an address, the addresses that keep them, the
shading of a heat map's cells, and a figure table as CSV.

A dashboard arrives from the analytics service already decided and suppressed (services/analytics/
contract.py): nothing here computes a figure, and a suppressed cell is only ever shown as its words ("fewer
than 5"), never as a number. The browser draws the charts from the same tables (gateway/assets/app.js).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode
from uuid import UUID

from gateway.chronology_export import neutralised
from services.analytics.contract import Cell, Dashboard, DashboardFilters, FigureRow, FigureTable


@dataclass(frozen=True)
class DashboardInfo:
    """A dashboard as the index lists it: its address's code, its name and what it answers."""

    code: str
    title: str
    description: str


# The five dashboards, in the order the index lists them (DashboardCode in the analytics contract).
DASHBOARDS: tuple[DashboardInfo, ...] = (
    DashboardInfo(
        "reviews",
        "Reviews",
        "Reviews by type and stage over time, and how notifications lead to rapid reviews, local reviews "
        "and publication.",
    ),
    DashboardInfo(
        "timeliness",
        "Timeliness",
        "Each statutory deadline: met on time, after a pause or late, the share met and working days late; "
        "agencies' returns on time by agency type.",
    ),
    DashboardInfo(
        "learning",
        "Learning",
        "The Panel's response to local decisions, and the themes of reviews' lessons year by year.",
    ),
    DashboardInfo(
        "children",
        "Children in notifications",
        "The children serious incidents were notified about, by age band, sex, ethnicity, disability, legal "
        "status and the nature of the incident.",
    ),
    DashboardInfo(
        "actions",
        "Action plans",
        "Actions of review action plans: open, overdue, completed and not implemented, by agency and theme.",
    ),
)
DASHBOARD_CODES = frozenset(info.code for info in DASHBOARDS)

# The filters in the order the form shows them, with their labels; every field of DashboardFilters.
FILTER_LABELS: dict[str, str] = {
    "period_from": "From",
    "period_to": "To",
    "review_type": "Type of review",
    "partnership_id": "Partnership",
    "agency_type": "Type of agency",
    "theme": "Theme",
}
PERIOD_FIELDS = ("period_from", "period_to")
# How many shades a heat map's cells take (app.scss: .app-heat--0 to --4), lightest for the smallest.
HEAT_SHADES = 5
TEXT_LIMIT = 100
# The label of a table's row and column of totals: in the table, left out of its chart and its shading.
TOTAL = "Total"
# What a suppressed cell may say: the threshold, never the figure.
SUPPRESSED_WORDS = re.compile(r"fewer than \d+")


class FilterProblems(ValueError):
    """Filters that cannot be read; each problem names its field, as the error summary links to it."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(problem["message"] for problem in problems))
        self.problems = problems


def filters_of(query: Mapping[str, str]) -> DashboardFilters:
    """The filters an address asks for; an empty value means all. Raises FilterProblems for a date that is
    not a date, a period that ends before it starts, or a partnership that is not an id."""
    problems: list[dict[str, str]] = []
    values: dict[str, object] = {}
    for name in FILTER_LABELS:
        text = (query.get(name) or "").strip()
        if not text:
            continue
        if name in PERIOD_FIELDS:
            try:
                values[name] = date.fromisoformat(text)
            except ValueError:
                which = "start" if name == "period_from" else "end"
                problems.append(
                    {"field": name, "message": f"Enter the {which} of the period as a date, like 2026-04-01"}
                )
        elif name == "partnership_id":
            try:
                values[name] = UUID(text)
            except ValueError:
                problems.append({"field": name, "message": "Choose a partnership from the list"})
        else:
            values[name] = text[:TEXT_LIMIT]
    start, end = values.get("period_from"), values.get("period_to")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        problems.append(
            {"field": "period_to", "message": "The end of the period must be on or after its start"}
        )
    if problems:
        raise FilterProblems(problems)
    return DashboardFilters.model_validate(values)


def query_of(filters: DashboardFilters) -> str:
    """The filters as an address's query ("?period_from=2026-04-01&theme=neglect"), or "" for none."""
    chosen = {name: str(value) for name, value in filters.model_dump().items() if value is not None}
    return "?" + urlencode(chosen) if chosen else ""


def heat_shades(table: FigureTable) -> list[list[int | None]]:
    """The shade of each cell of a heat map, from 0 (least) to HEAT_SHADES - 1 (most) of the table's largest
    shown figure; None for a cell with nothing to shade (suppressed, empty, or a total, which would outshine
    every figure it sums). app.js shades a redrawn table by the same rule."""
    totals = {c for c, column in enumerate(table.columns) if column == TOTAL}

    def shaded(row: FigureRow, c: int, shown: Cell) -> bool:
        return row.label != TOTAL and c not in totals and not shown.suppressed and shown.value is not None

    largest = max(
        (cell.value or 0.0 for row in table.rows for c, cell in enumerate(row.cells) if shaded(row, c, cell)),
        default=0.0,
    )
    return [
        [
            (0 if largest <= 0 else min(HEAT_SHADES - 1, int((cell.value or 0.0) / largest * HEAT_SHADES)))
            if shaded(row, c, cell)
            else None
            for c, cell in enumerate(row.cells)
        ]
        for row in table.rows
    ]


def fits_beside(table: FigureTable) -> bool:
    """Whether a table is narrow enough to stand beside its chart on a wide screen: one column of figures (and
    its total), not a heat map (which is its own chart)."""
    figures = [column for column in table.columns if column != TOTAL]
    return table.chart != "heatmap" and len(figures) <= 1 and len(table.columns) <= 2


def table_of(dashboard: Dashboard, table_code: str) -> FigureTable | None:
    """The dashboard's table with this code, if it has one."""
    return next((table for table in dashboard.tables if table.code == table_code), None)


def csv_of(dashboard: Dashboard, table: FigureTable) -> str:
    """A figure table as CSV, cell for cell as the page shows it: the row heading and the columns, then a line
    per row with each cell's words (a suppressed one's "fewer than 5", never its number). Cells a
    spreadsheet would run as a formula are neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralised(heading) for heading in (table.row_heading, *table.columns)])
    for row in table.rows:
        writer.writerow([neutralised(row.label), *(neutralised(cell_words(cell)) for cell in row.cells)])
    return out.getvalue()


def cell_words(cell: Cell) -> str:
    """A cell as a reader sees it: its text. A suppressed cell's text is shown only as the service words it
    ("fewer than 5", or words without a figure); one that would show any other figure is shown as "withheld"
    rather than trusted."""
    if (
        cell.suppressed
        and not SUPPRESSED_WORDS.fullmatch(cell.text)
        and any(ch.isdigit() for ch in cell.text)
    ):
        return "withheld"
    return cell.text


def as_shown(dashboard: Dashboard) -> Dashboard:
    """The dashboard as every page, CSV and API answer shows it: a suppressed cell keeps no value and only its
    words (cell_words), whatever the service sent."""
    tables = [
        table.model_copy(
            update={
                "rows": [
                    row.model_copy(
                        update={
                            "cells": [
                                Cell(value=None, text=cell_words(cell), suppressed=True)
                                if cell.suppressed
                                else cell
                                for cell in row.cells
                            ]
                        }
                    )
                    for row in table.rows
                ]
            }
        )
        for table in dashboard.tables
    ]
    return dashboard.model_copy(update={"tables": tables})


def csv_filename(dashboard: Dashboard, table: FigureTable) -> str:
    """The name a downloaded table is saved under: whose figures, which table, and the period asked for."""
    filters = dashboard.filters
    period = ""
    if filters.period_from or filters.period_to:
        period = f"-{filters.period_from or 'start'}-to-{filters.period_to or 'now'}"
    return f"{_slug(dashboard.scope_label)}-{dashboard.code}-{table.code}{period}.csv"


def _slug(text: str) -> str:
    words = "".join(ch.lower() if ch.isascii() and ch.isalnum() else " " for ch in text).split()
    return "-".join(words) or "figures"
