"""The dashboards' aggregates over the projections' tables: one grouped query each, within a scope.

A scope is the partnerships a caller may see with the filters they chose. Each aggregate answers tallies:
(row, column, value, base), where `base` is the count a figure rests on (a count's base is itself; a share's
is the number it is a share of; a median's the number of values), and, when the scope asks for it, the
partnership of each tally, so that suppression can compare a partnership's view with its siblings'. Only
codes, dates and numbers leave here; the words are figures.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Integer, Select, and_, case, cast, extract, func, literal, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from services.analytics import models


@dataclass(frozen=True)
class Scope:
    """Whose figures, narrowed how: the partnerships (None: every one) and the filters of DashboardFilters.

    `by_partnership` asks every aggregate to keep each partnership's tallies apart."""

    partnerships: frozenset[UUID] | None
    period_from: date | None = None
    period_to: date | None = None
    review_type: str | None = None
    agency_type: str | None = None
    theme: str | None = None
    by_partnership: bool = False

    def filtered(self) -> bool:
        """Whether any filter narrows it (beyond the partnerships themselves)."""
        return any(
            value is not None
            for value in (self.period_from, self.period_to, self.review_type, self.agency_type, self.theme)
        )

    def widened(self) -> Scope:
        """The same partnerships without the filters."""
        return Scope(self.partnerships, by_partnership=self.by_partnership)

    def split(self) -> Scope:
        """The same scope, each partnership's tallies apart."""
        return replace(self, by_partnership=True)


@dataclass(frozen=True)
class Tally:
    """One figure of an aggregate: its row and column codes, its value and the count it rests on."""

    row: str
    column: str
    value: float
    base: int
    partnership: UUID | None = None


Aggregate = Callable[[Session, Scope], list[Tally]]

m = models


def _reviews_where(review_id: Any, scope: Scope, *, agency: bool = True, theme: bool = True) -> list[Any]:
    """The conditions a review must meet for the filters that are about reviews: its type, an agency of the
    type asked for a return in it, a lesson of the theme recorded of it."""
    conditions: list[Any] = []
    if scope.review_type is not None:
        conditions.append(
            review_id.in_(
                select(m.review_stage.c.review_id).where(m.review_stage.c.review_type == scope.review_type)
            )
        )
    if agency and scope.agency_type is not None:
        conditions.append(
            review_id.in_(
                select(m.return_due.c.review_id)
                .join(m.agency, m.agency.c.agency_id == m.return_due.c.agency_id)
                .where(m.agency.c.agency_type == scope.agency_type)
            )
        )
    if theme and scope.theme is not None:
        conditions.append(
            review_id.in_(select(m.lesson.c.review_id).where(m.lesson.c.themes.any(scope.theme)))
        )
    return conditions


def _scoped(query: Select[Any], table: Any, scope: Scope, on: Any | None, *conditions: Any) -> Select[Any]:
    """The query within the scope's partnerships and period (on the date column `on`), with conditions."""
    if scope.partnerships is not None:
        query = query.where(table.c.partnership_id.in_(sorted(scope.partnerships)))
    if on is not None and scope.period_from is not None:
        query = query.where(on >= scope.period_from)
    if on is not None and scope.period_to is not None:
        query = query.where(on <= scope.period_to)
    for condition in conditions:
        query = query.where(condition)
    return query


def _tallies(
    session: Session,
    scope: Scope,
    table: Any,
    row: Any,
    column: Any,
    value: Any,
    base: Any,
    query: Select[Any],
) -> list[Tally]:
    """Run a grouped query of (row, column, value, base), grouped by partnership too when the scope asks."""
    labels: list[ColumnElement[Any]] = [row.label("row"), column.label("col")]
    if scope.by_partnership:
        labels.append(table.c.partnership_id.label("partnership"))
    # Grouped by position: a label may be a constant, or an expression with its own bound parameters.
    positions: list[ColumnElement[Any]] = [literal_column(str(n)) for n in range(1, len(labels) + 1)]
    statement = query.with_only_columns(*labels, value.label("value"), base.label("base")).group_by(
        *positions
    )
    return [
        Tally(
            str(r.row),
            str(r.col),
            float(r.value) if r.value is not None else 0.0,
            int(r.base or 0),
            r.partnership if scope.by_partnership else None,
        )
        for r in session.execute(statement)
    ]


def _tallies_each(
    session: Session,
    scope: Scope,
    table: Any,
    row: Any,
    columns: Sequence[tuple[str, Any, Any]],
    query: Select[Any],
) -> list[Tally]:
    """Several figures of each row by one grouped query (one scan, not one a column): for each of `columns`,
    (its code, its value, its base). Every row has a tally in every column, as separate queries would give."""
    labels: list[ColumnElement[Any]] = [row.label("row")]
    if scope.by_partnership:
        labels.append(table.c.partnership_id.label("partnership"))
    figures = [
        element
        for n, (_, value, base) in enumerate(columns)
        for element in (value.label(f"value_{n}"), base.label(f"base_{n}"))
    ]
    positions: list[ColumnElement[Any]] = [literal_column(str(n)) for n in range(1, len(labels) + 1)]
    statement = query.with_only_columns(*labels, *figures).group_by(*positions)
    found = session.execute(statement).all()
    return [
        Tally(
            str(r.row),
            code,
            float(r[len(labels) + 2 * n]) if r[len(labels) + 2 * n] is not None else 0.0,
            int(r[len(labels) + 2 * n + 1] or 0),
            r.partnership if scope.by_partnership else None,
        )
        for n, (code, _, _) in enumerate(columns)
        for r in found
    ]


def _count(
    session: Session, scope: Scope, table: Any, row: Any, column: Any, query: Select[Any]
) -> list[Tally]:
    return _tallies(session, scope, table, row, column, func.count(), func.count(), query)


def _year(column: Any) -> Any:
    return cast(extract("year", column), Integer)


# -- reviews ------------------------------------------------------------------------------------------------

milestone = m.review_milestone.c


def reviews_opened(session: Session, scope: Scope) -> list[Tally]:
    """Reviews opened, by year (rows) and review type (columns)."""
    query = _scoped(
        select(milestone.review_id).select_from(m.review_milestone),
        m.review_milestone,
        scope,
        milestone.on_date,
        milestone.milestone == "opened",
        *_reviews_where(milestone.review_id, scope),
    )
    if scope.review_type is not None:
        query = query.where(milestone.outcome == scope.review_type)
    return _count(session, scope, m.review_milestone, _year(milestone.on_date), milestone.outcome, query)


stage = m.review_stage.c


def _reviews_now(scope: Scope) -> Select[Any]:
    """Reviews where they are now, within the scope; the period is of their opening."""
    opened = m.review_milestone.alias("opened")
    query = select(stage.review_id).select_from(m.review_stage)
    on = None
    if scope.period_from is not None or scope.period_to is not None:
        query = query.join(
            opened, and_(opened.c.review_id == stage.review_id, opened.c.milestone == "opened")
        )
        on = opened.c.on_date
    return _scoped(query, m.review_stage, scope, on, *_reviews_where(stage.review_id, scope))


def reviews_by_stage(session: Session, scope: Scope) -> list[Tally]:
    """Reviews by the stage they are at now (rows) and type (columns); the period is of their opening."""
    return _count(session, scope, m.review_stage, stage.stage, stage.review_type, _reviews_now(scope))


def reviews_by_partnership(session: Session, scope: Scope) -> list[Tally]:
    """Reviews of each partnership (rows: its id): opened in the period, and open now (not closed)."""
    still_open = func.count().filter(stage.stage != "closed")
    tallies = _tallies_each(
        session,
        scope,
        m.review_stage,
        stage.partnership_id,
        [("reviews", func.count(), func.count()), ("open", still_open, still_open)],
        _reviews_now(scope),
    )
    # A partnership with no review open has no "open" tally (as a count of open reviews alone would give).
    return [tally for tally in tallies if tally.column != "open" or tally.base > 0]


FUNNEL = (
    ("notified", milestone.milestone == "notified"),
    ("rapid_review", milestone.milestone == "rapid_review"),
    ("local_review", and_(milestone.milestone == "decided", milestone.detail == "local_review")),
    ("published", and_(milestone.milestone == "published", milestone.outcome == "published")),
)


def funnel(session: Session, scope: Scope) -> list[Tally]:
    """Reviews reaching each step of the funnel (rows), each counted on the date of that step."""
    step = case(*[(condition, literal(name)) for name, condition in FUNNEL], else_=literal("other"))
    query = _scoped(
        select(milestone.review_id).select_from(m.review_milestone),
        m.review_milestone,
        scope,
        milestone.on_date,
        or_(*[condition for _, condition in FUNNEL]),
        *_reviews_where(milestone.review_id, scope),
    )
    return _count(session, scope, m.review_milestone, step, literal("reviews"), query)


# -- timeliness ---------------------------------------------------------------------------------------------

met = m.deadline_met.c
standing = m.deadline_standing.c

# How a met deadline stood: on time by its statutory date; met after it, but within the date a pause moved
# it to (paused, not late); or late.
DEADLINE_OUTCOME = case(
    (met.late_by_working_days > 0, literal("late")),
    (met.met_on > met.due_on, literal("paused")),
    else_=literal("on_time"),
)


def _statutory_deadlines(scope: Scope) -> Select[Any]:
    query = select(met.review_id).select_from(
        m.deadline_met.join(
            m.deadline_standing,
            and_(standing.review_id == met.review_id, standing.deadline == met.deadline),
        )
    )
    conditions = [standing.statutory.is_(True), *_reviews_where(met.review_id, scope)]
    if scope.review_type is not None:
        conditions.append(met.review_type == scope.review_type)
    return _scoped(query, m.deadline_met, scope, met.due_on, *conditions)


def deadline_outcomes(session: Session, scope: Scope) -> list[Tally]:
    """Statutory deadlines met (rows: the deadline's words) on time, after a pause, or late (columns)."""
    return _count(
        session, scope, m.deadline_met, standing.label, DEADLINE_OUTCOME, _statutory_deadlines(scope)
    )


def deadline_lateness(session: Session, scope: Scope) -> list[Tally]:
    """For each statutory deadline: the share met in time (base: all met), and the median and worst working
    days late of those late (base: the number late)."""
    query = _statutory_deadlines(scope)
    late = met.late_by_working_days
    late_only = late > 0
    in_time = func.count().filter(late == 0)
    share = 100.0 * in_time / func.nullif(func.count(), 0)
    median = func.percentile_cont(0.5).within_group(late).filter(late_only)
    worst = func.max(late).filter(late_only)
    late_count = func.count().filter(late_only)
    return _tallies_each(
        session,
        scope,
        m.deadline_met,
        standing.label,
        [
            ("share_met", share, func.count()),
            ("median_late", median, late_count),
            ("worst_late", worst, late_count),
        ],
        query,
    )


submitted = m.return_submitted.c


def returns_on_time(session: Session, scope: Scope) -> list[Tally]:
    """Agencies' returns by agency type (rows): in on time, in late, and not in past their due date."""
    due = m.return_due.c
    outcome = case(
        (submitted.return_id.is_(None), literal("overdue")),
        (submitted.late_by_working_days > 0, literal("late")),
        else_=literal("on_time"),
    )
    query = select(due.return_id).select_from(
        m.return_due.outerjoin(m.return_submitted, submitted.return_id == due.return_id).join(
            m.agency, m.agency.c.agency_id == due.agency_id, isouter=True
        )
    )
    conditions: list[Any] = [
        or_(submitted.return_id.is_not(None), due.due_on < func.current_date()),
        *_reviews_where(due.review_id, scope, agency=False),
    ]
    if scope.agency_type is not None:
        conditions.append(m.agency.c.agency_type == scope.agency_type)
    agency_type = func.coalesce(m.agency.c.agency_type, literal("not_known"))
    query = _scoped(query, m.return_due, scope, due.due_on, *conditions)
    return _count(session, scope, m.return_due, agency_type, outcome, query)


# -- learning -----------------------------------------------------------------------------------------------


def panel_agreement(session: Session, scope: Scope) -> list[Tally]:
    """The Panel's responses (columns) to each local decision (rows)."""
    query = _scoped(
        select(milestone.review_id).select_from(m.review_milestone),
        m.review_milestone,
        scope,
        milestone.on_date,
        milestone.milestone == "panel",
        *_reviews_where(milestone.review_id, scope),
    )
    decision = func.coalesce(milestone.detail, literal("not_recorded"))
    return _count(session, scope, m.review_milestone, decision, milestone.outcome, query)


lesson = m.lesson.c


def _lesson_themes(scope: Scope) -> tuple[Select[Any], Any]:
    """Each lesson once for each of its themes, within the scope; and the theme column."""
    theme = func.unnest(lesson.themes).table_valued("theme").render_derived(name="lesson_theme")
    query = select(lesson.lesson_id).select_from(m.lesson.join(theme, literal(True)))
    conditions: list[Any] = _reviews_where(lesson.review_id, scope, theme=False)
    if scope.theme is not None:
        conditions.append(theme.c.theme == scope.theme)
    return _scoped(query, m.lesson, scope, lesson.recorded_on, *conditions), theme.c.theme


def themes_by_year(session: Session, scope: Scope) -> list[Tally]:
    """Lessons by theme (rows) and the year they were recorded (columns): the heat map."""
    query, theme = _lesson_themes(scope)
    return _count(session, scope, m.lesson, theme, _year(lesson.recorded_on), query)


def themes_reviews(session: Session, scope: Scope) -> list[Tally]:
    """For each theme (rows): the lessons tagged with it, and the reviews they came from (columns)."""
    query, theme = _lesson_themes(scope)
    reviews = func.count(lesson.review_id.distinct())
    return _tallies_each(
        session,
        scope,
        m.lesson,
        theme,
        [("lessons", func.count(), func.count()), ("reviews", reviews, reviews)],
        query,
    )


# -- children -----------------------------------------------------------------------------------------------

child = m.notified_child.c


def _children(session: Session, scope: Scope, row: Any, column: Any = None, *extra: Any) -> list[Tally]:
    query = select(child.review_id).select_from(m.notified_child)
    if extra:
        query = query.select_from(m.notified_child.join(*extra))
    query = _scoped(
        query, m.notified_child, scope, child.notified_on, *_reviews_where(child.review_id, scope)
    )
    return _count(
        session, scope, m.notified_child, row, literal("children") if column is None else column, query
    )


def children_by_age(session: Session, scope: Scope) -> list[Tally]:
    """Children of notifications by age band on the day of the incident (rows) and the nature (columns)."""
    return _children(session, scope, child.age_band, child.nature)


def children_by_sex(session: Session, scope: Scope) -> list[Tally]:
    """Children of notifications by sex."""
    return _children(session, scope, child.sex)


def children_by_ethnicity(session: Session, scope: Scope) -> list[Tally]:
    """Children of notifications by ethnicity."""
    return _children(session, scope, child.ethnicity)


def children_by_disability(session: Session, scope: Scope) -> list[Tally]:
    """Children of notifications by whether they were disabled."""
    return _children(session, scope, child.disability)


def children_by_legal_status(session: Session, scope: Scope) -> list[Tally]:
    """Children of notifications by each legal status that applied ("none" for a child with none); a child
    with two is counted under each."""
    status = (
        func.unnest(
            case(
                (func.cardinality(child.legal_status) == 0, cast(["none"], child.legal_status.type)),
                else_=child.legal_status,
            )
        )
        .table_valued("status")
        .render_derived(name="child_status")
    )
    return _children(session, scope, status.c.status, None, status, literal(True))


# -- actions ------------------------------------------------------------------------------------------------

action = m.action_state.c
plan = m.action_plan.c


def _actions(scope: Scope) -> Select[Any]:
    query = select(action.action_id).select_from(
        m.action_state.join(m.action_plan, plan.action_id == action.action_id, isouter=True).join(
            m.agency, m.agency.c.agency_id == plan.owner_agency_id, isouter=True
        )
    )
    conditions: list[Any] = _reviews_where(plan.review_id, scope, agency=False, theme=False)
    if scope.agency_type is not None:
        conditions.append(m.agency.c.agency_type == scope.agency_type)
    if scope.theme is not None:
        conditions.append(plan.themes.any(scope.theme))
    return _scoped(query, m.action_state, scope, plan.due_on, *conditions)


def actions_by_state(session: Session, scope: Scope) -> list[Tally]:
    """Actions of review plans by state (rows); the period is of their due date."""
    return _count(session, scope, m.action_state, action.state, literal("actions"), _actions(scope))


def actions_by_agency_type(session: Session, scope: Scope) -> list[Tally]:
    """Actions by their owner's agency type (rows) and state (columns)."""
    agency_type = func.coalesce(m.agency.c.agency_type, literal("partnership"))
    return _count(session, scope, m.action_state, agency_type, action.state, _actions(scope))


def actions_by_theme(session: Session, scope: Scope) -> list[Tally]:
    """Actions by theme (rows: an action with two themes counts under each) and state (columns)."""
    theme = func.unnest(plan.themes).table_valued("theme").render_derived(name="action_theme")
    query = _actions(scope).join(theme, literal(True))
    if scope.theme is not None:
        query = query.where(theme.c.theme == scope.theme)
    return _count(session, scope, m.action_state, theme.c.theme, action.state, query)


AGGREGATES: dict[str, Aggregate] = {
    function.__name__: function
    for function in (
        reviews_opened,
        reviews_by_stage,
        reviews_by_partnership,
        funnel,
        deadline_outcomes,
        deadline_lateness,
        returns_on_time,
        panel_agreement,
        themes_by_year,
        themes_reviews,
        children_by_age,
        children_by_sex,
        children_by_ethnicity,
        children_by_disability,
        children_by_legal_status,
        actions_by_state,
        actions_by_agency_type,
        actions_by_theme,
    )
}


# -- the old counts, names and the filters' choices ---------------------------------------------------------


def stage_counts(session: Session, partnerships: frozenset[UUID] | None) -> list[tuple[str, str, int]]:
    """Reviews by type and stage over these partnerships (None: every partnership)."""
    query = select(stage.review_type, stage.stage, func.count()).group_by(stage.review_type, stage.stage)
    if partnerships is not None:
        query = query.where(stage.partnership_id.in_(sorted(partnerships)))
    rows = session.execute(query.order_by(stage.review_type, stage.stage))
    return [(review_type, name, int(count)) for review_type, name, count in rows.tuples()]


def action_counts(session: Session, partnerships: frozenset[UUID] | None) -> list[tuple[str, int]]:
    """Actions by state over these partnerships (None: every partnership)."""
    query = select(action.state, func.count()).group_by(action.state)
    if partnerships is not None:
        query = query.where(action.partnership_id.in_(sorted(partnerships)))
    return [(state, int(count)) for state, count in session.execute(query).tuples()]


def partnership_names(session: Session, partnerships: frozenset[UUID] | None) -> dict[UUID, str]:
    """The names of these partnerships (None: every one known)."""
    query = select(m.partnership.c.partnership_id, m.partnership.c.name)
    if partnerships is not None:
        query = query.where(m.partnership.c.partnership_id.in_(sorted(partnerships)))
    return {row.partnership_id: row.name for row in session.execute(query)}


def filter_values(session: Session, scope: Scope) -> dict[str, list[str]]:
    """The codes each filter may choose within the scope's partnerships: review and agency types, themes."""

    def values(table: Any, column: Any, *, unnest: bool = False) -> list[str]:
        value = func.unnest(column) if unnest else column
        query = select(value.label("value")).select_from(table).distinct()
        if scope.partnerships is not None and "partnership_id" in table.c:
            query = query.where(table.c.partnership_id.in_(sorted(scope.partnerships)))
        return sorted(str(v) for v in session.scalars(query) if v is not None)

    themes = sorted(
        set(values(m.lesson, m.lesson.c.themes, unnest=True))
        | set(values(m.action_plan, plan.themes, unnest=True))
    )
    return {
        "review_type": values(m.review_stage, m.review_stage.c.review_type),
        "agency_type": values(m.agency, m.agency.c.agency_type),
        "theme": themes,
    }
