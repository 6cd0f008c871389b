"""How the gateway shows a dashboard the analytics service decided: filters read from the address, tables as
CSV and as the page's accessible tables, heat map shading, and suppressed cells never shown as a number.
Against fake Dashboard objects of the analytics contract; the real service is the e2e suite's."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any
from uuid import UUID

import pytest

from gateway import figures
from gateway.deps import TEMPLATES
from gateway.figures import FilterProblems
from gateway.routes.dashboards import filter_fields, table_views
from services.analytics.contract import (
    Cell,
    Dashboard,
    DashboardFilters,
    FigureRow,
    FigureTable,
    FilterOption,
)

NORTHBRIDGE = UUID("6a1f0000-0000-4000-8000-000000000001")


def cell(value: float | None, text: str | None = None, suppressed: bool = False) -> Cell:
    return Cell(value=value, text=text if text is not None else f"{value:g}", suppressed=suppressed)


def fewer() -> Cell:
    return Cell(value=None, text="fewer than 5", suppressed=True)


def by_partnership() -> FigureTable:
    return FigureTable(
        code="by_partnership",
        title="Reviews by partnership",
        summary="Northbridge opened the most reviews.",
        row_heading="Partnership",
        columns=["Rapid reviews", "Local reviews"],
        rows=[
            FigureRow(label="Northbridge", cells=[cell(12), fewer()]),
            FigureRow(label="=Eastmoor", cells=[fewer(), cell(7)]),
        ],
        chart="stacked_bar",
    )


def themes_heatmap() -> FigureTable:
    return FigureTable(
        code="themes_by_period",
        title="Themes by quarter",
        summary="Neglect recurs in every quarter.",
        row_heading="Theme",
        columns=["2026 Q1", "2026 Q2"],
        rows=[
            FigureRow(label="Neglect", cells=[cell(10), cell(5)]),
            FigureRow(label="Domestic abuse", cells=[cell(0), fewer()]),
        ],
        chart="heatmap",
    )


def dashboard(*tables: FigureTable, **changes: Any) -> Dashboard:
    fields: dict[str, Any] = {
        "code": "reviews",
        "title": "Reviews",
        "scope": "region",
        "scope_label": "North of England",
        "filters": DashboardFilters(),
        "filter_options": {
            "partnership_id": [FilterOption(value=str(NORTHBRIDGE), label="Northbridge")],
            "review_type": [FilterOption(value="child_safeguarding", label="Child safeguarding review")],
        },
        "tables": list(tables) or [by_partnership()],
        "suppression_threshold": 5,
        "as_of": datetime(2026, 12, 7, 14, 0, tzinfo=UTC),
    }
    return Dashboard.model_validate({**fields, **changes})


# -- filters ------------------------------------------------------------------------------------------------


def test_filters_are_read_from_the_address_and_empty_ones_mean_all() -> None:
    filters = figures.filters_of(
        {
            "period_from": "2026-04-01",
            "period_to": "",
            "partnership_id": str(NORTHBRIDGE),
            "theme": " neglect ",
        }
    )
    assert filters == DashboardFilters(
        period_from=date(2026, 4, 1), partnership_id=NORTHBRIDGE, theme="neglect"
    )


def test_a_date_that_is_not_a_date_and_a_period_that_ends_before_it_starts_are_named() -> None:
    with pytest.raises(FilterProblems) as bad_date:
        figures.filters_of({"period_from": "1 April", "partnership_id": "northbridge"})
    assert [p["field"] for p in bad_date.value.problems] == ["period_from", "partnership_id"]
    assert "like 2026-04-01" in bad_date.value.problems[0]["message"]
    with pytest.raises(FilterProblems) as backwards:
        figures.filters_of({"period_from": "2026-04-01", "period_to": "2026-03-31"})
    assert backwards.value.problems == [
        {"field": "period_to", "message": "The end of the period must be on or after its start"}
    ]


def test_filters_survive_the_round_trip_through_an_address() -> None:
    filters = DashboardFilters(period_to=date(2026, 9, 30), review_type="child_safeguarding")
    query = figures.query_of(filters)
    assert query == "?period_to=2026-09-30&review_type=child_safeguarding"
    assert figures.filters_of(dict(re.findall(r"(\w+)=([^&]+)", query))) == filters
    assert figures.query_of(DashboardFilters()) == ""


def test_the_form_offers_the_period_always_and_other_filters_only_with_the_services_choices() -> None:
    fields = filter_fields(dashboard(), {"review_type": "child_safeguarding"})
    assert [(f.name, f.kind) for f in fields] == [
        ("period_from", "date"),
        ("period_to", "date"),
        ("review_type", "select"),
        ("partnership_id", "select"),
    ]
    assert fields[2].value == "child_safeguarding"
    assert fields[3].options == [(str(NORTHBRIDGE), "Northbridge")]


# -- suppressed cells ---------------------------------------------------------------------------------------


def test_a_suppressed_cell_keeps_no_value_and_a_figure_in_its_words_is_withheld() -> None:
    leaky = Cell(value=3, text="3", suppressed=True)
    table = by_partnership().model_copy(
        update={"rows": [FigureRow(label="Northbridge", cells=[leaky, fewer()])]}
    )
    shown = figures.as_shown(dashboard(table))
    cells = shown.tables[0].rows[0].cells
    assert [(c.value, c.text, c.suppressed) for c in cells] == [
        (None, "withheld", True),
        (None, "fewer than 5", True),
    ]


# -- CSV ----------------------------------------------------------------------------------------------------


def test_the_csv_holds_the_cells_as_shown_with_suppressed_ones_as_words_and_formulas_neutralised() -> None:
    shown = figures.as_shown(dashboard())
    rows = list(csv.reader(io.StringIO(figures.csv_of(shown, shown.tables[0]))))
    assert rows == [
        ["Partnership", "Rapid reviews", "Local reviews"],
        ["Northbridge", "12", "fewer than 5"],
        ["'=Eastmoor", "fewer than 5", "7"],
    ]


def test_the_csv_is_named_for_whose_figures_which_table_and_the_period() -> None:
    filtered = dashboard(filters=DashboardFilters(period_from=date(2026, 4, 1)))
    assert figures.csv_filename(filtered, filtered.tables[0]) == (
        "north-of-england-reviews-by_partnership-2026-04-01-to-now.csv"
    )
    assert (
        figures.csv_filename(dashboard(), by_partnership()) == "north-of-england-reviews-by_partnership.csv"
    )


# -- heat maps ----------------------------------------------------------------------------------------------


def test_a_heat_maps_cells_are_shaded_against_its_largest_shown_figure_and_suppressed_ones_not() -> None:
    assert figures.heat_shades(themes_heatmap()) == [[4, 2], [0, None]]


def test_a_heat_maps_totals_are_not_shaded_nor_counted_as_its_largest_figure() -> None:
    table = themes_heatmap()
    with_totals = table.model_copy(
        update={
            "columns": [*table.columns, "Total"],
            "rows": [
                FigureRow(label="Neglect", cells=[cell(10), cell(5), cell(15)]),
                FigureRow(label="Total", cells=[cell(10), cell(5), cell(15)]),
            ],
        }
    )
    assert figures.heat_shades(with_totals) == [[4, 2, None], [None, None, None]]


# -- the page -----------------------------------------------------------------------------------------------


class Tables(HTMLParser):
    """The page's tables: each caption, header cells with their scope, and data cells' text."""

    def __init__(self) -> None:
        super().__init__()
        self.captions: list[str] = []
        self.headers: list[tuple[str, str]] = []
        self.cells: list[str] = []
        self.charts: list[dict[str, Any]] = []
        self._in: str | None = None
        self._scope = ""
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "canvas" and found.get("data-figure-chart"):
            self.charts.append(json.loads(found["data-figure-chart"] or ""))
        if tag in ("caption", "th", "td"):
            self._in, self._scope, self._text = tag, found.get("scope") or "", ""

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            text = " ".join(self._text.split())
            if tag == "caption":
                self.captions.append(text)
            elif tag == "th":
                self.headers.append((text, self._scope))
            else:
                self.cells.append(text)
            self._in = None


def page_of(shown: Dashboard) -> str:
    template = TEMPLATES.get_template("dashboards/dashboard.html")
    return template.render(
        {
            "principal": None,
            "nav_items": [],
            "csrf_token": "",
            "dashboard": shown,
            "dashboards": figures.DASHBOARDS,
            "current": shown.code,
            "fields": filter_fields(shown, {}),
            "errors": [],
            "tables": table_views(shown),
            "as_of": "7 December 2026 at 14:00",
            "filtered": False,
            "api_url": "/api/dashboards/reviews",
            "stream_url": "/dashboards/reviews/stream",
        }
    )


def test_each_figure_is_a_chart_beside_a_table_with_a_caption_scoped_headers_and_its_csv() -> None:
    shown = figures.as_shown(dashboard(by_partnership(), themes_heatmap()))
    html = page_of(shown)
    tables = Tables()
    tables.feed(html)
    assert tables.captions == ["Reviews by partnership", "Themes by quarter"]
    assert ("Rapid reviews", "col") in tables.headers and ("Northbridge", "row") in tables.headers
    assert ("Neglect", "row") in tables.headers
    assert tables.cells[:4] == ["12", "fewer than 5", "fewer than 5", "7"]
    # The chart is drawn from the very table (a heat map is its shaded table, with no chart).
    assert [chart["code"] for chart in tables.charts] == ["by_partnership"]
    assert tables.charts[0]["rows"][0]["cells"][1] == {
        "value": None,
        "text": "fewer than 5",
        "suppressed": True,
    }
    assert "Northbridge opened the most reviews." in html
    assert 'href="/dashboards/reviews/by_partnership.csv"' in html
    assert "app-heat--4" in html and 'data-dashboard-stream="/dashboards/reviews/stream"' in html
    assert 'aria-live="polite"' in html
    assert "fewer than 5" in html and "Counts below 5" in html


def test_a_partnerships_own_dashboard_says_nothing_of_suppression() -> None:
    own = dashboard(
        scope="partnership", scope_label="Northbridge", suppression_threshold=None, filter_options={}
    )
    html = page_of(figures.as_shown(own))
    assert "Counts below" not in html
    assert 'id="partnership_id"' not in html


def test_one_column_and_its_total_stand_beside_the_chart_wider_tables_and_heat_maps_under_it() -> None:

    one = by_partnership().model_copy(update={"columns": ["Children", "Total"], "chart": "bar"})
    assert figures.fits_beside(one)
    assert not figures.fits_beside(by_partnership())
    assert not figures.fits_beside(themes_heatmap().model_copy(update={"columns": ["2026"]}))
