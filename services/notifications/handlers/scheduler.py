"""The scheduler's timer: reminders, chasers, escalations and digests that are due."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from services.kernel.config import notification_settings
from services.notifications import engine
from services.notifications.rule_book import RULES
from services.notifications.unit_of_work import Unit

log = logging.getLogger(__name__)


def run_schedule(unit: Unit) -> None:
    """One pass, in the unit's transaction, by one process at a time (the engine takes an advisory lock)."""
    settings = notification_settings()
    result = engine.run_schedule(
        unit.session, RULES, datetime.now(UTC), unit.emit, settings.public_url, settings.digest_hour
    )
    if result.reminders or result.digests:
        log.info("schedule pass: %d reminders, %d digests", result.reminders, result.digests)
