"""Storage of the chronology service: schema `chronology`, its tables (used by repository.py).

The service keeps its own copy of what it needs of other parts: reviews and the agencies asked for a
chronology (from forms' events), agencies' names (from the gateway's identity events).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kernel.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("chronology")


class ReviewRecord(Base):
    """A review as forms announced it: who holds it (who may see its chronology follows)."""

    __tablename__ = "review"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID]
    review_type: Mapped[str] = mapped_column(String(60))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class ReviewAgencyRecord(Base):
    """An agency asked for its chronology of a review (by a return request, or by the business manager)."""

    __tablename__ = "review_agency"

    review_id: Mapped[UUID] = mapped_column(primary_key=True)
    agency_id: Mapped[UUID] = mapped_column(primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AgencyRecord(Base):
    """An agency's name as the gateway announced it: the merged chronology prefixes it to each source."""

    __tablename__ = "agency"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserNameRecord(Base):
    """A user's display name as the gateway announced it: who uploaded and imported a version."""

    __tablename__ = "user_name"

    user_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PersonRecord(Base):
    """Someone in the case, in a review's register: the pseudonym is what readers see."""

    __tablename__ = "person"
    __table_args__ = (Index("uq_person_label", "review_id", text("lower(label)"), unique=True),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(index=True)
    label: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    role_in_family: Mapped[str] = mapped_column(String(100))
    born_on: Mapped[date | None] = mapped_column(Date)
    subject: Mapped[bool] = mapped_column(Boolean, default=False)
    also_known_as: Mapped[list[str]] = mapped_column(JSONB, default=list)
    address: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(10))
    school: Mapped[str | None] = mapped_column(String(200))
    nhs_number: Mapped[str | None] = mapped_column(String(12))
    record_numbers: Mapped[list[str]] = mapped_column(JSONB, default=list)
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class UploadRecord(Base):
    """One version of an agency's chronology of a review: a file (or a system's feed) and its fate."""

    __tablename__ = "upload"
    __table_args__ = (Index("ix_upload_review_agency", "review_id", "agency_id", "state"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID]
    agency_id: Mapped[UUID]
    source: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(20))
    rows_expected: Mapped[int] = mapped_column(Integer, default=0)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_by_name: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    touched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    imported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    imported_by_name: Mapped[str | None] = mapped_column(String(200))
    replaced_upload_id: Mapped[UUID | None]


class EntryRecord(Base):
    """One entry of an agency's chronology, as normalised from its row (or message). Readers see the entries
    of current uploads only; the entries of a replaced version stay with it as history."""

    __tablename__ = "entry"
    __table_args__ = (
        # The merged chronology's order, for keyset paging: the upload is in the index so that the entries of
        # replaced versions are skipped without reading the table.
        Index("ix_entry_order", "review_id", "sort_at", "sort_rank", "seq", postgresql_include=["upload_id"]),
        Index("ix_entry_upload", "upload_id"),
        Index("ix_entry_day", "review_id", "starts_on"),
        Index("ix_entry_search", "search", postgresql_using="gin"),
        Index(
            "ix_entry_people", "people", postgresql_using="gin", postgresql_ops={"people": "jsonb_path_ops"}
        ),
        # Entries not settled yet (searchable, compared for likely duplicates): few, and only for seconds.
        Index("ix_entry_unsettled", "upload_id", postgresql_where=text("search IS NULL")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    upload_id: Mapped[UUID]
    review_id: Mapped[UUID]
    agency_id: Mapped[UUID]
    row: Mapped[int | None] = mapped_column(Integer)
    date_typed: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    precision: Mapped[str] = mapped_column(String(10))
    approximate: Mapped[bool] = mapped_column(Boolean)
    at_time: Mapped[time | None] = mapped_column(Time)
    sort_at: Mapped[datetime] = mapped_column(DateTime)
    sort_rank: Mapped[int] = mapped_column(Integer)
    ended_typed: Mapped[str | None] = mapped_column(String(60))
    ended_on: Mapped[date | None] = mapped_column(Date)
    source_record: Mapped[str] = mapped_column(String(200))
    practitioner_role: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    no_action_reason: Mapped[str | None] = mapped_column(Text)
    significance: Mapped[str | None] = mapped_column(String(10))
    agency_suggests_episode: Mapped[bool] = mapped_column(Boolean, default=False)
    people: Mapped[list[str]] = mapped_column(JSONB, default=list)  # person ids, as text
    extra: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    # Filled when the entry settles, after its version's import or its message (SEARCHED), not on every
    # insert: a bulk load computing it row by row ran at a sixth of its rate. NULL: not settled yet.
    search: Mapped[str | None] = mapped_column(TSVECTOR)


# An entry's words as its full-text search reads them.
SEARCHED = (
    "to_tsvector('english', coalesce(event, '') || ' ' || coalesce(action, '') || ' ' || "
    "coalesce(no_action_reason, '') || ' ' || practitioner_role || ' ' || source_record)"
)


class EpisodeRecord(Base):
    """An entry the reviewer tagged as a key practice episode, with the learning noted. Keyed by what names
    the entry across versions (its agency, source record and date as typed), so that a tag survives the agency
    uploading its chronology again."""

    __tablename__ = "episode"

    review_id: Mapped[UUID] = mapped_column(primary_key=True)
    agency_id: Mapped[UUID] = mapped_column(primary_key=True)
    source_record: Mapped[str] = mapped_column(String(200), primary_key=True)
    date_typed: Mapped[str] = mapped_column(String(60), primary_key=True)
    learning: Mapped[str] = mapped_column(Text)
    tagged_by: Mapped[str] = mapped_column(String(100))
    tagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DuplicateRecord(Base):
    """Two entries from different agencies that look like one event, flagged for the reviewer. `pair_key`
    names the pair within its review across versions (each side's agency, source record and date as typed), so
    that a dismissed pair is never flagged again, whatever is uploaded later."""

    __tablename__ = "duplicate"
    __table_args__ = (
        UniqueConstraint("review_id", "pair_key", name="uq_duplicate_pair"),
        # Which of a page's entries were confirmed as one event with another.
        Index("ix_duplicate_confirmed_entry_a", "entry_a", postgresql_where=text("state = 'confirmed'")),
        Index("ix_duplicate_confirmed_entry_b", "entry_b", postgresql_where=text("state = 'confirmed'")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(index=True)
    pair_key: Mapped[str] = mapped_column(String(64))
    entry_a: Mapped[UUID]
    entry_b: Mapped[UUID]
    score: Mapped[float]
    state: Mapped[str] = mapped_column(String(12))  # flagged | confirmed | dismissed
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SystemConnectionRecord(Base):
    """An agency's case system's own broker user, issued by the partnership's administrator."""

    __tablename__ = "system_connection"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID]
    agency_id: Mapped[UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    username: Mapped[str] = mapped_column(String(100), unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefusedMessageRecord(Base):
    """A message from an agency's system that was refused: who sent it, for which review, and why."""

    __tablename__ = "refused_message"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    connection_id: Mapped[UUID | None]
    agency_id: Mapped[UUID | None]
    review_id: Mapped[UUID | None] = mapped_column(index=True)
    message_id: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)


class PartnershipColumnsRecord(Base):
    """A partnership's own columns of its chronology template, after the standard ones, set by its business
    manager: every review of the partnership asks for them."""

    __tablename__ = "partnership_columns"

    partnership_id: Mapped[UUID] = mapped_column(primary_key=True)
    columns: Mapped[list[str]] = mapped_column(JSONB, default=list)
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
