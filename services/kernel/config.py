"""Configuration from environment variables, with defaults for a local machine (twelve-factor).

`Settings` is what every process reads the same way: the database, the broker, the outbox and inbox, the
environment and the caller's seal. Each kind of process adds only its own, in a subclass read by its own
cached reader: the gateway `gateway_settings()`, the forms service `forms_settings()`, the notifications
service `notification_settings()`; the other services read `get_settings()`. The operator's command, which
runs every part, reads `operator_settings()`. Every variable is listed in docs/operations.md.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE_NAMES = ("forms", "meetings", "actions", "notifications", "analytics", "chronology", "reports")
GATEWAY_SCHEMAS = ("identity", "audit")


class Settings(BaseSettings):
    """What every process (each service, the gateway, the operator's command) reads the same way."""

    model_config = SettingsConfigDict(env_prefix="CASEREV_", extra="ignore", env_ignore_empty=True)

    db_host: str = "127.0.0.1"
    db_port: int = 5432
    db_name: str = "caserev"
    # Superuser connection used only by bootstrap (schemas, roles) and operator commands.
    db_admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    # One login role per schema: <prefix>_<schema>. The password is empty under local trust auth.
    db_role_prefix: str = "caserev"
    db_password: str = ""
    db_pool_size: int = 10
    # A pooled connection is replaced after this many seconds (before a firewall or proxy drops it idle);
    # a dropped one is otherwise found by its first statement and replaced then (db.py).
    db_pool_recycle_s: int = 1800

    amqp_uri: str = Field(default="amqp://guest:guest@127.0.0.1:5672/", validation_alias="AMQP_URI")
    quorum_queues: bool = True
    event_max_attempts: int = 5
    event_retry_base_ms: int = 200
    # Failures of the database or broker (not of the message) retry on their own budget, each wait at most
    # event_retry_max_ms: 40 attempts are some 15 minutes, beyond any restart.
    event_max_transient_attempts: int = 40
    event_retry_max_ms: int = 30_000
    # A batched event handler (services/kernel/event_batches.py) applies up to event_batch_size messages
    # already delivered in one transaction; its consumers may hold event_batch_prefetch unacknowledged.
    event_batch_size: int = 50
    event_batch_prefetch: int = 200

    outbox_batch: int = 200
    outbox_sweep_s: float = 2.0
    # Published events are kept a week for operators; inbox ids a month, far beyond any redelivery.
    outbox_keep_days: int = 7
    inbox_keep_days: int = 30
    # A command's idempotency key and its answer: a client retries for minutes, so two days is ample.
    idempotency_keep_days: int = 2
    prune_every_s: float = 3600.0

    # "local" (a developer's machine: plain HTTP, generated keys) or anything else (production rules).
    environment: str = "local"
    # Every RPC carries its caller sealed by the gateway (services/kernel/caller_seal.py): the gateway and the
    # operator's tools hold the signing key, services only the verify key (or, locally, both come from the
    # generated key file; a service given only the signing key checks with its public half). A seal is good
    # for caller_seal_seconds.
    caller_signing_key: str = ""
    caller_verify_key: str = ""
    caller_signing_key_file: str = "var/caller-signing.key"
    caller_seal_seconds: int = 120

    def role(self, schema: str) -> str:
        """The database login role that owns a schema."""
        return f"{self.db_role_prefix}_{schema}"

    def writer_role(self, schema: str) -> str:
        """A login role that may append to a schema's tables but does not own them (the audit log's)."""
        return f"{self.role(schema)}_writer"

    def schema_url(self, schema: str, role: str | None = None) -> str:
        """SQLAlchemy URL connecting as the schema's own role (or the role given)."""
        password = f":{self.db_password}" if self.db_password else ""
        login = role or self.role(schema)
        return f"postgresql+psycopg2://{login}{password}@{self.db_host}:{self.db_port}/{self.db_name}"


class AccountLinkSettings(Settings):
    """Where people reach the system and how long account links last: the gateway makes and honours the
    links, the notifications service writes them into e-mail and says how long they last."""

    public_url: str = "http://127.0.0.1:8000"
    invitation_days: int = 7
    password_reset_minutes: int = 60


class GatewaySettings(AccountLinkSettings):
    """The gateway's own: its master key, sessions and cookies, sign-in, the edge, its RPC client, the demo
    pages and the event catalogue it serves."""

    # The gateway's master key (urlsafe base64 of 32 bytes): TOTP secrets at rest, CSRF tokens. Locally it is
    # generated into identity_key_file; elsewhere it must be given.
    identity_key: str = ""
    identity_key_file: str = "var/identity.key"
    rpc_timeout_s: float = 10.0
    # Sessions: idle and absolute time-outs, and the warning shown before the idle one.
    session_idle_minutes: int = 20
    session_absolute_hours: int = 8
    session_warning_seconds: int = 120
    # How long this process may answer a request from a session it looked up already (0: every request looks
    # it up). Any write to identity in this process (sign-out, roles, memberships) forgets every one at once;
    # a session ended by another process is refused here at most this long after (docs/performance.md).
    session_cache_seconds: float = 2.0
    # Cookies are Secure and named __Host-...; only local development over plain HTTP goes without (unset:
    # decided from environment and public_url).
    secure_cookies: bool | None = None
    # Sign-in throttling: failures allowed per account and per address within the window, and the pause.
    signin_account_failures: int = 5
    signin_address_failures: int = 20
    signin_window_minutes: int = 15
    signin_lockout_minutes: int = 15
    api_token_minutes: int = 15
    # Pages that only make sense locally (the caught e-mail, invitation links included): unset, they are on
    # only where environment is local. The caught e-mail is the local SMTP catcher's maildir.
    demo_pages: bool | None = None
    maildir: str = "var/mail"
    max_body_bytes: int = 2_000_000
    # A chronology upload's body: the file (CASEREV_CHRONOLOGY_MAX_UPLOAD_BYTES, 20 MB) and its form.
    max_upload_body_bytes: int = 21_500_000
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For and -Proto the gateway believes.
    forwarded_allow_ips: str = Field(default="127.0.0.1", validation_alias="FORWARDED_ALLOW_IPS")
    # The event catalogue the gateway publishes beside /openapi.json (generated by `make docs`).
    asyncapi_path: str = "docs/asyncapi.json"

    @property
    def serves_demo_pages(self) -> bool:
        """The caught-mail page shows sign-in links: only on a local machine unless explicitly asked for."""
        return self.demo_pages if self.demo_pages is not None else self.environment == "local"

    @property
    def cookies_secure(self) -> bool:
        """Secure cookies everywhere but a local machine served over plain HTTP."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.environment != "local" or self.public_url.startswith("https://")


class FormsSettings(Settings):
    """The forms service's own."""

    # A directory of the deployment's own review types (*.yml), beside those shipped in
    # services/forms/review_types; empty for none.
    review_types_dir: str = ""


class NotificationSettings(AccountLinkSettings):
    """The notifications service's own: where it sends e-mail, its rules and its timers."""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "Case Review <no-reply@caserev.localhost>"
    # The rules file (empty: the one shipped in services/notifications/rules.yml), how often the scheduler
    # looks for due reminders, the hour (Europe/London) of the daily digest, and how long an e-mail may stay
    # "sending" before a stopped sender is assumed (it is then marked uncertain, not resent).
    notification_rules: str = ""
    schedule_interval_s: float = 30.0
    digest_hour: int = 7
    sending_lease_s: float = 120.0


class OperatorSettings(GatewaySettings, FormsSettings, NotificationSettings):
    """The operator's command (caserev), which migrates, seeds and runs every part: all of the above."""

    # The demo's generated password and second-factor secrets (local only; `caserev demo-code` reads it).
    demo_credentials_file: str = "var/demo-credentials.json"
    # The demo's synthetic England for the analysts (caserev/demo.py): smaller than the real ~150 partnerships
    # so that it loads quickly; test systems make it smaller still.
    demo_national_years: int = Field(default=2, ge=1, le=10)
    demo_national_partnerships: int = Field(default=30, ge=9, le=200)


@lru_cache
def get_settings() -> Settings:
    """The settings every process shares, read once from the environment."""
    return Settings()


@lru_cache
def gateway_settings() -> GatewaySettings:
    """The gateway process's settings, read once from the environment."""
    return GatewaySettings()


@lru_cache
def forms_settings() -> FormsSettings:
    """The forms service's settings, read once from the environment."""
    return FormsSettings()


@lru_cache
def notification_settings() -> NotificationSettings:
    """The notifications service's settings, read once from the environment."""
    return NotificationSettings()


@lru_cache
def operator_settings() -> OperatorSettings:
    """The operator command's settings (every part's), read once from the environment."""
    return OperatorSettings()


def reset_settings() -> None:
    """Forget every cached reading of the settings (tests change the environment)."""
    for reader in (get_settings, gateway_settings, forms_settings, notification_settings, operator_settings):
        reader.cache_clear()


def metrics_port(service: str) -> int:
    """The Prometheus port of a service process: METRICS_PORT, or the service's default."""
    defaults = {name: 9101 + index for index, name in enumerate(SERVICE_NAMES)}
    return int(os.environ.get("METRICS_PORT", defaults.get(service, 9100)))
