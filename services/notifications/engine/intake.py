"""The notifications engine on one database session: events into tracked due dates and messages, the
scheduler's pass over due dates and digests, and the e-mail sender's claims and records.

The service's entrypoints call these inside their unit of work; tests call them on a real database
(with time travel). Every message is written in the transaction that decided it, together with the key
that stops it being decided twice (the inbox for events, `reminder_sent` for dates, `digest_sent` for
digests): a crash leaves either all of it or none of it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.kernel.calendar import ENGLAND, is_working_day, today_in_england
from services.kernel.events import Envelope, EventData
from services.notifications import domain
from services.notifications.contract import NotificationCreated
from services.notifications.models import (
    AgencyRecord,
    DeliveryEventRecord,
    DigestSentRecord,
    DueItemRecord,
    EmailRecord,
    NotificationRecord,
    PersonRecord,
    PreferenceRecord,
    ReminderSentRecord,
    RuleSettingRecord,
)
from services.notifications.rules import Rule, RuleBook, Track
from services.notifications.schedule import Occurrence, occurrence_on

log = logging.getLogger(__name__)

# The scheduler's advisory lock: one pass at a time across every process of the service.
SCHEDULE_LOCK = 0x6E6F7469  # "noti"
# Occurrences recorded per statement (five parameters each, far below PostgreSQL's 65,535).
RECORD_BATCH = 1000

# emit(payload, partnership_id, review_id): record an event in the caller's outbox.
Emit = Callable[[EventData, UUID | None, UUID | None], None]


# ------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Effective:
    """A rule as a partnership has it: on or off, and its days."""

    enabled: bool
    days: int | None


def effective(rule: Rule, setting: RuleSettingRecord | None) -> Effective:
    """The partnership's figure where it set one; a statutory rule is always on."""
    if setting is None:
        return Effective(enabled=True, days=rule.days)
    days = setting.days if setting.days is not None else rule.days
    return Effective(enabled=setting.enabled or rule.statutory, days=days)


def settings_of(session: Session, partnership_id: UUID) -> dict[str, RuleSettingRecord]:
    rows = session.scalars(
        select(RuleSettingRecord).where(RuleSettingRecord.partnership_id == partnership_id)
    )
    return {row.rule: row for row in rows}


# ----------------------------------------------------------------------------------------- messages


def add_delivery_event(
    session: Session, email_id: UUID, at: datetime, status: str, detail: str | None
) -> None:
    session.add(DeliveryEventRecord(email_id=email_id, at=at, status=status, detail=detail))


@dataclass(frozen=True)
class Occasion:
    """What a message is about: partnership, review, agency, the people an event names, the words' values."""

    partnership_id: UUID
    review_id: UUID | None
    agency_id: UUID | None
    named: tuple[UUID, ...]
    context: Mapping[str, Any]
    event_id: UUID | None = None


class Directory:
    """Whom the service knows, read once per event or scheduler pass: people by partnership, agencies'
    names, people's choices of timing."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._people: dict[UUID, list[PersonRecord]] = {}
        self._agencies: dict[UUID, str] = {}
        self._timings: dict[UUID, dict[str, str]] = {}

    def people(self, partnership_id: UUID) -> list[PersonRecord]:
        if partnership_id not in self._people:
            people = list(
                self.session.scalars(
                    select(PersonRecord).where(PersonRecord.partnership_id == partnership_id)
                )
            )
            self._people[partnership_id] = people
            chosen = self.session.scalars(
                select(PreferenceRecord).where(PreferenceRecord.user_id.in_([p.user_id for p in people]))
            )
            for choice in chosen:
                self._timings.setdefault(choice.user_id, {})[choice.kind] = choice.timing
        return self._people[partnership_id]

    def agency_name(self, agency_id: UUID | None) -> str:
        if agency_id is None:
            return "The agency"
        if agency_id not in self._agencies:
            agency = self.session.get(AgencyRecord, agency_id)
            self._agencies[agency_id] = agency.name if agency is not None else "An agency"
        return self._agencies[agency_id]

    def timing(self, rule: Rule, user_id: UUID) -> str:
        """Immediate or digest: statutory and urgent rules are always immediate (people() was read first)."""
        if rule.fixed_timing:
            return "immediate"
        return self._timings.get(user_id, {}).get(rule.kind, "immediate")


def _not_sent(
    session: Session,
    rule: Rule,
    occasion: Occasion,
    wording: domain.Wording,
    reason: str,
    now: datetime,
    *,
    recipient: str,
    user_id: UUID | None = None,
    notification_id: UUID | None = None,
) -> None:
    email = EmailRecord(
        id=uuid.uuid4(),
        notification_id=notification_id,
        partnership_id=occasion.partnership_id,
        review_id=occasion.review_id,
        user_id=user_id,
        rule=rule.code,
        recipient=recipient,
        to_address="",
        subject=wording.title,
        body="",
        status="not_sent",
        attempts=0,
        last_error=reason[:300],
        created_at=now,
        next_attempt_at=now,
    )
    session.add(email)
    add_delivery_event(session, email.id, now, "not_sent", reason[:300])


def send(
    session: Session,
    rule: Rule,
    occasion: Occasion,
    now: datetime,
    emit: Emit,
    public_url: str,
    directory: Directory | None = None,
) -> int:
    """Write a rule's message for everyone it names: in-app, and an e-mail now or in the digest.

    Somebody the rule names but who has no e-mail address gets the in-app message, and the delivery log
    says why no e-mail went; a role nobody holds is written in the log too. Returns the messages written.
    """
    wording = domain.word(rule, occasion.context)
    directory = directory or Directory(session)
    people = directory.people(occasion.partnership_id)
    agency = occasion.context.get("agency")
    told: set[UUID] = set()
    written = 0
    for who in rule.to:
        chosen = domain.choose_recipients(
            who,
            people,
            partnership_id=occasion.partnership_id,
            agency_id=occasion.agency_id,
            named=occasion.named,
        )
        if not chosen:
            reason = domain.nobody_reason(who, str(agency) if agency else None)
            _not_sent(session, rule, occasion, wording, reason, now, recipient="Nobody")
            log.warning(
                "rule %s found nobody (%s) for partnership %s", rule.code, who, occasion.partnership_id
            )
            continue
        for person in chosen:
            if person.user_id in told:
                continue
            told.add(person.user_id)
            written += 1
            timing = directory.timing(rule, person.user_id)
            notification = NotificationRecord(
                id=uuid.uuid4(),
                user_id=person.user_id,
                partnership_id=occasion.partnership_id,
                review_id=occasion.review_id,
                event_id=occasion.event_id,
                rule=rule.code,
                kind=rule.kind,
                title=wording.title,
                body=wording.body,
                link=wording.link,
                urgent=rule.fixed_timing,
                digest="pending" if timing == "digest" and person.email else None,
                created_at=now,
            )
            session.add(notification)
            emit(
                NotificationCreated(
                    notification_id=notification.id,
                    user_id=person.user_id,
                    kind=rule.kind,
                    urgent=rule.fixed_timing,
                ),
                occasion.partnership_id,
                occasion.review_id,
            )
            recipient = domain.recipient_words(person, who)
            if not person.email:
                _not_sent(
                    session,
                    rule,
                    occasion,
                    wording,
                    "No e-mail address: the message is in their notification centre only",
                    now,
                    recipient=recipient,
                    user_id=person.user_id,
                    notification_id=notification.id,
                )
                continue
            if timing == "digest":
                continue
            letter = domain.message_letter(person.display_name, wording, public_url)
            queue_email(
                session,
                EmailRecord(
                    id=uuid.uuid4(),
                    notification_id=notification.id,
                    partnership_id=occasion.partnership_id,
                    review_id=occasion.review_id,
                    user_id=person.user_id,
                    rule=rule.code,
                    recipient=recipient,
                    to_address=person.email,
                    subject=letter.subject,
                    body=letter.body,
                ),
                now,
            )
    return written


def queue_email(session: Session, email: EmailRecord, now: datetime, detail: str | None = None) -> None:
    email.status, email.attempts, email.created_at, email.next_attempt_at = "queued", 0, now, now
    session.add(email)
    add_delivery_event(session, email.id, now, "queued", detail)


# ------------------------------------------------------------------------------------------- events


def learn_person(session: Session, person: Mapping[str, Any]) -> None:
    """Keep the latest of a person (an older event arriving late changes nothing)."""
    values = dict(person)
    statement = insert(PersonRecord).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[PersonRecord.user_id],
            set_={key: statement.excluded[key] for key in values if key != "user_id"},
            where=PersonRecord.changed_at <= statement.excluded.changed_at,
        )
    )


def learn_agency(session: Session, agency: Mapping[str, Any]) -> None:
    values = {key: agency[key] for key in ("agency_id", "partnership_id", "name", "changed_at")}
    statement = insert(AgencyRecord).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[AgencyRecord.agency_id],
            set_={key: statement.excluded[key] for key in values if key != "agency_id"},
            where=AgencyRecord.changed_at <= statement.excluded.changed_at,
        )
    )


def _uuid(value: Any) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _named(value: Any) -> tuple[UUID, ...]:
    values = value if isinstance(value, (list, tuple)) else [value]
    return tuple(found for found in (_uuid(v) for v in values) if found is not None)


def track_event(session: Session, track: Track, envelope: Envelope) -> None:
    """Apply an event to the tracked due date it is about.

    Events of one review reach the service on different queues, so they may come out of order: a change
    applies only if it happened after the last one applied, and a close leaves the date closed even if
    the event that opened it comes later.
    """
    if envelope.partnership_id is None:
        return
    data = envelope.data
    if envelope.type in track.closed_by_review and envelope.review_id is not None:
        session.execute(
            update(DueItemRecord)
            .where(DueItemRecord.review_id == envelope.review_id, DueItemRecord.track == track.code)
            .values(state="closed", updated_at=envelope.occurred_at)
        )
    spec = track.events.get(envelope.type)
    if spec is None or not track.counts(data):
        return
    effect = spec.effect_of(data)
    subject = data.get(track.subject)
    if effect is None or subject is None:
        return
    item = session.scalars(
        select(DueItemRecord)
        .where(
            DueItemRecord.review_id == envelope.review_id,
            DueItemRecord.track == track.code,
            DueItemRecord.subject == str(subject),
        )
        .with_for_update()
    ).first()
    if item is None:
        item = DueItemRecord(
            id=uuid.uuid4(),
            partnership_id=envelope.partnership_id,
            review_id=envelope.review_id,
            track=track.code,
            subject=str(subject),
            state="open",
            updated_at=envelope.occurred_at,
        )
        session.add(item)
    elif item.updated_at > envelope.occurred_at or item.state == "closed":
        return  # a later change, or the close, was applied already
    if spec.due and _date(data.get(spec.due)) is not None:
        item.due_on = _date(data.get(spec.due))
    if spec.agency:
        item.agency_id = _uuid(data.get(spec.agency))
    if spec.user:
        item.user_id = _uuid(data.get(spec.user))
    if spec.label:
        item.label = str(data.get(spec.label) or "")[:200]
    item.state = {"open": "open", "move": item.state, "pause": "paused", "close": "closed"}[effect]
    item.updated_at = envelope.occurred_at


def handle_event(
    session: Session, book: RuleBook, envelope: Envelope, now: datetime, emit: Emit, public_url: str
) -> int:
    """An event: the due dates it moves, and the messages its rules send. Returns the messages written."""
    for track in book.tracks.values():
        if not track.problems:
            track_event(session, track, envelope)
    rules = book.event_rules(envelope.type)
    if not rules:
        return 0
    if envelope.partnership_id is None:
        log.warning("event %s names no partnership: nobody to tell", envelope.event_id)
        return 0
    settings = settings_of(session, envelope.partnership_id)
    directory = Directory(session)
    agency_id = _uuid(envelope.data.get("agency_id"))
    context: dict[str, Any] = {
        **{key: _date(value) if key.endswith("_on") else value for key, value in envelope.data.items()},
        "review_id": envelope.review_id,
        "agency": directory.agency_name(agency_id),
    }
    written = 0
    for rule in rules:
        if not effective(rule, settings.get(rule.code)).enabled:
            continue
        named = tuple(
            user for who in rule.to if who.startswith("user:") for user in _named(envelope.data.get(who[5:]))
        )
        occasion = Occasion(
            envelope.partnership_id, envelope.review_id, agency_id, named, context, envelope.event_id
        )
        written += send(session, rule, occasion, now, emit, public_url, directory)
    return written


# ---------------------------------------------------------------------------------------- scheduler


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
            settings[item.partnership_id] = settings_of(session, item.partnership_id)
        for rule in rules:
            figures = effective(rule, settings[item.partnership_id].get(rule.code))
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


# ------------------------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Claimed:
    """An e-mail claimed for sending, as the sender needs it (outside any transaction)."""

    id: UUID
    to: str
    subject: str
    body: str
    attachment_name: str | None
    attachment: str | None


def mark_stalled(session: Session, now: datetime, lease_s: float) -> int:
    """E-mail left `sending` by a sender that stopped: it may have gone, so it becomes uncertain and is not
    sent again by itself (nobody gets it twice); the delivery log offers to send it again."""
    stalled = session.scalars(
        select(EmailRecord)
        .where(EmailRecord.status == "sending", EmailRecord.claimed_at < now - timedelta(seconds=lease_s))
        .with_for_update(skip_locked=True)
    ).all()
    for email in stalled:
        email.status = "uncertain"
        email.last_error = "The service stopped while sending it: it may have gone, so it was not sent again"
        add_delivery_event(session, email.id, now, "uncertain", email.last_error)
    return len(stalled)


def claim(session: Session, now: datetime, batch: int) -> list[Claimed]:
    """Claim due queued e-mail for this process (SKIP LOCKED): each becomes `sending` when this commits."""
    due = session.scalars(
        select(EmailRecord)
        .where(EmailRecord.status == "queued", EmailRecord.next_attempt_at <= now)
        .order_by(EmailRecord.created_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for email in due:
        email.status, email.claimed_at, email.attempts = "sending", now, email.attempts + 1
        add_delivery_event(session, email.id, now, "sending", f"attempt {email.attempts}")
        claimed.append(
            Claimed(
                email.id, email.to_address, email.subject, email.body, email.attachment_name, email.attachment
            )
        )
    return claimed


def record_sent(session: Session, email_id: UUID, now: datetime) -> None:
    email = session.get(EmailRecord, email_id, with_for_update=True)
    if email is None or email.status != "sending":
        return
    email.status, email.sent_at, email.last_error = "sent", now, None
    add_delivery_event(session, email.id, now, "sent", None)


def record_failure(session: Session, email_id: UUID, now: datetime, error: BaseException) -> str:
    """A failed attempt: retried with back-off while trying again could help, else failed for good."""
    email = session.get(EmailRecord, email_id, with_for_update=True)
    if email is None or email.status != "sending":
        return "gone"
    reason, transient = domain.failure_in_words(error)
    email.last_error = reason
    retry_at = domain.next_attempt(email.attempts, now) if transient else None
    if retry_at is None:
        email.status = "failed"
        add_delivery_event(session, email.id, now, "failed", reason)
    else:
        email.status, email.next_attempt_at = "queued", retry_at
        add_delivery_event(
            session, email.id, now, "retry", f"{reason}; trying again at {retry_at:%H:%M:%S} UTC"
        )
    return email.status


def send_again(session: Session, email: EmailRecord, now: datetime, by: str) -> EmailRecord:
    """A new e-mail with the same words as a failed or uncertain one (its own id, so its own Message-ID)."""
    again = EmailRecord(
        id=uuid.uuid4(),
        notification_id=email.notification_id,
        partnership_id=email.partnership_id,
        review_id=email.review_id,
        user_id=email.user_id,
        rule=email.rule,
        recipient=email.recipient,
        to_address=email.to_address,
        subject=email.subject,
        body=email.body,
        attachment_name=email.attachment_name,
        attachment=email.attachment,
    )
    queue_email(session, again, now, f"sent again by {by} (was {email.status})")
    return again


# --------------------------------------------------------------------------------------- the inbox


def unread_count(session: Session, user_id: UUID) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(NotificationRecord)
            .where(NotificationRecord.user_id == user_id, NotificationRecord.read_at.is_(None))
        ).scalar_one()
    )


def mark_read(session: Session, user_id: UUID, ids: Iterable[UUID], everything: bool, now: datetime) -> int:
    """Mark the person's own messages read (ids of anyone else's are ignored); returns how many changed."""
    statement = update(NotificationRecord).where(
        NotificationRecord.user_id == user_id, NotificationRecord.read_at.is_(None)
    )
    if not everything:
        wanted = list(ids)
        if not wanted:
            return 0
        statement = statement.where(NotificationRecord.id.in_(wanted))
    result = session.execute(statement.values(read_at=now).returning(NotificationRecord.id))
    return len(result.all())


def utcnow() -> datetime:
    return datetime.now(UTC)
