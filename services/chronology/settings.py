"""The chronology service's own settings, read once from the environment (CASEREV_CHRONOLOGY_...)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChronologySettings(BaseSettings):
    """Limits of an upload, and how long an unfinished one is kept."""

    model_config = SettingsConfigDict(env_prefix="CASEREV_CHRONOLOGY_", extra="ignore", env_ignore_empty=True)

    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    max_upload_rows: int = Field(default=100_000, ge=1)
    # An upload whose checker stopped sending for this long is abandoned (the gateway went away mid-check).
    checking_idle_s: float = 600
    # A checked upload nobody imported is dropped after a week.
    ready_idle_s: float = 7 * 24 * 3600
    sweep_interval_s: float = 60
    # The broker's management API, through which agencies' systems get users of their own.
    broker_management_url: str = "http://127.0.0.1:15672"
    # The broker's address as agencies' systems reach it (shown with their credentials); by default the
    # service's own.
    agency_amqp_host: str | None = None
    agency_amqp_port: int | None = None


@lru_cache
def chronology_settings() -> ChronologySettings:
    """The settings, read once."""
    return ChronologySettings()
