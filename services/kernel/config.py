"""Configuration from environment variables, with defaults for a local machine (twelve-factor)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE_NAMES = ("forms", "meetings", "actions", "notifications", "analytics")
GATEWAY_SCHEMAS = ("identity", "audit")


class Settings(BaseSettings):
    """Every setting the services, the gateway and the operator's command share."""

    model_config = SettingsConfigDict(env_prefix="CASEREV_", extra="ignore")

    db_host: str = "127.0.0.1"
    db_port: int = 5432
    db_name: str = "caserev"
    # Superuser connection used only by bootstrap (schemas, roles) and operator commands.
    db_admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    # One login role per schema: <prefix>_<schema>. The password is empty under local trust auth.
    db_role_prefix: str = "caserev"
    db_password: str = ""
    db_pool_size: int = 10

    amqp_uri: str = Field(default="amqp://guest:guest@127.0.0.1:5672/", validation_alias="AMQP_URI")
    quorum_queues: bool = True
    event_max_attempts: int = 5
    event_retry_base_ms: int = 200
    rpc_timeout_s: float = 10.0

    outbox_batch: int = 200
    outbox_sweep_s: float = 2.0

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "Case Review <no-reply@caserev.localhost>"
    maildir: str = "var/mail"

    public_url: str = "http://127.0.0.1:8000"
    # Pages that only make sense locally (the caught e-mail); off in production.
    demo_pages: bool = True
    max_body_bytes: int = 2_000_000

    def role(self, schema: str) -> str:
        """The database login role that owns a schema."""
        return f"{self.db_role_prefix}_{schema}"

    def schema_url(self, schema: str) -> str:
        """SQLAlchemy URL connecting as the schema's own role."""
        password = f":{self.db_password}" if self.db_password else ""
        return f"postgresql+psycopg2://{self.role(schema)}{password}@{self.db_host}:{self.db_port}/{self.db_name}"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()


def metrics_port(service: str) -> int:
    """The Prometheus port of a service process: METRICS_PORT, or the service's default."""
    defaults = {name: 9101 + index for index, name in enumerate(SERVICE_NAMES)}
    return int(os.environ.get("METRICS_PORT", defaults.get(service, 9100)))
