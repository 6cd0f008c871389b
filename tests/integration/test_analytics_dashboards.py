"""The dashboards on a real database, as each audience sees them: a partnership's own figures in full, and a
region's or England's with small numbers hidden, in every combination of the filters. An attacker with every
view an analyst can ask for tries to undo the suppression: no count below the threshold is shown, none can be
worked out from a table's totals, and a filtered view never differs from the whole by a small number."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from services.analytics import figures, handlers
from services.analytics.contract import SUPPRESSION_THRESHOLD, Dashboard, DashboardFilters, FigureTable
from services.analytics.queries import Scope
from services.analytics.repository import EventStoreTables, FiguresTables
from services.analytics.suppression import pinned
from services.kernel.config import Settings
from services.kernel.db import create_schema_engine
from services.kernel.errors import Forbidden
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from tests.support.infra import DEFAULT_AMQP_BASE, isolated_database
from tests.support.system import caserev, system_env
from tests.unit.test_analytics_handlers import FakeUnit, a_review_story

pytestmark = pytest.mark.slow

T = SUPPRESSION_THRESHOLD
CODES = ("reviews", "timeliness", "learning", "children", "actions")


def varied_story(rng: random.Random, partnership: uuid.UUID) -> list[Envelope]:
    """A review's events with its type, children, themes and lateness varied at random."""
    story = a_review_story(partnership, uuid.uuid4())
    review_type = rng.choice(["child_safeguarding", "child_safeguarding", "safeguarding_adults"])
    changed = []
    for envelope in story:
        data = dict(envelope.data)
        if envelope.type == "identity.partnership_changed":
            data.update(code=str(partnership)[:8], name=f"Partnership {str(partnership)[:8]}")
        if "review_type" in data:
            data["review_type"] = review_type
        if envelope.type == "forms.sin_submitted":
            children = [
                {
                    "age_band": rng.choice(["under_1", "under_1", "1_to_4", "10_to_15"]),
                    "sex": rng.choice(["female", "male"]),
                    "ethnicity": rng.choice(["white", "white", "asian", "black", "mixed"]),
                    "disability": rng.choice(["no", "no", "yes"]),
                    "legal_status": rng.choice([[], [], ["child_protection"], ["looked_after"]]),
                }
                for _ in range(rng.randint(1, 3))
            ]
            data.update(
                children=len(children),
                children_categories=children,
                nature=rng.choice(["death", "serious_harm"]),
            )
        if envelope.type == "actions.lesson_recorded":
            data["themes"] = rng.sample(
                ["neglect", "information_sharing", "voice_of_the_child"], k=rng.randint(1, 2)
            )
        if envelope.type == "forms.step_completed" and data.get("deadline"):
            data["late_by_working_days"] = rng.choice([0, 0, 0, 2, 5])
        if envelope.type == "forms.panel_responded":
            data["response"] = rng.choice(["agrees", "agrees", "questions"])
        changed.append(envelope.model_copy(update={"data": data}))
    return changed


@pytest.fixture(scope="module")
def figures_db(tmp_path_factory):
    """A migrated database holding a region of three partnerships (14, 6 and 2 reviews) and one outside it."""
    with isolated_database() as db_name:
        # Figures need the database only: the events are applied by the handler itself, in one transaction.
        system = system_env(db_name, DEFAULT_AMQP_BASE, tmp_path_factory.mktemp("figures"))
        caserev(system, "migrate", "--skip-broker")
        engine = create_schema_engine("analytics", Settings(db_name=db_name), pool_size=2)
        rng = random.Random(17)
        region = [uuid.uuid4() for _ in range(3)]
        outside = uuid.uuid4()
        with Session(engine) as session, session.begin():
            store, unit = EventStoreTables(session), FakeUnit()
            for partnership, reviews in zip([*region, outside], (14, 6, 2, 9), strict=True):
                for _ in range(reviews):
                    for envelope in varied_story(rng, partnership):
                        handlers.apply_event(unit, envelope, store)  # type: ignore[arg-type]
        yield engine, region, outside
        engine.dispose()


def dashboard(engine: Any, actor: Actor, code: str, filters: DashboardFilters) -> Dashboard:
    with Session(engine) as session:
        return handlers.dashboard(None, actor, code, filters, FiguresTables(session))  # type: ignore[arg-type]


def true_tables(
    engine: Any, actor_scope: frozenset[uuid.UUID] | None, code: str, filters: DashboardFilters
) -> list[FigureTable]:
    """The same tables unsuppressed: what the attacker is after."""
    partnerships = frozenset({filters.partnership_id}) if filters.partnership_id else actor_scope
    scope = Scope(
        partnerships,
        filters.period_from,
        filters.period_to,
        filters.review_type,
        filters.agency_type,
        filters.theme,
    )
    with Session(engine) as session:
        data = FiguresTables(session)
        names = data.partnership_names(actor_scope)
        return handlers.dashboard_tables(
            figures.DASHBOARDS[code], scope, data, None, None, actor_scope, names
        )  # type: ignore[index]


def combinations(region: list[uuid.UUID]) -> list[DashboardFilters]:
    return [
        DashboardFilters(
            partnership_id=partnership,
            review_type=review_type,
            theme=theme,
            period_from=period[0],
            period_to=period[1],
        )
        for partnership, review_type, theme, period in itertools.product(
            [None, region[1], region[2]],
            [None, "child_safeguarding"],
            [None, "neglect"],
            [(None, None), (date(2026, 11, 1), date(2026, 11, 30))],
        )
    ]


def cells_by_key(tables: list[FigureTable]) -> dict[tuple[str, str, int], Any]:
    return {
        (table.code, row.label, column): cell
        for table in tables
        if table.unit == "count"
        for row in table.rows
        for column, cell in enumerate(row.cells)
    }


def test_a_partnership_sees_its_own_small_numbers(figures_db) -> None:
    engine, region, _ = figures_db
    manager = Actor(user_id="bm", partnership_id=region[2], roles=frozenset({"business_manager"}))
    seen = dashboard(engine, manager, "reviews", DashboardFilters())
    assert seen.scope == "partnership" and seen.suppression_threshold is None
    shown = [cell for table in seen.tables for row in table.rows for cell in row.cells]
    assert not any(cell.suppressed for cell in shown)
    assert any(cell.value is not None and 0 < cell.value < T for cell in shown), "its 2 reviews are shown"


def test_an_analyst_cannot_reach_a_partnership_outside_their_scope_nor_see_it_unsuppressed(
    figures_db,
) -> None:
    engine, region, outside = figures_db
    regional = Actor(user_id="ra", roles=frozenset({"regional_analyst"}), partnerships=frozenset(region))
    with pytest.raises(Forbidden):
        dashboard(engine, regional, "reviews", DashboardFilters(partnership_id=outside))
    one = dashboard(engine, regional, "reviews", DashboardFilters(partnership_id=region[2]))
    assert one.scope == "region" and one.suppression_threshold == T
    author = Actor(user_id="a", partnership_id=region[0], roles=frozenset({"agency_author"}))
    with pytest.raises(Forbidden):
        dashboard(engine, author, "children", DashboardFilters())


@pytest.mark.parametrize("code", CODES)
def test_no_small_number_is_shown_or_derivable_in_any_filter_combination(figures_db, code: str) -> None:
    engine, region, _ = figures_db
    regional = Actor(user_id="ra", roles=frozenset({"regional_analyst"}), partnerships=frozenset(region))
    everyone = frozenset(region)
    whole = dashboard(engine, regional, code, DashboardFilters())
    whole_cells = cells_by_key(whole.tables)
    for filters in combinations(region):
        seen = dashboard(engine, regional, code, filters)
        truth = true_tables(engine, everyone, code, filters)
        assert seen.scope == "region" and seen.suppression_threshold == T
        for shown, true in zip(seen.tables, truth, strict=True):
            assert shown.code == true.code
            if shown.unit != "count":
                continue
            # The true value of each shown position (a row or column only a wider view has is 0 here).
            truth_at = {
                (row.label, column): int(cell.value or 0)
                for row in true.rows
                for column, cell in zip(true.columns, row.cells, strict=True)
            }
            if "Total" not in true.columns:  # one figure a row: its row total is that figure
                truth_at |= {(row.label, "Total"): int(row.cells[0].value or 0) for row in true.rows}
            extended = [
                [truth_at.get((row.label, column), 0) for column in shown.columns] for row in shown.rows
            ]
            hidden = set()
            for r, row in enumerate(shown.rows):
                for c, cell in enumerate(row.cells):
                    value = extended[r][c]
                    if cell.suppressed:
                        hidden.add((r, c))
                        assert cell.value is None and cell.text == f"fewer than {T}"
                    else:
                        assert value >= T, f"{code}/{shown.code} {filters}: {row.label} shows {value}"
                        assert cell.value == value, (
                            f"{code}/{shown.code}: {row.label} shows {cell.value}, not {value}"
                        )
            if not shown.rows or shown.rows[-1].label != "Total":
                continue  # totals not shown (a funnel, a child under two statuses): nothing to subtract from
            if shown.columns[-1] != "Total":
                # One figure a row, whose row total is itself: the attacker knows it without being shown it.
                extended = [[*row, row[-1]] for row in extended]
                hidden |= {(r, len(shown.columns)) for r, c in hidden}
            worked_out = [cell for cell in pinned(extended, hidden) if extended[cell[0]][cell[1]] < T]
            assert not worked_out, (
                f"{code}/{shown.code} {filters}: {worked_out} can be worked out from totals"
            )
        # Against the whole region: a shown cell never differs from the whole's shown cell by a small number.
        for key, cell in cells_by_key(seen.tables).items():
            wide = whole_cells.get(key)
            if wide is None or cell.suppressed or wide.suppressed:
                continue
            assert not 0 < (wide.value or 0) - (cell.value or 0) < T, f"{code} {key} {filters}"


def test_partnerships_of_a_region_shown_one_by_one_never_reveal_the_one_hidden(figures_db) -> None:
    engine, region, _ = figures_db
    regional = Actor(user_id="ra", roles=frozenset({"regional_analyst"}), partnerships=frozenset(region))
    whole = cells_by_key(dashboard(engine, regional, "children", DashboardFilters()).tables)
    each = [
        cells_by_key(dashboard(engine, regional, "children", DashboardFilters(partnership_id=p)).tables)
        for p in region
    ]
    for key, cell in whole.items():
        if cell.suppressed:
            continue
        shown = [view[key].value or 0 for view in each if not view[key].suppressed]
        left = (cell.value or 0) - sum(shown)
        hidden_count = sum(1 for view in each if view[key].suppressed)
        assert (left == 0 and hidden_count == 0) or (left >= T and hidden_count >= 2), (
            f"{key}: the region less the partnerships shown is {left}, over {hidden_count} hidden"
        )


def test_a_national_analyst_sees_england_suppressed(figures_db) -> None:
    engine, region, outside = figures_db
    national = Actor(user_id="na", roles=frozenset({"national_analyst"}))
    seen = dashboard(engine, national, "children", DashboardFilters())
    assert (seen.scope, seen.scope_label, seen.suppression_threshold) == ("england", "England", T)
    assert seen.as_of is not None
    names = {option.value for option in seen.filter_options["partnership_id"]}
    assert {str(p) for p in [*region, outside]} <= names
    assert {option.value for option in seen.filter_options["theme"]} >= {"neglect"}


def test_the_business_gauges_count_from_the_read_models(figures_db) -> None:
    from services.analytics.gauges import read_gauges

    engine, region, outside = figures_db
    with Session(engine) as session:
        gauges = read_gauges(session, date(2027, 6, 1))
    reviews = {labels: value for labels, value in gauges["reviews"]}
    # Each story leaves its review at the rapid review stage (its stage_changed is the latest).
    assert reviews[(str(region[0]), "rapid_review")] == 14 and reviews[(str(outside), "rapid_review")] == 9
    # Every story's action was completed after it was overdue: none is overdue now.
    assert all(value == 0 for _, value in gauges["actions"])
    # Every return came in; the rapid review deadline was met (late or not): nothing is waiting.
    assert gauges["returns"] == [] and gauges["deadlines"] == []
