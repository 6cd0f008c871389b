"""Entries are made searchable and compared for likely duplicates after their import, not during it.

- `entry.search` is no longer generated on every insert (it cost 85% of a bulk load's rate): the service
  fills it when the entry settles, after its version's import or its system's message; until then it is
  NULL, and a partial index finds the few entries not settled yet.
- A likely duplicate's key is unique within its review, not across reviews: the same agency's records in two
  reviews are two pairs.
- The merged chronology asks which of a page's entries were confirmed as one event: partial indexes answer it
  without reading every flagged pair.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SCHEMA = "chronology"

SEARCHED = (
    "to_tsvector('english', coalesce(event, '') || ' ' || coalesce(action, '') || ' ' || "
    "coalesce(no_action_reason, '') || ' ' || practitioner_role || ' ' || source_record)"
)


def upgrade() -> None:
    op.drop_index("ix_entry_search", "entry", schema=SCHEMA)
    op.drop_column("entry", "search", schema=SCHEMA)
    op.add_column("entry", sa.Column("search", TSVECTOR()), schema=SCHEMA)
    op.execute(f"UPDATE {SCHEMA}.entry SET search = {SEARCHED}")
    op.create_index("ix_entry_search", "entry", ["search"], postgresql_using="gin", schema=SCHEMA)
    op.create_index(
        "ix_entry_unsettled",
        "entry",
        ["upload_id"],
        postgresql_where=sa.text("search IS NULL"),
        schema=SCHEMA,
    )

    op.drop_constraint("duplicate_pair_key_key", "duplicate", schema=SCHEMA)
    op.create_unique_constraint("uq_duplicate_pair", "duplicate", ["review_id", "pair_key"], schema=SCHEMA)
    for side in ("entry_a", "entry_b"):
        op.create_index(
            f"ix_duplicate_confirmed_{side}",
            "duplicate",
            [side],
            postgresql_where=sa.text("state = 'confirmed'"),
            schema=SCHEMA,
        )


def downgrade() -> None:
    for side in ("entry_a", "entry_b"):
        op.drop_index(f"ix_duplicate_confirmed_{side}", "duplicate", schema=SCHEMA)
    op.drop_constraint("uq_duplicate_pair", "duplicate", schema=SCHEMA)
    op.create_unique_constraint("duplicate_pair_key_key", "duplicate", ["pair_key"], schema=SCHEMA)

    op.drop_index("ix_entry_unsettled", "entry", schema=SCHEMA)
    op.drop_index("ix_entry_search", "entry", schema=SCHEMA)
    op.drop_column("entry", "search", schema=SCHEMA)
    op.add_column(
        "entry", sa.Column("search", TSVECTOR(), sa.Computed(SEARCHED, persisted=True)), schema=SCHEMA
    )
    op.create_index("ix_entry_search", "entry", ["search"], postgresql_using="gin", schema=SCHEMA)
