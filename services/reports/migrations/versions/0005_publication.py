"""A document's publication copy: its anonymised title and text as blocks, the last check's findings, its state.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_publication"
down_revision = "0004_accuracy"
branch_labels = None
depends_on = None

SCHEMA = "reports"


def upgrade() -> None:
    op.create_table(
        "publication_copy",
        sa.Column("document_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.document.id"), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("sections", postgresql.JSONB(), nullable=False),
        sa.Column("findings", postgresql.JSONB(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("built_by", sa.String(200), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ready_by", sa.String(200), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("publication_copy", schema=SCHEMA)
