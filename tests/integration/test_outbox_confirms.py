"""The relay publishes a batch and waits for its confirms together, on the real broker and database: it
marks published only what the broker confirmed. An event the broker refuses (a nack), or a batch whose
confirms do not arrive, stays unpublished for the next pass, and the next pass publishes it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from kombu import Connection, Queue
from kombu.exceptions import OperationalError
from psycopg2.extras import Json

from services.kernel.broker import ConfirmedPublisher, Unconfirmed, event_exchange
from services.kernel.config import Settings
from services.kernel.db import create_schema_engine, schema_metadata
from services.kernel.outbox import EventsRefused, OutboxRelay
from tests.integration.reliability_harness import review_opened
from tests.support.infra import database_dsn, isolated_database, isolated_vhost
from tests.support.system import SystemEnv, caserev, system_env

ROUTING_KEY = "review_opened"


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[SystemEnv]:
    """A migrated database and an empty virtual host of the machine's broker."""
    with isolated_database() as db_name, isolated_vhost() as amqp_uri:
        system = system_env(db_name, amqp_uri, tmp_path)
        caserev(system, "migrate", "--skip-broker")
        yield system


def _bind_queue(amqp_uri: str, **arguments: object) -> Queue:
    """A queue bound to forms' review_opened events; returns it declared."""
    queue = Queue(
        f"test-confirms-{uuid.uuid4().hex[:8]}",
        exchange=event_exchange("forms"),
        routing_key=ROUTING_KEY,
        durable=True,
        queue_arguments=arguments,
    )
    with Connection(amqp_uri, connect_timeout=10) as connection:
        queue.bind(connection.default_channel).declare()
    return queue


def _write_events(system: SystemEnv, count: int) -> list[str]:
    """Commit `count` review_opened events to forms' outbox; their event ids in id order."""
    envelopes = [review_opened(uuid.uuid4()) for _ in range(count)]
    with psycopg2.connect(database_dsn(system.db_name)) as connection, connection.cursor() as cursor:
        for envelope in envelopes:
            cursor.execute(
                "INSERT INTO forms.outbox (event_id, event_type, envelope) VALUES (%s, %s, %s)",
                (envelope["event_id"], envelope["type"], Json(envelope)),
            )
    return [envelope["event_id"] for envelope in envelopes]


def _published(system: SystemEnv) -> dict[str, bool]:
    with psycopg2.connect(database_dsn(system.db_name)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT event_id::text, published_at IS NOT NULL FROM forms.outbox ORDER BY id")
        return dict(cursor.fetchall())


def _queued(amqp_uri: str, queue: Queue) -> list[str]:
    """The event ids waiting in the queue, in order (taken off it)."""
    ids = []
    with Connection(amqp_uri, connect_timeout=10) as connection:
        bound = queue.bind(connection.default_channel)
        while (message := bound.get(no_ack=True)) is not None:
            ids.append(message.payload["event_id"])
    return ids


def _relay(system: SystemEnv, publisher: ConfirmedPublisher) -> OutboxRelay:
    engine = create_schema_engine("forms", Settings(db_name=system.db_name), pool_size=1)
    return OutboxRelay("forms", engine, schema_metadata("forms").tables["forms.outbox"], publisher, batch=50)


def test_relay_publishes_a_batch_and_marks_every_confirmed_event(migrated) -> None:
    queue = _bind_queue(migrated.amqp_uri)
    event_ids = _write_events(migrated, 120)
    publisher = ConfirmedPublisher(migrated.amqp_uri)
    relay = _relay(migrated, publisher)
    try:
        assert [relay.publish_pending() for _ in range(4)] == [50, 50, 20, 0]
    finally:
        publisher.close()
        relay.engine.dispose()
    assert all(_published(migrated).values())
    assert _queued(migrated.amqp_uri, queue) == event_ids, "every event once, in the outbox's order"


def test_events_the_broker_refuses_stay_unpublished_and_the_next_pass_publishes_them(migrated) -> None:
    # A full queue that rejects what would overflow it: the broker nacks those publishes.
    queue = _bind_queue(migrated.amqp_uri, **{"x-max-length": 2, "x-overflow": "reject-publish"})
    event_ids = _write_events(migrated, 5)
    publisher = ConfirmedPublisher(migrated.amqp_uri)
    relay = _relay(migrated, publisher)
    try:
        with pytest.raises(EventsRefused, match="refused 3 of 5"):
            relay.publish_pending()
        published = _published(migrated)
        assert [published[event_id] for event_id in event_ids] == [True, True, False, False, False], (
            "only the events whose confirm arrived may be marked published"
        )
        assert _queued(migrated.amqp_uri, queue) == event_ids[:2]

        # Room again: the next pass (the relay's sweep) publishes what was refused, and only that.
        with pytest.raises(EventsRefused, match="refused 1 of 3"):
            relay.publish_pending()
        assert _queued(migrated.amqp_uri, queue) == event_ids[2:4]
        assert relay.publish_pending() == 1
    finally:
        publisher.close()
        relay.engine.dispose()
    assert all(_published(migrated).values())
    assert _queued(migrated.amqp_uri, queue) == event_ids[4:]


def test_a_batch_whose_confirms_do_not_arrive_stays_unpublished(migrated) -> None:
    queue = _bind_queue(migrated.amqp_uri)
    event_ids = _write_events(migrated, 10)
    impatient = ConfirmedPublisher(migrated.amqp_uri, confirm_timeout=0)  # no confirm can arrive in time
    relay = _relay(migrated, impatient)
    try:
        with pytest.raises(Unconfirmed):
            relay.publish_pending()
        assert not any(_published(migrated).values()), "no event may be marked without its confirm"

        # The sweep publishes the batch again; consumers' inboxes absorb the copies the broker did take.
        relay.publisher = ConfirmedPublisher(migrated.amqp_uri)
        assert relay.publish_pending() == 10
        relay.publisher.close()
    finally:
        impatient.close()
        relay.engine.dispose()
    assert all(_published(migrated).values())
    queued = _queued(migrated.amqp_uri, queue)
    assert set(queued) == set(event_ids) and queued[-10:] == event_ids


def test_a_batch_cut_off_by_a_lost_connection_stays_unpublished(migrated) -> None:
    _bind_queue(migrated.amqp_uri)
    _write_events(migrated, 10)
    publisher = ConfirmedPublisher("amqp://guest:guest@127.0.0.1:1/")  # no broker there
    relay = _relay(migrated, publisher)
    try:
        with pytest.raises((OSError, OperationalError)):
            relay.publish_pending()
    finally:
        relay.engine.dispose()
    assert not any(_published(migrated).values())
