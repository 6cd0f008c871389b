"""A rule's message, written for everyone it names: in-app, and by e-mail now or in the daily digest.

Shared by the intake of events and the scheduler's pass: whatever decided a message, it is written the same
way, in the transaction that decided it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.kernel.events import EventData
from services.notifications import domain
from services.notifications.calendar_invites import meeting_calendar
from services.notifications.contract import NotificationCreated
from services.notifications.engine.delivery import add_delivery_event, queue_email
from services.notifications.models import (
    AgencyRecord,
    EmailRecord,
    NotificationRecord,
    PersonRecord,
    PreferenceRecord,
)
from services.notifications.rules import Rule

log = logging.getLogger(__name__)

# emit(payload, partnership_id, review_id): record an event in the caller's outbox.
Emit = Callable[[EventData, UUID | None, UUID | None], None]


@dataclass(frozen=True)
class Occasion:
    """What a message is about: partnership, review, agency, the people an event names, the words' values."""

    partnership_id: UUID
    review_id: UUID | None
    agency_id: UUID | None
    named: tuple[UUID, ...]
    context: Mapping[str, Any]
    event_id: UUID | None = None
    event_type: str | None = None


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


def not_sent(
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
    """A line in the delivery log for an e-mail that did not go, with the reason (nobody, no address)."""
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
    # A meeting's invitation, update or cancellation carries its calendar entry (the same for everyone).
    attachment = (
        meeting_calendar(
            occasion.event_type or "", occasion.context, people, public_url.rstrip("/") + wording.link, now
        )
        if rule.attachment == "ical"
        else None
    )
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
            not_sent(session, rule, occasion, wording, reason, now, recipient="Nobody")
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
                not_sent(
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
                    attachment_name=attachment[0] if attachment else None,
                    attachment=attachment[1] if attachment else None,
                ),
                now,
            )
    return written
