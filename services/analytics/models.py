"""Storage of the analytics service: read models built from events, in schema `analytics`."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
