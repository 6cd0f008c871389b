"""Factual accuracy of versions: rounds and each agency's request and answer; the family's comments on a
version; the partners' sign-offs.

Revision ID: 0004_accuracy
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_accuracy"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "reports"


def upgrade() -> None:
    op.create_table(
        "accuracy_round",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("version_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.version.id"), nullable=False, index=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(200), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    # One open round per version, whatever races (the domain says so in words first).
    op.create_index(
        "accuracy_round_one_open",
        "accuracy_round",
        ["version_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_table(
        "accuracy_request",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "round_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.accuracy_round.id"), nullable=False, index=True
        ),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("section_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("answer", sa.String(20), nullable=True),
        sa.Column("answered_by", sa.String(200), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comments", postgresql.JSONB(), nullable=False),
        sa.UniqueConstraint("round_id", "agency_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "family_comment",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("version_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.version.id"), nullable=False, index=True),
        sa.Column("shown_on", sa.Date(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "sign_off",
        sa.Column("version_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.version.id"), primary_key=True),
        sa.Column("partner_key", sa.String(250), primary_key=True),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("signed_by", sa.String(200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("sign_off", schema=SCHEMA)
    op.drop_table("family_comment", schema=SCHEMA)
    op.drop_table("accuracy_request", schema=SCHEMA)
    op.drop_index("accuracy_round_one_open", table_name="accuracy_round", schema=SCHEMA)
    op.drop_table("accuracy_round", schema=SCHEMA)
