"""Storage of the actions service: schema `actions`, its tables (used by repository.py).

The service keeps its own copy of what it needs of other parts: reviews (from forms' events: who holds each
and when it began) and the partnership's people and agencies (from the gateway's identity events: whom an
action can be assigned to, and their names on the plan).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Boolean, Date, DateTime, Integer, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kernel.db import schema_metadata
from services.kernel.file_store import stored_files_table


class Base(DeclarativeBase):
    metadata = schema_metadata("actions")


# The files of evidence themselves (services/kernel/file_store.py); EvidenceRecord names each by its key.
stored_files_table(Base.metadata)


class ReviewRecord(Base):
    """A review as forms announced it: the partnership holding it, its type and the day it began."""

    __tablename__ = "review"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID] = mapped_column(index=True)
    review_type: Mapped[str] = mapped_column(String(60))
    began_on: Mapped[date] = mapped_column(Date())
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class PersonRecord(Base):
    """A person with an account, as the gateway announced them: whom actions can be assigned to."""

    __tablename__ = "person"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID | None] = mapped_column(index=True)
    agency_id: Mapped[UUID | None]
    display_name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    active: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgencyRecord(Base):
    """An agency's name as the gateway announced it."""

    __tablename__ = "agency"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ThemeChangeRecord(Base):
    """One change of a partnership's taxonomy (append-only): the taxonomy at version N is the seed with the
    changes up to N."""

    __tablename__ = "theme_change"

    partnership_id: Mapped[UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(120), default="")
    national_code: Mapped[str | None] = mapped_column(String(40))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LessonRecord(Base):
    """A lesson of a review, with the codes of its themes and the taxonomy version they were chosen from."""

    __tablename__ = "lesson"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(index=True)
    partnership_id: Mapped[UUID] = mapped_column(index=True)
    finding: Mapped[str] = mapped_column(Text)
    themes: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    taxonomy_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(30))
    episode_entry_id: Mapped[UUID | None]
    recorded_on: Mapped[date] = mapped_column(Date())
    recorded_by: Mapped[str] = mapped_column(String(100))


class RecommendationRecord(Base):
    """A recommendation of a review and the lessons it draws on."""

    __tablename__ = "recommendation"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(index=True)
    text: Mapped[str] = mapped_column(Text)
    lesson_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid()))
    audience: Mapped[str] = mapped_column(String(20))
    agency_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid()))
    made_on: Mapped[date] = mapped_column(Date())
    made_by: Mapped[str] = mapped_column(String(100))


class ActionRecord(Base):
    """An action of a review's action plan: what was typed. Overdue and RAG are worked out, never stored."""

    __tablename__ = "action"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(index=True)
    partnership_id: Mapped[UUID] = mapped_column(index=True)
    recommendation_id: Mapped[UUID | None]
    source: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[UUID] = mapped_column(index=True)
    owner_agency_id: Mapped[UUID | None]
    due_on: Mapped[date] = mapped_column(Date(), index=True)
    success_measure: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    themes: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    assigned_on: Mapped[date] = mapped_column(Date())
    last_update_on: Mapped[date | None] = mapped_column(Date())
    completed_on: Mapped[date | None] = mapped_column(Date())
    not_implemented_reason: Mapped[str] = mapped_column(Text, default="")
    practice_changed: Mapped[str | None] = mapped_column(String(10))
    how_tested: Mapped[str] = mapped_column(Text, default="")
    signed_off_on: Mapped[date | None] = mapped_column(Date())
    signed_off_by: Mapped[str | None] = mapped_column(String(100))
    # The due date for which `actions.action_due` / `action_overdue` were announced (a moved date announces
    # again): the timer's memory, so each is published once.
    due_announced_for: Mapped[date | None] = mapped_column(Date())
    overdue_announced_for: Mapped[date | None] = mapped_column(Date())
    # The meeting whose approved minutes agreed the action (source "meeting").
    meeting_id: Mapped[UUID | None]


class AgreedActionRecord(Base):
    """An action arising in a meeting's approved minutes (meetings.action_agreed), one row per action item
    however often the event comes: on the plan once `action_id` is set, else waiting to be assigned for its
    `reasons`."""

    __tablename__ = "agreed_action"

    item_id: Mapped[UUID] = mapped_column(primary_key=True)
    meeting_id: Mapped[UUID]
    review_id: Mapped[UUID] = mapped_column(index=True)
    partnership_id: Mapped[UUID]
    what: Mapped[str] = mapped_column(Text)
    owner_ref: Mapped[str | None] = mapped_column(String(100))
    due_on: Mapped[date | None] = mapped_column(Date())
    agreed_on: Mapped[date] = mapped_column(Date())
    reasons: Mapped[list[str]] = mapped_column(ARRAY(Text))
    action_id: Mapped[UUID | None]


class ProgressRecord(Base):
    """A progress update of an action (append-only)."""

    __tablename__ = "progress_update"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    action_id: Mapped[UUID] = mapped_column(index=True)
    written_on: Mapped[date] = mapped_column(Date())
    written_by: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BriefRecord(Base):
    """A review's learning brief."""

    __tablename__ = "learning_brief"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(index=True)
    partnership_id: Mapped[UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(300))
    published_on: Mapped[date] = mapped_column(Date())
    recorded_by: Mapped[str] = mapped_column(String(100))


class DisseminationRecord(Base):
    """How a brief's learning travelled (append-only)."""

    __tablename__ = "dissemination"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    brief_id: Mapped[UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    to_whom: Mapped[str] = mapped_column(String(300))
    on: Mapped[date] = mapped_column(Date())
    people: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EvidenceRecord(Base):
    """A file of evidence of an action: what the checker found it to be, and the key of its bytes."""

    __tablename__ = "evidence"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    action_id: Mapped[UUID] = mapped_column(index=True)
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    file_key: Mapped[str] = mapped_column(String(32))
    added_on: Mapped[date] = mapped_column(Date())
    added_by: Mapped[str] = mapped_column(String(100))
