"""Storage of named versions, in schema `reports` (used by version_store.py): a version of a document and,
for each of its sections, the section's Yjs state and its text as blocks when the version was named."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, delete, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.reports.models import Base


class VersionRecord(Base):
    """A named version of a document: who named it and when, and who locked it (signed off) and when."""

    __tablename__ = "version"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    document_id: Mapped[UUID] = mapped_column(ForeignKey("reports.document.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    named_by: Mapped[str] = mapped_column(String(200))
    named_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VersionSectionRecord(Base):
    """A section as a version keeps it: its Yjs state (one update) and its text as blocks (JSON)."""

    __tablename__ = "version_section"

    version_id: Mapped[UUID] = mapped_column(ForeignKey("reports.version.id"), primary_key=True)
    section_id: Mapped[UUID] = mapped_column(ForeignKey("reports.section.id"), primary_key=True)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)


def version(session: Session, version_id: UUID, *, lock: bool = False) -> VersionRecord | None:
    return session.get(VersionRecord, version_id, with_for_update=lock)


def versions_of(session: Session, document_id: UUID) -> list[VersionRecord]:
    query = select(VersionRecord).where(VersionRecord.document_id == document_id)
    return list(session.scalars(query.order_by(VersionRecord.named_at.desc(), VersionRecord.id)))


def names_of(session: Session, document_id: UUID) -> list[str]:
    return list(session.scalars(select(VersionRecord.name).where(VersionRecord.document_id == document_id)))


def sections_of(session: Session, version_id: UUID) -> list[VersionSectionRecord]:
    query = select(VersionSectionRecord).where(VersionSectionRecord.version_id == version_id)
    return list(session.scalars(query))


def delete_version(session: Session, version_id: UUID) -> None:
    session.execute(delete(VersionSectionRecord).where(VersionSectionRecord.version_id == version_id))
    session.execute(delete(VersionRecord).where(VersionRecord.id == version_id))
