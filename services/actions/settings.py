"""The actions service's own settings, read once from the environment (CASEREV_ACTIONS_...)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ActionsSettings(BaseSettings):
    """How often the service looks for actions that fell due or overdue."""

    model_config = SettingsConfigDict(env_prefix="CASEREV_ACTIONS_", extra="ignore", env_ignore_empty=True)

    announce_interval_s: float = 60


@lru_cache
def actions_settings() -> ActionsSettings:
    """The settings, read once."""
    return ActionsSettings()
