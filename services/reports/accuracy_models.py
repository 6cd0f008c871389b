"""Storage of factual-accuracy rounds, the family's comments and the partners' sign-offs, in schema `reports`
(used by accuracy_store.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.reports.models import Base


class AccuracyRoundRecord(Base):
    """A factual-accuracy round on a version: when answers are due, who opened and closed it."""

    __tablename__ = "accuracy_round"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    version_id: Mapped[UUID] = mapped_column(ForeignKey("reports.version.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AccuracyRequestRecord(Base):
    """An agency asked in a round: the sections it checks, its answer and comments (JSON)."""

    __tablename__ = "accuracy_request"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    round_id: Mapped[UUID] = mapped_column(ForeignKey("reports.accuracy_round.id"), index=True)
    agency_id: Mapped[UUID]
    section_ids: Mapped[list[UUID]] = mapped_column(ARRAY(PgUUID(as_uuid=True)))
    answer: Mapped[str | None] = mapped_column(String(20))
    answered_by: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)


class FamilyCommentRecord(Base):
    """The family shown a version on a date, their comments and the response, as the manager recorded them."""

    __tablename__ = "family_comment"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    version_id: Mapped[UUID] = mapped_column(ForeignKey("reports.version.id"), index=True)
    shown_on: Mapped[date] = mapped_column(Date)
    comments: Mapped[str] = mapped_column(Text)
    response: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignOffRecord(Base):
    """A partner's signature of a version: one per partner (unique), who signed and when."""

    __tablename__ = "sign_off"

    version_id: Mapped[UUID] = mapped_column(ForeignKey("reports.version.id"), primary_key=True)
    partner_key: Mapped[str] = mapped_column(String(250), primary_key=True)
    agency_id: Mapped[UUID | None]
    signed_by: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def rounds_of(session: Session, version_id: UUID) -> list[AccuracyRoundRecord]:
    query = select(AccuracyRoundRecord).where(AccuracyRoundRecord.version_id == version_id)
    return list(session.scalars(query.order_by(AccuracyRoundRecord.opened_at.desc(), AccuracyRoundRecord.id)))


def requests_of(session: Session, round_ids: list[UUID]) -> list[AccuracyRequestRecord]:
    query = select(AccuracyRequestRecord).where(AccuracyRequestRecord.round_id.in_(round_ids))
    return list(session.scalars(query.order_by(AccuracyRequestRecord.round_id, AccuracyRequestRecord.id)))


def family_of(session: Session, version_id: UUID) -> list[FamilyCommentRecord]:
    query = select(FamilyCommentRecord).where(FamilyCommentRecord.version_id == version_id)
    return list(
        session.scalars(query.order_by(FamilyCommentRecord.shown_on, FamilyCommentRecord.recorded_at))
    )


def sign_offs_of(session: Session, version_id: UUID) -> list[SignOffRecord]:
    query = select(SignOffRecord).where(SignOffRecord.version_id == version_id)
    return list(session.scalars(query.order_by(SignOffRecord.signed_at)))
