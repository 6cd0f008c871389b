"""The seam between the chronology handlers and storage: reviews, agencies, the register, uploads, entries.

Everything runs in the worker's transaction (the session of its unit of work); SQL stays here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, false, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.chronology import domain
from services.chronology.contract.views import ChronologyQuery
from services.chronology.models import (
    SEARCHED,
    AgencyRecord,
    DuplicateRecord,
    EntryRecord,
    EpisodeRecord,
    PartnershipColumnsRecord,
    PersonRecord,
    ReviewAgencyRecord,
    ReviewRecord,
    UploadRecord,
    UserNameRecord,
)

# What a query says of the page and how it reads, not of which entries match.
_NOT_FILTERS = frozenset({"after", "limit", "show_names"})


@dataclass(frozen=True)
class Filters:
    """A query's filters as SQL needs them, with the one agency the caller may read (None: all)."""

    query: ChronologyQuery
    agency_scope: UUID | None

    @property
    def narrowed(self) -> bool:
        """Whether the query sets any filter, so that it may leave out some of the entries the caller may read
        (a field added to the query counts as a filter until it is named in _NOT_FILTERS)."""
        return any(
            getattr(self.query, name) != field.default
            for name, field in ChronologyQuery.model_fields.items()
            if name not in _NOT_FILTERS
        )


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

    def partnership_columns(self, partnership_id: UUID) -> list[str]:
        record = self.session.get(PartnershipColumnsRecord, partnership_id)
        return list(record.columns) if record is not None else []

    def set_partnership_columns(
        self, partnership_id: UUID, columns: list[str], by: str, at: datetime
    ) -> None:
        statement = pg_insert(PartnershipColumnsRecord).values(
            partnership_id=partnership_id, columns=columns, changed_by=by, changed_at=at
        )
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[PartnershipColumnsRecord.partnership_id],
                set_={"columns": statement.excluded.columns, "changed_by": by, "changed_at": at},
            )
        )

    def agency(self, agency_id: UUID) -> AgencyRecord | None:
        return self.session.get(AgencyRecord, agency_id)

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

    def stage(self, upload: UploadRecord, rows: list[dict[str, Any]]) -> None:
        """Add entries to an upload in one statement: the rows (entry_fields) travel as one JSON document that
        PostgreSQL unpacks (jsonb_to_recordset), a bulk load without COPY, which psycopg2 refuses under
        eventlet; PostgreSQL gives each its id."""
        if rows:
            self.session.execute(
                text(STAGE_ENTRIES),
                {
                    # Dates, times and ids as their str(), which PostgreSQL reads.
                    "rows": json.dumps(rows, default=str, check_circular=False),
                    "upload": upload.id,
                    "review": upload.review_id,
                    "agency": upload.agency_id,
                },
            )

    def hold_settling(self, upload_id: UUID) -> None:
        """Wait for any other settling of the upload, and keep others waiting until this transaction ends."""
        self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"settle:{upload_id}"}
        )

    def settle(self, upload_id: UUID, review_id: UUID) -> int:
        """Flag the likely duplicates of an upload's unsettled entries and make them searchable (after a
        version's import or a system's message, in the background). Returns the pairs flagged or updated.

        Only the entries unsettled when it begins: a system's message committed meanwhile is left for its own
        turn, never marked searchable without having been compared (each statement of a transaction sees
        what committed before it; a feed's messages are applied one at a time, so in `seq` order)."""
        until = self.session.scalar(
            text("SELECT max(seq) FROM entry WHERE upload_id = :upload AND search IS NULL"),
            {"upload": upload_id},
        )
        if until is None:
            return 0
        flagged = Judgements(self.session).flag_duplicates(upload_id, review_id, until)
        self.session.execute(
            text(
                f"UPDATE entry SET search = {SEARCHED}"
                " WHERE upload_id = :upload AND search IS NULL AND seq <= :until"
            ),
            {"upload": upload_id, "until": until},
        )
        return flagged

    def unsettled_agencies(self, review_id: UUID, scope: UUID | None) -> list[UUID]:
        """Agencies with current entries still to be made searchable and compared for likely duplicates."""
        unsettled = (
            select(EntryRecord.id)
            .where(EntryRecord.upload_id == UploadRecord.id, EntryRecord.search.is_(None))
            .exists()
        )
        statement = select(UploadRecord.agency_id).where(
            UploadRecord.review_id == review_id, UploadRecord.state == "current", unsettled
        )
        if scope is not None:
            statement = statement.where(UploadRecord.agency_id == scope)
        return list(dict.fromkeys(self.session.scalars(statement)))

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

    def current_entries(self, review_id: UUID, scope: UUID | None) -> int:
        """How many entries the current versions hold (the caller's agency's only, if scoped): kept with each
        version, so that the merged chronology's total reads a few rows, not every entry."""
        statement = select(func.coalesce(func.sum(UploadRecord.entries), 0)).where(
            UploadRecord.review_id == review_id, UploadRecord.state == "current"
        )
        if scope is not None:
            statement = statement.where(UploadRecord.agency_id == scope)
        return int(self.session.scalar(statement) or 0)

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
            tagged = (
                select(EpisodeRecord.review_id)
                .where(
                    EpisodeRecord.review_id == EntryRecord.review_id,
                    EpisodeRecord.agency_id == EntryRecord.agency_id,
                    EpisodeRecord.source_record == EntryRecord.source_record,
                    EpisodeRecord.date_typed == EntryRecord.date_typed,
                )
                .exists()
            )
            statement = statement.where(tagged | EntryRecord.agency_suggests_episode.is_(True))
        if query.person_id is not None:
            statement = statement.where(EntryRecord.people.contains([str(query.person_id)]))
        if query.text:
            statement = statement.where(
                EntryRecord.search.op("@@")(func.websearch_to_tsquery("english", query.text))
            )
        return statement


class Judgements:
    """The reviewer's judgements on a review's entries: key practice episodes and likely duplicates."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def episodes(self, review_id: UUID) -> list[EpisodeRecord]:
        return list(self.session.scalars(select(EpisodeRecord).where(EpisodeRecord.review_id == review_id)))

    def episode_of(self, entry: EntryRecord) -> EpisodeRecord | None:
        return self.session.get(
            EpisodeRecord, (entry.review_id, entry.agency_id, entry.source_record, entry.date_typed)
        )

    def tag(self, entry: EntryRecord, learning: str, by: str, at: datetime) -> None:
        statement = pg_insert(EpisodeRecord).values(
            review_id=entry.review_id,
            agency_id=entry.agency_id,
            source_record=entry.source_record,
            date_typed=entry.date_typed,
            learning=learning,
            tagged_by=by,
            tagged_at=at,
        )
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["review_id", "agency_id", "source_record", "date_typed"],
                set_={"learning": statement.excluded.learning, "tagged_by": by, "tagged_at": at},
            )
        )

    def untag(self, entry: EntryRecord) -> None:
        self.session.execute(
            delete(EpisodeRecord).where(
                EpisodeRecord.review_id == entry.review_id,
                EpisodeRecord.agency_id == entry.agency_id,
                EpisodeRecord.source_record == entry.source_record,
                EpisodeRecord.date_typed == entry.date_typed,
            )
        )

    def flag_duplicates(self, upload_id: UUID, review_id: UUID, until: int) -> int:
        """Flag pairs of an upload's unsettled entries up to `seq` `until` (not yet searchable: those of its
        import, or of a system's latest messages) and other agencies' current entries alike:
        dated the same day (or a day apart), with similar words, or sharing a person and somewhat similar
        words. A pair decided before keeps its decision (a dismissed one is never flagged again); its entries
        are brought up to date."""
        result = self.session.execute(
            text(FLAG_DUPLICATES),
            {"upload": upload_id, "review": review_id, "until": until, "near": NEAR, "shared": SHARED},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def duplicates(self, review_id: UUID, state: str) -> list[DuplicateRecord]:
        """The review's pairs in a state whose entries are both still current."""
        current = select(UploadRecord.id).where(
            UploadRecord.review_id == review_id, UploadRecord.state == "current"
        )
        live = select(EntryRecord.id).where(
            EntryRecord.review_id == review_id, EntryRecord.upload_id.in_(current)
        )
        return list(
            self.session.scalars(
                select(DuplicateRecord)
                .where(
                    DuplicateRecord.review_id == review_id,
                    DuplicateRecord.state == state,
                    DuplicateRecord.entry_a.in_(live),
                    DuplicateRecord.entry_b.in_(live),
                )
                .order_by(DuplicateRecord.score.desc(), DuplicateRecord.id)
            )
        )

    def duplicate(self, duplicate_id: UUID) -> DuplicateRecord | None:
        return self.session.get(DuplicateRecord, duplicate_id, with_for_update=True)

    def confirmed_for(self, entry_ids: Sequence[UUID]) -> dict[UUID, UUID]:
        """Each of the entries confirmed as one event with another: entry -> the other."""
        if not entry_ids:
            return {}
        rows = self.session.execute(
            select(DuplicateRecord.entry_a, DuplicateRecord.entry_b).where(
                DuplicateRecord.state == "confirmed",
                (DuplicateRecord.entry_a.in_(list(entry_ids)))
                | (DuplicateRecord.entry_b.in_(list(entry_ids))),
            )
        )
        found: dict[UUID, UUID] = {}
        for a, b in rows:
            found[a], found[b] = b, a
        return found

    def entry(self, entry_id: UUID) -> EntryRecord | None:
        return self.session.get(EntryRecord, entry_id)

    def entries(self, entry_ids: Sequence[UUID]) -> dict[UUID, EntryRecord]:
        if not entry_ids:
            return {}
        return {
            e.id: e
            for e in self.session.scalars(select(EntryRecord).where(EntryRecord.id.in_(list(entry_ids))))
        }

    def current_entry_for(self, episode: EpisodeRecord) -> EntryRecord | None:
        """The entry an episode names in its agency's current version, if it is still there."""
        current = select(UploadRecord.id).where(
            UploadRecord.review_id == episode.review_id, UploadRecord.state == "current"
        )
        return self.session.scalar(
            select(EntryRecord)
            .where(
                EntryRecord.review_id == episode.review_id,
                EntryRecord.agency_id == episode.agency_id,
                EntryRecord.source_record == episode.source_record,
                EntryRecord.date_typed == episode.date_typed,
                EntryRecord.upload_id.in_(current),
            )
            .limit(1)
        )


# Words alike enough on their own (pg_trgm similarity), or with a person in common. Unrelated notes about one
# family score about 0.19 (0.25 at the 90th percentile; docs/performance.md), and nearly every entry names the
# child, so a shared person must come with words well above that.
NEAR = 0.35
SHARED = 0.28
# One statement: candidates among the same or adjacent days (an index on (review_id, starts_on) finds them),
# from other agencies' current versions; the pair's key names each side across versions. A new entry's
# candidates come from a LATERAL subquery kept whole (OFFSET 0), so that they are read by that index whatever
# the planner's statistics, and each pair's similarity is computed once.
FLAG_DUPLICATES = """
WITH current_uploads AS (
    SELECT id FROM upload WHERE review_id = :review AND state = 'current'
), pairs AS (
    SELECT n.id AS new_id, o.id AS old_id,
           n.agency_id::text || '|' || n.source_record || '|' || n.date_typed AS new_key,
           o.agency_id::text || '|' || o.source_record || '|' || o.date_typed AS old_key,
           o.words, o.shared
    FROM entry n
    CROSS JOIN LATERAL (
        SELECT o.id, o.agency_id, o.source_record, o.date_typed,
               similarity(n.event, o.event) AS words,
               (jsonb_array_length(n.people) > 0
                AND n.people ?| ARRAY(SELECT jsonb_array_elements_text(o.people))) AS shared
        FROM entry o
        WHERE o.review_id = n.review_id
            AND o.starts_on BETWEEN n.starts_on - 1 AND n.starts_on + 1
            AND o.agency_id <> n.agency_id
            AND o.precision = 'day'
            AND o.upload_id IN (SELECT id FROM current_uploads)
        OFFSET 0
    ) AS o
    WHERE n.upload_id = :upload AND n.review_id = :review AND n.precision = 'day' AND n.search IS NULL
        AND n.seq <= :until
)
INSERT INTO duplicate (id, review_id, pair_key, entry_a, entry_b, score, state)
SELECT DISTINCT ON (pair_key) gen_random_uuid(), :review, pair_key,
       CASE WHEN new_key < old_key THEN new_id ELSE old_id END,
       CASE WHEN new_key < old_key THEN old_id ELSE new_id END,
       LEAST(1.0, words + CASE WHEN shared THEN 0.2 ELSE 0 END), 'flagged'
FROM (
    SELECT *, md5(LEAST(new_key, old_key) || '#' || GREATEST(new_key, old_key)) AS pair_key FROM pairs
    WHERE words >= :near OR (shared AND words >= :shared)
) AS found
ORDER BY pair_key, words DESC
ON CONFLICT (review_id, pair_key) DO UPDATE
    SET entry_a = EXCLUDED.entry_a, entry_b = EXCLUDED.entry_b, score = EXCLUDED.score
"""


# The entry's columns a staged row fills, with their types as PostgreSQL reads them from JSON.
STAGED_COLUMNS = {
    "row": "integer",
    "date_typed": "text",
    "starts_on": "date",
    "ends_on": "date",
    "precision": "text",
    "approximate": "boolean",
    "at_time": "time",
    "sort_at": "timestamp",
    "sort_rank": "integer",
    "ended_typed": "text",
    "ended_on": "date",
    "source_record": "text",
    "practitioner_role": "text",
    "event": "text",
    "action": "text",
    "no_action_reason": "text",
    "significance": "text",
    "agency_suggests_episode": "boolean",
    "people": "jsonb",
    "extra": "jsonb",
}
_NAMES = ", ".join(f'"{name}"' for name in STAGED_COLUMNS)
STAGE_ENTRIES = (
    f"INSERT INTO entry (id, upload_id, review_id, agency_id, {_NAMES}) "
    f"SELECT gen_random_uuid(), :upload, :review, :agency, {_NAMES} "
    "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS staged("
    + ", ".join(f'"{name}" {kind}' for name, kind in STAGED_COLUMNS.items())
    + ")"
)


def latest_end(records: Sequence[EntryRecord], before: date | None) -> date | None:
    """The latest day the entries show an agency in contact (domain.contact_until), and `before`."""
    ends = [domain.contact_until(r.starts_on, r.ends_on, r.precision, r.ended_on) for r in records]
    if before is not None:
        ends.append(before)
    return max(ends) if ends else None
