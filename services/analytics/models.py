"""Storage of the analytics service (schema `analytics`): the store of every event it applied, the tables of
its projections (domain.PROJECTIONS), and the writing of facts into them.

Every projection table holds identifiers, dates and codes only (no title, no name of a person, nothing
written about a child), with `as_of` and `event_id`: the fact that placed the row, so that an older fact
arriving late loses (domain.Fact.supersedes), in the statement itself, safe against a concurrent worker.
The handlers reach these through repository.py; the figures' queries are in queries.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Uuid,
    delete,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.orm import DeclarativeBase, Session

from services.analytics.domain import Fact, latest
from services.kernel.db import schema_metadata
from services.kernel.events import Envelope

ZERO_UUID = UUID(int=0)


class Base(DeclarativeBase):
    metadata = schema_metadata("analytics")


metadata = Base.metadata

# Every event analytics applied, as it came: what a rebuild replays. `seq` is the order it was kept in.
stored_event = Table(
    "event",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("type", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("partnership_id", Uuid, nullable=True),
    Column("review_id", Uuid, nullable=True),
    Column("data", JSONB, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_event_replay", "occurred_at", "seq"),
    Index("ix_event_partnership", "partnership_id", "occurred_at"),
)

# One row: how many rebuilds the projections have had (a rebuild changes rows without adding an event).
rebuild_generation = Table(
    "rebuild",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("generation", BigInteger, nullable=False),
    Column("rebuilt_at", DateTime(timezone=True), nullable=False),
)

# Partnerships whose figures changed since analytics.figures_changed last told open dashboards.
figures_touched = Table(
    "figures_touched",
    metadata,
    Column("partnership_id", Uuid, primary_key=True),
)


def _projection_table(name: str, keys: list[Column[Any]], *columns: Column[Any]) -> Table:
    return Table(
        name,
        metadata,
        *keys,
        *columns,
        Column("as_of", DateTime(timezone=True), nullable=False),
        Column("event_id", Uuid, nullable=True),
    )


def _key(name: str, kind: Any = Uuid) -> Column[Any]:
    return Column(name, kind, primary_key=True)


def _partnership() -> Column[Any]:
    return Column("partnership_id", Uuid, nullable=False, index=True)


review_stage = _projection_table(
    "review_stage",
    [_key("review_id")],
    _partnership(),
    Column("review_type", String(50), nullable=False),
    Column("stage", String(50), nullable=False),
)
review_milestone = _projection_table(
    "review_milestone",
    [_key("review_id"), _key("milestone", String(30))],
    _partnership(),
    Column("on_date", Date, nullable=True),
    Column("outcome", String(50), nullable=True),
    Column("detail", String(50), nullable=True),
)
notified_child = _projection_table(
    "notified_child",
    [_key("review_id"), _key("ordinal", Integer)],
    _partnership(),
    Column("notified_on", Date, nullable=False),
    Column("nature", String(30), nullable=False),
    Column("age_band", String(20), nullable=False),
    Column("sex", String(20), nullable=False),
    Column("ethnicity", String(20), nullable=False),
    Column("disability", String(20), nullable=False),
    Column("legal_status", ARRAY(String(30)), nullable=False),
)
deadline_standing = _projection_table(
    "deadline_standing",
    [_key("review_id"), _key("deadline", String(50))],
    _partnership(),
    Column("review_type", String(50), nullable=False),
    Column("label", String(200), nullable=False),
    Column("statutory", Boolean, nullable=False),
    Column("due_on", Date, nullable=True),
    Column("revised_due_on", Date, nullable=True),
    Column("status", String(20), nullable=False),
)
deadline_met = _projection_table(
    "deadline_met",
    [_key("review_id"), _key("deadline", String(50))],
    _partnership(),
    Column("review_type", String(50), nullable=False),
    Column("met_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("revised_due_on", Date, nullable=True),
    Column("late_by_working_days", Integer, nullable=False),
)
return_due = _projection_table(
    "return_due",
    [_key("return_id")],
    _partnership(),
    Column("review_id", Uuid, nullable=False),
    Column("agency_id", Uuid, nullable=False),
    Column("due_on", Date, nullable=False),
)
return_submitted = _projection_table(
    "return_submitted",
    [_key("return_id")],
    _partnership(),
    Column("review_id", Uuid, nullable=False),
    Column("agency_id", Uuid, nullable=False),
    Column("submitted_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("late_by_working_days", Integer, nullable=False),
    Column("nil", Boolean, nullable=False),
)
lesson = _projection_table(
    "lesson",
    [_key("lesson_id")],
    _partnership(),
    Column("review_id", Uuid, nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("themes", ARRAY(String(60)), nullable=False),
)
review_pause = _projection_table(
    "review_pause",
    [_key("pause_id")],
    _partnership(),
    Column("review_id", Uuid, nullable=False),
    Column("reason", String(50), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=True),
)
review_pause_end = _projection_table(
    "review_pause_end",
    [_key("pause_id")],
    _partnership(),
    Column("review_id", Uuid, nullable=False),
    Column("ends_on", Date, nullable=False),
)
recommendation = _projection_table(
    "recommendation",
    [_key("recommendation_id")],
    _partnership(),
    Column("review_id", Uuid, nullable=False),
    Column("made_on", Date, nullable=False),
    Column("lessons", Integer, nullable=False),
    Column("audience", String(30), nullable=False),
)
action_state = _projection_table(
    "action_state",
    [_key("action_id")],
    _partnership(),
    Column("state", String(20), nullable=False),
)
action_plan = _projection_table(
    "action_plan",
    [_key("action_id")],
    _partnership(),
    Column("review_id", Uuid, nullable=False),
    Column("owner_agency_id", Uuid, nullable=True),
    Column("due_on", Date, nullable=False),
    Column("themes", ARRAY(String(60)), nullable=False),
)
partnership = _projection_table(
    "partnership",
    [_key("partnership_id")],
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("region", String(100), nullable=True),
)
agency = _projection_table(
    "agency",
    [_key("agency_id")],
    _partnership(),
    Column("agency_type", String(60), nullable=False),
)

PROJECTION_TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        review_stage,
        review_milestone,
        notified_child,
        deadline_standing,
        deadline_met,
        return_due,
        return_submitted,
        lesson,
        review_pause,
        review_pause_end,
        recommendation,
        action_state,
        action_plan,
        partnership,
        agency,
    )
}

# Rows of one statement when facts are written in bulk (a rebuild's batch).
ROWS_PER_STATEMENT = 500


# -- the event store ----------------------------------------------------------------------------------------


# Built once: every applied event runs them.
_KEEP_EVENTS = (
    upsert(stored_event)
    .on_conflict_do_nothing(index_elements=["event_id"])
    .returning(stored_event.c.event_id)
)
# RETURNING for one statement however many rows (_upsert_statement says why).
# A partnership already noted is updated, not left alone: the row stays locked until the event's transaction
# commits, so the timer's take_touched waits for it and announces only figures that can be read.
_TOUCH_ROWS = upsert(figures_touched)
_TOUCH = _TOUCH_ROWS.on_conflict_do_update(
    index_elements=[figures_touched.c.partnership_id],
    set_={"partnership_id": _TOUCH_ROWS.excluded.partnership_id},
).returning(figures_touched.c.partnership_id)


def keep_events(session: Session, envelopes: Iterable[Envelope]) -> set[UUID]:
    """Keep events in the store, in the handler's transaction, in one statement; the ids of those that were
    not there already."""
    rows = {
        envelope.event_id: {
            "event_id": envelope.event_id,
            "type": envelope.type,
            "version": envelope.version,
            "occurred_at": envelope.occurred_at,
            "partnership_id": envelope.partnership_id,
            "review_id": envelope.review_id,
            "data": envelope.data,
        }
        for envelope in envelopes
    }
    if not rows:
        return set()
    ordered = [rows[event_id] for event_id in sorted(rows, key=str)]  # the same lock order in every batch
    return set(session.execute(_KEEP_EVENTS, ordered).scalars())


def count_events(session: Session, types: Iterable[str]) -> int:
    """How many stored events are of these types."""
    query = select(func.count()).select_from(stored_event).where(stored_event.c.type.in_(sorted(types)))
    return int(session.execute(query).scalar_one())


def replay(session: Session, types: Iterable[str], batch: int) -> Iterator[list[Envelope]]:
    """The stored events of these types in the order they occurred (then kept), a batch at a time."""
    chosen = sorted(types)
    after: tuple[datetime, int] | None = None
    columns = stored_event.c
    while True:
        query = select(stored_event).where(columns.type.in_(chosen))
        if after is not None:
            query = query.where(tuple_(columns.occurred_at, columns.seq) > tuple_(*after))
        rows = session.execute(query.order_by(columns.occurred_at, columns.seq).limit(batch)).all()
        if not rows:
            return
        after = (rows[-1].occurred_at, rows[-1].seq)
        yield [
            Envelope(
                event_id=row.event_id,
                type=row.type,
                version=row.version,
                occurred_at=row.occurred_at,
                partnership_id=row.partnership_id,
                review_id=row.review_id,
                data=row.data,
            )
            for row in rows
        ]


# How many of the latest events the mark sums: a transaction that took its `seq` while this many later events
# were kept and committed would be missed (analytics' workers hold one event each, for milliseconds).
MARK_WINDOW = 1000

_MARK = text(
    f"""
    SELECT current_database(), (SELECT coalesce(max(generation), 0) FROM analytics.rebuild),
           coalesce(max(seq), 0), coalesce(sum(seq), 0)
      FROM (SELECT seq FROM analytics.event ORDER BY seq DESC LIMIT {MARK_WINDOW}) AS latest
    """
)


def store_mark(session: Session) -> tuple[str, int, int, int]:
    """What the projections hold, in three numbers that move whenever it changes (after the database's name:
    a test process may ask two databases of one shape): the rebuilds, the latest
    event's `seq`, and the sum of the latest MARK_WINDOW `seq`s (an event committed after a later one, which
    leaves the greatest `seq` as it was, still changes the sum). Read by its primary key's index: cheap."""
    database, generation, latest, total = session.execute(_MARK).one()
    return str(database), int(generation), int(latest), int(total)


def note_rebuild(session: Session) -> None:
    """Count a rebuild, in its transaction (a cached dashboard of the rows before it is no longer kept)."""
    session.execute(
        upsert(rebuild_generation)
        .values(id=1, generation=1, rebuilt_at=func.now())
        .on_conflict_do_update(
            index_elements=["id"],
            set_={"generation": rebuild_generation.c.generation + 1, "rebuilt_at": func.now()},
        )
    )


def latest_event_at(session: Session, partnerships: frozenset[UUID] | None) -> datetime | None:
    """When the latest event counted for these partnerships (None: every one) occurred."""
    query = select(func.max(stored_event.c.occurred_at))
    if partnerships is not None:
        query = query.where(stored_event.c.partnership_id.in_(sorted(partnerships)))
    value: datetime | None = session.execute(query).scalar_one()
    return value


# -- writing facts ------------------------------------------------------------------------------------------


def store_facts(session: Session, facts: Iterable[Fact]) -> int:
    """Write facts into their tables: each row is kept only if its fact supersedes the one held (the later
    by occurred_at, then event id), decided in the statement. Returns how many facts were offered."""
    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    reduced = latest(facts)  # two facts of one key in one statement would make PostgreSQL refuse it
    # In key order: concurrent transactions writing the same rows then take their locks in the same order.
    for fact in sorted(reduced.values(), key=lambda fact: repr(fact.key)):
        by_table[fact.table].append(fact.row())
    for name, rows in by_table.items():
        table = PROJECTION_TABLES[name]
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            _upsert(session, table, rows[start : start + ROWS_PER_STATEMENT])
    return len(reduced)


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    # One statement for the table, executed for many rows: SQLAlchemy sends them as one multi-row VALUES
    # ("insertmanyvalues") and compiles the statement once.
    session.execute(_upsert_statement(table, tuple(rows[0])), rows)


_STATEMENTS: dict[tuple[str, tuple[str, ...]], Any] = {}


def _upsert_statement(table: Table, columns: tuple[str, ...]) -> Any:
    known = _STATEMENTS.get((table.name, columns))
    if known is not None:
        return known
    statement = upsert(table)
    keys = [column.name for column in table.primary_key.columns]
    excluded = statement.excluded
    held = tuple_(table.c.as_of, func.coalesce(table.c.event_id, ZERO_UUID))
    offered = tuple_(excluded.as_of, excluded.event_id)
    # RETURNING, though nothing reads it: SQLAlchemy 2.1 sends an ON CONFLICT insert for many rows as one
    # statement per row unless it returns something (one round trip a row; a batch's facts took 100).
    returning = statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: excluded[name] for name in columns if name not in keys},
        where=held < offered,
    ).returning(*table.primary_key.columns)
    _STATEMENTS[(table.name, columns)] = returning
    return returning


def clear_tables(session: Session, names: Iterable[str]) -> None:
    """Drop every row of these projection tables (a rebuild refills them)."""
    for name in names:
        session.execute(delete(PROJECTION_TABLES[name]))


def copy_rows(session: Session, name: str) -> list[dict[str, Any]]:
    """Every row of a projection table, sorted (for comparing two builds of it)."""
    rows = session.execute(select(PROJECTION_TABLES[name])).mappings().all()
    return sorted((dict(row) for row in rows), key=repr)


# -- partnerships whose figures changed ----------------------------------------------------------------------


def touch(session: Session, partnerships: Iterable[UUID]) -> None:
    """Note that these partnerships' figures changed (once each, however many events), in one statement."""
    rows = [{"partnership_id": partnership} for partnership in sorted(set(partnerships), key=str)]
    if rows:
        session.execute(_TOUCH, rows)


def touch_every_partnership(session: Session) -> None:
    """Note that every partnership's figures changed (after a rebuild)."""
    session.execute(
        upsert(figures_touched)
        .from_select(
            ["partnership_id"],
            select(stored_event.c.partnership_id)
            .where(stored_event.c.partnership_id.is_not(None))
            .distinct(),
        )
        .on_conflict_do_nothing()
    )


def take_touched(session: Session) -> list[UUID]:
    """The partnerships noted since the last time, forgetting them (in the caller's transaction)."""
    rows = session.execute(delete(figures_touched).returning(figures_touched.c.partnership_id)).scalars()
    return sorted(rows, key=str)
