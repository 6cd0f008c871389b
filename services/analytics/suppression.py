"""Small numbers suppressed, so that figures shared beyond a partnership never reveal a child. Pure Python.

Regional and national analysts see figures summed over many partnerships; a count below the threshold
(default 5, 0 included) could still point at one child, so it is hidden (primary suppression). Every hidden
cell reads the same ("fewer than 5", contract.Dashboard), so a reader cannot tell a small number from one
hidden to protect it: all a reader knows of a hidden cell is that it is a count, 0 or more.

A table is taken with its totals: each row's, each column's and the grand total, which the dashboard shows
as a "Total" row and column and which other figures may show too. A total below the threshold is hidden like
any cell. A reader who subtracts shown cells from shown totals could work a hidden cell out, so more cells are
hidden (secondary suppression) until none can be: a hidden cell is safe when it can change by one while
other hidden cells change to keep every total right, each staying a count. That is a cycle in the table seen
as a flow network (rows and columns as nodes, cells as edges from row to column, a row's total as an edge
into it, a column's out of it, the grand total closing the loop): `pinned` finds the hidden cells that lie
on no such cycle, and `hidden_cells` hides the smallest cell of one of their lines until there are none.
Each line with a hidden cell also gets two or more of them, adding up to at least the threshold, so that a
small sum of them is not the difference of what is shown either.

Filtered views are differences waiting to happen: a cell c of a filtered view and the matching cell C of
the view without the filter differ by what the filter left out (its complement). When that difference is 1
to threshold-1 it is a small number made visible, so c is hidden too (`complements`). Cells hidden for a
reason outside the table (the same cell hidden in a sibling view) are passed as `forced`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Position = tuple[int, int]
Node = tuple[str, int]


@dataclass(frozen=True)
class Hidden:
    """The cells of a table with its totals not to show. Positions are of the extended table: row
    `len(counts)` holds the columns' totals, column `len(counts[0])` the rows' totals, the corner the grand
    total. `primary` are below the threshold (or hidden for a complement, or forced), `secondary` hidden only
    to protect them."""

    primary: frozenset[Position]
    secondary: frozenset[Position]

    @property
    def cells(self) -> frozenset[Position]:
        return self.primary | self.secondary


def with_totals(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    """The table with each row's total as its last column, and a last row of the columns' totals."""
    rows = [[*row, sum(row)] for row in counts]
    width = len(rows[0]) if rows else 1
    return [*rows, [sum(row[c] for row in rows) for c in range(width)]]


def hidden_cells(
    counts: Sequence[Sequence[int]],
    threshold: int,
    complements: Iterable[Sequence[Sequence[int]]] = (),
    forced: Iterable[Position] = (),
) -> Hidden:
    """Which cells of a table of counts (rows of equal length) and of its totals to hide from a reader outside
    the partnership: every count below the threshold, every cell whose complement in a wider view is 1 to
    threshold-1, the forced ones, then enough others that no hidden cell can be worked out."""
    extended = with_totals(counts)
    height, width = len(extended), len(extended[0])
    everywhere = [(r, c) for r in range(height) for c in range(width)]
    primary = {(r, c) for r, c in everywhere if extended[r][c] < threshold}
    for complement in complements:
        wide = with_totals(complement)
        primary |= {(r, c) for r, c in everywhere if 0 < wide[r][c] < threshold}
    primary |= set(forced)
    hidden = set(primary)
    lines = [[(r, c) for c in range(width)] for r in range(height)]
    lines += [[(r, c) for r in range(height)] for c in range(width)]

    def smallest(cells: Iterable[Position]) -> Position | None:
        shown = [cell for cell in cells if cell not in hidden]
        return min(shown, key=lambda cell: (extended[cell[0]][cell[1]], cell)) if shown else None

    while True:
        # A line whose cells are all hidden cannot be helped from within: it is left to the cycles below.
        weak = (smallest(line) for line in lines if not _line_protected(line, hidden, extended, threshold))
        choice = next((cell for cell in weak if cell is not None), None)
        if choice is None:
            stuck = pinned(extended, hidden)
            choice = smallest(cell for r, c in stuck for cell in lines[r] + lines[height + c])
            if choice is None:
                break  # nothing pinned, or nothing left to hide beside what is
        hidden.add(choice)
    return Hidden(frozenset(primary), frozenset(hidden - primary))


def _line_protected(
    line: list[Position], hidden: set[Position], extended: Sequence[Sequence[int]], threshold: int
) -> bool:
    """Whether a line (a row or a column with its total) hides nothing, or two or more cells together worth at
    least the threshold."""
    inside = [extended[r][c] for r, c in line if (r, c) in hidden]
    return not inside or (len(inside) >= 2 and sum(inside) >= threshold)


def pinned(extended: Sequence[Sequence[int]], hidden: Iterable[Position]) -> list[Position]:
    """The hidden cells of a table with its totals (with_totals) that a reader could work out: those on no
    cycle of hidden cells along which they could change by one while every total stays right and every cell
    stays a count (0 or more)."""
    height, width = len(extended), len(extended[0])
    hidden = set(hidden)

    def edge(cell: Position) -> tuple[Node, Node]:
        r, c = cell
        if r < height - 1 and c < width - 1:
            return ("row", r), ("col", c)
        if r < height - 1:
            return ("source", 0), ("row", r)  # a row's total flows into the row
        if c < width - 1:
            return ("col", c), ("sink", 0)  # a column's total flows out of the column
        return ("sink", 0), ("source", 0)  # the grand total closes the loop

    def reachable(start: Node, goal: Node, skip: Position) -> bool:
        graph: dict[Node, list[Node]] = {}
        for cell in hidden:
            if cell == skip:
                continue
            tail, head = edge(cell)
            graph.setdefault(tail, []).append(head)  # it may grow
            if extended[cell[0]][cell[1]] >= 1:
                graph.setdefault(head, []).append(tail)  # it may shrink
        seen, queue = {start}, deque([start])
        while queue:
            node = queue.popleft()
            if node == goal:
                return True
            for following in graph.get(node, []):
                if following not in seen:
                    seen.add(following)
                    queue.append(following)
        return False

    stuck = []
    for cell in sorted(hidden):
        tail, head = edge(cell)
        grows = reachable(head, tail, cell)
        shrinks = extended[cell[0]][cell[1]] >= 1 and reachable(tail, head, cell)
        if not grows and not shrinks:
            stuck.append(cell)
    return stuck


def complement(wider: Sequence[Sequence[int]], narrower: Sequence[Sequence[int]]) -> list[list[int]]:
    """What a filter left out of each cell: the wider view's count less the filtered one's."""
    return [
        [w - n for w, n in zip(wide, narrow, strict=True)]
        for wide, narrow in zip(wider, narrower, strict=True)
    ]


def derived_hidden(base: int, threshold: int) -> bool:
    """Whether a rate, share, median or maximum is hidden: its base count is below the threshold."""
    return base < threshold
