"""The gateway's identity events: people and agencies, published through the identity schema's own outbox.

The notifications service writes to people; it keeps its own copy of whom to write to from these events
(gateway/contract.py: PersonChanged, AgencyChanged) and never reads schema `identity`. Every
change to an account or an agency (gateway/identity.py) writes its event in the change's own transaction;
a relay in each gateway process publishes them on exchange `identity.events`, as the services' relays do.

Events carry e-mail addresses and names, so that the notifications service can write to people: log ids
and counts only, never an event's data.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

from prometheus_client import REGISTRY
from sqlalchemy import Connection, Engine, MetaData, text

from gateway.contract import AgencyChanged, PartnershipChanged, PersonChanged
from services.kernel.broker import ConfirmedPublisher
from services.kernel.config import Settings
from services.kernel.db import NAMING_CONVENTION, create_schema_engine, messaging_tables
from services.kernel.events import Envelope
from services.kernel.metrics import CallbackGauges
from services.kernel.outbox import OutboxRelay, add_to_outbox, outbox_backlog, prune

log = logging.getLogger(__name__)

SCHEMA = "identity"
# The label of the relay's metrics: the process that publishes.
PUBLISHER = "gateway"

# The same outbox as every service's; schema identity has no inbox, as the gateway handles no events.
OUTBOX, _, _ = messaging_tables(MetaData(schema=SCHEMA, naming_convention=NAMING_CONVENTION))


# -- writing events, in the caller's transaction ------------------------------------------------------------


def person_changed(connection: Connection, user_id: UUID, actor_id: str | None = None) -> Envelope:
    """Add the account's whole current state (as `connection` sees it) to the outbox, in its transaction."""
    row = connection.execute(
        text(
            "SELECT u.id, u.partnership_id, u.agency_id, u.display_name, u.email, u.active,"
            " COALESCE(ARRAY(SELECT role FROM user_role r WHERE r.user_id = u.id), '{}') AS roles"
            " FROM user_account u WHERE u.id = :id"
        ),
        {"id": user_id},
    ).first()
    if row is None:
        raise LookupError(f"no account {user_id}")
    payload = PersonChanged(
        user_id=row.id,
        partnership_id=row.partnership_id,
        agency_id=row.agency_id,
        display_name=row.display_name,
        email=row.email,
        roles=sorted(row.roles),
        active=row.active,
        changed_at=datetime.now(UTC),
    )
    envelope = Envelope.wrap(payload, partnership_id=row.partnership_id, actor_id=actor_id)
    add_to_outbox(connection, OUTBOX, envelope)
    return envelope


def agency_changed(connection: Connection, agency_id: UUID, actor_id: str | None = None) -> Envelope:
    """Add the agency's current name and type to the outbox, in `connection`'s transaction."""
    row = connection.execute(
        text("SELECT id, partnership_id, name, agency_type FROM agency WHERE id = :id"), {"id": agency_id}
    ).first()
    if row is None:
        raise LookupError(f"no agency {agency_id}")
    payload = AgencyChanged(
        agency_id=row.id,
        partnership_id=row.partnership_id,
        name=row.name,
        agency_type=row.agency_type,
        changed_at=datetime.now(UTC),
    )
    envelope = Envelope.wrap(payload, partnership_id=row.partnership_id, actor_id=actor_id)
    add_to_outbox(connection, OUTBOX, envelope)
    return envelope


def partnership_changed(
    connection: Connection, partnership_id: UUID, actor_id: str | None = None
) -> Envelope:
    """Add the partnership's current code, name and region to the outbox, in `connection`'s transaction."""
    row = connection.execute(
        text("SELECT id, code, name, region FROM partnership WHERE id = :id"), {"id": partnership_id}
    ).first()
    if row is None:
        raise LookupError(f"no partnership {partnership_id}")
    payload = PartnershipChanged(
        partnership_id=row.id, code=row.code, name=row.name, region=row.region, changed_at=datetime.now(UTC)
    )
    envelope = Envelope.wrap(payload, partnership_id=row.id, actor_id=actor_id)
    add_to_outbox(connection, OUTBOX, envelope)
    return envelope


# -- relaying them to the broker ----------------------------------------------------------------------------


def _relay(settings: Settings, engine: Engine, publisher: ConfirmedPublisher) -> OutboxRelay:
    return OutboxRelay(
        PUBLISHER,
        engine,
        OUTBOX,
        publisher,
        batch=settings.outbox_batch,
        sweep_seconds=settings.outbox_sweep_s,
        prune_every_seconds=settings.prune_every_s,
        prune_old=partial(
            prune,
            engine,
            OUTBOX,
            None,
            outbox_keep_days=settings.outbox_keep_days,
            inbox_keep_days=settings.inbox_keep_days,
        ),
    )


def publish_pending(settings: Settings) -> int:
    """Publish every identity event still waiting, once and now; return how many (the demo seeder's, so
    that people are on the bus before anything is sent to them)."""
    engine = create_schema_engine(SCHEMA, settings, pool_size=1)
    publisher = ConfirmedPublisher(settings.amqp_uri)
    relay = _relay(settings, engine, publisher)
    published = 0
    try:
        while True:
            count = relay.publish_pending()
            published += count
            if count < relay.batch:
                return published
    finally:
        publisher.close()
        engine.dispose()


@dataclass
class _Running:
    relay: OutboxRelay
    thread: threading.Thread
    engine: Engine
    gauges: CallbackGauges


_running: _Running | None = None
_running_lock = threading.Lock()


def start_relay(settings: Settings) -> OutboxRelay:
    """Relay the identity outbox from a daemon thread of this process until `stop_relay` (the gateway's
    lifespan). Several gateway processes may relay at once: each row is claimed by one of them."""
    global _running
    with _running_lock:
        if _running is not None:
            return _running.relay
        engine = create_schema_engine(SCHEMA, settings, pool_size=1)
        relay = _relay(settings, engine, ConfirmedPublisher(settings.amqp_uri))

        def read_backlog() -> list[tuple[tuple[str, str], float]]:
            count, age = outbox_backlog(engine, OUTBOX)
            return [((PUBLISHER, "events"), float(count)), ((PUBLISHER, "oldest_age_seconds"), age)]

        gauges = CallbackGauges(
            "caserev_outbox_backlog",
            "Unpublished outbox events and the age of the oldest",
            ["service", "measure"],
            read_backlog,
        )
        REGISTRY.register(gauges)
        thread = threading.Thread(target=relay.run, name="identity-outbox-relay", daemon=True)
        thread.start()
        relay.wake()  # what waited while no gateway ran goes out now, not at the first sweep
        _running = _Running(relay, thread, engine, gauges)
        return relay


def stop_relay(timeout: float = 10.0) -> None:
    """Let the relay finish its pass and stop; release its broker connection and database pool."""
    global _running
    with _running_lock:
        running, _running = _running, None
    if running is None:
        return
    REGISTRY.unregister(running.gauges)
    running.relay.stop()
    running.thread.join(timeout)
    if running.thread.is_alive():
        log.warning("identity outbox relay still busy after %.0fs; it ends with the process", timeout)
        return
    running.relay.publisher.close()
    running.engine.dispose()


def wake_relay() -> None:
    """Publish newly committed identity events now rather than at the next sweep (no-op without a relay)."""
    running = _running
    if running is not None:
        running.relay.wake()
