"""Evidence of actions: each file as the kernel's checker found it, its bytes in the service's file store.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

from services.kernel.file_store import stored_files_migration

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

S = "actions"


def upgrade() -> None:
    stored_files_migration(op, S)
    op.create_table(
        "evidence",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("action_id", sa.Uuid(), sa.ForeignKey(f"{S}.action.id"), nullable=False, index=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_key", sa.String(32), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("evidence", schema=S)
    op.drop_table("stored_file", schema=S)
