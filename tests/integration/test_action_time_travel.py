"""Time travel across an action over Christmas 2026 (real PostgreSQL; the handlers and the engine the
services' entrypoints call): the action is assigned, falls due on Friday 18 December and is not done; the
actions service's timer announces it due and then overdue, once each however often it runs; the
notifications engine reminds its owner before it is due, chases the owner and the business manager each
working day once it is overdue (skipping the weekend and the bank holidays), and escalates it to the
Executive after ten working days; its completion stops the chasing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from services.actions import handlers
from services.actions.contract import AssignAction, MakeRecommendation, RecordLesson, UpdateAction
from services.actions.domain import Person, Review
from services.actions.repository import PlanTables
from services.kernel.calendar import add_working_days
from services.kernel.events import Envelope, EventData
from services.kernel.identity import Actor, Role
from services.notifications import engine
from services.notifications.models import EmailRecord
from services.notifications.rules import load_rules
from tests.support.infra import database_dsn, isolated_database
from tests.support.system import caserev, system_env

LONDON = ZoneInfo("Europe/London")
PARTNERSHIP, REVIEW = uuid.uuid4(), uuid.uuid4()
OWNER, MANAGER_ID, EXECUTIVE_ID = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
MANAGER = Actor(user_id=str(MANAGER_ID), partnership_id=PARTNERSHIP, roles=frozenset({Role.BUSINESS_MANAGER}))
OWNER_ACTOR = Actor(user_id=str(OWNER), partnership_id=PARTNERSHIP, roles=frozenset({Role.ACTION_OWNER}))
ASSIGNED, DUE = date(2026, 12, 7), date(2026, 12, 18)
BOOK = load_rules()


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[dict[str, sessionmaker[Session]]]:
    with isolated_database() as db_name:
        caserev(system_env(db_name, "amqp://unused/", tmp_path), "migrate", "--skip-broker")
        db = create_engine(database_dsn(db_name).replace("postgresql://", "postgresql+psycopg2://"))
        try:
            yield {
                "actions": sessionmaker(db, expire_on_commit=False),
                "notifications": sessionmaker(db, expire_on_commit=False),
            }
        finally:
            db.dispose()


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)


class Unit:
    """The handlers' unit of work over a real session: what they emit is handed to the notifications engine
    as the outbox relay and the bus would."""

    def __init__(self, session: Session, deliver: Any) -> None:
        self.session, self.deliver = session, deliver
        self.emitted: list[EventData] = []

    def emit(self, payload: EventData, **where: Any) -> None:
        self.emitted.append(payload)
        self.deliver(payload)

    def first_delivery(self, envelope: Envelope) -> bool:
        return True


def test_an_overdue_action_is_announced_once_chased_each_working_day_and_escalated(sessions) -> None:  # type: ignore[no-untyped-def]
    emitted: list[tuple[date, str]] = []
    pending: list[EventData] = []

    def notify(payload: EventData, when: datetime) -> None:
        with sessions["notifications"].begin() as session:
            envelope = Envelope.wrap(payload, partnership_id=PARTNERSHIP, review_id=REVIEW).model_copy(
                update={"occurred_at": when}
            )
            engine.handle_event(session, BOOK, envelope, when, lambda *a: None, "https://caserev.test")

    def in_actions(day: date, work: Any) -> Any:
        when = at(day, 9)
        with time_machine.travel(when, tick=False), sessions["actions"].begin() as session:
            unit = Unit(session, pending.append)
            answer = work(unit)
        for payload in pending:
            emitted.append((day, payload.event_type))
            notify(payload, when)
        pending.clear()
        return answer

    with sessions["notifications"].begin() as session:
        for user_id, name, roles in (
            (OWNER, "Owen Test-Owner", ["action_owner"]),
            (MANAGER_ID, "Morgan Test-Manager", ["business_manager"]),
            (EXECUTIVE_ID, "Eden Test-Executive", ["executive"]),
        ):
            engine.learn_person(
                session,
                {
                    "user_id": user_id,
                    "partnership_id": PARTNERSHIP,
                    "agency_id": None,
                    "display_name": name,
                    "email": f"{name.split()[0].lower()}@test.example",
                    "roles": roles,
                    "active": True,
                    "changed_at": at(ASSIGNED, 8),
                },
            )
    with sessions["actions"].begin() as session:
        plans = PlanTables(session)
        plans.hold_review(Review(REVIEW, PARTNERSHIP, date(2026, 11, 2), "child_safeguarding"))
        plans.keep_person(
            Person(OWNER, PARTNERSHIP, None, "Owen Test-Owner", ("action_owner",)), at(ASSIGNED, 8)
        )

    def assign(unit: Unit) -> uuid.UUID:
        lesson = handlers.record_lesson(
            unit,
            MANAGER,
            RecordLesson(review_id=REVIEW, finding="Not shared", themes=["information_sharing"]),
        )
        recommendation = handlers.make_recommendation(
            unit, MANAGER, MakeRecommendation(review_id=REVIEW, text="Share", lesson_ids=[lesson.id])
        )
        return handlers.assign_action(
            unit,
            MANAGER,
            AssignAction(
                review_id=REVIEW,
                recommendation_id=recommendation.id,
                description="Audit referrals",
                owner_id=OWNER,
                due_on=DUE,
                success_measure="Audit of 20",
            ),
        ).id

    action_id = in_actions(ASSIGNED, assign)
    completed_on = date(2027, 1, 7)
    day = ASSIGNED
    while day <= date(2027, 1, 12):
        if day == completed_on:
            in_actions(
                day,
                lambda unit: handlers.update_action(
                    unit,
                    OWNER_ACTOR,
                    UpdateAction(action_id=action_id, status="completed", note="Audit done"),
                ),
            )
        for hour in (10, 16):  # the timers run several times a day, in every process
            for _ in range(2):
                in_actions(day, handlers.announce_due_and_overdue)
            now = at(day, hour)
            with time_machine.travel(now, tick=False), sessions["notifications"].begin() as session:
                engine.run_schedule(
                    session, BOOK, now, lambda *a: None, "https://caserev.test", digest_hour=7
                )
        day += timedelta(days=1)

    assert [e for e in emitted if e[1] in ("actions.action_due", "actions.action_overdue")] == [
        (DUE, "actions.action_due"),
        (DUE + timedelta(days=1), "actions.action_overdue"),
    ]
    with sessions["notifications"]() as session:
        rows = session.scalars(select(EmailRecord).order_by(EmailRecord.created_at)).all()
        log = [
            (row.created_at.astimezone(LONDON).date(), row.rule or "", row.recipient or "") for row in rows
        ]

    def days(rule: str, who: str) -> list[date]:
        return [d for d, code, recipient in log if code == rule and recipient.startswith(who)]

    assert days("action_assigned", "Owen") == [ASSIGNED]
    assert days("action_due_soon", "Owen") == [date(2026, 12, 11)]  # five working days before
    chased = days("action_overdue", "Owen")
    # Each working day after the due date until the completion: never on 25, 26, 27, 28 December or 1 January.
    expected = [add_working_days(DUE, n) for n in range(1, 20) if add_working_days(DUE, n) < completed_on]
    assert chased == expected, chased
    assert days("action_overdue", "Morgan") == expected
    assert days("action_escalated_to_executive", "Eden") == [add_working_days(DUE, 10)]
