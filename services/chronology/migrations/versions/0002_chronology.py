"""Reviews and agencies as the chronology service knows them, the people register, uploads and entries.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "chronology"
SEARCHED = (
    "to_tsvector('english', coalesce(event, '') || ' ' || coalesce(action, '') || ' ' || "
    "coalesce(no_action_reason, '') || ' ' || practitioner_role || ' ' || source_record)"
)


def upgrade() -> None:
    op.create_table(
        "review",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("review_type", sa.String(60), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("extra_columns", JSONB(), nullable=False, server_default="[]"),
        schema=SCHEMA,
    )
    op.create_table(
        "review_agency",
        sa.Column("review_id", sa.Uuid(), primary_key=True),
        sa.Column("agency_id", sa.Uuid(), primary_key=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "agency",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "user_name",
        sa.Column("user_id", sa.String(100), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role_in_family", sa.String(100), nullable=False),
        sa.Column("born_on", sa.Date()),
        sa.Column("subject", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("also_known_as", JSONB(), nullable=False, server_default="[]"),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_person_label", "person", ["review_id", sa.text("lower(label)")], unique=True, schema=SCHEMA
    )
    op.create_table(
        "upload",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("rows_expected", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rows_read", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("entries", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("problems", JSONB(), nullable=False, server_default="[]"),
        sa.Column("warnings", JSONB(), nullable=False, server_default="[]"),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.Column("uploaded_by_name", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True)),
        sa.Column("imported_by_name", sa.String(200)),
        sa.Column("replaced_upload_id", sa.Uuid()),
        schema=SCHEMA,
    )
    op.create_index("ix_upload_review_agency", "upload", ["review_id", "agency_id", "state"], schema=SCHEMA)
    op.create_table(
        "entry",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False, unique=True),
        sa.Column("upload_id", sa.Uuid(), nullable=False),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("row", sa.Integer()),
        sa.Column("date_typed", sa.String(60), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("precision", sa.String(10), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column("at_time", sa.Time()),
        sa.Column("sort_at", sa.DateTime(), nullable=False),
        sa.Column("sort_rank", sa.Integer(), nullable=False),
        sa.Column("ended_typed", sa.String(60)),
        sa.Column("ended_on", sa.Date()),
        sa.Column("source_record", sa.String(200), nullable=False),
        sa.Column("practitioner_role", sa.String(200), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("action", sa.Text()),
        sa.Column("no_action_reason", sa.Text()),
        sa.Column("significance", sa.String(10)),
        sa.Column("agency_suggests_episode", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("people", JSONB(), nullable=False, server_default="[]"),
        sa.Column("extra", JSONB(), nullable=False, server_default="{}"),
        sa.Column("search", TSVECTOR(), sa.Computed(SEARCHED, persisted=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_entry_order",
        "entry",
        ["review_id", "sort_at", "sort_rank", "seq"],
        postgresql_include=["upload_id"],
        schema=SCHEMA,
    )
    op.create_index("ix_entry_upload", "entry", ["upload_id"], schema=SCHEMA)
    op.create_index("ix_entry_search", "entry", ["search"], postgresql_using="gin", schema=SCHEMA)
    op.create_index(
        "ix_entry_people",
        "entry",
        ["people"],
        postgresql_using="gin",
        postgresql_ops={"people": "jsonb_path_ops"},
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("entry", "upload", "person", "user_name", "agency", "review_agency", "review"):
        op.drop_table(table, schema=SCHEMA)
