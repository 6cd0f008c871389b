"""Documents of reviews and their sections; each section's Yjs store (snapshot and updates since); what the
service keeps of reviews, people and agencies from others' events.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "reports"


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "section",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "document_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.document.id"), nullable=False, index=True
        ),
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("assigned_user_id", sa.String(200), nullable=True),
        sa.Column("assigned_agency_id", sa.Uuid(), nullable=True),
        sa.Column("shared_with_agency_ids", postgresql.ARRAY(sa.Uuid()), nullable=False, server_default="{}"),
        schema=SCHEMA,
    )
    op.create_table(
        "section_state",
        sa.Column("section_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.section.id"), primary_key=True),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("compactions", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("compacted_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.create_table(
        "section_update",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("section_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.section.id"), nullable=False, index=True),
        sa.Column("update", sa.LargeBinary(), nullable=False),
        sa.Column("saved_by", sa.String(200), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "review",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "person",
        sa.Column("user_id", sa.String(200), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(60)), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "agency",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("agency", "person", "review", "section_update", "section_state", "section", "document"):
        op.drop_table(table, schema=SCHEMA)
