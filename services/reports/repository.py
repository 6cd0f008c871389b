"""The seam between the handlers and storage: documents with their sections, each section's Yjs store, and the
copies of reviews, people and agencies kept from others' events.

Handlers speak to `ReportStore`; `ReportTables` keeps them in the schema through models.py, and a unit test
hands the handlers a fake.

A section's Yjs store: every update is appended in the caller's transaction; a compaction merges the snapshot
and the updates it read into a new snapshot and deletes exactly those updates (an update committed meanwhile
stays for the next one); loading reads snapshot and updates in one statement and merges them. Yjs updates are
idempotent and commute, so the order rows are read in does not matter, and a repeat is harmless.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy.orm import Session

from services.reports import models, yjs_text
from services.reports.contract import DocumentKind
from services.reports.domain import Document, Section


class ReportStore(Protocol):
    """Documents whole, sections' Yjs stores, and what the service knows of reviews, people and agencies."""

    def get(self, document_id: UUID) -> Document | None: ...

    def of_review(self, review_id: UUID) -> list[Document]: ...

    def of_section(self, section_id: UUID) -> Document | None: ...

    def add(self, document: Document) -> None: ...

    def save_section(self, document: Document, section: Section) -> None: ...

    def state(self, section_id: UUID) -> bytes:
        """The section's Yjs document as one update: the snapshot and every update since."""
        ...

    def append(self, section_id: UUID, updates: list[bytes], saved_by: str, now: datetime) -> int:
        """Append updates; returns how many now wait for compaction."""
        ...

    def compact(self, section_id: UUID, now: datetime) -> bool:
        """Merge the snapshot and the updates since into a new snapshot; False if another process is at it."""
        ...

    def holder_of(self, review_id: UUID) -> UUID | None: ...

    def keep_review(self, review_id: UUID, partnership_id: UUID) -> None: ...

    def keep_person(self, values: dict[str, object]) -> None: ...

    def keep_agency(self, values: dict[str, object]) -> None: ...

    def people(self, partnership_id: UUID) -> dict[str, str]:
        """The partnership's active people: user id -> name."""
        ...

    def agencies(self, partnership_id: UUID) -> dict[UUID, str]:
        """The partnership's agencies: id -> name."""
        ...


def _section(record: models.SectionRecord) -> Section:
    return Section(
        id=record.id,
        key=record.key,
        title=record.title,
        guidance=record.guidance,
        position=record.position,
        assigned_user_id=record.assigned_user_id,
        assigned_agency_id=record.assigned_agency_id,
        shared_with_agency_ids=list(record.shared_with_agency_ids or []),
    )


def _document(record: models.DocumentRecord, sections: list[models.SectionRecord]) -> Document:
    return Document(
        id=record.id,
        review_id=record.review_id,
        partnership_id=record.partnership_id,
        kind=cast(DocumentKind, record.kind),
        title=record.title,
        agency_id=record.agency_id,
        created_by=record.created_by,
        created_at=record.created_at,
        sections=[_section(s) for s in sections],
    )


class ReportTables:
    """ReportStore in the schema `reports`, in the worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _whole(self, records: list[models.DocumentRecord]) -> list[Document]:
        sections = models.sections_of(self.session, [r.id for r in records]) if records else []
        return [_document(r, [s for s in sections if s.document_id == r.id]) for r in records]

    def get(self, document_id: UUID) -> Document | None:
        record = models.document(self.session, document_id)
        return self._whole([record])[0] if record is not None else None

    def of_review(self, review_id: UUID) -> list[Document]:
        return self._whole(models.documents_of(self.session, review_id))

    def of_section(self, section_id: UUID) -> Document | None:
        document_id = models.document_of_section(self.session, section_id)
        return self.get(document_id) if document_id is not None else None

    def add(self, document: Document) -> None:
        self.session.add(
            models.DocumentRecord(
                id=document.id,
                review_id=document.review_id,
                partnership_id=document.partnership_id,
                kind=document.kind,
                title=document.title,
                agency_id=document.agency_id,
                created_by=document.created_by,
                created_at=document.created_at,
            )
        )
        self.session.flush()
        for section in document.sections:
            self.session.add(
                models.SectionRecord(
                    id=section.id,
                    document_id=document.id,
                    key=section.key,
                    title=section.title,
                    guidance=section.guidance,
                    position=section.position,
                    assigned_user_id=section.assigned_user_id,
                    assigned_agency_id=section.assigned_agency_id,
                    shared_with_agency_ids=section.shared_with_agency_ids,
                )
            )
        self.session.flush()
        for section in document.sections:
            self.session.add(models.SectionStateRecord(section_id=section.id, snapshot=yjs_text.EMPTY))
        self.session.flush()

    def save_section(self, document: Document, section: Section) -> None:
        record = self.session.get(models.SectionRecord, section.id, with_for_update=True)
        assert record is not None and record.document_id == document.id, "a section is saved after it is read"
        record.assigned_user_id = section.assigned_user_id
        record.assigned_agency_id = section.assigned_agency_id
        record.shared_with_agency_ids = section.shared_with_agency_ids
        self.session.flush()

    def state(self, section_id: UUID) -> bytes:
        return yjs_text.merged(models.state_parts(self.session, section_id))

    def append(self, section_id: UUID, updates: list[bytes], saved_by: str, now: datetime) -> int:
        models.append_updates(self.session, section_id, updates, saved_by, now)
        return models.pending_updates(self.session, section_id)

    def compact(self, section_id: UUID, now: datetime) -> bool:
        state = models.lock_state(self.session, section_id)
        if state is None:
            return False
        updates = models.updates_to_compact(self.session, section_id)
        state.snapshot = yjs_text.merged([bytes(state.snapshot), *(bytes(u.update) for u in updates)])
        state.compactions = (state.compactions or 0) + 1
        state.compacted_at = now
        # Exactly the updates merged: one committed meanwhile (a lower id, a later commit) waits for the next.
        ids = [u.id for u in updates]
        if ids:
            self.session.execute(
                delete(models.SectionUpdateRecord).where(models.SectionUpdateRecord.id.in_(ids))
            )
        self.session.flush()
        return True

    def holder_of(self, review_id: UUID) -> UUID | None:
        return models.holder_of(self.session, review_id)

    def keep_review(self, review_id: UUID, partnership_id: UUID) -> None:
        models.keep_review(self.session, review_id, partnership_id)

    def keep_person(self, values: dict[str, object]) -> None:
        models.keep_person(self.session, values)

    def keep_agency(self, values: dict[str, object]) -> None:
        models.keep_agency(self.session, values)

    def people(self, partnership_id: UUID) -> dict[str, str]:
        return {p.user_id: p.display_name for p in models.people_of(self.session, partnership_id)}

    def agencies(self, partnership_id: UUID) -> dict[UUID, str]:
        return {a.id: a.name for a in models.agencies_of(self.session, partnership_id)}
