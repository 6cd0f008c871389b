"""Review counts by type and stage, and the outbox, inbox and idempotency keys.

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
    messaging_migration(op, "analytics")
    op.create_table(
        "review_count",
        sa.Column("partnership_id", sa.Uuid(), primary_key=True),
        sa.Column("review_type", sa.String(50), primary_key=True),
        sa.Column("stage", sa.String(50), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False, server_default="0"),
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_table("review_count", schema="analytics")
    for table in ("idempotency_key", "inbox", "outbox"):
        op.drop_table(table, schema="analytics")
