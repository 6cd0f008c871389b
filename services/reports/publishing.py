"""The publication use cases: building a document's anonymised copy, editing it block by block, checking it
and marking it ready; exporting a document or its copy as Word or PDF. Each takes the worker's unit of work,
the typed arguments and, last, the stores (the tables, unless a test hands in fakes); each checks the policy,
asks the pure modules (publication.py, export.py), stores, and emits through the outbox.

The review's people register (real names, dates of birth, addresses, schools, record numbers) is the
chronology service's: the gateway asks it for the register on the caller's behalf (a service cannot seal a
caller, so it cannot ask chronology itself) and hands it in with each build and check. It is used and
dropped, never kept here and never put on an event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.orm import Session

from services.kernel.errors import InvalidRequest, NotFound
from services.kernel.identity import Actor
from services.reports import export, models, policy, publication, yjs_text
from services.reports.contract import (
    BlockText,
    DocumentText,
    ExportedFile,
    ExportFormat,
    Finding,
    PublicationCopy,
    PublicationCopyReady,
    RegisterPerson,
    SectionText,
    TextBlock,
)
from services.reports.domain import Document
from services.reports.repository import ReportStore, ReportTables

MAX_TITLE = 200  # as a document's


class CopyStore(Protocol):
    """Publication copies, one per document, read for a change under a lock."""

    def get(self, document_id: UUID, *, lock: bool = False) -> PublicationCopy | None: ...

    def put(self, copy: PublicationCopy, *, by: str) -> None:
        """Keep the copy (new or changed) as `by` left it."""
        ...


class CopyTables:
    """CopyStore in the schema `reports`, in the worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, document_id: UUID, *, lock: bool = False) -> PublicationCopy | None:
        record = models.publication_copy(self.session, document_id, lock=lock)
        if record is None:
            return None
        document = self.session.get(models.DocumentRecord, document_id)
        assert document is not None, "a copy belongs to a document"
        return PublicationCopy(
            document_id=record.document_id,
            review_id=document.review_id,
            title=record.title,
            state=record.state,  # type: ignore[arg-type]
            sections=[SectionText.model_validate(s) for s in record.sections],
            findings=[Finding.model_validate(f) for f in record.findings],
            built_at=record.built_at,
            checked_at=record.checked_at,
            ready_at=record.ready_at,
        )

    def put(self, copy: PublicationCopy, *, by: str) -> None:
        values = {
            "title": copy.title,
            "sections": [s.model_dump(mode="json") for s in copy.sections],
            "findings": [f.model_dump(mode="json") for f in copy.findings],
            "state": copy.state,
            "built_at": copy.built_at,
            "checked_at": copy.checked_at,
            "ready_at": copy.ready_at,
            "ready_by": by if copy.state == "ready" else None,
        }
        record = models.publication_copy(self.session, copy.document_id, lock=True)
        if record is None:
            # Two first builds at once: the later one replaces the earlier, as a rebuild does.
            models.insert_publication_copy(self.session, copy.document_id, built_by=by, values=values)
        else:
            if record.built_at != copy.built_at:
                record.built_by = by
            for key, value in values.items():
                setattr(record, key, value)
        self.session.flush()


def _stores(uow: Any, store: ReportStore | None, copies: CopyStore | None) -> tuple[ReportStore, CopyStore]:
    return (
        ReportTables(uow.session) if store is None else store,
        CopyTables(uow.session) if copies is None else copies,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _managed(actor: Actor, store: ReportStore, document_id: UUID, doing: str) -> Document:
    """The document, when the caller manages it (NotFound if they may not read it, Forbidden if they only
    write part of it)."""
    document = policy.check_reads_document(actor, store.get(document_id))
    policy.check_writes_all(actor, document.review_id, document.partnership_id, doing)
    return document


def _register_of(document: Document, register: list[RegisterPerson]) -> list[RegisterPerson]:
    if not publication.same_review(register, document.review_id):
        raise InvalidRequest(
            "The people register has problems",
            problems=[{"field": "register", "message": "The people register is of another review"}],
        )
    return register


def current_text(document: Document, store: ReportStore) -> DocumentText:
    """The whole document's current text (for those who manage it: every section)."""
    return DocumentText(
        document_id=document.id,
        review_id=document.review_id,
        kind=document.kind,
        title=document.title,
        sections=[
            SectionText(
                section_id=section.id,
                key=section.key,
                title=section.title,
                blocks=yjs_text.blocks(store.state(section.id)),
            )
            for section in document.sections
        ],
    )


def _copy_of(
    actor: Actor, store: ReportStore, copies: CopyStore, document_id: UUID, lock: bool = False
) -> PublicationCopy:
    _managed(actor, store, document_id, "work on the publication copy")
    copy = copies.get(document_id, lock=lock)
    if copy is None:
        raise NotFound("No publication copy of this document yet")
    return copy


def _checked(copy: PublicationCopy, register: list[RegisterPerson], now: datetime) -> PublicationCopy:
    found = publication.title_findings(copy.document_id, copy.title, register)
    found += publication.findings(copy.sections, register)
    return copy.model_copy(update={"findings": found, "checked_at": now})


def build_publication_copy(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    register: list[RegisterPerson],
    store: ReportStore | None = None,
    copies: CopyStore | None = None,
) -> PublicationCopy:
    """The document's current text anonymised, checked, and kept as its publication copy (replacing any)."""
    store, copies = _stores(uow, store, copies)
    document = _managed(actor, store, document_id, "build the publication copy")
    people = _register_of(document, register)
    copies.get(document_id, lock=True)  # one build at a time: a second waits, then replaces
    now = _now()
    copy = PublicationCopy(
        document_id=document.id,
        review_id=document.review_id,
        title=publication.anonymised(document.title, people),
        state="draft",
        sections=publication.anonymised_sections(current_text(document, store).sections, people),
        built_at=now,
    )
    copy = _checked(copy, people, now)
    copies.put(copy, by=actor.user_id)
    return copy


def publication_copy(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    store: ReportStore | None = None,
    copies: CopyStore | None = None,
) -> PublicationCopy:
    """The copy with the last check's findings."""
    store, copies = _stores(uow, store, copies)
    return _copy_of(actor, store, copies, document_id)


def edit_copy_block(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    section_id: UUID,
    block: int,
    command: BlockText,
    store: ReportStore | None = None,
    copies: CopyStore | None = None,
) -> PublicationCopy:
    """One block's new text; a ready copy is a draft again (its check no longer holds). Block 0 of the
    "section" whose id is the document's is the copy's title."""
    store, copies = _stores(uow, store, copies)
    copy = _copy_of(actor, store, copies, document_id, lock=True)
    text = command.text.strip()
    if section_id == copy.document_id and block == 0:
        if len(text) > MAX_TITLE:
            raise InvalidRequest(
                "The text has problems",
                problems=[{"field": "text", "message": f"The title must be {MAX_TITLE} characters or fewer"}],
            )
        copy.title = text
    else:
        section = next((s for s in copy.sections if s.section_id == section_id), None)
        if section is None:
            raise NotFound("No such section")
        if not 1 <= block <= len(section.blocks):
            raise NotFound("No such block")
        old = section.blocks[block - 1]
        section.blocks[block - 1] = TextBlock(kind=old.kind, text=text, level=old.level)
    changed = copy.model_copy(update={"state": "draft", "ready_at": None})
    copies.put(changed, by=actor.user_id)
    return changed


def check_publication_copy(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    register: list[RegisterPerson],
    store: ReportStore | None = None,
    copies: CopyStore | None = None,
) -> PublicationCopy:
    """The copy checked against the register, its findings kept."""
    store, copies = _stores(uow, store, copies)
    copy = _copy_of(actor, store, copies, document_id, lock=True)
    document = _managed(actor, store, document_id, "check the publication copy")
    checked = _checked(copy, _register_of(document, register), _now())
    if checked.findings and checked.state == "ready":
        checked = checked.model_copy(update={"state": "draft", "ready_at": None})
    copies.put(checked, by=actor.user_id)
    return checked


def mark_copy_ready(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    register: list[RegisterPerson],
    store: ReportStore | None = None,
    copies: CopyStore | None = None,
) -> PublicationCopy:
    """Ready when the check finds nothing; emits reports.publication_copy_ready. Otherwise refused: the copy
    comes back a draft with the places found (kept for its page). The places hold the very names and dates
    the copy must not, so they are never put in an error's message, which may be logged."""
    store, copies = _stores(uow, store, copies)
    copy = _copy_of(actor, store, copies, document_id, lock=True)
    document = _managed(actor, store, document_id, "mark the publication copy ready")
    now = _now()
    checked = _checked(copy, _register_of(document, register), now)
    if checked.findings:
        refused = checked.model_copy(update={"state": "draft", "ready_at": None})
        copies.put(refused, by=actor.user_id)
        return refused
    if checked.state == "ready":
        return checked
    ready = checked.model_copy(update={"state": "ready", "ready_at": now})
    copies.put(ready, by=actor.user_id)
    uow.emit(
        PublicationCopyReady(document_id=document.id, review_id=document.review_id),
        partnership_id=document.partnership_id,
        review_id=document.review_id,
        actor_id=actor.user_id,
    )
    return ready


def export_document(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    file_format: ExportFormat,
    partnership_name: str,
    store: ReportStore | None = None,
) -> ExportedFile:
    """The document's current text, the sections the caller may read, as a file."""
    store = ReportTables(uow.session) if store is None else store
    document = policy.check_reads_document(actor, store.get(document_id))
    readable = {section.id for section, _ in policy.readable_sections(actor, document)}
    text = current_text(document, store)
    text.sections = [section for section in text.sections if section.section_id in readable]
    return export.exported(text, partnership_name, file_format)


def export_publication_copy(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    file_format: ExportFormat,
    partnership_name: str,
    store: ReportStore | None = None,
    copies: CopyStore | None = None,
) -> ExportedFile:
    """The publication copy as a file (as it stands: the page says whether it is ready)."""
    store, copies = _stores(uow, store, copies)
    copy = _copy_of(actor, store, copies, document_id)
    text = DocumentText(
        document_id=copy.document_id,
        review_id=copy.review_id,
        kind=policy.check_reads_document(actor, store.get(document_id)).kind,
        title=copy.title,
        sections=copy.sections,
    )
    return export.exported(text, partnership_name, file_format, "publication copy")
