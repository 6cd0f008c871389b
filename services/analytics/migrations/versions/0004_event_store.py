"""The event store (every event analytics applied, for rebuilding) and the tables of the dashboards'
projections; `event_id` beside `as_of` on the two older tables, so that two events of one instant agree.

The reviews' stages held before this revision are kept in the store as forms.review_restated events (as
forms' own restating would send them), so a rebuild of review_stages keeps them. Actions' states held before
it cannot be written back as the actions service's events: a rebuild of `actions` holds only what came
after (docs/operations.md).

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "analytics"


def _projection(name: str, keys: list[sa.Column], *columns: sa.Column) -> None:
    op.create_table(
        name,
        *keys,
        *columns,
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        schema=SCHEMA,
    )


def _partnership() -> sa.Column:
    return sa.Column("partnership_id", sa.Uuid(), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("partnership_id", sa.Uuid(), nullable=True),
        sa.Column("review_id", sa.Uuid(), nullable=True),
        sa.Column("data", JSONB(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("ix_event_replay", "event", ["occurred_at", "seq"], schema=SCHEMA)
    op.create_index("ix_event_partnership", "event", ["partnership_id", "occurred_at"], schema=SCHEMA)
    op.create_table(
        "figures_touched", sa.Column("partnership_id", sa.Uuid(), primary_key=True), schema=SCHEMA
    )
    for table in ("review_stage", "action_state"):
        op.add_column(table, sa.Column("event_id", sa.Uuid(), nullable=True), schema=SCHEMA)
    uuid_key = sa.Uuid()
    _projection(
        "review_milestone",
        [
            sa.Column("review_id", uuid_key, primary_key=True),
            sa.Column("milestone", sa.String(30), primary_key=True),
        ],
        _partnership(),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(50), nullable=True),
        sa.Column("detail", sa.String(50), nullable=True),
    )
    _projection(
        "notified_child",
        [
            sa.Column("review_id", sa.Uuid(), primary_key=True),
            sa.Column("ordinal", sa.Integer(), primary_key=True),
        ],
        _partnership(),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("nature", sa.String(30), nullable=False),
        sa.Column("age_band", sa.String(20), nullable=False),
        sa.Column("sex", sa.String(20), nullable=False),
        sa.Column("ethnicity", sa.String(20), nullable=False),
        sa.Column("disability", sa.String(20), nullable=False),
        sa.Column("legal_status", ARRAY(sa.String(30)), nullable=False),
    )
    deadline_tables: list[tuple[str, list[sa.Column]]] = [
        (
            "deadline_standing",
            [
                sa.Column("label", sa.String(200), nullable=False),
                sa.Column("statutory", sa.Boolean(), nullable=False),
                sa.Column("due_on", sa.Date(), nullable=True),
                sa.Column("revised_due_on", sa.Date(), nullable=True),
                sa.Column("status", sa.String(20), nullable=False),
            ],
        ),
        (
            "deadline_met",
            [
                sa.Column("met_on", sa.Date(), nullable=False),
                sa.Column("due_on", sa.Date(), nullable=False),
                sa.Column("revised_due_on", sa.Date(), nullable=True),
                sa.Column("late_by_working_days", sa.Integer(), nullable=False),
            ],
        ),
    ]
    for name, columns in deadline_tables:
        _projection(
            name,
            [
                sa.Column("review_id", sa.Uuid(), primary_key=True),
                sa.Column("deadline", sa.String(50), primary_key=True),
            ],
            _partnership(),
            sa.Column("review_type", sa.String(50), nullable=False),
            *columns,
        )
    return_columns = [
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
    ]
    _projection(
        "return_due",
        [sa.Column("return_id", sa.Uuid(), primary_key=True)],
        _partnership(),
        *[column.copy() for column in return_columns],
        sa.Column("due_on", sa.Date(), nullable=False),
    )
    _projection(
        "return_submitted",
        [sa.Column("return_id", sa.Uuid(), primary_key=True)],
        _partnership(),
        *[column.copy() for column in return_columns],
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("late_by_working_days", sa.Integer(), nullable=False),
        sa.Column("nil", sa.Boolean(), nullable=False),
    )
    _projection(
        "lesson",
        [sa.Column("lesson_id", sa.Uuid(), primary_key=True)],
        _partnership(),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("themes", ARRAY(sa.String(60)), nullable=False),
    )
    _projection(
        "review_pause",
        [sa.Column("pause_id", sa.Uuid(), primary_key=True)],
        _partnership(),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(50), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
    )
    _projection(
        "review_pause_end",
        [sa.Column("pause_id", sa.Uuid(), primary_key=True)],
        _partnership(),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
    )
    _projection(
        "recommendation",
        [sa.Column("recommendation_id", sa.Uuid(), primary_key=True)],
        _partnership(),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("lessons", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(30), nullable=False),
    )
    _projection(
        "action_plan",
        [sa.Column("action_id", sa.Uuid(), primary_key=True)],
        _partnership(),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("owner_agency_id", sa.Uuid(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("themes", ARRAY(sa.String(60)), nullable=False),
    )
    _projection(
        "partnership",
        [sa.Column("partnership_id", sa.Uuid(), primary_key=True)],
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(100), nullable=True),
    )
    _projection(
        "agency",
        [sa.Column("agency_id", sa.Uuid(), primary_key=True)],
        _partnership(),
        sa.Column("agency_type", sa.String(60), nullable=False),
    )
    # The stages held so far, kept as the restating events forms would send (a rebuild keeps them).
    op.execute(
        "INSERT INTO analytics.event (event_id, type, version, occurred_at, partnership_id, review_id, data)"
        " SELECT md5('restated:' || review_id::text || as_of::text)::uuid, 'forms.review_restated', 1, as_of,"
        " partnership_id, review_id, jsonb_build_object('review_id', review_id::text, 'review_type',"
        " review_type, 'stage', stage) FROM analytics.review_stage"
    )
    op.execute(
        "UPDATE analytics.review_stage SET event_id = md5('restated:' || review_id::text || as_of::text)::uuid"
    )


def downgrade() -> None:
    for table in (
        "agency",
        "partnership",
        "action_plan",
        "recommendation",
        "review_pause_end",
        "review_pause",
        "lesson",
        "return_submitted",
        "return_due",
        "deadline_met",
        "deadline_standing",
        "notified_child",
        "review_milestone",
    ):
        op.drop_table(table, schema=SCHEMA)
    for table in ("review_stage", "action_state"):
        op.drop_column(table, "event_id", schema=SCHEMA)
    op.drop_table("figures_touched", schema=SCHEMA)
    op.drop_table("event", schema=SCHEMA)
