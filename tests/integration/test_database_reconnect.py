"""Without pool_pre_ping, a dropped pooled connection is found by the first statement of a unit of work and
replaced there, on the real database: that statement runs again on a new connection. A connection dropped
after a statement has run is never retried: the unit of work fails whole and nothing of it is kept."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from services.analytics.models import review_stage
from services.kernel.config import Settings
from services.kernel.db import create_schema_engine
from tests.support.infra import database_dsn, isolated_database
from tests.support.system import SystemEnv, caserev, system_env


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[SystemEnv]:
    with isolated_database() as db_name:
        system = system_env(db_name, "amqp://unused/", tmp_path)
        caserev(system, "migrate", "--skip-broker")
        yield system


@pytest.fixture
def engine(migrated: SystemEnv) -> Iterator[Engine]:
    """analytics' engine as a service builds it, with one pooled connection: the dropped one is reused."""
    settings = Settings(db_name=migrated.db_name)
    engine = create_schema_engine("analytics", settings, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


class _Mapped(DeclarativeBase):
    pass


class ReviewStageRecord(_Mapped):
    """analytics' review_stage table as an ORM class, so that a unit of work's first statement is a flush."""

    __table__ = review_stage


def _backend(session: Session) -> int:
    return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _drop(migrated: SystemEnv, pid: int) -> None:
    """Terminate a backend, as a database restart or a proxy would, and wait until it is gone."""
    with psycopg2.connect(database_dsn(migrated.db_name)) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} still there")


def _stages(migrated: SystemEnv) -> set[str]:
    with psycopg2.connect(database_dsn(migrated.db_name)) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT review_id::text FROM analytics.review_stage")
        return {row[0] for row in cursor.fetchall()}


def _record() -> ReviewStageRecord:
    return ReviewStageRecord(
        review_id=uuid.uuid4(),
        partnership_id=uuid.uuid4(),
        review_type="child_safeguarding",
        stage="referral",
        as_of=datetime.now(UTC),
    )


def test_a_unit_of_work_whose_pooled_connection_was_dropped_runs_on_a_new_one(migrated, engine) -> None:
    sessions = sessionmaker(engine)
    with sessions() as session:
        dropped = _backend(session)
    _drop(migrated, dropped)

    # The first statement is an ORM flush: it runs again on a new connection, with the session's state intact.
    record = _record()
    review_id = str(record.review_id)
    with sessions.begin() as session:
        session.add(record)
        session.flush()
        replaced = _backend(session)
    assert replaced != dropped
    assert _stages(migrated) == {review_id}

    # And again with a plain statement first, on the replacement once it is dropped in turn.
    _drop(migrated, replaced)
    with sessions() as session:
        assert _backend(session) not in (dropped, replaced)


def test_a_connection_dropped_after_a_statement_fails_the_whole_unit_of_work(migrated, engine) -> None:
    sessions = sessionmaker(engine)
    first, second = _record(), _record()
    with sessions() as session:
        session.add(first)
        session.flush()  # the unit of work has run a statement: a retry now would lose it
        _drop(migrated, _backend(session))
        session.add(second)
        with pytest.raises(OperationalError) as failure:
            session.flush()
        assert failure.value.connection_invalidated
        session.rollback()
    assert _stages(migrated) == set(), "nothing of a unit of work that failed may be kept"

    later = _record()
    review_id = str(later.review_id)
    with sessions.begin() as session:  # the pool has a working connection for the next one
        session.add(later)
    assert _stages(migrated) == {review_id}
