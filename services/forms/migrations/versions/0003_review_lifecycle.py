"""The review lifecycle: steps and their answers, pauses, agency returns and addenda, deadline figures.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "review",
        sa.Column("deadline_figures", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        schema="forms",
    )
    op.create_table(
        "review_step",
        sa.Column("review_id", sa.Uuid(), sa.ForeignKey("forms.review.id"), primary_key=True),
        sa.Column("code", sa.String(50), primary_key=True),
        sa.Column("answers", JSONB(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by", sa.String(100), nullable=False, index=True),
        sa.Column("completed_on", sa.Date()),
        sa.Column("completed_by", sa.String(100)),
        # Timeliness, recorded when the step is completed: its deadline's revised date and how late it was.
        sa.Column("due_on", sa.Date()),
        sa.Column("late_by_working_days", sa.Integer()),
        schema="forms",
    )
    op.create_table(
        "review_pause",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), sa.ForeignKey("forms.review.id"), nullable=False, index=True),
        sa.Column("reason", sa.String(50), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date()),
        sa.Column("approved_by", sa.String(200), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False, index=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        schema="forms",
    )
    op.create_table(
        "agency_return",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), sa.ForeignKey("forms.review.id"), nullable=False, index=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("agency_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("agency_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended_to", sa.Date()),
        sa.Column("extension_reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("answers", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=False, index=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False, index=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.Column("submitted_by", sa.String(100)),
        sa.Column("late_by_working_days", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("review_id", "agency_id"),
        schema="forms",
    )
    op.create_table(
        "return_addendum",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "return_id", sa.Uuid(), sa.ForeignKey("forms.agency_return.id"), nullable=False, index=True
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False, index=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        schema="forms",
    )
    op.create_table(
        "deadline_setting",
        sa.Column("partnership_id", sa.Uuid(), primary_key=True),
        sa.Column("review_type", sa.String(50), primary_key=True),
        sa.Column("code", sa.String(50), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema="forms",
    )


def downgrade() -> None:
    for table in ("deadline_setting", "return_addendum", "agency_return", "review_pause", "review_step"):
        op.drop_table(table, schema="forms")
    op.drop_column("review", "deadline_figures", schema="forms")
