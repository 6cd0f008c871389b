"""Key practice episodes tagged by the reviewer, and likely duplicates across agencies with their decisions.

The pg_trgm extension (text similarity) is created in this schema by `caserev migrate` as the database's
administrator before this runs (services/kernel/bootstrap.py: create_extensions).

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "chronology"


def upgrade() -> None:
    op.create_table(
        "episode",
        sa.Column("review_id", sa.Uuid(), primary_key=True),
        sa.Column("agency_id", sa.Uuid(), primary_key=True),
        sa.Column("source_record", sa.String(200), primary_key=True),
        sa.Column("date_typed", sa.String(60), primary_key=True),
        sa.Column("learning", sa.Text(), nullable=False),
        sa.Column("tagged_by", sa.String(100), nullable=False),
        sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "duplicate",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("pair_key", sa.String(64), nullable=False, unique=True),
        sa.Column("entry_a", sa.Uuid(), nullable=False),
        sa.Column("entry_b", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("decided_by", sa.String(100)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    # Candidates are found among entries of the same day: an index to find them by day.
    op.create_index("ix_entry_day", "entry", ["review_id", "starts_on"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_entry_day", "entry", schema=SCHEMA)
    op.drop_table("duplicate", schema=SCHEMA)
    op.drop_table("episode", schema=SCHEMA)
