"""The meetings and actions services answer from tables of their own, which `caserev migrate` creates."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from services.actions.models import ActionRecord
from services.actions.repository import ActionTable
from services.kernel.config import Settings
from services.kernel.db import create_schema_engine
from services.meetings.models import MeetingRecord
from services.meetings.repository import MeetingTable
from tests.support.infra import isolated_database
from tests.support.system import SystemEnv, caserev, system_env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemEnv]:
    with isolated_database() as db_name:
        system = system_env(db_name, "amqp://unused/", Path(tmp_path_factory.mktemp("shells")))
        caserev(system, "migrate", "--skip-broker")
        yield system


@contextmanager
def _session(system: SystemEnv, schema: str) -> Iterator[Session]:
    """A session as the schema's own role (which may touch that schema only); nothing it writes is kept."""
    engine = create_schema_engine(schema, Settings(db_name=system.db_name), pool_size=1)
    try:
        with Session(engine) as session:
            yield session
            session.rollback()
    finally:
        engine.dispose()


def test_a_reviews_meetings_are_read_from_the_meetings_schema_as_its_own_role(migrated) -> None:
    review, partnership = uuid.uuid4(), uuid.uuid4()
    starts = datetime(2026, 11, 12, 10, 0, tzinfo=UTC)
    with _session(migrated, "meetings") as session:
        session.add(
            MeetingRecord(
                id=uuid.uuid4(),
                review_id=review,
                partnership_id=partnership,
                kind="rapid_review_meeting",
                starts_at=starts,
                status="scheduled",
            )
        )
        session.flush()
        (meeting,) = MeetingTable(session).of_review(review)
        assert (meeting.partnership_id, meeting.kind, meeting.starts_at) == (
            partnership,
            "rapid_review_meeting",
            starts,
        )
        assert MeetingTable(session).of_review(uuid.uuid4()) == []


def test_a_reviews_actions_are_read_from_the_actions_schema_as_its_own_role(migrated) -> None:
    review, partnership = uuid.uuid4(), uuid.uuid4()
    with _session(migrated, "actions") as session:
        session.add(
            ActionRecord(
                id=uuid.uuid4(),
                review_id=review,
                partnership_id=partnership,
                due_on=date(2027, 3, 1),
                status="open",
            )
        )
        session.flush()
        (action,) = ActionTable(session).of_review(review)
        assert (action.partnership_id, action.due_on, action.status) == (
            partnership,
            date(2027, 3, 1),
            "open",
        )
