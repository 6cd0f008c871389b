"""Small-number suppression, tried by an attacker: many random small tables, their totals, filtered views and
sibling partnerships. Nothing below the threshold may be shown, or worked out from what is shown.

The attacker here is independent of suppression.pinned: it searches for another table that agrees with
everything shown (every shown cell, every shown total) and keeps every hidden cell a count; a hidden cell that
has the same value in every such table is worked out. By total unimodularity a cell that can change at all can
change by one, so searching changes of -1, 0, +1 to each hidden cell is enough.
"""

from __future__ import annotations

import itertools
import random
import re
import uuid
from collections.abc import Sequence

import pytest

from services.analytics import figures
from services.analytics.queries import Tally
from services.analytics.suppression import complement, derived_hidden, hidden_cells, pinned, with_totals

T = 5
VALUES = (0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20, 40)


def random_table(rng: random.Random, max_rows: int = 3, max_columns: int = 3) -> list[list[int]]:
    rows, columns = rng.randint(1, max_rows), rng.randint(1, max_columns)
    return [[rng.choice(VALUES) for _ in range(columns)] for _ in range(rows)]


def worked_out(extended: Sequence[Sequence[int]], hidden: frozenset[tuple[int, int]]) -> set[tuple[int, int]]:
    """The hidden cells that keep one value in every table agreeing with what is shown (brute force)."""
    cells = sorted(hidden)
    height, width = len(extended), len(extended[0])
    movable: set[tuple[int, int]] = set()
    for change in itertools.product((-1, 0, 1), repeat=len(cells)):
        if not any(change) or all(cell in movable for cell, step in zip(cells, change, strict=True) if step):
            continue
        table = [list(row) for row in extended]
        for (r, c), step in zip(cells, change, strict=True):
            table[r][c] += step
        if any(table[r][c] < 0 for r, c in cells):
            continue
        rows_agree = all(sum(table[r][:-1]) == table[r][-1] for r in range(height))
        columns_agree = all(sum(table[r][c] for r in range(height - 1)) == table[-1][c] for c in range(width))
        if rows_agree and columns_agree:
            movable |= {cell for cell, step in zip(cells, change, strict=True) if step}
    return set(cells) - movable


@pytest.mark.parametrize("seed", range(40))
def test_no_count_below_the_threshold_is_shown_or_can_be_worked_out_from_totals(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(15):
        counts = random_table(rng)
        hidden = hidden_cells(counts, T).cells
        extended = with_totals(counts)
        for r, row in enumerate(extended):
            for c, value in enumerate(row):
                if value < T:
                    assert (r, c) in hidden, f"{counts}: {value} at {(r, c)} is shown"
        if len(hidden) <= 11:
            solved = worked_out(extended, hidden)
            small = {cell for cell in solved if extended[cell[0]][cell[1]] < T}
            assert not small, f"{counts}: hidden {sorted(hidden)}, yet {sorted(small)} can be worked out"


@pytest.mark.parametrize("seed", range(20))
def test_the_flow_check_agrees_with_the_brute_force_attacker(seed: int) -> None:
    rng = random.Random(1000 + seed)
    for _ in range(20):
        counts = random_table(rng)
        extended = with_totals(counts)
        cells = [(r, c) for r in range(len(extended)) for c in range(len(extended[0]))]
        hidden = frozenset(rng.sample(cells, k=rng.randint(1, min(8, len(cells)))))
        assert set(pinned(extended, hidden)) == worked_out(extended, hidden), (
            f"{counts} hiding {sorted(hidden)}"
        )


@pytest.mark.parametrize("seed", range(30))
def test_larger_tables_leave_nothing_small_pinned(seed: int) -> None:
    rng = random.Random(2000 + seed)
    counts = random_table(rng, 8, 8)
    hidden = hidden_cells(counts, T).cells
    extended = with_totals(counts)
    assert not [cell for cell in pinned(extended, hidden) if extended[cell[0]][cell[1]] < T]


def test_a_lone_small_cell_takes_the_next_smallest_of_its_row_and_column_with_it() -> None:
    counts = [[2, 30, 40], [25, 35, 45]]
    hidden = hidden_cells(counts, T)
    assert (0, 0) in hidden.primary
    assert hidden.secondary, "one hidden cell alone would be its total less the others"
    assert not pinned(with_totals(counts), hidden.cells)


def test_a_table_with_nothing_small_hides_nothing() -> None:
    assert hidden_cells([[10, 20], [30, 40]], T).cells == frozenset()


def test_the_threshold_is_a_setting() -> None:
    counts = [[7, 30], [30, 30]]
    assert hidden_cells(counts, 5).cells == frozenset()
    assert (0, 0) in hidden_cells(counts, 10).primary


@pytest.mark.parametrize("seed", range(30))
def test_a_filtered_view_and_the_whole_never_differ_by_a_small_number_where_both_are_shown(seed: int) -> None:
    """Records of (row, column, filter value): the whole view, and each filter value's view, as a reader sees
    them. No shown cell of a filtered view is 1 to 4 less than the shown cell of the whole."""
    rng = random.Random(3000 + seed)
    rows, columns, kinds = rng.randint(1, 3), rng.randint(1, 3), rng.randint(2, 3)
    parts = [[[rng.choice(VALUES) for _ in range(columns)] for _ in range(rows)] for _ in range(kinds)]
    whole = [[sum(part[r][c] for part in parts) for c in range(columns)] for r in range(rows)]
    whole_hidden = hidden_cells(whole, T).cells
    whole_extended = with_totals(whole)
    for part in parts:
        part_hidden = hidden_cells(part, T, [complement(whole, part)]).cells
        part_extended = with_totals(part)
        for r, row in enumerate(part_extended):
            for c, value in enumerate(row):
                if (r, c) in part_hidden or (r, c) in whole_hidden:
                    continue
                difference = whole_extended[r][c] - value
                assert not 0 < difference < T, f"{part} within {whole}: {difference} shows at {(r, c)}"
        assert not [
            cell for cell in pinned(part_extended, part_hidden) if part_extended[cell[0]][cell[1]] < T
        ]


@pytest.mark.parametrize("seed", range(40))
def test_siblings_shown_one_by_one_never_give_a_hidden_one_away(seed: int) -> None:
    """Each partnership of a region seen alone, and the region: at every cell (totals included) the region
    less every sibling shown is 0 over nothing hidden, or at least the threshold over two or more hidden; and
    no sibling's own view lets a small cell be worked out."""
    rng = random.Random(4000 + seed)
    rows, columns = rng.randint(1, 3), rng.randint(1, 3)
    siblings = [uuid.UUID(int=i + 1) for i in range(rng.randint(2, 5))]
    views = {p: [[rng.choice(VALUES) for _ in range(columns)] for _ in range(rows)] for p in siblings}
    hidden = figures.sibling_hidden(views, {}, T)
    extended = {p: with_totals(table) for p, table in views.items()}
    for r in range(rows + 1):
        for c in range(columns + 1):
            concealed = [extended[p][r][c] for p in siblings if (r, c) in hidden[p]]
            whole = sum(extended[p][r][c] for p in siblings)
            if whole < T:  # the region's own cell is small, so hidden: there is no total to subtract from
                assert len(concealed) == len(siblings)
                continue
            assert not concealed or (len(concealed) >= 2 and sum(concealed) >= T), (
                f"{views}: at {(r, c)} the siblings hide {concealed}"
            )
    for p in siblings:
        assert all(
            (r, c) in hidden[p] for r, row in enumerate(extended[p]) for c, v in enumerate(row) if v < T
        )
        assert not [cell for cell in pinned(extended[p], hidden[p]) if extended[p][cell[0]][cell[1]] < T]


def test_rates_medians_and_shares_of_a_small_base_are_hidden() -> None:
    assert derived_hidden(4, T) and not derived_hidden(5, T)
    spec = figures.DASHBOARDS["timeliness"].tables[1]
    grid = figures.Grid(["a", "b"], ["share_met"], [[50.0], [80.0]], [[4], [10]])
    table = figures.derived_table(spec, grid, T, hidden_rows=set())
    assert table.rows[0].cells[0].suppressed and table.rows[0].cells[0].value is None
    assert table.rows[1].cells[0].text == "80%"
    # A share is hidden too when a count of its row is hidden in the table it is worked out from.
    hidden_row = figures.derived_table(spec, grid, T, hidden_rows={"b"})
    assert hidden_row.rows[1].cells[0].suppressed


def test_a_partnerships_own_figures_are_not_suppressed() -> None:
    spec = figures.DASHBOARDS["children"].tables[1]
    grid = figures.layout(spec, [Tally("female", "children", 2, 2), Tally("male", "children", 1, 1)])
    table, hidden = figures.count_table(spec, grid, figures.Protection(None))
    assert not hidden
    assert [row.cells[0].text for row in table.rows] == ["2", "1", "0", "3"]


def test_a_hidden_cell_shows_no_number_anywhere_a_csv_could_take_it_from() -> None:
    spec = figures.DASHBOARDS["children"].tables[1]
    grid = figures.layout(spec, [Tally("female", "children", 2, 2), Tally("male", "children", 30, 30)])
    table, _ = figures.count_table(spec, grid, figures.Protection(T))
    for row in table.rows:
        for cell in row.cells:
            if cell.suppressed:
                assert cell.value is None and cell.text == f"fewer than {T}"
    shown = {row.label: row.cells[0].text for row in table.rows}
    assert shown["Female"] == f"fewer than {T}" and shown["Male"] == f"fewer than {T}", (
        "the male count would be the total less the female one: both hide, and so does the total"
    )
    shown_texts = {cell.text for row in table.rows for cell in row.cells if not cell.suppressed}
    numbers = set(re.findall(r"[0-9][0-9,]*", table.summary))
    assert numbers <= shown_texts, f"the summary {table.summary!r} says a number the table hides"


def test_a_table_of_one_figure_shows_its_column_total_and_no_row_totals_that_repeat_it() -> None:
    reviews = figures.DASHBOARDS["reviews"].tables
    spec = next(table for table in reviews if table.code == "reviews_by_partnership")
    grid = figures.layout(spec, [Tally("a", "reviews", 2, 2), Tally("b", "reviews", 30, 30)])
    table, _ = figures.count_table(spec, grid, figures.Protection(T))
    assert table.columns == ["Reviews"]
    assert [row.label for row in table.rows][-1] == "Total"
    assert all(len(row.cells) == 1 for row in table.rows), [row.cells for row in table.rows]
