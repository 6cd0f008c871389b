"""The gateway's own schema `identity`: partnerships now; users, agencies and roles with sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from uuid import UUID

from sqlalchemy import Engine, text

from services.kernel.db import create_schema_engine


@dataclass(frozen=True)
class Partnership:
    """A safeguarding partnership: the tenant."""

    id: UUID
    code: str
    name: str


@lru_cache
def identity_engine() -> Engine:
    """The engine of schema `identity`, as its own role."""
    return create_schema_engine("identity", pool_size=5)


def list_partnerships() -> list[Partnership]:
    """Every partnership, by name."""
    with identity_engine().connect() as connection:
        rows = connection.execute(text("SELECT id, code, name FROM partnership ORDER BY name")).all()
    return [Partnership(row.id, row.code, row.name) for row in rows]


def partnership_exists(partnership_id: UUID) -> bool:
    """True if the partnership is registered here."""
    with identity_engine().connect() as connection:
        found = connection.execute(text("SELECT 1 FROM partnership WHERE id = :id"), {"id": partnership_id})
        return found.first() is not None


def database_ok() -> bool:
    """True if the identity schema answers."""
    with identity_engine().connect() as connection:
        return connection.execute(text("SELECT 1")).scalar_one() == 1
