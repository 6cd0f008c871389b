"""Each session gets a public handle (to end it from another device) and a short device description.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "identity"


def upgrade() -> None:
    # The handle names a session in a page or a form; unlike the cookie's hash it is nothing to guess from.
    # Sessions started before this have none and can be ended only by "sign out everywhere".
    op.add_column("session", sa.Column("handle", sa.Uuid()), schema=SCHEMA)
    op.create_index("session_handle", "session", ["handle"], unique=True, schema=SCHEMA)
    # "Firefox on Windows": the browser and system only, never the whole User-Agent string.
    op.add_column("session", sa.Column("device", sa.String(60)), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("session", "device", schema=SCHEMA)
    op.drop_index("session_handle", "session", schema=SCHEMA)
    op.drop_column("session", "handle", schema=SCHEMA)
