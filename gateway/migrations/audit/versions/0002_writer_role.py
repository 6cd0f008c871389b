"""The gateway writes the audit log as `<prefix>_audit_writer`, which does not own it: it may append
entries, move the head and read, and nothing else (no UPDATE or DELETE of entries, no ALTER, so no
disabling the triggers). `caserev migrate` creates the role before migrating.

Revision ID: 0002
"""

from alembic import op

from services.kernel.config import get_settings

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _writer() -> str:
    return '"' + get_settings().writer_role("audit").replace('"', '""') + '"'


def upgrade() -> None:
    writer = _writer()
    op.execute(f"GRANT SELECT, INSERT ON audit.audit_entry TO {writer}")
    op.execute(f"GRANT SELECT, UPDATE ON audit.audit_head TO {writer}")


def downgrade() -> None:
    writer = _writer()
    op.execute(f"REVOKE ALL ON audit.audit_entry FROM {writer}")
    op.execute(f"REVOKE ALL ON audit.audit_head FROM {writer}")
