"""A dashboard computed once is given again, not computed again, only while the projections are as they were:
an event kept (even one committed after a later one), or a rebuild, and the next caller gets it computed anew
(handlers.ComputedDashboards, models.store_mark). On a real database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from services.analytics import handlers
from services.analytics.contract import Dashboard, DashboardFilters
from services.analytics.repository import EventStoreTables, FiguresTables
from services.kernel.config import Settings
from services.kernel.db import create_schema_engine
from services.kernel.errors import Forbidden
from services.kernel.identity import Actor
from tests.support.infra import DEFAULT_AMQP_BASE, isolated_database
from tests.support.system import caserev, system_env
from tests.unit.test_analytics_handlers import FakeUnit, a_review_story

pytestmark = pytest.mark.slow

NATIONAL = Actor(user_id="na", roles=frozenset({"national_analyst"}))


@pytest.fixture
def engine(tmp_path) -> Iterator[Any]:
    with isolated_database() as db_name:
        caserev(system_env(db_name, DEFAULT_AMQP_BASE, tmp_path), "migrate", "--skip-broker")
        engine = create_schema_engine("analytics", Settings(db_name=db_name), pool_size=3)
        yield engine
        engine.dispose()


def apply(engine: Any, partnership: uuid.UUID) -> None:
    with Session(engine) as session, session.begin():
        store = EventStoreTables(session)
        for envelope in a_review_story(partnership, uuid.uuid4()):
            handlers.apply_event(FakeUnit(), envelope, store)  # type: ignore[arg-type]


def children(engine: Any, actor: Actor = NATIONAL, filters: DashboardFilters | None = None) -> Dashboard:
    with Session(engine) as session:
        return handlers.dashboard(None, actor, "children", filters, FiguresTables(session))  # type: ignore[arg-type]


def total(dashboard: Dashboard) -> str:
    rows = {row.label: row for row in dashboard.tables[0].rows}
    return rows["Total"].cells[-1].text


def test_a_dashboard_is_given_again_until_an_event_or_a_rebuild_changes_the_projections(engine) -> None:
    for _ in range(3):
        apply(engine, uuid.uuid4())
    first = children(engine)
    assert children(engine) is first, "asked again with nothing new: the dashboard computed is given"
    assert total(first) == "6"

    apply(engine, uuid.uuid4())
    after_event = children(engine)
    assert after_event is not first and total(after_event) == "8"

    # An event committed after a later one leaves the greatest seq where it was: the mark still moves.
    late_session = Session(engine)
    late_session.begin()
    late_store = EventStoreTables(late_session)
    for envelope in a_review_story(uuid.uuid4(), uuid.uuid4()):  # takes its seqs now, commits last
        handlers.apply_event(FakeUnit(), envelope, late_store)  # type: ignore[arg-type]
    apply(engine, uuid.uuid4())  # later seqs, committed first
    before_late = children(engine)
    assert total(before_late) == "10"
    late_session.commit()
    late_session.close()
    after_late = children(engine)
    assert after_late is not before_late and total(after_late) == "12"

    # A rebuild refills the projections without a new event: it counts as a change too.
    with Session(engine) as session, session.begin():
        session.execute(text("DELETE FROM analytics.notified_child"))
    assert children(engine) is after_late, "rows changed by hand, not by an event or a rebuild: kept"
    with Session(engine) as session, session.begin():
        handlers.rebuild(session, "children")
    rebuilt = children(engine)
    assert rebuilt is not after_late and total(rebuilt) == "12"


def test_the_cache_gives_nothing_the_policy_refuses_and_keeps_each_audience_apart(engine) -> None:
    own, other = uuid.uuid4(), uuid.uuid4()
    apply(engine, own)
    apply(engine, other)
    manager = Actor(user_id="bm", partnership_id=own, roles=frozenset({"business_manager"}))
    national = children(engine)
    mine = children(engine, manager)
    assert mine is not national and mine.scope == "partnership" and national.scope == "england"
    assert total(mine) == "2" and total(national) == "fewer than 5"
    with pytest.raises(Forbidden):
        children(engine, manager, DashboardFilters(partnership_id=other))
    author = Actor(user_id="a", partnership_id=own, roles=frozenset({"agency_author"}))
    with pytest.raises(Forbidden):
        children(engine, author)


def test_figures_are_announced_only_once_the_event_that_changed_them_is_committed(engine) -> None:
    from services.analytics import models

    partnership = uuid.uuid4()
    apply(engine, partnership)  # noted, not yet announced
    with Session(engine) as event, event.begin():
        models.touch(event, [partnership])  # a later event of the same partnership, still in flight
        with Session(engine) as timer, timer.begin():
            timer.execute(text("SET LOCAL lock_timeout = '300ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                models.take_touched(timer)  # announcing now would show figures without that event
    with Session(engine) as timer, timer.begin():
        assert models.take_touched(timer) == [partnership]
