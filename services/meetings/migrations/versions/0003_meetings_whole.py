"""Meetings whole: time, place, chair, sequence and the aggregate (agenda, invitees, minutes); which
partnership holds each review (from forms' events); papers and their bytes; the family's contacts.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.kernel.file_store import stored_files_migration

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "meetings"


def upgrade() -> None:
    for column in (
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_reference", sa.String(200), nullable=False, server_default=""),
        sa.Column("place", sa.String(200), nullable=False, server_default=""),
        sa.Column("online_link", sa.String(500), nullable=False, server_default=""),
        sa.Column("chair_id", sa.String(200), nullable=False, server_default=""),
        sa.Column("organizer_id", sa.String(200), nullable=False, server_default=""),
        sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("reminded", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("body", postgresql.JSONB(), nullable=False, server_default="{}"),
    ):
        op.add_column("meeting", column, schema=SCHEMA)
    op.create_index(
        "ix_meeting_partnership_starts", "meeting", ["partnership_id", "starts_at"], schema=SCHEMA
    )
    op.create_table(
        "review",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "paper",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("meeting_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("agenda_item_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("store_key", sa.String(200), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "family_contact",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("review_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=False),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("family_member", sa.String(200), nullable=False),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("through_professional", sa.String(200), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("wishes", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("wants_report_before_publication", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_family_contact_review_ids",
        "family_contact",
        ["review_ids"],
        schema=SCHEMA,
        postgresql_using="gin",
    )
    stored_files_migration(op, SCHEMA)


def downgrade() -> None:
    op.drop_table("stored_file", schema=SCHEMA)
    op.drop_table("family_contact", schema=SCHEMA)
    op.drop_table("paper", schema=SCHEMA)
    op.drop_table("review", schema=SCHEMA)
    op.drop_index("ix_meeting_partnership_starts", "meeting", schema=SCHEMA)
    for name in (
        "body",
        "reminded",
        "sequence",
        "organizer_id",
        "chair_id",
        "online_link",
        "place",
        "review_reference",
        "ends_at",
    ):
        op.drop_column("meeting", name, schema=SCHEMA)
