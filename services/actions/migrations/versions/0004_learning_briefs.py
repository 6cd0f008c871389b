"""Learning briefs of reviews and how their learning travelled (sent, acknowledged, used in training).

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "actions"


def upgrade() -> None:
    op.create_table(
        "learning_brief",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        schema=S,
    )
    op.create_table(
        "dissemination",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("brief_id", sa.Uuid(), sa.ForeignKey(f"{S}.learning_brief.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("to_whom", sa.String(300), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("kind IN ('sent', 'acknowledged', 'training')", name="dissemination_kind"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("dissemination", schema=S)
    op.drop_table("learning_brief", schema=S)
