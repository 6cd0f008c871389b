"""Where each action of a review's plan stands (a state code, from the actions service's events).

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_state",
        sa.Column("action_id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_table("action_state", schema="analytics")
