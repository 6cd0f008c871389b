"""Storage of the actions service: schema `actions` (its outbox and inbox so far)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from services.kernel.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("actions")
