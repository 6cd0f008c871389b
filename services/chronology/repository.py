"""The seam between the chronology handlers and storage: reviews, agencies, the register, uploads, entries.

Everything runs in the worker's transaction (the session of its unit of work); SQL stays here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, false, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.chronology import domain
from services.chronology.contract.views import ChronologyQuery
from services.chronology.models import (
    AgencyRecord,
    EntryRecord,
    PersonRecord,
    ReviewAgencyRecord,
    ReviewRecord,
    UploadRecord,
    UserNameRecord,
)


@dataclass(frozen=True)
class Filters:
    """A query's filters as SQL needs them, with the one agency the caller may read (None: all)."""

    query: ChronologyQuery
    agency_scope: UUID | None


class ChronologyStore:
    """The chronology service's tables, in one worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- what other parts announced -------------------------------------------------------------------------

    def review(self, review_id: UUID) -> ReviewRecord | None:
        return self.session.get(ReviewRecord, review_id)

    def hold_review(
        self, review_id: UUID, partnership_id: UUID, review_type: str, opened_at: datetime
    ) -> None:
        self.session.execute(
            pg_insert(ReviewRecord)
            .values(
                id=review_id,
                partnership_id=partnership_id,
                review_type=review_type,
                opened_at=opened_at,
                closed=False,
                extra_columns=[],
            )
            .on_conflict_do_nothing()
        )

    def close_review(self, review_id: UUID) -> None:
        self.session.execute(update(ReviewRecord).where(ReviewRecord.id == review_id).values(closed=True))

    def ask_agency(self, review_id: UUID, agency_id: UUID) -> None:
        self.session.execute(
            pg_insert(ReviewAgencyRecord)
            .values(review_id=review_id, agency_id=agency_id)
            .on_conflict_do_nothing()
        )

    def asked_agencies(self, review_id: UUID) -> list[UUID]:
        return list(
            self.session.scalars(
                select(ReviewAgencyRecord.agency_id)
                .where(ReviewAgencyRecord.review_id == review_id)
                .order_by(ReviewAgencyRecord.asked_at)
            )
        )

    def name_agency(self, agency_id: UUID, partnership_id: UUID, name: str, changed_at: datetime) -> None:
        """Keep an agency's latest name (an older announcement arriving late changes nothing)."""
        statement = pg_insert(AgencyRecord).values(
            id=agency_id, partnership_id=partnership_id, name=name, changed_at=changed_at
        )
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[AgencyRecord.id],
                set_={"name": statement.excluded.name, "changed_at": statement.excluded.changed_at},
                where=AgencyRecord.changed_at < statement.excluded.changed_at,
            )
        )

    def agency_names(self, agency_ids: Sequence[UUID]) -> dict[UUID, str]:
        if not agency_ids:
            return {}
        rows = self.session.execute(
            select(AgencyRecord.id, AgencyRecord.name).where(AgencyRecord.id.in_(list(agency_ids)))
        )
        return {row.id: row.name for row in rows}

    def name_user(self, user_id: str, display_name: str, changed_at: datetime) -> None:
        statement = pg_insert(UserNameRecord).values(
            user_id=user_id, display_name=display_name, changed_at=changed_at
        )
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[UserNameRecord.user_id],
                set_={
                    "display_name": statement.excluded.display_name,
                    "changed_at": statement.excluded.changed_at,
                },
                where=UserNameRecord.changed_at < statement.excluded.changed_at,
            )
        )

    def user_name(self, user_id: str) -> str | None:
        return self.session.scalar(
            select(UserNameRecord.display_name).where(UserNameRecord.user_id == user_id)
        )

    # -- the people register --------------------------------------------------------------------------------

    def people(self, review_id: UUID) -> list[PersonRecord]:
        return list(
            self.session.scalars(
                select(PersonRecord)
                .where(PersonRecord.review_id == review_id)
                .order_by(PersonRecord.subject.desc(), PersonRecord.added_at, PersonRecord.label)
            )
        )

    def add_person(self, person: PersonRecord) -> None:
        self.session.add(person)
        self.session.flush()

    # -- uploads --------------------------------------------------------------------------------------------

    def add_upload(self, upload: UploadRecord) -> None:
        self.session.add(upload)
        self.session.flush()

    def upload(self, upload_id: UUID, *, for_update: bool = False) -> UploadRecord | None:
        statement = select(UploadRecord).where(UploadRecord.id == upload_id)
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalar(statement)

    def uploads(self, review_id: UUID, agency_id: UUID | None) -> list[UploadRecord]:
        statement = select(UploadRecord).where(
            UploadRecord.review_id == review_id, UploadRecord.state.not_in(("checking", "abandoned"))
        )
        if agency_id is not None:
            statement = statement.where(UploadRecord.agency_id == agency_id)
        return list(self.session.scalars(statement.order_by(UploadRecord.uploaded_at.desc())))

    def current_upload(self, review_id: UUID, agency_id: UUID, source: str) -> UploadRecord | None:
        """The agency's current version from this source, locked until the transaction ends."""
        return self.session.scalar(
            select(UploadRecord)
            .where(
                UploadRecord.review_id == review_id,
                UploadRecord.agency_id == agency_id,
                UploadRecord.source == source,
                UploadRecord.state == "current",
            )
            .with_for_update()
        )

    def current_upload_ids(self, review_id: UUID) -> list[UUID]:
        return list(
            self.session.scalars(
                select(UploadRecord.id).where(
                    UploadRecord.review_id == review_id, UploadRecord.state == "current"
                )
            )
        )

    def stage(self, rows: list[dict[str, Any]]) -> None:
        """Add entries of an upload in one statement per call (batched by SQLAlchemy's insertmanyvalues)."""
        if rows:
            self.session.execute(insert(EntryRecord), rows)

    def drop_entries(self, upload_id: UUID) -> None:
        self.session.execute(delete(EntryRecord).where(EntryRecord.upload_id == upload_id))

    def stale_uploads(
        self, checking_before: datetime, ready_before: datetime, limit: int
    ) -> list[UploadRecord]:
        """Uploads left half-checked (their checker went away) or never imported, oldest first, locked."""
        return list(
            self.session.scalars(
                select(UploadRecord)
                .where(
                    (and_(UploadRecord.state == "checking", UploadRecord.touched_at < checking_before))
                    | (and_(UploadRecord.state == "ready", UploadRecord.touched_at < ready_before))
                )
                .order_by(UploadRecord.touched_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )

    # -- the merged chronology ------------------------------------------------------------------------------

    def entries(self, review_id: UUID, filters: Filters, after: domain.Place | None) -> list[EntryRecord]:
        """One page of the merged chronology (one more than asked, to tell whether another follows)."""
        statement = self._matching(review_id, filters)
        if after is not None:
            statement = statement.where(
                tuple_(EntryRecord.sort_at, EntryRecord.sort_rank, EntryRecord.seq)
                > tuple_(after.sort_at, after.sort_rank, after.seq)
            )
        statement = statement.order_by(EntryRecord.sort_at, EntryRecord.sort_rank, EntryRecord.seq).limit(
            filters.query.limit + 1
        )
        return list(self.session.scalars(statement))

    def count(self, review_id: UUID, filters: Filters) -> int:
        counted = self._matching(review_id, filters).with_only_columns(func.count()).order_by(None)
        return int(self.session.scalar(counted) or 0)

    def entries_of_upload(self, upload_id: UUID, limit: int) -> list[EntryRecord]:
        return list(
            self.session.scalars(
                select(EntryRecord)
                .where(EntryRecord.upload_id == upload_id)
                .order_by(EntryRecord.row, EntryRecord.seq)
                .limit(limit)
            )
        )

    def agencies_with_entries(self, review_id: UUID, scope: UUID | None) -> list[UUID]:
        statement = select(UploadRecord.agency_id).where(
            UploadRecord.review_id == review_id, UploadRecord.state == "current"
        )
        if scope is not None:
            statement = statement.where(UploadRecord.agency_id == scope)
        return list(dict.fromkeys(self.session.scalars(statement)))

    def _matching(self, review_id: UUID, filters: Filters) -> Any:
        query = filters.query
        current = select(UploadRecord.id).where(
            UploadRecord.review_id == review_id, UploadRecord.state == "current"
        )
        statement = select(EntryRecord).where(
            EntryRecord.review_id == review_id, EntryRecord.upload_id.in_(current)
        )
        agency = filters.agency_scope or query.agency_id
        if filters.agency_scope is not None and query.agency_id not in (None, filters.agency_scope):
            agency = None
            statement = statement.where(false())  # another agency's entries: nothing, not an error
        if agency is not None:
            statement = statement.where(EntryRecord.agency_id == agency)
        if query.from_on is not None:
            statement = statement.where(
                func.coalesce(EntryRecord.ended_on, EntryRecord.ends_on) >= query.from_on
            )
        if query.to_on is not None:
            statement = statement.where(EntryRecord.starts_on <= query.to_on)
        if query.significance is not None:
            statement = statement.where(EntryRecord.significance == query.significance)
        if query.episodes_only:
            statement = statement.where(EntryRecord.agency_suggests_episode.is_(True))
        if query.person_id is not None:
            statement = statement.where(EntryRecord.people.contains([str(query.person_id)]))
        if query.text:
            statement = statement.where(
                EntryRecord.search.op("@@")(func.websearch_to_tsquery("english", query.text))
            )
        return statement


def entry_row(upload: UploadRecord, entry_id: UUID, fields: dict[str, Any]) -> dict[str, Any]:
    """The columns of one staged entry of an upload."""
    return {
        "id": entry_id,
        "upload_id": upload.id,
        "review_id": upload.review_id,
        "agency_id": upload.agency_id,
    } | fields


def latest_end(records: Sequence[EntryRecord], before: date | None) -> date | None:
    """The latest day any of the entries covers (a period's end, else its date's last day), and `before`."""
    ends = [record.ended_on or record.ends_on for record in records]
    if before is not None:
        ends.append(before)
    return max(ends) if ends else None
