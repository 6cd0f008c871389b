"""Operator tasks: bringing the database and broker to the current version, and looking at outboxes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kombu import Connection
from sqlalchemy import text

from caserev.topology import EXTENSIONS, GATEWAY_EVENT_SOURCES, MIGRATIONS, service_classes
from services.kernel import bootstrap, migrations
from services.kernel.config import SERVICE_NAMES, Settings
from services.kernel.db import create_schema_engine
from services.kernel.handler_queues import declare_service_topology

log = logging.getLogger(__name__)


def migrate(settings: Settings, *, declare_broker: bool = True) -> None:
    """Database, schemas and roles; every schema's migrations as its own role; the broker's queues."""
    bootstrap.create_database(settings)
    bootstrap.create_schemas(settings, MIGRATIONS)
    bootstrap.create_extensions(settings, EXTENSIONS)
    # The gateway appends to the audit log as a role that does not own it.
    bootstrap.create_writer_role(settings, "audit")
    for schema, folder in MIGRATIONS.items():
        if (folder / "env.py").exists():
            migrations.upgrade(folder, settings.schema_url(schema))
    if declare_broker:
        with Connection(settings.amqp_uri, connect_timeout=10) as connection:
            declared = declare_service_topology(connection, service_classes(), GATEWAY_EVENT_SOURCES)
        log.info("declared %d queues", len(declared))


@dataclass
class OutboxStatus:
    """One service's outbox (or the gateway's identity outbox)."""

    service: str
    unpublished: int
    oldest_age_s: float
    published: int


def outbox_status(settings: Settings) -> list[OutboxStatus]:
    """Each service's outbox and the gateway's: what waits, how long the oldest has waited, what went out."""
    rows = []
    for service in (*SERVICE_NAMES, *GATEWAY_EVENT_SOURCES):
        engine = create_schema_engine(service, settings, pool_size=1)
        try:
            with engine.connect() as connection:
                unpublished, oldest, published = connection.execute(
                    text(
                        "SELECT count(*) FILTER (WHERE published_at IS NULL),"
                        " coalesce(extract(epoch FROM now()"
                        " - min(created_at) FILTER (WHERE published_at IS NULL)), 0),"
                        " count(*) FILTER (WHERE published_at IS NOT NULL) FROM outbox"
                    )
                ).one()
            rows.append(OutboxStatus(service, int(unpublished), float(oldest), int(published)))
        finally:
            engine.dispose()
    return rows
