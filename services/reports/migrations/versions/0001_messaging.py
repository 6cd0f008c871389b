"""The outbox, inbox and idempotency keys.

Revision ID: 0001
"""

from alembic import op

from services.kernel.db import messaging_migration

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    messaging_migration(op, "reports")


def downgrade() -> None:
    for table in ("idempotency_key", "inbox", "outbox"):
        op.drop_table(table, schema="reports")
