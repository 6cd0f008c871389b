"""The five dashboards: which figure tables each has, in what order and words, and how each is made safe to
show. Pure Python: it takes tallies (queries.Tally) and gives contract.FigureTable, suppressed for analysts.

A figure table of counts is shown with a "Total" row and column. For a regional or national analyst its
cells, totals included, go through suppression.hidden_cells with the complements of each wider view (the
same figures without some of the filters) and, when one partnership is chosen, with the cells hidden among
its sibling partnerships; a table of shares, medians or maxima hides a row whose base is below the threshold
or whose counts are hidden in the table it is worked out from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from services.analytics import suppression
from services.analytics.contract import Cell, DashboardCode, FigureRow, FigureTable
from services.analytics.queries import Tally

Chart = Literal["bar", "stacked_bar", "line", "heatmap"]
Unit = Literal["count", "percent", "working_days"]

# Words for the codes the events carry. A code not here is shown with its underscores as spaces.
WORDS: dict[str, str] = {
    "child_safeguarding": "Child safeguarding practice review",
    "safeguarding_adults": "Safeguarding adults review",
    "domestic_homicide": "Domestic homicide review",
    "notified": "Notified to the Panel",
    "rapid_review": "Rapid review",
    "local_review": "Local review decided",
    "published": "Published",
    "on_time": "On time",
    "paused": "Met after a pause (not late)",
    "late": "Late",
    "overdue": "Not in, overdue",
    "share_met": "Share met in time",
    "median_late": "Median working days late",
    "worst_late": "Worst working days late",
    "agrees": "Panel agrees",
    "questions": "Panel has questions",
    "national_review": "Panel considers a national review",
    "lcspr": "Local review",
    "no_lcspr": "No local review",
    "national_review_suggested": "National review suggested",
    "not_recorded": "No decision recorded",
    "under_1": "Under 1",
    "1_to_4": "1 to 4",
    "5_to_9": "5 to 9",
    "10_to_15": "10 to 15",
    "16_to_17": "16 to 17",
    "18_and_over": "18 and over",
    "not_known": "Not known",
    "death": "Death",
    "serious_harm": "Serious harm",
    "other": "Other",
    "female": "Female",
    "male": "Male",
    "asian": "Asian or Asian British",
    "black": "Black, Black British, Caribbean or African",
    "mixed": "Mixed or multiple ethnic groups",
    "white": "White",
    "yes": "Disabled",
    "no": "Not disabled",
    "child_in_need": "Child in need plan",
    "child_protection": "Child protection plan",
    "looked_after": "Looked after",
    "care_leaver": "Care leaver",
    "none": "None of these",
    "open": "Open",
    "completed": "Completed",
    "not_implemented": "Not implemented",
    "closed": "Signed off",
    "partnership": "The partnership",
    "reviews": "Reviews",
    "lessons": "Lessons",
    "actions": "Actions",
    "children": "Children",
}


def words(code: str) -> str:
    """The words for a code."""
    if code in WORDS:
        return WORDS[code]
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else code


@dataclass(frozen=True)
class TableSpec:
    """One figure table of a dashboard: the aggregate it shows and how (rows and columns in a set order,
    those not listed after them in code order)."""

    code: str
    aggregate: str
    title: str
    row_heading: str
    chart: Chart
    summary: Callable[[FigureTable], str]
    rows: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    unit: Unit = "count"
    # A table of shares, medians or maxima names the count table its rows are worked out from.
    derived_from: str | None = None
    row_words: Callable[[str], str] = words
    rows_sorted: Literal["code", "total"] = "code"
    # Whether the totals mean something to show (not where one thing is counted in several rows, or steps
    # of a funnel). They are suppressed as if shown either way: other figures may show them.
    totals: bool = True


@dataclass(frozen=True)
class DashboardSpec:
    """A dashboard: its title and figure tables."""

    title: str
    tables: tuple[TableSpec, ...]


def _shown_total(table: FigureTable) -> str | None:
    """The grand total's words, when the table shows one."""
    if table.rows and table.rows[-1].label == "Total" and table.rows[-1].cells:
        cell = table.rows[-1].cells[-1]
        return None if cell.suppressed else cell.text
    return None


def _largest_row(table: FigureTable) -> str | None:
    """The label of the row with the largest shown total (suppressed and total rows left out)."""
    best: tuple[float, str] | None = None
    for row in table.rows:
        if row.label == "Total" or not row.cells:
            continue
        last = row.cells[-1]
        if last.value is not None and not last.suppressed and (best is None or last.value > best[0]):
            best = (last.value, row.label)
    return best[1] if best else None


def _count_summary(what: str, most: str | None = None) -> Callable[[FigureTable], str]:
    def summary(table: FigureTable) -> str:
        total = _shown_total(table)
        if not table.rows or total in (None, "0"):
            head = (
                f"No {what} to count in this view."
                if total == "0"
                else f"{what.capitalize()}: some figures are small and hidden."
            )
            return head
        sentence = f"{total} {what} in this view"
        largest = _largest_row(table) if most else None
        if largest:
            sentence += f"; the most {most}: {largest}"
        return sentence + "."

    return summary


def _derived_summary(what: str) -> Callable[[FigureTable], str]:
    def summary(table: FigureTable) -> str:
        shown = sum(
            1 for row in table.rows for cell in row.cells if cell.value is not None and not cell.suppressed
        )
        if not shown:
            return f"{what.capitalize()}: nothing to show in this view (too few to show, or none yet)."
        return f"{what.capitalize()}, for each statutory deadline with enough figures to show."

    return summary


AGE_BANDS = ("under_1", "1_to_4", "5_to_9", "10_to_15", "16_to_17", "18_and_over", "not_known")
NATURES = ("death", "serious_harm", "other")
ACTION_STATES = ("open", "overdue", "completed", "not_implemented", "closed")

DASHBOARDS: dict[DashboardCode, DashboardSpec] = {
    "reviews": DashboardSpec(
        "Reviews",
        (
            TableSpec(
                "reviews_opened",
                "reviews_opened",
                "Reviews opened each year, by type",
                "Year opened",
                "stacked_bar",
                _count_summary("reviews opened"),
            ),
            TableSpec(
                "reviews_by_stage",
                "reviews_by_stage",
                "Reviews by the stage they are at, by type",
                "Stage",
                "stacked_bar",
                _count_summary("reviews", "are at"),
                rows=(
                    "referral",
                    "notification",
                    "rapid_review",
                    "decision",
                    "lcspr",
                    "review",
                    "publication",
                    "closed",
                ),
            ),
            TableSpec(
                "funnel",
                "funnel",
                "From notification to publication",
                "Step",
                "bar",
                lambda table: (
                    "How many reviews reached each step, from the notification to the Panel, through the "
                    "rapid review and the decision on a local review, to publication, each counted when it "
                    "happened."
                ),
                rows=("notified", "rapid_review", "local_review", "published"),
                totals=False,
            ),
            TableSpec(
                "reviews_by_partnership",
                "reviews_by_partnership",
                "Reviews by partnership",
                "Partnership",
                "bar",
                _count_summary("reviews opened", "reviews"),
                columns=("reviews",),
                rows_sorted="total",
            ),
        ),
    ),
    "timeliness": DashboardSpec(
        "Timeliness",
        (
            TableSpec(
                "deadlines_met",
                "deadline_outcomes",
                "Statutory deadlines met on time, after a pause, or late",
                "Deadline",
                "stacked_bar",
                _count_summary("statutory deadlines met", "met"),
                columns=("on_time", "paused", "late"),
            ),
            TableSpec(
                "deadline_share_met",
                "deadline_lateness",
                "Share of each statutory deadline met in time",
                "Deadline",
                "bar",
                _derived_summary("the share met in time"),
                columns=("share_met",),
                unit="percent",
                derived_from="deadlines_met",
            ),
            TableSpec(
                "deadline_days_late",
                "deadline_lateness",
                "Working days late, when late",
                "Deadline",
                "bar",
                _derived_summary("the median and worst working days late"),
                columns=("median_late", "worst_late"),
                unit="working_days",
                derived_from="deadlines_met",
            ),
            TableSpec(
                "returns_on_time",
                "returns_on_time",
                "Agencies' returns on time, by agency type",
                "Agency type",
                "stacked_bar",
                _count_summary("returns due", "returns"),
                columns=("on_time", "late", "overdue"),
            ),
        ),
    ),
    "learning": DashboardSpec(
        "Learning",
        (
            TableSpec(
                "panel_agreement",
                "panel_agreement",
                "The Panel's response to local decisions",
                "Local decision",
                "stacked_bar",
                _count_summary("responses from the Panel"),
                rows=(
                    "lcspr",
                    "no_lcspr",
                    "national_review_suggested",
                    "review",
                    "no_review",
                    "not_recorded",
                ),
                columns=("agrees", "questions", "national_review"),
            ),
            TableSpec(
                "themes_by_year",
                "themes_by_year",
                "Lessons by theme and year",
                "Theme",
                "heatmap",
                _count_summary("lessons tagged with themes", "lessons"),
                totals=False,
            ),
            TableSpec(
                "themes",
                "themes_reviews",
                "Themes: lessons and the reviews they come from",
                "Theme",
                "bar",
                _count_summary("lessons tagged with themes", "lessons"),
                columns=("lessons",),
                rows_sorted="total",
                totals=False,
            ),
        ),
    ),
    "children": DashboardSpec(
        "Children in notifications",
        (
            TableSpec(
                "children_by_age",
                "children_by_age",
                "Children by age band, and the nature of the incident",
                "Age band on the day of the incident",
                "stacked_bar",
                _count_summary("children in notifications", "children"),
                rows=AGE_BANDS,
                columns=NATURES,
            ),
            TableSpec(
                "children_by_sex",
                "children_by_sex",
                "Children by sex",
                "Sex",
                "bar",
                _count_summary("children in notifications"),
                rows=("female", "male", "not_known"),
            ),
            TableSpec(
                "children_by_ethnicity",
                "children_by_ethnicity",
                "Children by ethnicity",
                "Ethnicity",
                "bar",
                _count_summary("children in notifications"),
                rows=("asian", "black", "mixed", "white", "other", "not_known"),
            ),
            TableSpec(
                "children_by_disability",
                "children_by_disability",
                "Children by disability",
                "Disability",
                "bar",
                _count_summary("children in notifications"),
                rows=("yes", "no", "not_known"),
            ),
            TableSpec(
                "children_by_legal_status",
                "children_by_legal_status",
                "Children by legal status (a child with two is counted under each)",
                "Legal status",
                "bar",
                lambda table: (
                    "Children by each legal status that applied to them; the total counts a child once for "
                    "each."
                ),
                rows=("child_in_need", "child_protection", "looked_after", "care_leaver", "none"),
                totals=False,
            ),
        ),
    ),
    "actions": DashboardSpec(
        "Action plans",
        (
            TableSpec(
                "actions_by_state",
                "actions_by_state",
                "Actions by state",
                "State",
                "bar",
                _count_summary("actions"),
                rows=ACTION_STATES,
            ),
            TableSpec(
                "actions_by_agency_type",
                "actions_by_agency_type",
                "Actions by the owner's agency type",
                "Agency type",
                "stacked_bar",
                _count_summary("actions", "actions"),
                columns=ACTION_STATES,
            ),
            TableSpec(
                "actions_by_theme",
                "actions_by_theme",
                "Actions by theme (an action with two themes is counted under each)",
                "Theme",
                "stacked_bar",
                _count_summary("actions tagged with themes", "actions"),
                columns=ACTION_STATES,
                rows_sorted="total",
                totals=False,
            ),
        ),
    ),
}


# -- from tallies to a grid ----------------------------------------------------------------------------------


@dataclass
class Grid:
    """An aggregate's tallies laid out in the table's rows and columns (codes), with the bases."""

    rows: list[str]
    columns: list[str]
    values: list[list[float]]
    bases: list[list[int]]

    def counts(self) -> list[list[int]]:
        return [[int(value) for value in row] for row in self.values]


def _ordered(preferred: Sequence[str], found: Iterable[str]) -> list[str]:
    found = set(found)
    return [code for code in preferred if code in found] + sorted(found - set(preferred))


def layout(
    spec: TableSpec,
    tallies: Iterable[Tally],
    *,
    also: Iterable[Tally] = (),
    widest: Iterable[Tally] | None = None,
) -> Grid:
    """The tallies as a grid: the spec's rows and columns first, in its order, then any others found (in this
    view, or in `also`: the wider views it is compared with, so that they all have the same cells). A table of
    counts keeps every row and column the spec names, found or not (a count of 0 is a figure too), except,
    for an analyst (`widest`: the analyst's whole scope without filters), a row or column with nothing in it
    anywhere they may look: "none in all England" points at nobody, and hiding it would only hide more. An
    analyst's rows are in the order of their codes (ordered by size, the order would tell of hidden ones)."""
    mine = [t for t in tallies if not spec.columns or t.column in spec.columns]
    wider = [t for t in also if not spec.columns or t.column in spec.columns]
    everything = mine + wider
    keep_all = spec.unit == "count"
    rows = _ordered(spec.rows if keep_all else (), (t.row for t in everything))
    if keep_all:
        rows = list(spec.rows) + [code for code in rows if code not in spec.rows]
    columns = list(spec.columns) if spec.columns else _ordered((), (t.column for t in everything))
    if not columns:
        columns = ["reviews"] if not spec.columns else list(spec.columns)
    if widest is not None:
        found = [t for t in widest if t.value]
        rows = [code for code in rows if any(t.row == code for t in found)]
        kept = [code for code in columns if any(t.column == code for t in found)]
        columns = kept or columns[:1]
    where = {(t.row, t.column): t for t in mine}
    values = [[where[(r, c)].value if (r, c) in where else 0.0 for c in columns] for r in rows]
    bases = [[where[(r, c)].base if (r, c) in where else 0 for c in columns] for r in rows]
    grid = Grid(rows, columns, values, bases)
    if spec.rows_sorted == "total" and keep_all and widest is None:
        order = sorted(range(len(rows)), key=lambda i: (-sum(values[i]), rows[i]))
        grid = Grid([rows[i] for i in order], columns, [values[i] for i in order], [bases[i] for i in order])
    return grid


def aligned(grid: Grid, tallies: Iterable[Tally]) -> list[list[int]]:
    """Counts of other tallies (a wider view) in the grid's rows and columns."""
    where = {(t.row, t.column): int(t.value) for t in tallies}
    return [[where.get((r, c), 0) for c in grid.columns] for r in grid.rows]


# -- cells ---------------------------------------------------------------------------------------------------


def count_cell(value: int, hidden: bool, threshold: int | None) -> Cell:
    """A count as shown: hidden ones read "fewer than N" whatever they are."""
    if hidden and threshold is not None:
        return Cell(value=None, text=f"fewer than {threshold}", suppressed=True)
    return Cell(value=float(value), text=f"{value:,}")


def derived_cell(value: float, base: int, unit: Unit, hidden: bool, threshold: int | None) -> Cell:
    """A share, median or maximum as shown: none when its base is 0; hidden when too few to show."""
    if hidden and threshold is not None:
        return Cell(value=None, text=f"fewer than {threshold}", suppressed=True)
    if base == 0:
        return Cell(value=None, text="none")
    if unit == "percent":
        return Cell(value=round(value, 1), text=f"{value:.0f}%")
    rounded = round(value, 1)
    return Cell(value=rounded, text=f"{rounded:g}")


@dataclass
class Protection:
    """What suppression needs besides the table itself: the threshold (None: a partnership's own figures,
    not suppressed), the complements of wider views, and cells forced hidden; or the cells to hide, decided
    with the table's sibling partnerships."""

    threshold: int | None
    complements: list[list[list[int]]] = field(default_factory=list)
    forced: set[tuple[int, int]] = field(default_factory=set)
    # Decided already, with the table's siblings (sibling_hidden): used as it is.
    decided: frozenset[tuple[int, int]] | None = None


def count_table(
    spec: TableSpec, grid: Grid, protection: Protection, row_words: Mapping[str, str] | None = None
) -> tuple[FigureTable, frozenset[tuple[int, int]]]:
    """A table of counts with its totals, suppressed for analysts; and the positions hidden (of the table
    with totals, suppression.with_totals)."""
    counts = grid.counts()
    extended = suppression.with_totals(counts) if counts else [[0] * (len(grid.columns) + 1)]
    hidden: frozenset[tuple[int, int]] = frozenset()
    if protection.decided is not None:
        hidden = protection.decided
    elif protection.threshold is not None and counts:
        hidden = suppression.hidden_cells(
            counts, protection.threshold, protection.complements, protection.forced
        ).cells
    named = row_words or {}
    rows = [
        FigureRow(
            label=named.get(code) or spec.row_words(code),
            cells=[
                count_cell(extended[r][c], (r, c) in hidden, protection.threshold)
                for c in range(len(grid.columns) + 1)
            ],
        )
        for r, code in enumerate(grid.rows)
    ]
    total_row = len(grid.rows)
    rows.append(
        FigureRow(
            label="Total",
            cells=[
                count_cell(extended[total_row][c], (total_row, c) in hidden, protection.threshold)
                for c in range(len(grid.columns) + 1)
            ],
        )
    )
    table = FigureTable(
        code=spec.code,
        title=spec.title,
        summary="",
        row_heading=spec.row_heading,
        columns=[words(column) for column in grid.columns] + ["Total"],
        rows=rows,
        chart=spec.chart,
        unit="count",
    )
    summary = spec.summary(table)
    if spec.totals and len(grid.columns) == 1:
        # A row's total would repeat its one figure: only the column's total is shown.
        table = table.model_copy(
            update={
                "columns": table.columns[:-1],
                "rows": [FigureRow(label=row.label, cells=row.cells[:-1]) for row in table.rows],
            }
        )
    elif not spec.totals:
        table = table.model_copy(
            update={
                "columns": table.columns[:-1],
                "rows": [FigureRow(label=row.label, cells=row.cells[:-1]) for row in table.rows[:-1]],
            }
        )
    return table.model_copy(update={"summary": summary}), hidden


def derived_table(
    spec: TableSpec,
    grid: Grid,
    threshold: int | None,
    hidden_rows: set[str],
) -> FigureTable:
    """A table of shares, medians or maxima: a cell is hidden when its base is below the threshold, or when
    its row's counts are hidden in the table it is worked out from (`hidden_rows`, by code)."""
    rows = []
    for r, code in enumerate(grid.rows):
        cells = []
        for c, _ in enumerate(grid.columns):
            base = grid.bases[r][c]
            hide = threshold is not None and (
                code in hidden_rows or (base > 0 and suppression.derived_hidden(base, threshold))
            )
            cells.append(derived_cell(grid.values[r][c], base, spec.unit, hide, threshold))
        rows.append(FigureRow(label=spec.row_words(code), cells=cells))
    table = FigureTable(
        code=spec.code,
        title=spec.title,
        summary="",
        row_heading=spec.row_heading,
        columns=[words(column) for column in grid.columns],
        rows=rows,
        chart=spec.chart,
        unit=spec.unit,
    )
    return table.model_copy(update={"summary": spec.summary(table)})


def hidden_row_codes(grid: Grid, hidden: frozenset[tuple[int, int]]) -> set[str]:
    """The rows of a count table with any cell hidden (their shares and medians are hidden with them)."""
    return {code for r, code in enumerate(grid.rows) if any(position[0] == r for position in hidden)}


def sibling_hidden(
    views: Mapping[UUID, Sequence[Sequence[int]]],
    complements: Mapping[UUID, Sequence[Sequence[Sequence[int]]]],
    threshold: int,
) -> dict[UUID, frozenset[tuple[int, int]]]:
    """The cells to hide in each partnership's view of one table when an analyst may look at the partnerships
    of a region (or of England) one by one, as well as at the whole: decided for all of them together, so that
    it is the same whichever one is looked at.

    Each partnership's view is suppressed as any table is (with its own complements); then, cell by cell
    (totals included), the partnerships' counts side by side add up to the whole's cell, which may be shown:
    so across them nothing may be hidden, or two or more cells adding up to at least the threshold, or the
    whole less the others shown would give a hidden one away. Where that fails the smallest other
    partnership's cell is hidden too, its view suppressed again, until nothing changes."""
    siblings = list(views)
    forced: dict[UUID, set[tuple[int, int]]] = {p: set() for p in siblings}
    extended = {p: suppression.with_totals(table) if table else [[0]] for p, table in views.items()}
    while True:
        hidden = {
            p: suppression.hidden_cells(views[p], threshold, complements.get(p, ()), forced[p]).cells
            if views[p]
            else frozenset()
            for p in siblings
        }
        changed = False
        positions = {position for table in hidden.values() for position in table}
        for r, c in sorted(positions):
            marked = {p for p in siblings if (r, c) in hidden[p]}
            while len(marked) < 2 or sum(extended[p][r][c] for p in marked) < threshold:
                others = [p for p in siblings if p not in marked]
                if not others:
                    break
                smallest = min(others, key=lambda p: (extended[p][r][c], str(p)))
                marked.add(smallest)
                forced[smallest].add((r, c))
                changed = True
        if not changed:
            return hidden


def partnership_words(names: Mapping[UUID, str]) -> dict[str, str]:
    """Row words for tallies whose rows are partnership ids: their names."""
    return {str(partnership): name for partnership, name in names.items()}
