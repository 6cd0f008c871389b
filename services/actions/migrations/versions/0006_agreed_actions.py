"""Actions agreed in meetings' approved minutes: each kept once, on the plan or waiting to be assigned; an
action remembers the meeting that agreed it.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

S = "actions"


def upgrade() -> None:
    op.add_column("action", sa.Column("meeting_id", sa.Uuid(), nullable=True), schema=S)
    op.create_table(
        "agreed_action",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("review_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("owner_ref", sa.String(100), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("reasons", ARRAY(sa.Text()), nullable=False),
        sa.Column("action_id", sa.Uuid(), nullable=True),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("agreed_action", schema=S)
    op.drop_column("action", "meeting_id", schema=S)
