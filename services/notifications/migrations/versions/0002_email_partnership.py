"""E-mail remembers its partnership, and a contact when it was set, for data protection searches.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "notifications"


def upgrade() -> None:
    op.add_column("email", sa.Column("partnership_id", sa.Uuid(), nullable=True), schema=S)
    # E-mail sent so far went with an in-app notification, which knows its partnership.
    op.execute(
        "UPDATE notifications.email AS e SET partnership_id = n.partnership_id"
        " FROM notifications.notification AS n WHERE e.notification_id = n.id"
    )
    op.create_index("ix_email_partnership_id", "email", ["partnership_id"], schema=S)
    op.add_column("contact", sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True), schema=S)


def downgrade() -> None:
    op.drop_column("contact", "recorded_at", schema=S)
    op.drop_index("ix_email_partnership_id", "email", schema=S)
    op.drop_column("email", "partnership_id", schema=S)
