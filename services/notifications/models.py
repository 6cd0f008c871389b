"""Storage of the notifications service: schema `notifications`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
