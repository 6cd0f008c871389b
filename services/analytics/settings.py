"""The analytics service's own settings, read once from the environment (CASEREV_ANALYTICS_...)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.analytics.contract import SUPPRESSION_THRESHOLD


class AnalyticsSettings(BaseSettings):
    """Small-number suppression, and how often open dashboards are told that figures changed."""

    model_config = SettingsConfigDict(env_prefix="CASEREV_ANALYTICS_", extra="ignore", env_ignore_empty=True)

    # Below this a count is hidden from regional and national analysts ("fewer than N").
    suppression_threshold: int = Field(default=SUPPRESSION_THRESHOLD, ge=2, le=100)
    # analytics.figures_changed is published at most once per this many seconds (per process).
    figures_changed_interval_s: float = Field(default=1.0, gt=0)
    # Events read from the store per batch while a projection is rebuilt.
    rebuild_batch: int = Field(default=2000, ge=1, le=100_000)


@lru_cache
def analytics_settings() -> AnalyticsSettings:
    """The settings, read once."""
    return AnalyticsSettings()
