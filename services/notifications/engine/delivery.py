"""E-mail delivery on one session: queueing, the sender's claims (SKIP LOCKED), what became of each
attempt, and sending a failed or uncertain e-mail again. Every step leaves its line in the delivery log
(`delivery_event`), which the business manager reads.

The sender (handlers/sender.py) claims and records each step in its own transaction, so that a stop
between sending and recording leaves `sending`, which becomes `uncertain` and is never sent again by itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notifications import domain
from services.notifications.models import DeliveryEventRecord, EmailRecord


def add_delivery_event(
    session: Session, email_id: UUID, at: datetime, status: str, detail: str | None
) -> None:
    """A line of an e-mail's history in the delivery log."""
    session.add(DeliveryEventRecord(email_id=email_id, at=at, status=status, detail=detail))


def queue_email(session: Session, email: EmailRecord, now: datetime, detail: str | None = None) -> None:
    """Queue an e-mail to be sent as soon as the sender runs."""
    email.status, email.attempts, email.created_at, email.next_attempt_at = "queued", 0, now, now
    session.add(email)
    add_delivery_event(session, email.id, now, "queued", detail)


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
    """The relay took the e-mail (one no longer `sending`, marked uncertain meanwhile, stays as it is)."""
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
