"""The deployment's rule book, read once when the process starts, and the report of rules not active."""

from __future__ import annotations

import logging
from pathlib import Path

from nameko.extensions import DependencyProvider

from services.kernel.config import notification_settings
from services.notifications.rules import RuleBook, load_rules

log = logging.getLogger(__name__)


def rule_book() -> RuleBook:
    """The deployment's rules (CASEREV_NOTIFICATION_RULES, else the shipped file)."""
    configured = notification_settings().notification_rules
    return load_rules(Path(configured) if configured else None)


RULES = rule_book()


class RulesReport(DependencyProvider):
    """Says, when the service starts, which rules are not active and why (the settings page says it too)."""

    def setup(self) -> None:
        for problem in RULES.problems:
            log.warning("notification rule not active: %s", problem)
