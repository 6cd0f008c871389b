"""Storage of the meetings service: schema `meetings` (its outbox and inbox so far)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from services.kernel.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("meetings")
