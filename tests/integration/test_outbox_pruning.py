"""Old published events, old inbox ids and old idempotency keys are pruned; an unpublished event never is."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from services.kernel.config import Settings
from services.kernel.db import create_schema_engine, schema_metadata
from services.kernel.outbox import prune
from tests.support.infra import database_dsn, isolated_database
from tests.support.system import SystemEnv, caserev, system_env


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[SystemEnv]:
    with isolated_database() as db_name:
        system = system_env(db_name, "amqp://unused/", tmp_path)
        caserev(system, "migrate", "--skip-broker")
        yield system


def _outbox_row(cursor, *, created_days_ago: int, published_days_ago: int | None) -> str:
    event_id = str(uuid.uuid4())
    cursor.execute(
        "INSERT INTO analytics.outbox (event_id, event_type, envelope, created_at, published_at)"
        " VALUES (%s, 'analytics.probe_made', '{}', now() - make_interval(days => %s),"
        " CASE WHEN %s::int IS NULL THEN NULL ELSE now() - make_interval(days => %s::int) END)",
        (event_id, created_days_ago, published_days_ago, published_days_ago),
    )
    return event_id


def _inbox_row(cursor, *, days_ago: int) -> str:
    event_id = str(uuid.uuid4())
    cursor.execute(
        "INSERT INTO analytics.inbox (event_id, handler, event_type, received_at)"
        " VALUES (%s, 'analytics.probe', 'forms.review_opened', now() - make_interval(days => %s))",
        (event_id, days_ago),
    )
    return event_id


def _key_row(cursor, *, days_ago: int) -> str:
    key = uuid.uuid4().hex + uuid.uuid4().hex
    cursor.execute(
        "INSERT INTO analytics.idempotency_key (key, method, fingerprint, result, created_at)"
        " VALUES (%s, 'probe', 'f', '{}', now() - make_interval(days => %s))",
        (key, days_ago),
    )
    return key


def test_prune_keeps_what_is_unpublished_or_recent(migrated):
    with psycopg2.connect(database_dsn(migrated.db_name)) as connection, connection.cursor() as cursor:
        old_published = _outbox_row(cursor, created_days_ago=10, published_days_ago=9)
        recent_published = _outbox_row(cursor, created_days_ago=2, published_days_ago=1)
        old_unpublished = _outbox_row(cursor, created_days_ago=60, published_days_ago=None)
        old_inbox = _inbox_row(cursor, days_ago=45)
        recent_inbox = _inbox_row(cursor, days_ago=3)
        old_key = _key_row(cursor, days_ago=3)
        recent_key = _key_row(cursor, days_ago=0)

    engine = create_schema_engine("analytics", Settings(db_name=migrated.db_name), pool_size=1)
    metadata = schema_metadata("analytics")
    try:
        pruned = prune(
            engine,
            metadata.tables["analytics.outbox"],
            metadata.tables["analytics.inbox"],
            outbox_keep_days=7,
            inbox_keep_days=30,
            idempotency=metadata.tables["analytics.idempotency_key"],
            idempotency_keep_days=2,
        )
    finally:
        engine.dispose()
    assert pruned == (1, 1, 1)

    with psycopg2.connect(database_dsn(migrated.db_name)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT event_id::text FROM analytics.outbox")
        outbox = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT event_id::text FROM analytics.inbox")
        inbox = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT key FROM analytics.idempotency_key")
        keys = {row[0] for row in cursor.fetchall()}
    assert old_published not in outbox
    assert {recent_published, old_unpublished} <= outbox, "an unpublished event must never be pruned"
    assert inbox == {recent_inbox} and old_inbox not in inbox
    assert keys == {recent_key} and old_key not in keys, "keys older than two days go with their answers"
