"""Agencies, users and their roles, review memberships, second factors, sessions, sign-in links, throttling,
API clients and the GDPR registers.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "identity"


def _now() -> sa.sql.elements.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.add_column("partnership", sa.Column("region", sa.String(60)), schema=SCHEMA)
    op.create_table(
        "agency",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), sa.ForeignKey("identity.partnership.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("agency_type", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.UniqueConstraint("partnership_id", "name"),
        schema=SCHEMA,
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), sa.ForeignKey("identity.partnership.id")),
        sa.Column("agency_id", sa.Uuid(), sa.ForeignKey("identity.agency.id")),
        # A regional analyst's region (the partnerships whose aggregates they see).
        sa.Column("region", sa.String(60)),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.Text()),
        sa.Column("password_changed_at", sa.DateTime(timezone=True)),
        # The TOTP secret, encrypted with the gateway's key (AES-GCM bound to the user id).
        sa.Column("totp_secret", sa.Text()),
        sa.Column("totp_enrolled_at", sa.DateTime(timezone=True)),
        # The last 30-second step accepted: a step is accepted at most once (replay protection).
        sa.Column("totp_last_step", sa.BigInteger()),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("created_by", sa.String(80)),
        sa.Column("deactivated_at", sa.DateTime(timezone=True)),
        sa.Column("last_signed_in_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "user_account_email", "user_account", [sa.text("lower(email)")], unique=True, schema=SCHEMA
    )
    op.create_table(
        "user_role",
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("identity.user_account.id"), primary_key=True),
        sa.Column("role", sa.String(40), primary_key=True),
        schema=SCHEMA,
    )
    op.create_table(
        "review_membership",
        sa.Column("review_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("identity.user_account.id"), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), sa.ForeignKey("identity.partnership.id"), nullable=False),
        sa.Column("part", sa.String(40), nullable=False),
        sa.Column("added_by", sa.String(80), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        schema=SCHEMA,
    )
    op.create_index("review_membership_user", "review_membership", ["user_id"], schema=SCHEMA)
    op.create_table(
        "recovery_code",
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("identity.user_account.id"), primary_key=True),
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "session",
        # Only the SHA-256 of the cookie's value is stored: a copy of this table signs nobody in.
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("identity.user_account.id"), nullable=False),
        # "enrol": password proven through a sign-in link, second factor not yet set up; "full": signed in.
        sa.Column("stage", sa.String(10), nullable=False),
        sa.Column("link_hash", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index("session_user", "session", ["user_id"], schema=SCHEMA)
    op.create_table(
        "account_link",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("identity.user_account.id"), nullable=False),
        # invitation | second_factor_reset | password_reset
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "signin_failure",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        # SHA-256 of the lower-cased e-mail typed (whether or not such an account exists).
        sa.Column("account_key", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("signin_failure_account", "signin_failure", ["account_key", "at"], schema=SCHEMA)
    op.create_index("signin_failure_address", "signin_failure", ["address", "at"], schema=SCHEMA)
    op.create_table(
        "api_client",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("client_id", sa.String(40), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("partnership_id", sa.Uuid(), sa.ForeignKey("identity.partnership.id"), nullable=False),
        sa.Column("agency_id", sa.Uuid(), sa.ForeignKey("identity.agency.id"), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "api_token",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("api_client_id", sa.Uuid(), sa.ForeignKey("identity.api_client.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "subject_access_request",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("partnership_id", sa.Uuid(), sa.ForeignKey("identity.partnership.id"), nullable=False),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("subject_email", sa.String(254)),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date()),
        sa.Column("logged_by", sa.String(80), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("partnership_id", "reference"),
        schema=SCHEMA,
    )
    op.create_table(
        "retention_period",
        sa.Column("partnership_id", sa.Uuid(), sa.ForeignKey("identity.partnership.id"), primary_key=True),
        sa.Column("record_type", sa.String(40), primary_key=True),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in (
        "retention_period",
        "subject_access_request",
        "api_token",
        "api_client",
        "signin_failure",
        "account_link",
        "session",
        "recovery_code",
        "review_membership",
        "user_role",
        "user_account",
        "agency",
    ):
        op.drop_table(table, schema=SCHEMA)
    op.drop_column("partnership", "region", schema=SCHEMA)
