"""What else identifies a person in the register: address, postcode, school, NHS number, case record numbers
(a report's publication copy is checked for each).

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SCHEMA = "chronology"


def upgrade() -> None:
    op.add_column("person", sa.Column("address", sa.String(300), nullable=True), schema=SCHEMA)
    op.add_column("person", sa.Column("postcode", sa.String(10), nullable=True), schema=SCHEMA)
    op.add_column("person", sa.Column("school", sa.String(200), nullable=True), schema=SCHEMA)
    op.add_column("person", sa.Column("nhs_number", sa.String(12), nullable=True), schema=SCHEMA)
    op.add_column(
        "person",
        sa.Column("record_numbers", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for column in ("record_numbers", "nhs_number", "school", "postcode", "address"):
        op.drop_column("person", column, schema=SCHEMA)
