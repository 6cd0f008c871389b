"""The actions service's own settings, read once from the environment (CASEREV_ACTIONS_...)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.actions.contract import MAX_EVIDENCE_BYTES


class ActionsSettings(BaseSettings):
    """How often the service looks for actions that fell due or overdue."""

    model_config = SettingsConfigDict(env_prefix="CASEREV_ACTIONS_", extra="ignore", env_ignore_empty=True)

    announce_interval_s: float = 60
    # The largest file of evidence accepted (the kernel's checker refuses anything bigger, naming the limit);
    # the gateway refuses above the contract's figure before the bytes travel.
    max_evidence_bytes: int = MAX_EVIDENCE_BYTES


@lru_cache
def actions_settings() -> ActionsSettings:
    """The settings, read once."""
    return ActionsSettings()
