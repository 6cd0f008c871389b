"""Agencies' case systems: their broker users (system connections) and the messages refused from them.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "chronology"


def upgrade() -> None:
    op.create_table(
        "system_connection",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_message_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "refused_message",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("connection_id", sa.Uuid()),
        sa.Column("agency_id", sa.Uuid()),
        sa.Column("review_id", sa.Uuid(), index=True),
        sa.Column("message_id", sa.String(200)),
        sa.Column("reason", sa.Text(), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("refused_message", schema=SCHEMA)
    op.drop_table("system_connection", schema=SCHEMA)
