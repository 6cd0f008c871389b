"""Storage of the analytics service: read models built from events (schema `analytics`), their queries.

The handlers reach these through repository.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import DateTime, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.kernel.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("analytics")


class ReviewStageRecord(Base):
    """Where each review is: its partnership, type and stage, as of the latest event that placed it there.

    Holds identifiers and codes only (no title, nothing about the child); counts are read from it grouped.
    """

    __tablename__ = "review_stage"

    review_id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID] = mapped_column(index=True)
    review_type: Mapped[str] = mapped_column(String(50))
    stage: Mapped[str] = mapped_column(String(50))
    # When the event that placed the review at this stage occurred: an older event arriving late loses.
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _place_review_statement() -> Any:
    table = cast(Table, ReviewStageRecord.__table__)
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=["review_id"],
        set_={
            "partnership_id": statement.excluded.partnership_id,
            "review_type": statement.excluded.review_type,
            "stage": statement.excluded.stage,
            "as_of": statement.excluded.as_of,
        },
        where=table.c.as_of < statement.excluded.as_of,
    )


# Built once: every forms event that places a review runs it.
PLACE_REVIEW = _place_review_statement()


def place_review(
    session: Session, review_id: UUID, partnership_id: UUID, review_type: str, stage: str, as_of: datetime
) -> None:
    """Record that a review was at a stage as of a moment, unless a later event already placed it.

    domain.Placement.supersedes, in one statement so that two workers placing the same review at once
    cannot both win: the event that occurred last wins, whichever arrives last.
    """
    session.execute(
        PLACE_REVIEW,
        {
            "review_id": review_id,
            "partnership_id": partnership_id,
            "review_type": review_type,
            "stage": stage,
            "as_of": as_of,
        },
    )


def counts_of(session: Session, partnership_id: UUID) -> list[tuple[str, str, int]]:
    """One partnership's reviews by type and stage: (review_type, stage, count)."""
    return summed_counts(session, frozenset({partnership_id}))


def summed_counts(session: Session, partnerships: frozenset[UUID] | None) -> list[tuple[str, str, int]]:
    """Reviews by type and stage summed over these partnerships (None: every partnership)."""
    total = func.count()
    query = select(ReviewStageRecord.review_type, ReviewStageRecord.stage, total).group_by(
        ReviewStageRecord.review_type, ReviewStageRecord.stage
    )
    if partnerships is not None:
        query = query.where(ReviewStageRecord.partnership_id.in_(sorted(partnerships)))
    rows = session.execute(query.order_by(ReviewStageRecord.review_type, ReviewStageRecord.stage))
    return [(review_type, stage, int(count)) for review_type, stage, count in rows.tuples()]


class ActionStateRecord(Base):
    """Where each action of a review's plan stands (a state code), as of the latest event about it."""

    __tablename__ = "action_state"

    action_id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def place_action(
    session: Session, action_id: UUID, partnership_id: UUID, state: str, as_of: datetime
) -> None:
    """Record an action's state as of a moment, unless a later event already placed it (one statement)."""
    statement = insert(ActionStateRecord).values(
        action_id=action_id, partnership_id=partnership_id, state=state, as_of=as_of
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["action_id"],
            set_={"state": statement.excluded.state, "as_of": statement.excluded.as_of},
            where=ActionStateRecord.as_of < statement.excluded.as_of,
        )
    )


def action_counts(session: Session, partnerships: frozenset[UUID] | None) -> list[tuple[str, int]]:
    """Actions by state over these partnerships (None: every partnership)."""
    query = select(ActionStateRecord.state, func.count()).group_by(ActionStateRecord.state)
    if partnerships is not None:
        query = query.where(ActionStateRecord.partnership_id.in_(sorted(partnerships)))
    return [(state, int(count)) for state, count in session.execute(query).tuples()]
