"""Storage of the notifications service: schema `notifications`, and the queries its handlers and engine need
(the handlers reach them through repository.py)."""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    or_,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.kernel.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("notifications")


class ContactRecord(Base):
    """Whom the service wrote to per partnership and role before it learnt people from identity events.

    Kept for the data protection search of what was sent then; nothing new is written here.
    """

    __tablename__ = "contact"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID] = mapped_column(index=True)
    role: Mapped[str] = mapped_column(String(40))
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    # When the contact was last set (None: set before this was recorded).
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PersonRecord(Base):
    """A person as identity last published them (identity.person_changed): whom to write to."""

    __tablename__ = "person"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID | None] = mapped_column(index=True)
    agency_id: Mapped[UUID | None]
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    active: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgencyRecord(Base):
    """An agency's name, as messages about its returns say it (identity.agency_changed)."""

    __tablename__ = "agency"

    agency_id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NotificationRecord(Base):
    """An in-app notification. `digest`: None (e-mailed at once, or not by e-mail), pending, sent."""

    __tablename__ = "notification"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    # Before people came from identity, notifications went to contacts; now to users.
    contact_id: Mapped[UUID | None] = mapped_column(index=True)
    user_id: Mapped[UUID | None] = mapped_column(index=True)
    partnership_id: Mapped[UUID]
    review_id: Mapped[UUID | None]
    event_id: Mapped[UUID | None]
    rule: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    digest: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EmailRecord(Base):
    """An e-mail and its delivery: queued, sending, sent, failed (with the reason), uncertain (the service
    stopped while sending it), or not_sent (nobody to send it to, or no address: see last_error)."""

    __tablename__ = "email"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    notification_id: Mapped[UUID | None]
    user_id: Mapped[UUID | None]
    review_id: Mapped[UUID | None]
    rule: Mapped[str | None] = mapped_column(String(60))
    # The person's name and role in words, as the delivery log shows it.
    recipient: Mapped[str | None] = mapped_column(String(200))
    attachment_name: Mapped[str | None] = mapped_column(String(100))
    attachment: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The partnership the e-mail was sent for (None: an account of no partnership), for data protection.
    partnership_id: Mapped[UUID | None] = mapped_column(index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryEventRecord(Base):
    """What happened to an e-mail, in order: queued, sending, sent, failed (reason), retry, uncertain."""

    __tablename__ = "delivery_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    email_id: Mapped[UUID] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(300))


class DueItemRecord(Base):
    """A due date the service follows (a return, a statutory deadline, an action): open, paused, closed."""

    __tablename__ = "due_item"
    __table_args__ = (UniqueConstraint("review_id", "track", "subject", name="uq_due_item_subject"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID] = mapped_column(index=True)
    review_id: Mapped[UUID | None] = mapped_column(index=True)
    track: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))
    agency_id: Mapped[UUID | None]
    user_id: Mapped[UUID | None]
    label: Mapped[str | None] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReminderSentRecord(Base):
    """That a date rule's occurrence for a due date was sent: the key that stops it being sent twice."""

    __tablename__ = "reminder_sent"

    rule: Mapped[str] = mapped_column(String(60), primary_key=True)
    due_item_id: Mapped[UUID] = mapped_column(primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    occurrence: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PreferenceRecord(Base):
    """A person's choice for a kind of message: immediate, or in the daily digest."""

    __tablename__ = "preference"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    timing: Mapped[str] = mapped_column(String(10))


class RuleSettingRecord(Base):
    """A partnership's own figure for a rule, or that it switched the rule off."""

    __tablename__ = "rule_setting"

    partnership_id: Mapped[UUID] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(60), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    days: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(100))


class DigestSentRecord(Base):
    """That a person's daily digest for a day was made (one per person per day)."""

    __tablename__ = "digest_sent"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    digest_on: Mapped[date] = mapped_column(Date, primary_key=True)
    email_id: Mapped[UUID | None]


def contacts_with_address(session: Session, email: str, partnership_id: UUID | None) -> list[ContactRecord]:
    """Contacts with this e-mail address (any case), in one partnership or (None) in every partnership."""
    query = select(ContactRecord).where(func.lower(ContactRecord.email) == email.lower())
    if partnership_id is not None:
        query = query.where(ContactRecord.partnership_id == partnership_id)
    return list(session.scalars(query.order_by(ContactRecord.id)))


def people_matching(
    session: Session, user_id: str | None, email: str | None, partnership_id: UUID | None
) -> list[PersonRecord]:
    """People with this user id or e-mail address (any case), in one partnership or (None) in every one."""
    conditions = []
    if user_id:
        with contextlib.suppress(ValueError):
            conditions.append(PersonRecord.user_id == UUID(user_id))
    if email:
        conditions.append(func.lower(PersonRecord.email) == email.lower())
    if not conditions:
        return []
    query = select(PersonRecord).where(or_(*conditions))
    if partnership_id is not None:
        query = query.where(PersonRecord.partnership_id == partnership_id)
    return list(session.scalars(query.order_by(PersonRecord.user_id)))


def notifications_of(
    session: Session, contact_ids: list[UUID], user_ids: list[UUID]
) -> list[NotificationRecord]:
    """The in-app notifications of these contacts (of old) and people, oldest first."""
    if not contact_ids and not user_ids:
        return []
    return list(
        session.scalars(
            select(NotificationRecord)
            .where(
                or_(NotificationRecord.contact_id.in_(contact_ids), NotificationRecord.user_id.in_(user_ids))
            )
            .order_by(NotificationRecord.created_at)
        )
    )


def emails_to(session: Session, email: str, partnership_id: UUID | None) -> list[EmailRecord]:
    """E-mail to this address (any case), sent for one partnership or (None) for any, or for none at all."""
    query = select(EmailRecord).where(func.lower(EmailRecord.to_address) == email.lower())
    if partnership_id is not None:
        query = query.where(EmailRecord.partnership_id == partnership_id)
    return list(session.scalars(query.order_by(EmailRecord.created_at)))


def rule_settings(session: Session, partnership_id: UUID) -> dict[str, RuleSettingRecord]:
    """A partnership's own figures for its rules, by rule code (a rule it never changed is absent)."""
    rows = session.scalars(
        select(RuleSettingRecord).where(RuleSettingRecord.partnership_id == partnership_id)
    )
    return {row.rule: row for row in rows}
