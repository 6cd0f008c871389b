"""Storage of the actions service: schema `actions`, its tables and queries (used by repository.py)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import Date, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.kernel.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("actions")


class ActionRecord(Base):
    """An action of a review's action plan: identifiers, due date and status only (no names, no evidence)."""

    __tablename__ = "action"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(index=True)
    # The partnership holding the review, as the action was set for it: who may see it follows.
    partnership_id: Mapped[UUID]
    due_on: Mapped[date | None] = mapped_column(Date())
    status: Mapped[str] = mapped_column(String(20))


def actions_of(session: Session, review_id: UUID) -> list[ActionRecord]:
    """Every action of one review."""
    return list(session.scalars(select(ActionRecord).where(ActionRecord.review_id == review_id)))
