"""People and agencies from identity events; notifications to users; due dates, reminders sent, rule
settings, preferences, digests; e-mail delivery with its history and the uncertain state.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "notifications"


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=True),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("roles", sa.ARRAY(sa.String(40)), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_index("ix_person_partnership_id", "person", ["partnership_id"], schema=S)
    op.create_table(
        "agency",
        sa.Column("agency_id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )

    op.alter_column("notification", "contact_id", nullable=True, schema=S)
    op.alter_column("notification", "event_id", nullable=True, schema=S)
    op.add_column("notification", sa.Column("user_id", sa.Uuid(), nullable=True), schema=S)
    op.add_column("notification", sa.Column("rule", sa.String(60), nullable=True), schema=S)
    op.add_column("notification", sa.Column("link", sa.String(500), nullable=True), schema=S)
    op.add_column(
        "notification", sa.Column("urgent", sa.Boolean(), nullable=False, server_default="false"), schema=S
    )
    op.add_column("notification", sa.Column("digest", sa.String(10), nullable=True), schema=S)
    op.create_index("ix_notification_user_id", "notification", ["user_id", "created_at"], schema=S)
    op.create_index(
        "ix_notification_unread",
        "notification",
        ["user_id"],
        schema=S,
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index(
        "ix_notification_digest_pending",
        "notification",
        ["user_id"],
        schema=S,
        postgresql_where=sa.text("digest = 'pending'"),
    )

    for column in (
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("review_id", sa.Uuid(), nullable=True),
        sa.Column("rule", sa.String(60), nullable=True),
        sa.Column("recipient", sa.String(200), nullable=True),
        sa.Column("attachment_name", sa.String(100), nullable=True),
        sa.Column("attachment", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    ):
        op.add_column("email", column, schema=S)
    op.create_index("ix_email_review_id", "email", ["review_id"], schema=S)
    op.create_index(
        "ix_email_sending",
        "email",
        ["claimed_at"],
        schema=S,
        postgresql_where=sa.text("status = 'sending'"),
    )
    op.create_table(
        "delivery_event",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("email_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("detail", sa.String(300), nullable=True),
        schema=S,
    )
    op.create_index("ix_delivery_event_email_id", "delivery_event", ["email_id"], schema=S)
    # E-mail so far: its history starts with what is known of it.
    op.execute(
        "INSERT INTO notifications.delivery_event (email_id, at, status, detail)"
        " SELECT id, created_at, 'queued', NULL FROM notifications.email"
    )
    op.execute(
        "INSERT INTO notifications.delivery_event (email_id, at, status, detail)"
        " SELECT id, COALESCE(sent_at, created_at), status, last_error FROM notifications.email"
        " WHERE status <> 'queued'"
    )

    op.create_table(
        "due_item",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("review_id", sa.Uuid(), nullable=True),
        sa.Column("track", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("review_id", "track", "subject", name="uq_due_item_subject"),
        schema=S,
    )
    op.create_index("ix_due_item_partnership_id", "due_item", ["partnership_id"], schema=S)
    op.create_index("ix_due_item_review_id", "due_item", ["review_id"], schema=S)
    op.create_index(
        "ix_due_item_open", "due_item", ["due_on"], schema=S, postgresql_where=sa.text("state = 'open'")
    )
    op.create_table(
        "reminder_sent",
        sa.Column("rule", sa.String(60), primary_key=True),
        sa.Column("due_item_id", sa.Uuid(), primary_key=True),
        sa.Column("due_on", sa.Date(), primary_key=True),
        sa.Column("occurrence", sa.Integer(), primary_key=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "preference",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(60), primary_key=True),
        sa.Column("timing", sa.String(10), nullable=False),
        schema=S,
    )
    op.create_table(
        "rule_setting",
        sa.Column("partnership_id", sa.Uuid(), primary_key=True),
        sa.Column("rule", sa.String(60), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        schema=S,
    )
    op.create_table(
        "digest_sent",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("digest_on", sa.Date(), primary_key=True),
        sa.Column("email_id", sa.Uuid(), nullable=True),
        schema=S,
    )


def downgrade() -> None:
    for table in ("digest_sent", "rule_setting", "preference", "reminder_sent", "due_item", "delivery_event"):
        op.drop_table(table, schema=S)
    op.drop_index("ix_email_sending", "email", schema=S)
    op.drop_index("ix_email_review_id", "email", schema=S)
    for column in (
        "claimed_at",
        "attachment",
        "attachment_name",
        "recipient",
        "rule",
        "review_id",
        "user_id",
    ):
        op.drop_column("email", column, schema=S)
    for index in ("ix_notification_digest_pending", "ix_notification_unread", "ix_notification_user_id"):
        op.drop_index(index, "notification", schema=S)
    for column in ("digest", "urgent", "link", "rule", "user_id"):
        op.drop_column("notification", column, schema=S)
    op.execute("DELETE FROM notifications.notification WHERE contact_id IS NULL OR event_id IS NULL")
    op.alter_column("notification", "event_id", nullable=False, schema=S)
    op.alter_column("notification", "contact_id", nullable=False, schema=S)
    op.drop_table("agency", schema=S)
    op.drop_table("person", schema=S)
