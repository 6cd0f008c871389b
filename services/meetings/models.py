"""Storage of the meetings service: schema `meetings`, its tables and queries (used by repository.py)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.kernel.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("meetings")


class MeetingRecord(Base):
    """A meeting of a review: identifiers, kind, time and status only (no names, no minutes)."""

    __tablename__ = "meeting"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(index=True)
    # The partnership holding the review, as the meeting was scheduled for it: who may see it follows.
    partnership_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))


def meetings_of(session: Session, review_id: UUID) -> list[MeetingRecord]:
    """Every meeting of one review."""
    return list(session.scalars(select(MeetingRecord).where(MeetingRecord.review_id == review_id)))
