"""Storage of the meetings service: schema `meetings`, its tables and queries (used by repository.py).

A meeting's agenda, invitees with their replies, and minutes are one JSON document on its row (the aggregate
domain.Meeting, read and written whole under a row lock); papers, their bytes and the family's contacts
are tables of their own.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Integer, String, Text, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.kernel.db import schema_metadata
from services.kernel.file_store import stored_files_table


class Base(DeclarativeBase):
    metadata = schema_metadata("meetings")


# The bytes of accepted papers (services/kernel/file_store.py), when kept in the database.
stored_files_table(Base.metadata)


class MeetingRecord(Base):
    """A meeting of a review: kind, time, place, status, and its aggregate (agenda, invitees, minutes)."""

    __tablename__ = "meeting"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(index=True)
    # The partnership holding the review, as the meeting was scheduled for it: who may see it follows.
    partnership_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_reference: Mapped[str] = mapped_column(String(200), server_default="")
    place: Mapped[str] = mapped_column(String(200), server_default="")
    online_link: Mapped[str] = mapped_column(String(500), server_default="")
    chair_id: Mapped[str] = mapped_column(String(200), server_default="")
    organizer_id: Mapped[str] = mapped_column(String(200), server_default="")
    sequence: Mapped[int] = mapped_column(Integer, server_default="0")
    reminded: Mapped[bool] = mapped_column(Boolean, server_default="false")
    body: Mapped[dict[str, Any]] = mapped_column(JSONB().with_variant(JSON(), "sqlite"), server_default="{}")


class ReviewRecord(Base):
    """Which partnership holds a review, from forms' events: who may see its meetings and family follows."""

    __tablename__ = "review"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID]


class PaperRecord(Base):
    """A paper of a meeting: the file as the checker accepted it, and the key its bytes are kept under."""

    __tablename__ = "paper"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    meeting_id: Mapped[UUID] = mapped_column(index=True)
    agenda_item_id: Mapped[UUID | None]
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    store_key: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FamilyContactRecord(Base):
    """A contact with the family, serving one review or several linked ones (`review_ids`)."""

    __tablename__ = "family_contact"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID]
    review_ids: Mapped[list[UUID]] = mapped_column(ARRAY(PgUUID(as_uuid=True)))
    contacted_on: Mapped[date] = mapped_column(Date)
    family_member: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(100))
    through_professional: Mapped[str] = mapped_column(String(200))
    consent: Mapped[bool] = mapped_column(Boolean)
    wishes: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    wants_report_before_publication: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def meetings_of(session: Session, review_id: UUID) -> list[MeetingRecord]:
    """Every meeting of one review."""
    return list(session.scalars(select(MeetingRecord).where(MeetingRecord.review_id == review_id)))


def meeting(session: Session, meeting_id: UUID, *, lock: bool = False) -> MeetingRecord | None:
    """One meeting, locked for the transaction when it is to be changed."""
    query = select(MeetingRecord).where(MeetingRecord.id == meeting_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def meetings_between(
    session: Session, partnership_id: UUID | None, starts: datetime, ends: datetime
) -> list[MeetingRecord]:
    """The meetings (of one partnership, or of all for the system) starting in a span of time."""
    query = select(MeetingRecord).where(MeetingRecord.starts_at >= starts, MeetingRecord.starts_at < ends)
    if partnership_id is not None:
        query = query.where(MeetingRecord.partnership_id == partnership_id)
    return list(session.scalars(query.order_by(MeetingRecord.starts_at)))


def due_for_reminder(session: Session, starts: datetime, ends: datetime) -> list[MeetingRecord]:
    """Scheduled meetings starting in a span not yet reminded, locked; a second scheduler skips them."""
    return list(
        session.scalars(
            select(MeetingRecord)
            .where(
                MeetingRecord.status == "scheduled",
                MeetingRecord.reminded.is_(False),
                MeetingRecord.starts_at >= starts,
                MeetingRecord.starts_at < ends,
            )
            .with_for_update(skip_locked=True)
        )
    )


def papers_of(session: Session, meeting_id: UUID) -> list[PaperRecord]:
    return list(
        session.scalars(
            select(PaperRecord).where(PaperRecord.meeting_id == meeting_id).order_by(PaperRecord.uploaded_at)
        )
    )


def family_contacts_of(session: Session, review_id: UUID) -> list[FamilyContactRecord]:
    """The family contacts that serve a review (recorded on it or on a linked review), newest first."""
    return list(
        session.scalars(
            select(FamilyContactRecord)
            .where(FamilyContactRecord.review_ids.contains([review_id]))
            .order_by(FamilyContactRecord.contacted_on.desc(), FamilyContactRecord.recorded_at.desc())
        )
    )


def keep_review(session: Session, review_id: UUID, partnership_id: UUID) -> None:
    """Remember which partnership holds a review (a review never changes hands)."""
    session.execute(
        insert(ReviewRecord).values(id=review_id, partnership_id=partnership_id).on_conflict_do_nothing()
    )


def holder_of(session: Session, review_id: UUID) -> UUID | None:
    """The partnership holding a review, as forms told (None if its opening has not arrived)."""
    return session.scalar(select(ReviewRecord.partnership_id).where(ReviewRecord.id == review_id))
