"""Where each schema's migrations live and which service classes run: the operator's map of the system."""

from __future__ import annotations

import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# schema -> migrations folder (the gateway owns identity and audit)
MIGRATIONS = {
    "forms": ROOT / "services/forms/migrations",
    "meetings": ROOT / "services/meetings/migrations",
    "actions": ROOT / "services/actions/migrations",
    "notifications": ROOT / "services/notifications/migrations",
    "analytics": ROOT / "services/analytics/migrations",
    "chronology": ROOT / "services/chronology/migrations",
    "reports": ROOT / "services/reports/migrations",
    "identity": ROOT / "gateway/migrations/identity",
    "audit": ROOT / "gateway/migrations/audit",
}

# PostgreSQL extensions a schema's queries use, created in that schema by `caserev migrate` as administrator:
# the chronology finds likely duplicates by text similarity (pg_trgm).
EXTENSIONS = {"chronology": ("pg_trgm",)}

# Event sources that are not services: the gateway publishes people and agencies from its identity outbox
# (gateway/identity_events.py) on exchange `identity.events`.
GATEWAY_EVENT_SOURCES = ("identity",)

SERVICE_MODULES = {
    "forms": "services.forms.service:FormsService",
    "meetings": "services.meetings.service:MeetingsService",
    "actions": "services.actions.service:ActionsService",
    "notifications": "services.notifications.service:NotificationsService",
    "analytics": "services.analytics.service:AnalyticsService",
    "chronology": "services.chronology.service:ChronologyService",
    "reports": "services.reports.service:ReportsService",
}


def service_classes() -> list[type]:
    """Every nameko service class, imported by path (the operator's tool stands outside the services)."""
    classes = []
    for target in SERVICE_MODULES.values():
        module, _, name = target.partition(":")
        classes.append(getattr(importlib.import_module(module), name))
    return classes
