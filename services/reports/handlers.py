"""The reports use cases. Each takes the worker's unit of work (one transaction, committed by the entrypoint
before it replies), the typed arguments and, last, the store (the tables, unless a test hands in a fake).
Each checks the policy, asks the domain, stores, and emits its events through the outbox."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from gateway.contract import AgencyChanged, PersonChanged
from services.kernel.errors import InvalidRequest, NotFound
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.reports import domain, policy, yjs_text
from services.reports.contract import (
    KIND_LABELS,
    AgencyOption,
    Assignees,
    Assignment,
    DocumentCreated,
    DocumentDetail,
    DocumentSummary,
    DocumentText,
    NewDocument,
    PersonOption,
    SavedUpdates,
    SectionAssigned,
    SectionGrant,
    SectionText,
    SectionUpdates,
    SectionView,
)
from services.reports.domain import Document
from services.reports.repository import ReportStore, ReportTables
from services.reports.settings import reports_settings


def _store(uow: Any, store: ReportStore | None) -> ReportStore:
    return ReportTables(uow.session) if store is None else store


def _now() -> datetime:
    return datetime.now(UTC)


def _summary(document: Document) -> DocumentSummary:
    return DocumentSummary(
        id=document.id,
        review_id=document.review_id,
        kind=document.kind,
        kind_label=KIND_LABELS[document.kind],
        title=document.title,
        agency_id=document.agency_id,
        created_at=document.created_at,
    )


def _detail(actor: Actor, document: Document, store: ReportStore) -> DocumentDetail:
    people = store.people(document.partnership_id)
    agencies = store.agencies(document.partnership_id)
    sections = [
        SectionView(
            id=section.id,
            key=section.key,
            title=section.title,
            guidance=section.guidance,
            position=section.position,
            assigned_user_id=section.assigned_user_id,
            assigned_user_name=people.get(section.assigned_user_id or ""),
            assigned_agency_id=section.assigned_agency_id,
            assigned_agency_name=agencies.get(section.assigned_agency_id)
            if section.assigned_agency_id
            else None,
            shared_with_agency_ids=section.shared_with_agency_ids,
            access=access,
            blocks=yjs_text.blocks(store.state(section.id)),
        )
        for section, access in policy.readable_sections(actor, document)
    ]
    return DocumentDetail(
        **_summary(document).model_dump(),
        sections=sections,
        may_manage=policy.writes_all(actor, document.review_id, document.partnership_id),
    )


def _holder(actor: Actor, store: ReportStore, review_id: UUID) -> UUID | None:
    """The partnership holding the review; while forms' word of a new review is on its way, the caller's own
    (the gateway showed them the review through forms, which checked)."""
    return store.holder_of(review_id) or actor.partnership_id


def _section_of(actor: Actor, store: ReportStore, section_id: UUID) -> tuple[Document, domain.Section]:
    document = store.of_section(section_id)
    if document is None:
        raise NotFound("No such section")
    section = document.section(section_id)
    policy.check_reads_section(actor, document, section)
    return document, section


# -- reading -------------------------------------------------------------------------------------------------


def documents_of_review(
    uow: Any, actor: Actor, review_id: UUID, store: ReportStore | None = None
) -> list[DocumentSummary]:
    """The review's documents of which the caller may read some section, oldest first."""
    store = _store(uow, store)
    policy.check_may_see_review(actor, review_id, _holder(actor, store, review_id))
    return [_summary(d) for d in store.of_review(review_id) if policy.may_read_document(actor, d)]


def get_document(
    uow: Any, actor: Actor, document_id: UUID, store: ReportStore | None = None
) -> DocumentDetail:
    """A document with the sections the caller may read, and their saved text."""
    store = _store(uow, store)
    document = policy.check_reads_document(actor, store.get(document_id))
    return _detail(actor, document, store)


def document_text(
    uow: Any, actor: Actor, document_id: UUID, store: ReportStore | None = None
) -> DocumentText:
    """The sections the caller may read, as structured text."""
    store = _store(uow, store)
    document = policy.check_reads_document(actor, store.get(document_id))
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
            for section, _ in policy.readable_sections(actor, document)
        ],
    )


def assignees(uow: Any, actor: Actor, review_id: UUID, store: ReportStore | None = None) -> Assignees:
    """The partnership's agencies and people, for whoever assigns the review's sections."""
    store = _store(uow, store)
    holder = _holder(actor, store, review_id)
    policy.check_may_see_review(actor, review_id, holder)
    assert holder is not None  # may_see_review refuses a review held by no known partnership
    policy.check_writes_all(actor, review_id, holder, "assign sections")
    return Assignees(
        agencies=[AgencyOption(id=i, name=n) for i, n in store.agencies(holder).items()],
        people=[PersonOption(user_id=i, name=n) for i, n in store.people(holder).items()],
    )


# -- writing -------------------------------------------------------------------------------------------------


def create_document(
    uow: Any, actor: Actor, command: NewDocument, store: ReportStore | None = None
) -> DocumentDetail:
    """Begin a document from its kind's template; emits reports.document_created."""
    store = _store(uow, store)
    holder = _holder(actor, store, command.review_id)
    policy.check_may_see_review(actor, command.review_id, holder)
    assert holder is not None
    policy.check_writes_all(actor, command.review_id, holder, "begin a document")
    if command.agency_id is not None and command.agency_id not in store.agencies(holder):
        raise InvalidRequest(
            "The document has problems",
            problems=[{"field": "agency_id", "message": "Choose an agency of the partnership"}],
        )
    document = domain.begin(command, partnership_id=holder, created_by=actor.user_id, now=_now())
    store.add(document)
    uow.emit(
        DocumentCreated(
            document_id=document.id,
            review_id=document.review_id,
            kind=document.kind,
            agency_id=document.agency_id,
            sections=len(document.sections),
        ),
        partnership_id=holder,
        review_id=document.review_id,
        actor_id=actor.user_id,
    )
    return _detail(actor, document, store)


def assign_section(
    uow: Any, actor: Actor, section_id: UUID, command: Assignment, store: ReportStore | None = None
) -> DocumentDetail:
    """Assign a section and share it; emits reports.section_assigned."""
    store = _store(uow, store)
    document, _ = _section_of(actor, store, section_id)
    policy.check_writes_all(actor, document.review_id, document.partnership_id, "assign sections")
    section = domain.assign(
        document,
        section_id,
        command,
        agencies=store.agencies(document.partnership_id).keys(),
        people=store.people(document.partnership_id).keys(),
    )
    store.save_section(document, section)
    uow.emit(
        SectionAssigned(
            document_id=document.id,
            section_id=section.id,
            review_id=document.review_id,
            assigned_user_id=section.assigned_user_id,
            assigned_agency_id=section.assigned_agency_id,
            shared_with_agency_ids=section.shared_with_agency_ids,
        ),
        partnership_id=document.partnership_id,
        review_id=document.review_id,
        actor_id=actor.user_id,
    )
    return _detail(actor, document, store)


# -- the live document ---------------------------------------------------------------------------------------


def open_section(uow: Any, actor: Actor, section_id: UUID, store: ReportStore | None = None) -> SectionGrant:
    """Whether the caller may open the section's live document, and its saved state."""
    store = _store(uow, store)
    document, section = _section_of(actor, store, section_id)
    return SectionGrant(
        document_id=document.id,
        section_id=section.id,
        review_id=document.review_id,
        access=policy.check_reads_section(actor, document, section),
        state_base64=base64.b64encode(store.state(section.id)).decode("ascii"),
    )


def save_updates(
    uow: Any, actor: Actor, section_id: UUID, command: SectionUpdates, store: ReportStore | None = None
) -> SavedUpdates:
    """Append the caller's updates to the section (all or none), and compact when enough have gathered."""
    store = _store(uow, store)
    document, section = _section_of(actor, store, section_id)
    policy.check_edits_section(actor, document, section)
    updates = yjs_text.decoded(command.updates_base64)
    now = _now()
    waiting = store.append(section.id, updates, actor.user_id, now)
    compacted = waiting >= reports_settings().compact_after and store.compact(section.id, now)
    return SavedUpdates(appended=len(updates), compacted=compacted)


# -- what others tell ----------------------------------------------------------------------------------------


def learn_review(uow: Any, envelope: Envelope, store: ReportStore | None = None) -> None:
    """Remember which partnership holds a review forms opened (or restated), once per event."""
    if envelope.review_id is None or envelope.partnership_id is None or not uow.first_delivery(envelope):
        return
    _store(uow, store).keep_review(envelope.review_id, envelope.partnership_id)


def keep_person(uow: Any, envelope: Envelope, store: ReportStore | None = None) -> None:
    """A person as the gateway announced them (the latest announcement wins, whatever the order)."""
    if not uow.first_delivery(envelope):
        return
    person = envelope.payload(PersonChanged)
    _store(uow, store).keep_person(
        {
            "user_id": str(person.user_id),
            "partnership_id": person.partnership_id,
            "agency_id": person.agency_id,
            "display_name": person.display_name,
            "roles": list(person.roles),
            "active": person.active,
            "changed_at": person.changed_at,
        }
    )


def keep_agency(uow: Any, envelope: Envelope, store: ReportStore | None = None) -> None:
    """An agency as the gateway announced it."""
    if not uow.first_delivery(envelope):
        return
    agency = envelope.payload(AgencyChanged)
    _store(uow, store).keep_agency(
        {
            "id": agency.agency_id,
            "partnership_id": agency.partnership_id,
            "name": agency.name,
            "changed_at": agency.changed_at,
        }
    )
