"""Analytics' projections on a real broker and database: events of every kind it takes, kept in its own
store; a rebuild from scratch (by `caserev analytics rebuild`) gives the same rows and the same dashboards as
the live service; duplicated and reordered events give the same figures; figures_changed goes out through
the outbox, about once a second however fast events come."""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections.abc import Iterable
from typing import Any

import pytest
from kombu import Connection, Exchange
from sqlalchemy.orm import Session

from services.analytics import handlers, models
from services.analytics.contract import DashboardFilters
from services.analytics.repository import FiguresTables
from services.kernel.config import Settings
from services.kernel.db import create_schema_engine
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from tests.support.system import caserev
from tests.unit.test_analytics_handlers import a_review_story

pytestmark = pytest.mark.slow

DASHBOARDS = ("reviews", "timeliness", "learning", "children", "actions")


def publish(amqp_uri: str, envelopes: Iterable[Envelope]) -> int:
    """Publish envelopes on their sources' exchanges as the relays do: persistent, confirmed, mandatory."""
    count = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=10) as conn:
        producer = conn.Producer()
        for envelope in envelopes:
            producer.publish(
                envelope.model_dump(mode="json"),
                exchange=Exchange(f"{envelope.source}.events", type="topic"),
                routing_key=envelope.name,
                serializer="json",
                delivery_mode=2,
                mandatory=True,
                message_id=str(envelope.event_id),
                type=envelope.type,
                declare=[],
                retry=False,
            )
            count += 1
    return count


def snapshot(engine: Any) -> dict[str, list[dict[str, Any]]]:
    with Session(engine) as session:
        return {name: models.copy_rows(session, name) for name in sorted(models.PROJECTION_TABLES)}


def dashboards(engine: Any, partnership: uuid.UUID) -> dict[str, Any]:
    """Every dashboard as the partnership's business manager sees it (its own figures, unsuppressed)."""
    manager = Actor(user_id="bm", partnership_id=partnership, roles=frozenset({"business_manager"}))
    with Session(engine) as session:
        return {
            code: [
                table.model_dump()
                for table in handlers.dashboard(
                    None,  # type: ignore[arg-type]
                    actor=manager,
                    code=code,  # type: ignore[arg-type]
                    filters=DashboardFilters(),
                    data=FiguresTables(session),
                ).tables
            ]
            for code in DASHBOARDS
        }


def test_a_rebuild_gives_the_live_figures_and_reordered_duplicated_events_give_the_same(make_harness) -> None:
    harness = make_harness()
    harness.start("analytics")
    engine = create_schema_engine("analytics", Settings(db_name=harness.system.db_name), pool_size=1)
    in_order, shuffled = uuid.uuid4(), uuid.uuid4()
    first = a_review_story(in_order, uuid.uuid4())
    second = a_review_story(shuffled, uuid.uuid4())
    # The second partnership's events arrive in a random order, a third of them twice.
    delivered = second + random.Random(7).sample(second, k=len(second) // 3)
    random.Random(11).shuffle(delivered)
    publish(harness.amqp_uri, first + delivered)
    expected = len(first) + len(second)
    harness.wait_for(
        lambda: harness.sql("SELECT count(*) FROM analytics.event")[0][0] == expected,
        timeout=60,
        message=f"analytics to keep all {expected} events in its store",
    )
    harness.wait_for(
        lambda: harness.settled_ready("evt-forms-sin_submitted--analytics.apply_forms_sin_submitted") == 0,
        timeout=30,
        message="the duplicates to be delivered and skipped",
    )

    live = dashboards(engine, in_order)
    assert live == dashboards(engine, shuffled), "reordered and duplicated events must give the same figures"
    children = {row["label"]: row["cells"][-1]["text"] for row in live["children"][0]["rows"]}
    assert (children["Under 1"], children["5 to 9"], children["Total"]) == ("1", "1", "2")

    rows_live = snapshot(engine)
    assert rows_live["notified_child"] and rows_live["action_plan"] and rows_live["partnership"]

    # Rebuilding every projection from scratch: the same rows, the same figures.
    result = caserev(harness.system, "analytics", "rebuild")
    assert "rebuilding every projection [" in result.stderr and "100%" in result.stderr
    assert f"from {expected} events" in result.stdout and "events/s" in result.stdout
    assert snapshot(engine) == rows_live
    assert dashboards(engine, in_order) == live

    # A projection added after the events arrived (here: its rows lost) is back-filled the same way.
    harness.sql("DELETE FROM analytics.notified_child")
    caserev(harness.system, "analytics", "rebuild", "children")
    assert snapshot(engine) == rows_live

    refused = caserev(harness.system, "analytics", "rebuild", "nope", check=False)
    assert refused.returncode == 2 and "choose one of" in refused.stderr

    # Open dashboards were told, through the outbox, which partnerships' figures changed.
    def announced() -> set[str]:
        rows = harness.sql(
            "SELECT envelope FROM analytics.outbox WHERE event_type = 'analytics.figures_changed'"
        )
        envelopes = [row[0] if isinstance(row[0], dict) else json.loads(row[0]) for row in rows]
        return {p for envelope in envelopes for p in envelope["data"]["partnership_ids"]}

    harness.wait_for(
        lambda: {str(in_order), str(shuffled)} <= announced(),
        timeout=15,
        message="analytics.figures_changed to name both partnerships",
    )
    engine.dispose()


def test_figures_changed_is_published_about_once_a_second_however_fast_events_come(make_harness) -> None:
    harness = make_harness()
    harness.start("analytics")
    partnerships = [uuid.uuid4() for _ in range(5)]
    stories = [event for partnership in partnerships for event in a_review_story(partnership, uuid.uuid4())]
    publish(harness.amqp_uri, stories)
    harness.wait_for(
        lambda: harness.sql("SELECT count(*) FROM analytics.event")[0][0] == len(stories),
        timeout=60,
        message="analytics to apply every event",
    )
    # The timer's next tick (about a second on) takes every partnership touched: wait for it, not for luck.
    harness.wait_for(
        lambda: harness.sql("SELECT count(*) FROM analytics.figures_touched")[0][0] == 0,
        timeout=30,
        message="the timer to announce every partnership whose figures changed",
    )
    rows = harness.sql(
        "SELECT created_at FROM analytics.outbox WHERE event_type = 'analytics.figures_changed'"
        " ORDER BY created_at"
    )
    moments = [row[0] for row in rows]
    assert moments, "at least one figures_changed was published"
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(moments)]
    assert all(gap >= 0.5 for gap in gaps), f"{len(stories)} events gave announcements {gaps} s apart"
