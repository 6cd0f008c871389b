"""Restate every review's type and stage as a `forms.review_restated` event, once.

Analytics used to count only openings; it now keeps each review's stage from the opening and
stage-change events. The reviews opened before that are restated here, in forms' own outbox, so the
relay publishes them when the services start (the queues are declared by `caserev migrate` first).
A review with no events since restating is exactly where this says; later stage changes win over it.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

from services.forms.contract import ReviewRestated
from services.kernel.db import messaging_table, schema_metadata
from services.kernel.events import Envelope
from services.kernel.outbox import add_to_outbox

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    outbox = messaging_table(schema_metadata("forms"), "outbox")
    reviews = connection.execute(
        sa.text("SELECT id, partnership_id, review_type, stage FROM forms.review ORDER BY opened_at")
    )
    for review_id, partnership_id, review_type, stage in reviews.fetchall():
        restated = ReviewRestated(review_id=review_id, review_type=review_type, stage=stage)
        add_to_outbox(
            connection, outbox, Envelope.wrap(restated, partnership_id=partnership_id, review_id=review_id)
        )


def downgrade() -> None:
    """Nothing to undo: the events were facts when they were published."""
