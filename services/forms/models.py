"""Storage of the forms service: its own schema `forms`, and the queries its entrypoints need."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.forms import clock, domain
from services.forms.policy import ReadScope, ReviewOwnership
from services.kernel.calendar import today_in_england
from services.kernel.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("forms")


class ReviewRecord(Base):
    """A review row."""

    __tablename__ = "review"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    partnership_id: Mapped[UUID] = mapped_column(index=True)
    review_type: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(50))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The deadline figures the review keeps for life (the partnership's, when it opened).
    deadline_figures: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)


class ReviewShareRecord(Base):
    """A review shared with another partnership: who shared it and when."""

    __tablename__ = "review_share"

    review_id: Mapped[UUID] = mapped_column(ForeignKey("forms.review.id"), primary_key=True)
    shared_with_partnership_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)
    shared_by: Mapped[str] = mapped_column(String(100), index=True)
    shared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def ownership(record: ReviewRecord, shared_with: Iterable[UUID]) -> ReviewOwnership:
    """What the access policy needs of a stored review."""
    return ReviewOwnership(record.id, record.partnership_id, frozenset(shared_with))


def shares_of(session: Session, review_ids: list[UUID]) -> dict[UUID, list[UUID]]:
    """The partnerships each review is shared with, in the order they were shared."""
    shared: dict[UUID, list[UUID]] = defaultdict(list)
    if not review_ids:
        return shared
    for review_id, partnership_id in session.execute(
        select(ReviewShareRecord.review_id, ReviewShareRecord.shared_with_partnership_id)
        .where(ReviewShareRecord.review_id.in_(review_ids))
        .order_by(ReviewShareRecord.shared_at)
    ):
        shared[review_id].append(partnership_id)
    return shared


def review_with_shares(
    session: Session, review_id: UUID, *, lock: bool = False
) -> tuple[ReviewRecord, list[UUID]] | None:
    """A review and the partnerships it is shared with, or None if there is no such review.

    `lock` holds the review row until commit, so that two changes to one review take turns.
    """
    record = session.get(ReviewRecord, review_id, with_for_update=lock or None)
    if record is None:
        return None
    return record, shares_of(session, [record.id]).get(record.id, [])


def readable_reviews(session: Session, scope: ReadScope, limit: int) -> list[tuple[ReviewRecord, list[UUID]]]:
    """The reviews inside a read scope, newest first, each with the partnerships it is shared with."""
    if scope.is_empty:
        return []
    query = select(ReviewRecord).order_by(ReviewRecord.opened_at.desc(), ReviewRecord.id).limit(limit)
    if not scope.everything:
        allowed: list[ColumnElement[bool]] = [false()]
        if scope.whole_partnership is not None:
            shared_with_it = select(ReviewShareRecord.review_id).where(
                ReviewShareRecord.shared_with_partnership_id == scope.whole_partnership
            )
            allowed += [
                ReviewRecord.partnership_id == scope.whole_partnership,
                ReviewRecord.id.in_(shared_with_it),
            ]
        if scope.member_partnership is not None and scope.member_reviews:
            allowed.append(
                (ReviewRecord.partnership_id == scope.member_partnership)
                & ReviewRecord.id.in_(sorted(scope.member_reviews))
            )
        query = query.where(or_(*allowed))
    records = list(session.scalars(query))
    shared = shares_of(session, [record.id for record in records])
    return [(record, shared.get(record.id, [])) for record in records]


def reviews_opened_by(session: Session, user_id: str, partnership_id: UUID | None) -> list[ReviewRecord]:
    """Reviews a user opened, in one partnership or (None) in every partnership, oldest first."""
    query = select(ReviewRecord).where(ReviewRecord.opened_by == user_id).order_by(ReviewRecord.opened_at)
    if partnership_id is not None:
        query = query.where(ReviewRecord.partnership_id == partnership_id)
    return list(session.scalars(query))


def shares_made_by(
    session: Session, user_id: str, partnership_id: UUID | None
) -> list[tuple[ReviewShareRecord, UUID]]:
    """Shares a user made of reviews of a partnership (None: of every partnership), with the owner."""
    query = (
        select(ReviewShareRecord, ReviewRecord.partnership_id)
        .join(ReviewRecord, ReviewRecord.id == ReviewShareRecord.review_id)
        .where(ReviewShareRecord.shared_by == user_id)
        .order_by(ReviewShareRecord.shared_at)
    )
    if partnership_id is not None:
        query = query.where(ReviewRecord.partnership_id == partnership_id)
    return [(share, owner) for share, owner in session.execute(query).tuples()]


def reviews_opened_before(
    session: Session, before: datetime, partnership_id: UUID | None
) -> list[ReviewRecord]:
    """Reviews opened before a moment, in one partnership or (None) in every partnership, oldest first."""
    query = select(ReviewRecord).where(ReviewRecord.opened_at < before).order_by(ReviewRecord.opened_at)
    if partnership_id is not None:
        query = query.where(ReviewRecord.partnership_id == partnership_id)
    return list(session.scalars(query))


class StepRecordRow(Base):
    """A step of a review: its answers (a draft until `completed_on` is set, then locked)."""

    __tablename__ = "review_step"

    review_id: Mapped[UUID] = mapped_column(ForeignKey("forms.review.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    saved_by: Mapped[str] = mapped_column(String(100), index=True)
    completed_on: Mapped[date | None] = mapped_column(Date)
    completed_by: Mapped[str | None] = mapped_column(String(100))
    due_on: Mapped[date | None] = mapped_column(Date)
    late_by_working_days: Mapped[int | None] = mapped_column(Integer)


class PauseRow(Base):
    """A pause of a review's clock for a parallel process."""

    __tablename__ = "review_pause"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(ForeignKey("forms.review.id"), index=True)
    reason: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    approved_by: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(100), index=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgencyReturnRow(Base):
    """An agency's rapid review return: asked for, drafted, then submitted (or nil) and locked."""

    __tablename__ = "agency_return"
    __table_args__ = (UniqueConstraint("review_id", "agency_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    review_id: Mapped[UUID] = mapped_column(ForeignKey("forms.review.id"), index=True)
    partnership_id: Mapped[UUID] = mapped_column(index=True)
    agency_id: Mapped[UUID] = mapped_column(index=True)
    agency_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date] = mapped_column(Date)
    extended_to: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[str] = mapped_column(String(100), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(100), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    late_by_working_days: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)


class AddendumRow(Base):
    """A correction to a submitted return: append-only, with its own author and time."""

    __tablename__ = "return_addendum"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    return_id: Mapped[UUID] = mapped_column(ForeignKey("forms.agency_return.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100), index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeadlineSettingRow(Base):
    """A partnership's own figure for one deadline of a review type."""

    __tablename__ = "deadline_setting"

    partnership_id: Mapped[UUID] = mapped_column(primary_key=True)
    review_type: Mapped[str] = mapped_column(String(50), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def steps_of(session: Session, review_ids: list[UUID]) -> dict[UUID, list[StepRecordRow]]:
    found: dict[UUID, list[StepRecordRow]] = defaultdict(list)
    if review_ids:
        for row in session.scalars(select(StepRecordRow).where(StepRecordRow.review_id.in_(review_ids))):
            found[row.review_id].append(row)
    return found


def pauses_of(session: Session, review_ids: list[UUID]) -> dict[UUID, list[PauseRow]]:
    found: dict[UUID, list[PauseRow]] = defaultdict(list)
    if review_ids:
        query = select(PauseRow).where(PauseRow.review_id.in_(review_ids)).order_by(PauseRow.starts_on)
        for row in session.scalars(query):
            found[row.review_id].append(row)
    return found


def returns_of(session: Session, review_ids: list[UUID]) -> dict[UUID, list[AgencyReturnRow]]:
    found: dict[UUID, list[AgencyReturnRow]] = defaultdict(list)
    if review_ids:
        query = (
            select(AgencyReturnRow)
            .where(AgencyReturnRow.review_id.in_(review_ids))
            .order_by(AgencyReturnRow.agency_name)
        )
        for row in session.scalars(query):
            found[row.review_id].append(row)
    return found


def returns_of_agency(session: Session, partnership_id: UUID, agency_id: UUID) -> list[AgencyReturnRow]:
    """The returns asked of one agency, the ones due soonest first."""
    query = (
        select(AgencyReturnRow)
        .where(AgencyReturnRow.partnership_id == partnership_id, AgencyReturnRow.agency_id == agency_id)
        .order_by(AgencyReturnRow.due_on, AgencyReturnRow.id)
    )
    return list(session.scalars(query))


def returns_of_partnership(
    session: Session, partnership_id: UUID
) -> list[tuple[AgencyReturnRow, ReviewRecord]]:
    """Every return asked for in the partnership's own reviews (never one shared with it), with its review."""
    query = (
        select(AgencyReturnRow, ReviewRecord)
        .join(ReviewRecord, ReviewRecord.id == AgencyReturnRow.review_id)
        .where(
            ReviewRecord.partnership_id == partnership_id, AgencyReturnRow.partnership_id == partnership_id
        )
        .order_by(AgencyReturnRow.due_on, AgencyReturnRow.id)
    )
    return [(row, review) for row, review in session.execute(query).tuples()]


def addenda_of(session: Session, return_id: UUID) -> list[AddendumRow]:
    query = select(AddendumRow).where(AddendumRow.return_id == return_id).order_by(AddendumRow.added_at)
    return list(session.scalars(query))


def deadline_settings(session: Session, partnership_id: UUID, review_type: str) -> dict[str, int]:
    query = select(DeadlineSettingRow).where(
        DeadlineSettingRow.partnership_id == partnership_id, DeadlineSettingRow.review_type == review_type
    )
    return {row.code: row.value for row in session.scalars(query)}


def review_state(
    record: ReviewRecord,
    steps: Iterable[StepRecordRow],
    pauses: Iterable[PauseRow],
    returns: Iterable[AgencyReturnRow],
) -> domain.ReviewState:
    """A stored review as the domain sees it: its steps, pauses and how far its returns are in."""
    returns = list(returns)
    submitted = [row.submitted_at for row in returns if row.submitted_at is not None]
    all_in = bool(returns) and len(submitted) == len(returns)
    return domain.ReviewState(
        id=record.id,
        partnership_id=record.partnership_id,
        definition=domain.review_type(record.review_type),
        figures=record.deadline_figures or {},
        steps={
            row.code: domain.StepRecord(
                row.code, row.answers, row.completed_on, row.completed_by, row.version
            )
            for row in steps
        },
        pauses=[clock.PauseSpan(row.starts_on, row.ends_on) for row in pauses],
        returns=domain.ReturnsProgress(
            requested=bool(returns),
            all_in_on=today_in_england(max(submitted)) if all_in else None,
        ),
    )


def work_of_person(
    session: Session, user_id: str, partnership_id: UUID | None
) -> list[tuple[str, str, UUID, str, datetime | None]]:
    """What a person did on reviews' lifecycles, in one partnership or (None) in every partnership: steps
    they saved or completed, returns they asked for, changed or submitted, addenda they wrote, pauses they
    recorded. Rows of (record type, record id, partnership, what they did, when), described without case
    details."""
    found: list[tuple[str, str, UUID, str, datetime | None]] = []

    def within(query: Any) -> Any:
        return query if partnership_id is None else query.where(ReviewRecord.partnership_id == partnership_id)

    steps = within(
        select(StepRecordRow, ReviewRecord)
        .join(ReviewRecord, ReviewRecord.id == StepRecordRow.review_id)
        .where(or_(StepRecordRow.saved_by == user_id, StepRecordRow.completed_by == user_id))
    )
    for step, review in session.execute(steps).tuples():
        did = "Completed" if step.completed_by == user_id else "Saved"
        found.append(
            (
                "review_step",
                f"{review.id}:{step.code}",
                review.partnership_id,
                f"{did} the step {step.code} of the review {review.title}",
                step.saved_at,
            )
        )
    returns = within(
        select(AgencyReturnRow, ReviewRecord)
        .join(ReviewRecord, ReviewRecord.id == AgencyReturnRow.review_id)
        .where(
            or_(
                AgencyReturnRow.requested_by == user_id,
                AgencyReturnRow.updated_by == user_id,
                AgencyReturnRow.submitted_by == user_id,
            )
        )
    )
    for agency_return, review in session.execute(returns).tuples():
        parts = [
            words
            for who, words in (
                (agency_return.requested_by, "asked for"),
                (agency_return.updated_by, "last changed"),
                (agency_return.submitted_by, "submitted"),
            )
            if who == user_id
        ]
        found.append(
            (
                "agency_return",
                str(agency_return.id),
                review.partnership_id,
                f"{' and '.join(parts).capitalize()} the return of {agency_return.agency_name}"
                f" to {review.title}",
                agency_return.updated_at,
            )
        )
    addenda = within(
        select(AddendumRow, AgencyReturnRow, ReviewRecord)
        .join(AgencyReturnRow, AgencyReturnRow.id == AddendumRow.return_id)
        .join(ReviewRecord, ReviewRecord.id == AgencyReturnRow.review_id)
        .where(AddendumRow.author == user_id)
    )
    for addendum, agency_return, review in session.execute(addenda).tuples():
        found.append(
            (
                "return_addendum",
                str(addendum.id),
                review.partnership_id,
                f"Wrote an addendum to the return of {agency_return.agency_name} to {review.title}",
                addendum.added_at,
            )
        )
    pauses = within(
        select(PauseRow, ReviewRecord)
        .join(ReviewRecord, ReviewRecord.id == PauseRow.review_id)
        .where(PauseRow.recorded_by == user_id)
    )
    for pause, review in session.execute(pauses).tuples():
        found.append(
            (
                "review_pause",
                str(pause.id),
                review.partnership_id,
                f"Paused the review {review.title}",
                pause.recorded_at,
            )
        )
    return found


def review_states(session: Session, records: list[ReviewRecord]) -> dict[UUID, domain.ReviewState]:
    """Many stored reviews as the domain sees them, in three queries whatever their number."""
    ids = [record.id for record in records]
    steps, pauses, returns = steps_of(session, ids), pauses_of(session, ids), returns_of(session, ids)
    return {
        record.id: review_state(
            record, steps.get(record.id, []), pauses.get(record.id, []), returns.get(record.id, [])
        )
        for record in records
    }


def agency_return_of(row: AgencyReturnRow) -> domain.AgencyReturn:
    """A stored return as the rules see it."""
    return domain.AgencyReturn(
        id=row.id,
        review_id=row.review_id,
        partnership_id=row.partnership_id,
        agency_id=row.agency_id,
        agency_name=row.agency_name,
        status=row.status,
        due_on=row.due_on,
        extended_to=row.extended_to,
        extension_reason=row.extension_reason,
        answers=dict(row.answers or {}),
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        late_by_working_days=row.late_by_working_days,
        version=row.version,
    )
