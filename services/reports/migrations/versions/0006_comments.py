"""Comments on sections' text (the anchor's id and the quoted text; the anchor itself is in the Yjs document)
and their replies.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_comments"
down_revision = "0005_publication"
branch_labels = None
depends_on = None

SCHEMA = "reports"


def upgrade() -> None:
    op.create_table(
        "comment",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "document_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.document.id"), nullable=False, index=True
        ),
        sa.Column("section_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.section.id"), nullable=False, index=True),
        sa.Column("anchor_id", sa.Uuid(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mentioned_user_ids", postgresql.ARRAY(sa.String(200)), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.create_table(
        "comment_reply",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("comment_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.comment.id"), nullable=False, index=True),
        sa.Column("author_id", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mentioned_user_ids", postgresql.ARRAY(sa.String(200)), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("comment_reply", "comment"):
        op.drop_table(table, schema=SCHEMA)
