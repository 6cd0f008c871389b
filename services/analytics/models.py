"""Storage of the analytics service: read models built from events (schema `analytics`), their queries."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import BigInteger, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.kernel.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("analytics")


class ReviewCountRecord(Base):
    """Reviews by partnership, type and stage."""

    __tablename__ = "review_count"

    partnership_id: Mapped[UUID] = mapped_column(primary_key=True)
    review_type: Mapped[str] = mapped_column(String(50), primary_key=True)
    stage: Mapped[str] = mapped_column(String(50), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


def counts_of(session: Session, partnership_id: UUID) -> list[tuple[str, str, int]]:
    """One partnership's reviews by type and stage: (review_type, stage, count)."""
    rows = session.execute(
        select(ReviewCountRecord.review_type, ReviewCountRecord.stage, ReviewCountRecord.count)
        .where(ReviewCountRecord.partnership_id == partnership_id)
        .order_by(ReviewCountRecord.review_type, ReviewCountRecord.stage)
    )
    return [(review_type, stage, count) for review_type, stage, count in rows.tuples()]


def summed_counts(session: Session, partnerships: frozenset[UUID] | None) -> list[tuple[str, str, int]]:
    """Reviews by type and stage summed over these partnerships (None: every partnership)."""
    total = func.sum(ReviewCountRecord.count)
    query = select(ReviewCountRecord.review_type, ReviewCountRecord.stage, total).group_by(
        ReviewCountRecord.review_type, ReviewCountRecord.stage
    )
    if partnerships is not None:
        query = query.where(ReviewCountRecord.partnership_id.in_(sorted(partnerships)))
    rows = session.execute(query.order_by(ReviewCountRecord.review_type, ReviewCountRecord.stage))
    return [(review_type, stage, int(count)) for review_type, stage, count in rows.tuples()]
