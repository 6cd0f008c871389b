"""Storage of the reports service: schema `reports`, its tables and queries (used by repository.py).

A document and its sections are rows; each section's text is a Yjs document kept as a snapshot
(`section_state`) and the updates appended since (`section_update`). What the service knows of others comes
from their events: which partnership holds a review (forms), people and agencies (the gateway's identity).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.kernel.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("reports")


class DocumentRecord(Base):
    """A document of a review: its kind, title and, for an agency report, its agency."""

    __tablename__ = "document"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(index=True)
    partnership_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[UUID | None]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SectionRecord(Base):
    """A section of a document: its place, title and guidance, who writes it, which agencies may read it."""

    __tablename__ = "section"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    document_id: Mapped[UUID] = mapped_column(ForeignKey("reports.document.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    assigned_user_id: Mapped[str | None] = mapped_column(String(200))
    assigned_agency_id: Mapped[UUID | None]
    shared_with_agency_ids: Mapped[list[UUID]] = mapped_column(ARRAY(PgUUID(as_uuid=True)))


class SectionStateRecord(Base):
    """A section's Yjs document compacted: every update up to the last compaction merged into one."""

    __tablename__ = "section_state"

    section_id: Mapped[UUID] = mapped_column(ForeignKey("reports.section.id"), primary_key=True)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)
    compactions: Mapped[int] = mapped_column(Integer, server_default="0")
    compacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SectionUpdateRecord(Base):
    """One Yjs update to a section since its last compaction, as an editor's gateway handed it in."""

    __tablename__ = "section_update"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    section_id: Mapped[UUID] = mapped_column(ForeignKey("reports.section.id"), index=True)
    update: Mapped[bytes] = mapped_column(LargeBinary)
    saved_by: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewRecord(Base):
    """Which partnership holds a review, from forms' events."""

    __tablename__ = "review"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID]


class PersonRecord(Base):
    """A person as the gateway last announced them: whom a section can be assigned to, and their name."""

    __tablename__ = "person"

    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    partnership_id: Mapped[UUID | None]
    agency_id: Mapped[UUID | None]
    display_name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    active: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgencyRecord(Base):
    """An agency of a partnership as the gateway last announced it."""

    __tablename__ = "agency"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -- queries ------------------------------------------------------------------------------------------------


def document(session: Session, document_id: UUID) -> DocumentRecord | None:
    return session.get(DocumentRecord, document_id)


def documents_of(session: Session, review_id: UUID) -> list[DocumentRecord]:
    query = select(DocumentRecord).where(DocumentRecord.review_id == review_id)
    return list(session.scalars(query.order_by(DocumentRecord.created_at, DocumentRecord.id)))


def sections_of(session: Session, document_ids: list[UUID], *, lock: bool = False) -> list[SectionRecord]:
    query = select(SectionRecord).where(SectionRecord.document_id.in_(document_ids))
    query = query.order_by(SectionRecord.document_id, SectionRecord.position)
    return list(session.scalars(query.with_for_update() if lock else query))


def document_of_section(session: Session, section_id: UUID) -> UUID | None:
    return session.scalar(select(SectionRecord.document_id).where(SectionRecord.id == section_id))


def state_parts(session: Session, section_id: UUID) -> list[bytes]:
    """The snapshot and every update since, read in one statement (so a compaction committing meanwhile
    cannot make an update vanish between reading the snapshot and reading the updates)."""
    rows = session.execute(
        select(SectionStateRecord.snapshot)
        .where(SectionStateRecord.section_id == section_id)
        .union_all(select(SectionUpdateRecord.update).where(SectionUpdateRecord.section_id == section_id))
    )
    return [bytes(row[0]) for row in rows]


def append_updates(
    session: Session, section_id: UUID, updates: list[bytes], saved_by: str, now: datetime
) -> None:
    session.execute(
        insert(SectionUpdateRecord),
        [{"section_id": section_id, "update": u, "saved_by": saved_by, "saved_at": now} for u in updates],
    )


def pending_updates(session: Session, section_id: UUID) -> int:
    """How many updates wait for the next compaction."""
    return (
        session.scalar(
            select(func.count())
            .select_from(SectionUpdateRecord)
            .where(SectionUpdateRecord.section_id == section_id)
        )
        or 0
    )


def lock_state(session: Session, section_id: UUID) -> SectionStateRecord | None:
    """The section's snapshot row, locked for a compaction; None when another process is compacting it."""
    query = select(SectionStateRecord).where(SectionStateRecord.section_id == section_id)
    return session.scalars(query.with_for_update(skip_locked=True)).first()


def updates_to_compact(session: Session, section_id: UUID) -> list[SectionUpdateRecord]:
    query = select(SectionUpdateRecord).where(SectionUpdateRecord.section_id == section_id)
    return list(session.scalars(query.order_by(SectionUpdateRecord.id)))


def keep_review(session: Session, review_id: UUID, partnership_id: UUID) -> None:
    session.execute(
        insert(ReviewRecord).values(id=review_id, partnership_id=partnership_id).on_conflict_do_nothing()
    )


def holder_of(session: Session, review_id: UUID) -> UUID | None:
    return session.scalar(select(ReviewRecord.partnership_id).where(ReviewRecord.id == review_id))


def keep_person(session: Session, values: dict[str, object]) -> None:
    """The person as announced, unless a later announcement is already kept."""
    statement = insert(PersonRecord).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[PersonRecord.user_id],
            set_={k: statement.excluded[k] for k in values if k != "user_id"},
            where=PersonRecord.changed_at < statement.excluded.changed_at,
        )
    )


def keep_agency(session: Session, values: dict[str, object]) -> None:
    statement = insert(AgencyRecord).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[AgencyRecord.id],
            set_={k: statement.excluded[k] for k in values if k != "id"},
            where=AgencyRecord.changed_at < statement.excluded.changed_at,
        )
    )


def people_of(session: Session, partnership_id: UUID) -> list[PersonRecord]:
    query = select(PersonRecord).where(PersonRecord.partnership_id == partnership_id, PersonRecord.active)
    return list(session.scalars(query.order_by(PersonRecord.display_name)))


def agencies_of(session: Session, partnership_id: UUID) -> list[AgencyRecord]:
    query = select(AgencyRecord).where(AgencyRecord.partnership_id == partnership_id)
    return list(session.scalars(query.order_by(AgencyRecord.name)))


# -- publication --------------------------------------------------------------------------------------------


class PublicationCopyRecord(Base):
    """A document's anonymised copy for publication: its title and its sections' text as blocks (JSON,
    SectionText's shape), the places the last check found (JSON, Finding's shape), and whether it is ready."""

    __tablename__ = "publication_copy"

    document_id: Mapped[UUID] = mapped_column(ForeignKey("reports.document.id"), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    sections: Mapped[list[dict[str, object]]] = mapped_column(JSONB)
    findings: Mapped[list[dict[str, object]]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(20))
    built_by: Mapped[str] = mapped_column(String(200))
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ready_by: Mapped[str | None] = mapped_column(String(200))
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def publication_copy(
    session: Session, document_id: UUID, *, lock: bool = False
) -> PublicationCopyRecord | None:
    return session.get(PublicationCopyRecord, document_id, with_for_update=lock)


def insert_publication_copy(
    session: Session, document_id: UUID, *, built_by: str, values: Mapping[str, object]
) -> None:
    """A document's first copy; one inserted meanwhile by another build is replaced."""
    statement = insert(PublicationCopyRecord).values(document_id=document_id, built_by=built_by, **values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[PublicationCopyRecord.document_id],
            set_={"built_by": built_by, **values},
        )
    )
