"""The reports service's own settings, read once from the environment (CASEREV_REPORTS_...)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReportsSettings(BaseSettings):
    """When a section's appended updates are compacted into a new snapshot; where the PDFs' fonts are."""

    model_config = SettingsConfigDict(env_prefix="CASEREV_REPORTS_", extra="ignore", env_ignore_empty=True)

    # A section is compacted once this many updates have gathered since its snapshot: loading reads the
    # snapshot and at most about this many rows.
    compact_after: int = Field(default=100, ge=1)
    # The folder of the Unicode TrueType fonts the PDFs are drawn with (services/reports/fonts.py): where
    # Debian's fonts-dejavu-core puts them.
    pdf_font_dir: str = "/usr/share/fonts/truetype/dejavu"


@lru_cache
def reports_settings() -> ReportsSettings:
    """The settings, read once."""
    return ReportsSettings()
