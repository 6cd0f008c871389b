"""Reviews, and the outbox, inbox and idempotency keys.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from services.kernel.db import messaging_migration

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    messaging_migration(op, "forms")
    op.create_table(
        "review",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("review_type", sa.String(50), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(50), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        schema="forms",
    )
    op.create_index("ix_review_partnership_id", "review", ["partnership_id"], schema="forms")


def downgrade() -> None:
    op.drop_table("review", schema="forms")
    for table in ("idempotency_key", "inbox", "outbox"):
        op.drop_table(table, schema="forms")
