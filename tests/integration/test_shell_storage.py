"""The meetings and actions services answer from tables of their own, which `caserev migrate` creates."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from services.actions.domain import Action, Lesson, Recommendation, Review
from services.actions.repository import PlanTables
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


def test_a_reviews_plan_is_kept_in_the_actions_schema_as_its_own_role(migrated) -> None:
    review, partnership, owner = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with _session(migrated, "actions") as session:
        plans = PlanTables(session)
        plans.hold_review(Review(review, partnership, date(2026, 9, 1), "cspr"))
        lesson = Lesson(
            uuid.uuid4(),
            review,
            partnership,
            "Referrals were not shared",
            ("information_sharing",),
            1,
            "review",
            None,
            date(2026, 10, 1),
            "bm",
        )
        plans.add_lesson(lesson)
        recommendation = Recommendation(
            uuid.uuid4(),
            review,
            "Share the same day",
            (lesson.id,),
            "partnership",
            (),
            date(2026, 10, 1),
            "bm",
        )
        plans.add_recommendation(recommendation)
        session.flush()
        action = Action(
            uuid.uuid4(),
            review,
            partnership,
            owner,
            date(2027, 3, 1),
            "on_track",
            "Audit",
            "95%",
            recommendation.id,
            themes=("information_sharing",),
            assigned_on=date(2026, 10, 2),
        )
        plans.add_action(action)
        session.flush()
        done = action.updated("completed", "Audit done", "", date(2027, 2, 1), "bm", may_reopen_closed=False)
        plans.save_action(done, done.updates[0])
        session.flush()
        stored = plans.action(action.id)
        assert stored is not None
        assert (stored.status, stored.completed_on, stored.themes) == (
            "completed",
            date(2027, 2, 1),
            ("information_sharing",),
        )
        assert [u.note for u in stored.updates] == ["Audit done"]
        assert plans.lessons(review)[0].themes == ("information_sharing",)
        assert plans.recommendations(review)[0].lesson_ids == (lesson.id,)
        # A finished action is never announced due or overdue.
        assert plans.to_announce(date(2027, 3, 5), 10) == []
