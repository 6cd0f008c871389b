"""A partnership's own columns of its chronology template (the review's copy of them is no longer used).

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA = "chronology"


def upgrade() -> None:
    op.create_table(
        "partnership_columns",
        sa.Column("partnership_id", sa.Uuid(), primary_key=True),
        sa.Column("columns", JSONB(), nullable=False, server_default="[]"),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.drop_column("review", "extra_columns", schema=SCHEMA)


def downgrade() -> None:
    op.add_column(
        "review", sa.Column("extra_columns", JSONB(), nullable=False, server_default="[]"), schema=SCHEMA
    )
    op.drop_table("partnership_columns", schema=SCHEMA)
