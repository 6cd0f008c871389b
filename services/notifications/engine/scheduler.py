"""The scheduler's pass on one session: the date rules' reminders, chasers and escalations that are due
today, and the daily digests, by one process at a time.

Every message is written in the transaction that decided it, with the key that stops it being decided
twice (`reminder_sent` for dates, `digest_sent` for digests): a crash leaves all of it or none of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.kernel.calendar import ENGLAND, is_working_day, today_in_england
from services.notifications import domain, models
from services.notifications.engine.delivery import queue_email
from services.notifications.engine.messages import Directory, Emit, Occasion, send
from services.notifications.models import (
    DigestSentRecord,
    DueItemRecord,
    EmailRecord,
    NotificationRecord,
    PersonRecord,
    ReminderSentRecord,
    RuleSettingRecord,
)
from services.notifications.rules import Rule, RuleBook
from services.notifications.schedule import Occurrence, occurrence_on

# The scheduler's advisory lock: one pass at a time across every process of the service.
SCHEDULE_LOCK = 0x6E6F7469  # "noti"
# Occurrences recorded per statement (five parameters each, far below PostgreSQL's 65,535).
RECORD_BATCH = 1000


@dataclass(frozen=True)
class SchedulePass:
    """What one pass of the scheduler did (ran is False when another process held the lock)."""

    ran: bool
    reminders: int = 0
    digests: int = 0


def run_schedule(
    session: Session, book: RuleBook, now: datetime, emit: Emit, public_url: str, digest_hour: int
) -> SchedulePass:
    """One pass, in the caller's transaction, by one process at a time (a transaction advisory lock).

    Date rules on working days only; each occurrence is recorded in `reminder_sent` with its messages, so
    it is sent once whatever restarts or how many processes run. Then the daily digests, once the digest
    hour has come on a working day, with what waited from before that hour.
    """
    if not session.execute(select(func.pg_try_advisory_xact_lock(SCHEDULE_LOCK))).scalar_one():
        return SchedulePass(ran=False)
    today = today_in_england(now)
    reminders = digests = 0
    if is_working_day(today):
        reminders = _date_rules(session, book, today, now, emit, public_url)
        cutoff = datetime.combine(today, time(digest_hour), tzinfo=ENGLAND)
        if now >= cutoff:
            digests = _digests(session, today, cutoff, now, public_url)
    return SchedulePass(ran=True, reminders=reminders, digests=digests)


def _date_rules(
    session: Session, book: RuleBook, today: date, now: datetime, emit: Emit, public_url: str
) -> int:
    items = session.scalars(
        select(DueItemRecord)
        .where(DueItemRecord.state == "open", DueItemRecord.due_on.is_not(None))
        .order_by(DueItemRecord.due_on, DueItemRecord.id)
    ).all()
    settings: dict[UUID, dict[str, RuleSettingRecord]] = {}
    due: list[tuple[DueItemRecord, Rule, int, Occurrence]] = []
    for item in items:
        assert item.due_on is not None
        rules = book.date_rules(item.track)
        if rules and item.partnership_id not in settings:
            settings[item.partnership_id] = models.rule_settings(session, item.partnership_id)
        for rule in rules:
            figures = domain.effective(rule, settings[item.partnership_id].get(rule.code))
            if not figures.enabled or figures.days is None:
                continue
            occurrence = occurrence_on(
                today, item.due_on, before=rule.before, every=rule.every, days=figures.days
            )
            if occurrence is not None:
                due.append((item, rule, figures.days, occurrence))
    if not due:
        return 0
    # Record every occurrence due today at once; those recorded before (an earlier pass today, or before a
    # restart) come back absent from RETURNING and are not sent again.
    first_time: set[tuple[str, UUID]] = set()
    for start in range(0, len(due), RECORD_BATCH):
        recorded = session.execute(
            insert(ReminderSentRecord)
            .values(
                [
                    {
                        "rule": rule.code,
                        "due_item_id": item.id,
                        "due_on": item.due_on,
                        "occurrence": occurrence.number,
                        "sent_at": now,
                    }
                    for item, rule, _days, occurrence in due[start : start + RECORD_BATCH]
                ]
            )
            .on_conflict_do_nothing()
            .returning(ReminderSentRecord.rule, ReminderSentRecord.due_item_id)
        )
        first_time.update((row.rule, row.due_item_id) for row in recorded)
    directory = Directory(session)
    written = 0
    for item, rule, days, occurrence in due:
        if (rule.code, item.id) not in first_time:
            continue
        context = {
            "agency": directory.agency_name(item.agency_id),
            "label": item.label or "",
            "due_on": item.due_on,
            "subject": item.subject,
            "review_id": item.review_id,
            "working_days": occurrence.working_days,
            "days_overdue": occurrence.days_overdue,
            "days": days,
        }
        named = (item.user_id,) if item.user_id else ()
        occasion = Occasion(item.partnership_id, item.review_id, item.agency_id, named, context)
        written += send(session, rule, occasion, now, emit, public_url, directory)
    return written


def _digests(session: Session, today: date, cutoff: datetime, now: datetime, public_url: str) -> int:
    """Each person's digest of the day: the messages waiting from before today's digest hour (later ones
    wait for the next working day's), once a day."""
    waiting = session.scalars(
        select(NotificationRecord)
        .where(NotificationRecord.digest == "pending", NotificationRecord.created_at < cutoff)
        .order_by(NotificationRecord.user_id, NotificationRecord.created_at)
    ).all()
    by_user: dict[UUID, list[NotificationRecord]] = {}
    for notification in waiting:
        if notification.user_id is not None:
            by_user.setdefault(notification.user_id, []).append(notification)
    made = 0
    for user_id, notifications in by_user.items():
        person = session.get(PersonRecord, user_id)
        email_id = uuid.uuid4()
        first = session.execute(
            insert(DigestSentRecord)
            .values(user_id=user_id, digest_on=today, email_id=email_id)
            .on_conflict_do_nothing()
            .returning(DigestSentRecord.user_id)
        ).first()
        if first is None:
            continue  # today's digest went: these wait for tomorrow's
        for notification in notifications:
            notification.digest = "sent"
        if person is None or not person.email or not person.active:
            continue
        items = [domain.Wording(n.title, n.body, n.link or "/notifications") for n in notifications]
        letter = domain.digest_letter(person.display_name, items, public_url, today)
        queue_email(
            session,
            EmailRecord(
                id=email_id,
                partnership_id=notifications[0].partnership_id,
                review_id=None,
                user_id=user_id,
                rule="daily_digest",
                recipient=person.display_name,
                to_address=person.email,
                subject=letter.subject,
                body=letter.body,
            ),
            now,
        )
        made += 1
    return made
