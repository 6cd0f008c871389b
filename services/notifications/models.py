"""Storage of the notifications service: schema `notifications`, and the queries its entrypoints need."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, Integer, String, Text, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.kernel.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("notifications")


class ContactRecord(Base):
    """Whom to write to, per partnership and role."""

    __tablename__ = "contact"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID] = mapped_column(index=True)
    role: Mapped[str] = mapped_column(String(40))
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    # When the contact was last set (None: set before this was recorded).
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationRecord(Base):
    """An in-app notification."""

    __tablename__ = "notification"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    contact_id: Mapped[UUID] = mapped_column(index=True)
    partnership_id: Mapped[UUID]
    review_id: Mapped[UUID | None]
    event_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EmailRecord(Base):
    """An e-mail and its delivery: queued, sent, or failed with the reason."""

    __tablename__ = "email"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    notification_id: Mapped[UUID | None]
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


def contacts_with_address(session: Session, email: str, partnership_id: UUID | None) -> list[ContactRecord]:
    """Contacts with this e-mail address (any case), in one partnership or (None) in every partnership."""
    query = select(ContactRecord).where(func.lower(ContactRecord.email) == email.lower())
    if partnership_id is not None:
        query = query.where(ContactRecord.partnership_id == partnership_id)
    return list(session.scalars(query.order_by(ContactRecord.id)))


def notifications_of(session: Session, contact_ids: list[UUID]) -> list[NotificationRecord]:
    """The in-app notifications of these contacts, oldest first."""
    if not contact_ids:
        return []
    return list(
        session.scalars(
            select(NotificationRecord)
            .where(NotificationRecord.contact_id.in_(contact_ids))
            .order_by(NotificationRecord.created_at)
        )
    )


def emails_to(session: Session, email: str, partnership_id: UUID | None) -> list[EmailRecord]:
    """E-mail to this address (any case), sent for one partnership or (None) for any, or for none at all."""
    query = select(EmailRecord).where(func.lower(EmailRecord.to_address) == email.lower())
    if partnership_id is not None:
        query = query.where(EmailRecord.partnership_id == partnership_id)
    return list(session.scalars(query.order_by(EmailRecord.created_at)))
