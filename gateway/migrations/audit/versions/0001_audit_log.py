"""The audit log: append-only, hash-chained entries and the head that records the latest one.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "audit"
GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        # GENERATED ALWAYS: the database numbers entries; the application cannot choose a seq.
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("partnership_id", sa.Uuid()),
        sa.Column("review_id", sa.Uuid()),
        sa.Column("record_type", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Text()),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("address", sa.Text()),
        sa.Column("request_id", sa.Text()),
        sa.Column("prev_hash", sa.CHAR(64), nullable=False),
        sa.Column("entry_hash", sa.CHAR(64), nullable=False),
        sa.CheckConstraint("outcome IN ('allowed', 'denied', 'failed')", name="audit_entry_outcome"),
        sa.UniqueConstraint("entry_hash", name="audit_entry_entry_hash"),
        # One successor per entry: even a writer that skipped the advisory lock cannot fork the chain.
        sa.UniqueConstraint("prev_hash", name="audit_entry_prev_hash"),
        schema=SCHEMA,
    )
    op.create_index(
        "audit_entry_review", "audit_entry", ["partnership_id", "review_id", "seq"], schema=SCHEMA
    )
    op.create_index("audit_entry_user", "audit_entry", ["partnership_id", "user_id", "seq"], schema=SCHEMA)
    op.create_table(
        "audit_head",
        sa.Column("id", sa.SmallInteger(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.CHAR(64), nullable=False),
        sa.CheckConstraint("id = 1", name="audit_head_single_row"),
        schema=SCHEMA,
    )
    # seq 0 and the genesis hash: the head of an empty log, so removing every entry is detected too.
    op.execute(f"INSERT INTO audit.audit_head (id, seq, entry_hash) VALUES (1, 0, '{GENESIS_HASH}')")

    op.execute(
        """
        CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP;
        END
        $$
        """
    )
    # Statement-level, so even an UPDATE or DELETE that matches no row is refused.
    op.execute(
        """
        CREATE TRIGGER audit_entry_append_only
        BEFORE UPDATE OR DELETE OR TRUNCATE ON audit.audit_entry
        FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_head_kept
        BEFORE DELETE OR TRUNCATE ON audit.audit_head
        FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()
        """
    )
    # The head only moves forward, and only to an entry that exists: it cannot be wound back to hide
    # the removal of the newest entries.
    op.execute(
        """
        CREATE FUNCTION audit.check_head_moves_forward() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.id <> OLD.id OR NEW.seq <= OLD.seq OR NOT EXISTS (
                SELECT 1 FROM audit.audit_entry WHERE seq = NEW.seq AND entry_hash = NEW.entry_hash
            ) THEN
                RAISE EXCEPTION 'audit.audit_head may only move forward to an existing entry';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_head_moves_forward
        BEFORE UPDATE ON audit.audit_head
        FOR EACH ROW EXECUTE FUNCTION audit.check_head_moves_forward()
        """
    )


def downgrade() -> None:
    # Dropping a table drops its triggers (and fires none of them).
    op.drop_table("audit_head", schema=SCHEMA)
    op.drop_table("audit_entry", schema=SCHEMA)
    op.execute("DROP FUNCTION audit.check_head_moves_forward()")
    op.execute("DROP FUNCTION audit.refuse_change()")
