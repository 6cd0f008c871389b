"""Reviews shared with other partnerships; reviews found by who opened them (data protection searches).

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_share",
        sa.Column("review_id", sa.Uuid(), sa.ForeignKey("forms.review.id"), primary_key=True),
        sa.Column("shared_with_partnership_id", sa.Uuid(), primary_key=True),
        sa.Column("shared_by", sa.String(100), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        schema="forms",
    )
    op.create_index(
        "ix_review_share_shared_with_partnership_id",
        "review_share",
        ["shared_with_partnership_id"],
        schema="forms",
    )
    op.create_index("ix_review_share_shared_by", "review_share", ["shared_by"], schema="forms")
    op.create_index("ix_review_opened_by", "review", ["opened_by"], schema="forms")


def downgrade() -> None:
    op.drop_index("ix_review_opened_by", "review", schema="forms")
    op.drop_table("review_share", schema="forms")
