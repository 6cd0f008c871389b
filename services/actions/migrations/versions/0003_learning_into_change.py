"""Learning into change: reviews and people known from events, the themes taxonomy's changes, lessons,
recommendations, the action plan log and its progress updates. The skeleton's `action` table held nothing
(no RPC wrote to it), so it is replaced.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "actions"


def upgrade() -> None:
    op.drop_table("action", schema=S)
    op.create_table(
        "review",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("review_type", sa.String(60), nullable=False),
        sa.Column("began_on", sa.Date(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema=S,
    )
    op.create_table(
        "person",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("roles", ARRAY(sa.String(40)), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "agency",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "theme_change",
        sa.Column("partnership_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("label", sa.String(120), nullable=False, server_default=""),
        sa.Column("national_code", sa.String(40), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_table(
        "lesson",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("themes", ARRAY(sa.String(60)), nullable=False),
        sa.Column("taxonomy_version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("episode_entry_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        schema=S,
    )
    op.create_table(
        "recommendation",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lesson_ids", ARRAY(sa.Uuid()), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("agency_ids", ARRAY(sa.Uuid()), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("made_by", sa.String(100), nullable=False),
        sa.CheckConstraint("cardinality(lesson_ids) > 0", name="recommendation_draws_on_a_lesson"),
        schema=S,
    )
    op.create_table(
        "action",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("recommendation_id", sa.Uuid(), sa.ForeignKey(f"{S}.recommendation.id"), nullable=True),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("owner_agency_id", sa.Uuid(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False, index=True),
        sa.Column("success_measure", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("themes", ARRAY(sa.String(60)), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("last_update_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("not_implemented_reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("practice_changed", sa.String(10), nullable=True),
        sa.Column("how_tested", sa.Text(), nullable=False, server_default=""),
        sa.Column("signed_off_on", sa.Date(), nullable=True),
        sa.Column("signed_off_by", sa.String(100), nullable=True),
        sa.Column("due_announced_for", sa.Date(), nullable=True),
        sa.Column("overdue_announced_for", sa.Date(), nullable=True),
        # Overdue is worked out from the due date, never typed.
        sa.CheckConstraint(
            "status IN ('not_started', 'on_track', 'at_risk', 'completed', 'not_implemented')",
            name="action_status_is_typed_one",
        ),
        sa.CheckConstraint(
            "status <> 'not_implemented' OR not_implemented_reason <> ''",
            name="action_not_implemented_has_reason",
        ),
        schema=S,
    )
    op.create_table(
        "progress_update",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("action_id", sa.Uuid(), sa.ForeignKey(f"{S}.action.id"), nullable=False, index=True),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("written_by", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )


def downgrade() -> None:
    for table in (
        "progress_update",
        "action",
        "recommendation",
        "lesson",
        "theme_change",
        "agency",
        "person",
        "review",
    ):
        op.drop_table(table, schema=S)
    op.create_table(
        "action",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        schema=S,
    )
