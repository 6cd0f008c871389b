"""Contacts, in-app notifications, e-mail with its delivery state; outbox, inbox, idempotency keys.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from services.kernel.db import messaging_migration

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

S = "notifications"


def upgrade() -> None:
    messaging_migration(op, S)
    op.create_table(
        "contact",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        schema=S,
    )
    op.create_index("ix_contact_partnership_id", "contact", ["partnership_id"], schema=S)
    op.create_table(
        "notification",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("review_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        schema=S,
    )
    op.create_index("ix_notification_contact_id", "notification", ["contact_id"], schema=S)
    op.create_table(
        "email",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("notification_id", sa.Uuid(), nullable=True),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        schema=S,
    )
    op.create_index(
        "ix_email_queued",
        "email",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status = 'queued'"),
    )


def downgrade() -> None:
    for table in ("email", "notification", "contact", "idempotency_key", "inbox", "outbox"):
        op.drop_table(table, schema=S)
