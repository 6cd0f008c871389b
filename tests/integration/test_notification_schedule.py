"""Time travel across a rapid review over Christmas 2026: reminders, chasers and escalations fire on the
right working days, once each, skipping weekends and bank holidays (real PostgreSQL; the engine the
service's entrypoints call).

The review: the Serious Incident Notification is sent on Monday 14 December 2026, so the agencies'
returns are due on day 10, Wednesday 30 December (25 and 28 December are bank holidays), and the rapid
review report to the Panel on day 15, Thursday 7 January 2027 (1 January is a bank holiday too).
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

from services.forms.contract import DeadlineChanged, ReturnExtended, ReturnRequested, ReturnSubmitted
from services.kernel.calendar import add_working_days
from services.kernel.events import Envelope, EventData
from services.notifications import engine
from services.notifications.models import EmailRecord, NotificationRecord
from services.notifications.rules import load_rules
from tests.support.infra import database_dsn, isolated_database
from tests.support.system import caserev, system_env

LONDON = ZoneInfo("Europe/London")
PARTNERSHIP = uuid.uuid4()
REVIEW = uuid.uuid4()
POLICE, HEALTH, SCHOOLS = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NOTIFIED = date(2026, 12, 14)
RETURNS_DUE = add_working_days(NOTIFIED, 10)
REPORT_DUE = add_working_days(NOTIFIED, 15)
BOOK = load_rules()

PEOPLE = {
    "manager": ("Morgan Test-Manager", ["business_manager"], None, "manager@test.example"),
    "executive": ("Eden Test-Executive", ["executive"], None, "executive@test.example"),
    "police lead": ("Pip Test-Police", ["agency_lead"], POLICE, "police.lead@test.example"),
    "police partner": ("Quinn Test-Partner", ["safeguarding_partner"], POLICE, "police.partner@test.example"),
    "health lead": ("Rowan Test-Health", ["agency_lead"], HEALTH, None),  # no e-mail address
    "la partner": ("Sol Test-Partner", ["safeguarding_partner"], None, "la.partner@test.example"),
}
USER_IDS = {name: uuid.uuid4() for name in PEOPLE}


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with isolated_database() as db_name:
        caserev(system_env(db_name, "amqp://unused/", tmp_path), "migrate", "--skip-broker")
        db = create_engine(database_dsn(db_name).replace("postgresql://", "postgresql+psycopg2://"))
        try:
            yield sessionmaker(db, expire_on_commit=False)
        finally:
            db.dispose()


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)


def envelope(payload: EventData, when: datetime) -> Envelope:
    return Envelope.wrap(payload, partnership_id=PARTNERSHIP, review_id=REVIEW).model_copy(
        update={"occurred_at": when}
    )


class Bus:
    """What the engine emits, kept for the test."""

    def __init__(self) -> None:
        self.emitted: list[EventData] = []

    def __call__(self, payload: EventData, partnership_id: Any, review_id: Any) -> None:
        self.emitted.append(payload)


def seed_people(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for name, (display, roles, agency, email) in PEOPLE.items():
            engine.learn_person(
                session,
                {
                    "user_id": USER_IDS[name],
                    "partnership_id": PARTNERSHIP,
                    "agency_id": agency,
                    "display_name": display,
                    "email": email,
                    "roles": roles,
                    "active": True,
                    "changed_at": at(NOTIFIED, 8),
                },
            )
        for agency, label in (
            (POLICE, "Testshire Police"),
            (HEALTH, "Testshire Health"),
            (SCHOOLS, "Schools"),
        ):
            engine.learn_agency(
                session,
                {
                    "agency_id": agency,
                    "partnership_id": PARTNERSHIP,
                    "name": label,
                    "changed_at": at(NOTIFIED, 8),
                },
            )


def handle(sessions: sessionmaker[Session], payload: EventData, when: datetime, bus: Bus) -> None:
    with time_machine.travel(when, tick=False), sessions.begin() as session:
        engine.handle_event(session, BOOK, envelope(payload, when), when, bus, "https://caserev.test")


def open_rapid_review(sessions: sessionmaker[Session], bus: Bus) -> dict[uuid.UUID, uuid.UUID]:
    """The letters go out on day 1: a return from each of three agencies; the statutory clock runs."""
    returns = {agency: uuid.uuid4() for agency in (POLICE, HEALTH, SCHOOLS)}
    letters = at(add_working_days(NOTIFIED, 1), 9)
    for agency, return_id in returns.items():
        handle(
            sessions,
            ReturnRequested(review_id=REVIEW, return_id=return_id, agency_id=agency, due_on=RETURNS_DUE),
            letters,
            bus,
        )
    handle(
        sessions,
        DeadlineChanged(
            review_id=REVIEW,
            review_type="child_safeguarding",
            deadline="rapid_review",
            label="Rapid review report to the Panel",
            statutory=True,
            due_on=REPORT_DUE,
            revised_due_on=REPORT_DUE,
            previous_revised_due_on=None,
            status="due",
            reason="started",
        ),
        at(NOTIFIED, 9),
        bus,
    )
    return returns


def run_days(sessions: sessionmaker[Session], first: date, last: date, bus: Bus, passes: int = 3) -> None:
    """The scheduler's passes, several a day (as its timer would), at 10:00 and 16:00 London time."""
    day = first
    while day <= last:
        for hour in (10, 16):
            now = at(day, hour)
            with time_machine.travel(now, tick=False):
                for _ in range(passes):
                    with sessions.begin() as session:
                        engine.run_schedule(session, BOOK, now, bus, "https://caserev.test", digest_hour=7)
        day += timedelta(days=1)


def sent(sessions: sessionmaker[Session]) -> list[tuple[date, str, str]]:
    """(London day, rule, recipient) of each e-mail queued, and of each message that could not be e-mailed."""
    with sessions() as session:
        rows = session.scalars(
            select(EmailRecord).order_by(EmailRecord.created_at, EmailRecord.recipient)
        ).all()
        return [
            (row.created_at.astimezone(LONDON).date(), row.rule or "", row.recipient or "") for row in rows
        ]


def days_of(log: list[tuple[date, str, str]], rule: str, recipient_starts: str) -> list[date]:
    return [day for day, code, who in log if code == rule and who.startswith(recipient_starts)]


def test_the_calendar_of_this_review_is_the_one_the_test_expects():
    assert date(2026, 12, 30) == RETURNS_DUE
    assert date(2027, 1, 7) == REPORT_DUE


def test_reminders_chasers_and_escalations_fire_on_the_right_working_days_once_each(sessions):
    bus = Bus()
    seed_people(sessions)
    returns = open_rapid_review(sessions, bus)
    # Health submits on time; police and schools do not.
    handle(
        sessions,
        ReturnSubmitted(
            review_id=REVIEW,
            return_id=returns[HEALTH],
            agency_id=HEALTH,
            nil=False,
            due_on=RETURNS_DUE,
            late_by_working_days=0,
        ),
        at(date(2026, 12, 22), 11),
        bus,
    )
    run_days(sessions, date(2026, 12, 15), date(2027, 1, 12), bus)
    log = sent(sessions)

    # The request itself, at once, to the police lead (the health lead has no address; schools no lead).
    assert days_of(log, "return_requested", "Pip") == [date(2026, 12, 15)]
    assert days_of(log, "return_requested", "Rowan") == [date(2026, 12, 15)]
    assert days_of(log, "return_requested", "Nobody") == [date(2026, 12, 15)]

    # Reminder 2 working days before 30 December: Thursday 24th (25th and 28th are holidays), once.
    assert days_of(log, "return_due_soon", "Pip") == [date(2026, 12, 24)]
    # Health submitted on the 22nd: no reminder, no chaser for it.
    assert days_of(log, "return_due_soon", "Rowan") == []
    assert days_of(log, "return_overdue", "Rowan") == []

    # A chaser each working day once overdue: not 1 January, nor the weekend of 2-3 January.
    chasers = [
        date(2026, 12, 31),
        date(2027, 1, 4),
        date(2027, 1, 5),
        date(2027, 1, 6),
        date(2027, 1, 7),
        date(2027, 1, 8),
        date(2027, 1, 11),
        date(2027, 1, 12),
    ]
    assert days_of(log, "return_overdue", "Pip") == chasers
    # Escalations: to the business manager 2 working days late, to the police's own partner 4 days late.
    assert days_of(log, "return_escalated_to_manager", "Morgan") == [date(2027, 1, 4), date(2027, 1, 4)]
    # Schools have no partner of their own: the partnership's partners are told instead, so the police's
    # partner hears of both returns.
    assert days_of(log, "return_escalated_to_partner", "Quinn") == [date(2027, 1, 6), date(2027, 1, 6)]
    assert days_of(log, "return_escalated_to_partner", "Sol") == [date(2027, 1, 6)]

    # The statutory deadline: at risk 2 working days before 7 January, missed the next working day, to the
    # business manager and the Executive.
    assert days_of(log, "statutory_deadline_at_risk", "Morgan") == [date(2027, 1, 5)]
    assert days_of(log, "statutory_deadline_at_risk", "Eden") == [date(2027, 1, 5)]
    assert days_of(log, "statutory_deadline_missed", "Morgan") == [date(2027, 1, 8)]
    assert days_of(log, "statutory_deadline_missed", "Eden") == [date(2027, 1, 8)]

    # Nothing on a weekend or bank holiday, and nothing twice.
    holidays = {date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)}
    assert not [entry for entry in log if entry[0].weekday() >= 5 or entry[0] in holidays]
    # The only repeats of a day, rule and person are the escalations about the two overdue returns.
    assert len(log) == len(set(log)) + 2
    # Each in-app message announced itself, for the live unread count.
    with sessions() as session:
        notifications = session.scalars(select(NotificationRecord)).all()
    assert len(bus.emitted) == len(notifications)


def test_an_extension_moves_the_reminders_and_a_pause_stops_the_statutory_alerts(sessions):
    bus = Bus()
    seed_people(sessions)
    returns = open_rapid_review(sessions, bus)
    extended = date(2027, 1, 6)
    handle(
        sessions,
        ReturnExtended(
            review_id=REVIEW,
            return_id=returns[POLICE],
            agency_id=POLICE,
            previous_due_on=RETURNS_DUE,
            due_on=extended,
        ),
        at(date(2026, 12, 23), 12),
        bus,
    )
    paused = DeadlineChanged(
        review_id=REVIEW,
        review_type="child_safeguarding",
        deadline="rapid_review",
        label="Rapid review report to the Panel",
        statutory=True,
        due_on=REPORT_DUE,
        revised_due_on=None,
        previous_revised_due_on=REPORT_DUE,
        status="paused",
        reason="paused",
    )
    handle(sessions, paused, at(date(2027, 1, 4), 9), bus)
    run_days(sessions, date(2026, 12, 15), date(2027, 1, 8), bus, passes=2)
    log = sent(sessions)
    # The old date's reminder had not come yet on the 23rd; the new date's comes 2 working days before it.
    assert days_of(log, "return_due_soon", "Pip") == [date(2027, 1, 4)]
    assert days_of(log, "return_overdue", "Pip") == [date(2027, 1, 7), date(2027, 1, 8)]
    assert days_of(log, "statutory_deadline_at_risk", "") == []
    assert days_of(log, "statutory_deadline_missed", "") == []


def test_events_out_of_order_never_reopen_a_submitted_return(sessions):
    bus = Bus()
    seed_people(sessions)
    return_id = uuid.uuid4()
    submitted = ReturnSubmitted(
        review_id=REVIEW,
        return_id=return_id,
        agency_id=POLICE,
        nil=True,
        due_on=RETURNS_DUE,
        late_by_working_days=0,
    )
    requested = ReturnRequested(review_id=REVIEW, return_id=return_id, agency_id=POLICE, due_on=RETURNS_DUE)
    handle(sessions, submitted, at(date(2026, 12, 16), 12), bus)  # arrives first, though it happened later
    handle(sessions, requested, at(date(2026, 12, 15), 9), bus)
    run_days(sessions, date(2026, 12, 16), date(2027, 1, 5), bus, passes=1)
    assert days_of(sent(sessions), "return_overdue", "") == []


def test_the_scheduler_runs_on_one_session_at_a_time(sessions):
    bus = Bus()
    seed_people(sessions)
    open_rapid_review(sessions, bus)
    now = at(date(2026, 12, 24))
    first, second = sessions(), sessions()
    try:
        with time_machine.travel(now, tick=False):
            one = engine.run_schedule(first, BOOK, now, bus, "https://caserev.test", 7)
            other = engine.run_schedule(second, BOOK, now, bus, "https://caserev.test", 7)
        assert one.ran and one.reminders == 2  # the police lead, and the health lead (in-app only)
        assert not other.ran
        first.commit()
        second.rollback()
        with time_machine.travel(now, tick=False):
            again = engine.run_schedule(second, BOOK, now, bus, "https://caserev.test", 7)
        assert again.ran and again.reminders == 0
        second.commit()
    finally:
        first.close()
        second.close()


def test_a_partnership_can_move_a_reminder_and_switch_off_a_chaser_but_not_a_statutory_alert(sessions):
    from services.notifications.models import RuleSettingRecord

    bus = Bus()
    seed_people(sessions)
    open_rapid_review(sessions, bus)
    with sessions.begin() as session:
        for rule, enabled, days in (
            ("return_due_soon", True, 4),
            ("return_overdue", False, None),
            ("statutory_deadline_missed", False, None),
        ):
            session.add(
                RuleSettingRecord(
                    partnership_id=PARTNERSHIP,
                    rule=rule,
                    enabled=enabled,
                    days=days,
                    updated_at=at(NOTIFIED),
                    updated_by="test",
                )
            )
    run_days(sessions, date(2026, 12, 15), date(2027, 1, 11), bus, passes=1)
    log = sent(sessions)
    assert days_of(log, "return_due_soon", "Pip") == [date(2026, 12, 22)]  # 4 working days before the 30th
    assert days_of(log, "return_overdue", "") == []
    assert days_of(log, "statutory_deadline_missed", "Morgan") == [date(2027, 1, 8)]


def test_a_person_who_chose_the_digest_gets_one_email_a_working_day_with_the_messages_waiting(sessions):
    from services.notifications.models import PreferenceRecord

    bus = Bus()
    seed_people(sessions)
    with sessions.begin() as session:
        session.add(
            PreferenceRecord(user_id=USER_IDS["police lead"], kind="return_reminder", timing="digest")
        )
    open_rapid_review(sessions, bus)
    # The reminder is decided at 10:00 on Thursday 24 December; the digest hour is 07:00, so that day's
    # digest had already gone: the reminder waits for the next working day's, Tuesday 29 December.
    run_days(sessions, date(2026, 12, 24), date(2026, 12, 29), bus, passes=2)
    log = sent(sessions)
    assert days_of(log, "return_due_soon", "Pip") == []  # not e-mailed on its own
    assert days_of(log, "daily_digest", "Pip") == [date(2026, 12, 29)]
    with sessions() as session:
        digest = session.scalars(select(EmailRecord).where(EmailRecord.rule == "daily_digest")).one()
        waiting = session.scalars(
            select(NotificationRecord).where(NotificationRecord.digest == "pending")
        ).all()
    assert digest.subject == "Your Case Review summary: 1 message"
    assert "A rapid review return is due in 2 working days" in digest.body
    assert "/returns/" in digest.body and "https://caserev.test/notifications" in digest.body
    assert waiting == []
    # Urgent and statutory kinds cannot wait: the chaser of the 31st goes at once, digest or not.
    run_days(sessions, date(2026, 12, 31), date(2026, 12, 31), bus, passes=1)
    assert days_of(sent(sessions), "return_overdue", "Pip") == [date(2026, 12, 31)]
