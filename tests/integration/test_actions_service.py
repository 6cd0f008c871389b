"""The actions service on the real broker and database, through its typed contract: it learns of a review and
when it began from forms' events (whichever comes first) and of people from the gateway's; a lesson, a
recommendation and an action go through the outbox onto `actions.events`; its timer announces an overdue
action once; and the rows the timer announces are locked, so a second process skips them."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from kombu import Connection, Exchange, Queue
from sqlalchemy.orm import Session

from gateway.rpc import RemoteError, RpcClient
from services.actions.contract import Actions, AssignAction, MakeRecommendation, RecordLesson
from services.actions.domain import Action, Review
from services.actions.repository import PlanTables
from services.kernel.calendar import today_in_england
from services.kernel.config import Settings
from services.kernel.db import create_schema_engine
from services.kernel.events import Envelope
from services.kernel.identity import Actor, Role
from tests.integration.test_chronology_service import publish
from tests.integration.test_shell_rpcs import SealedWith
from tests.support.system import processes

PARTNERSHIP = uuid.uuid4()
REVIEW = uuid.uuid4()
OWNER = uuid.uuid4()
MANAGER = Actor(
    user_id=str(uuid.uuid4()), partnership_id=PARTNERSHIP, roles=frozenset({Role.BUSINESS_MANAGER})
)
TODAY = today_in_england()
AWARE = TODAY - timedelta(days=60)


def announce(amqp_uri: str) -> None:
    """forms' notification first, then its opening (the order events may arrive in), and the owner."""
    now = datetime.now(UTC)
    publish(
        amqp_uri,
        "forms",
        Envelope(
            type="forms.sin_submitted",
            partnership_id=PARTNERSHIP,
            review_id=REVIEW,
            data={
                "review_id": str(REVIEW),
                "notified_on": (AWARE + timedelta(days=3)).isoformat(),
                "date_aware": AWARE.isoformat(),
                "due_on": None,
                "late_by_working_days": None,
                "children": 1,
                "nature": "serious_harm",
            },
        ),
    )
    publish(
        amqp_uri,
        "forms",
        Envelope(
            type="forms.review_opened",
            partnership_id=PARTNERSHIP,
            review_id=REVIEW,
            data={
                "review_id": str(REVIEW),
                "review_type": "child_safeguarding",
                "stage": "referral",
                "opened_at": now.isoformat(),
            },
        ),
    )
    publish(
        amqp_uri,
        "identity",
        Envelope(
            type="identity.person_changed",
            partnership_id=PARTNERSHIP,
            data={
                "user_id": str(OWNER),
                "partnership_id": str(PARTNERSHIP),
                "agency_id": None,
                "display_name": "Owner Example",
                "email": None,
                "roles": ["action_owner"],
                "active": True,
                "changed_at": now.isoformat(),
            },
        ),
    )


@pytest.mark.slow
def test_the_plan_goes_through_the_outbox_and_the_timer_announces_the_overdue_action_once(
    make_harness,
) -> None:
    harness = make_harness()
    seen = Queue(
        f"test-actions-{uuid.uuid4().hex[:8]}", Exchange("actions.events", type="topic", durable=True), "#"
    )
    with Connection(harness.amqp_uri) as connection:
        seen.maybe_bind(connection)
        seen.declare()
    announce(harness.amqp_uri)

    async def work(actions: Actions) -> str:
        async def known() -> Any:
            while True:
                try:
                    return await actions.owners(MANAGER), await actions.plan_of_review(MANAGER, REVIEW)
                except RemoteError:
                    await asyncio.sleep(0.2)

        owners, _ = await asyncio.wait_for(known(), 30)
        assert [o.user_id for o in owners] == [OWNER]
        lesson = await actions.record_lesson(
            MANAGER, RecordLesson(review_id=REVIEW, finding="Referrals were not shared", themes=["neglect"])
        )
        recommendation = await actions.make_recommendation(
            MANAGER, MakeRecommendation(review_id=REVIEW, text="Share the same day", lesson_ids=[lesson.id])
        )
        # Due ten days ago: allowed, because the review began the day the incident became known.
        action = await actions.assign_action(
            MANAGER,
            AssignAction(
                review_id=REVIEW,
                recommendation_id=recommendation.id,
                description="Audit referrals",
                owner_id=OWNER,
                due_on=TODAY - timedelta(days=10),
                success_measure="Audit of 20",
            ),
        )
        assert action.status == "overdue" and action.rag == "red"
        try:
            await actions.assign_action(
                MANAGER,
                AssignAction(
                    review_id=REVIEW,
                    recommendation_id=recommendation.id,
                    description="Too early",
                    owner_id=OWNER,
                    due_on=AWARE - timedelta(days=1),
                    success_measure="m",
                ),
            )
        except RemoteError as refused:
            assert [p["field"] for p in refused.problems] == ["due_on"]
        else:
            raise AssertionError("a due date before the review began was accepted")
        return str(action.id)

    async def go() -> str:
        client = RpcClient(harness.amqp_uri, timeout=20)
        try:
            return await work(Actions.client(SealedWith(client, harness.system)))
        finally:
            await client.close()

    with processes(harness.system, "actions"):
        action_id = asyncio.run(go())
        types = _wait_for_types(harness.amqp_uri, seen, {"actions.action_overdue"})
    assert types.count("actions.lesson_recorded") == 1
    assert types.count("actions.recommendation_made") == 1
    assert types.count("actions.action_assigned") == 1
    assert types.count("actions.action_overdue") == 1
    assert types.count("actions.action_due") == 1
    assert action_id


def _wait_for_types(amqp_uri: str, queue: Queue, wanted: set[str], timeout: float = 90) -> list[str]:
    """The event types that reach the queue, once every wanted one has come (and a moment more, to catch a
    second announcement)."""
    types: list[str] = []
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    settle: datetime | None = None
    with Connection(amqp_uri) as connection:
        bound = queue(connection.default_channel)
        while datetime.now(UTC) < deadline and (settle is None or datetime.now(UTC) < settle):
            message = bound.get(no_ack=True)
            if message is None:
                if settle is None and wanted <= set(types):
                    settle = datetime.now(UTC) + timedelta(seconds=3)
                time.sleep(0.2)
                continue
            body = message.body if isinstance(message.body, (bytes, str)) else json.dumps(message.body)
            types.append(json.loads(body)["type"])
    assert wanted <= set(types), f"only {types} reached actions.events"
    return types


def test_the_rows_the_timer_announces_are_locked_so_another_process_skips_them(make_harness) -> None:
    harness = make_harness()
    engine = create_schema_engine("actions", Settings(db_name=harness.system.db_name), pool_size=2)
    try:
        with Session(engine) as setup:
            plans = PlanTables(setup)
            plans.hold_review(Review(REVIEW, PARTNERSHIP, date(2026, 1, 1), "child_safeguarding"))
            # A second announcement keeps the earlier beginning.
            plans.hold_review(Review(REVIEW, PARTNERSHIP, date(2026, 3, 1), ""))
            plans.add_action(
                Action(
                    uuid.uuid4(),
                    REVIEW,
                    PARTNERSHIP,
                    OWNER,
                    date(2026, 2, 1),
                    "on_track",
                    "a",
                    "m",
                    assigned_on=date(2026, 1, 2),
                )
            )
            setup.commit()
            assert plans.review(REVIEW) == Review(REVIEW, PARTNERSHIP, date(2026, 1, 1), "child_safeguarding")
        with Session(engine) as first, Session(engine) as second:
            taken = PlanTables(first).to_announce(date(2026, 2, 10), 10)
            assert [(due, overdue) for _, due, overdue in taken] == [(True, True)]
            assert PlanTables(second).to_announce(date(2026, 2, 10), 10) == []
            for action, _, _ in taken:
                PlanTables(first).announced(action.id, action.due_on, action.due_on)
            first.commit()
            second.rollback()
            assert PlanTables(second).to_announce(date(2026, 2, 10), 10) == []
    finally:
        engine.dispose()


@pytest.mark.slow
def test_an_action_agreed_before_the_review_is_known_waits_then_joins_the_plan_once(make_harness) -> None:
    """meetings.action_agreed for a review the service has not heard of is kept (not lost, not doubled by a
    redelivery), and joins the plan as the meeting's action when forms announces the review."""
    from sqlalchemy import text

    from services.actions.domain import REVIEW_NOT_KNOWN

    harness = make_harness()
    review, meeting, item = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    engine = create_schema_engine("actions", Settings(db_name=harness.system.db_name), pool_size=2)

    def rows(sql: str) -> list[Any]:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), {"review": review, "item": item}))

    def wait(sql: str, expected: list[Any]) -> None:
        deadline = time.monotonic() + 30
        while rows(sql) != expected and time.monotonic() < deadline:
            time.sleep(0.2)
        assert rows(sql) == expected

    agreed = Envelope(
        type="meetings.action_agreed",
        partnership_id=PARTNERSHIP,
        review_id=review,
        actor_id="the-chair",
        data={
            "meeting_id": str(meeting),
            "review_id": str(review),
            "action_item_id": str(item),
            "what": "Share the strategy discussion notes",
            "owner_id": str(OWNER),
            "due_on": (TODAY + timedelta(days=14)).isoformat(),
        },
    )
    try:
        with processes(harness.system, "actions"):
            announce(harness.amqp_uri)  # the owner (and the test's other review)
            wait("SELECT count(*) FROM actions.person", [(1,)])
            publish(harness.amqp_uri, "meetings", agreed)
            publish(harness.amqp_uri, "meetings", agreed)  # redelivered
            wait(
                "SELECT reasons, action_id FROM actions.agreed_action WHERE item_id = :item",
                [([REVIEW_NOT_KNOWN], None)],
            )
            publish(
                harness.amqp_uri,
                "forms",
                Envelope(
                    type="forms.review_opened",
                    partnership_id=PARTNERSHIP,
                    review_id=review,
                    data={
                        "review_id": str(review),
                        "review_type": "child_safeguarding",
                        "stage": "referral",
                        "opened_at": now.isoformat(),
                    },
                ),
            )
            wait(
                "SELECT id, source, meeting_id, owner_id FROM actions.action WHERE review_id = :review",
                [(item, "meeting", meeting, OWNER)],
            )
            assert rows("SELECT reasons, action_id FROM actions.agreed_action") == [([], item)]
    finally:
        engine.dispose()
