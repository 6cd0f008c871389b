"""Named versions of documents: a version (its name, who named it, its lock) and each section's Yjs state and
blocks as the version keeps them.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "reports"


def upgrade() -> None:
    op.create_table(
        "version",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "document_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.document.id"), nullable=False, index=True
        ),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("named_by", sa.String(200), nullable=False),
        sa.Column("named_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(200), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    # One name per document, whatever its case (the domain says so in words first; this holds under races).
    op.create_index(
        "version_name_per_document",
        "version",
        ["document_id", sa.text("lower(name)")],
        unique=True,
        schema=SCHEMA,
    )
    op.create_table(
        "version_section",
        sa.Column("version_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.version.id"), primary_key=True),
        sa.Column("section_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.section.id"), primary_key=True),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("blocks", postgresql.JSONB(), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("version_section", schema=SCHEMA)
    op.drop_index("version_name_per_document", table_name="version", schema=SCHEMA)
    op.drop_table("version", schema=SCHEMA)
