"""Where each review is (type and stage, from forms' opening, stage-change and restating events),
replacing the counts of openings only.

The old counts cannot be turned into per-review rows; forms' migration 0004 restates every existing
review, which fills this table once the services run.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_stage",
        sa.Column("review_id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("review_type", sa.String(50), nullable=False),
        sa.Column("stage", sa.String(50), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        schema="analytics",
    )
    op.drop_table("review_count", schema="analytics")


def downgrade() -> None:
    op.create_table(
        "review_count",
        sa.Column("partnership_id", sa.Uuid(), primary_key=True),
        sa.Column("review_type", sa.String(50), primary_key=True),
        sa.Column("stage", sa.String(50), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False, server_default="0"),
        schema="analytics",
    )
    op.execute(
        "INSERT INTO analytics.review_count (partnership_id, review_type, stage, count)"
        " SELECT partnership_id, review_type, stage, count(*) FROM analytics.review_stage"
        " GROUP BY partnership_id, review_type, stage"
    )
    op.drop_table("review_stage", schema="analytics")
