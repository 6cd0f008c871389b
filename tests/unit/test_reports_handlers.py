"""The reports use cases with a fake store and unit of work: who may open or change a section's live document,
what is emitted, and when a section is compacted."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from pycrdt import Doc

from services.kernel.errors import Forbidden, InvalidRequest, NotFound
from services.reports import handlers, yjs_text
from services.reports.contract import Assignment, NewDocument, SectionUpdates
from services.reports.domain import Document, Section
from services.reports.settings import reports_settings
from tests.unit.test_reports_domain import HEALTH, HOLDER, POLICE, REVIEW, person, typed


class FakeStore:
    def __init__(self) -> None:
        self.documents: dict[UUID, Document] = {}
        self.updates: dict[UUID, list[bytes]] = {}
        self.snapshots: dict[UUID, bytes] = {}
        self.compactions = 0

    def get(self, document_id: UUID) -> Document | None:
        return self.documents.get(document_id)

    def of_review(self, review_id: UUID) -> list[Document]:
        return [d for d in self.documents.values() if d.review_id == review_id]

    def of_section(self, section_id: UUID) -> Document | None:
        return next((d for d in self.documents.values() if any(s.id == section_id for s in d.sections)), None)

    def add(self, document: Document) -> None:
        self.documents[document.id] = document

    def save_section(self, document: Document, section: Section) -> None:
        pass

    def state(self, section_id: UUID) -> bytes:
        return yjs_text.merged(
            [self.snapshots.get(section_id, yjs_text.EMPTY), *self.updates.get(section_id, [])]
        )

    def append(self, section_id: UUID, updates: list[bytes], saved_by: str, now: datetime) -> int:
        self.updates.setdefault(section_id, []).extend(updates)
        return len(self.updates[section_id])

    def compact(self, section_id: UUID, now: datetime) -> bool:
        self.snapshots[section_id] = self.state(section_id)
        self.updates[section_id] = []
        self.compactions += 1
        return True

    def holder_of(self, review_id: UUID) -> UUID | None:
        return HOLDER

    def keep_review(self, review_id: UUID, partnership_id: UUID) -> None:
        pass

    def keep_person(self, values: dict[str, object]) -> None:
        pass

    def keep_agency(self, values: dict[str, object]) -> None:
        pass

    def people(self, partnership_id: UUID) -> dict[str, str]:
        return {"bm": "Business Manager", "writer": "Named Writer"}

    def agencies(self, partnership_id: UUID) -> dict[UUID, str]:
        return {POLICE: "Police", HEALTH: "Health"}


class FakeUnit:
    def __init__(self) -> None:
        self.emitted: list[Any] = []

    def emit(self, payload: Any, **_: Any) -> None:
        self.emitted.append(payload)


MANAGER = person("business_manager", user="bm", reviews=())
POLICE_LEAD = person("agency_lead", user="pl", agency=POLICE)
HEALTH_LEAD = person("agency_lead", user="hl", agency=HEALTH)
STRANGER = person("agency_lead", user="st", agency=POLICE, reviews=())


@pytest.fixture
def begun() -> tuple[FakeUnit, FakeStore, Document]:
    unit, store = FakeUnit(), FakeStore()
    detail = handlers.create_document(
        unit, MANAGER, NewDocument(review_id=REVIEW, kind="rapid_review_report"), store
    )
    document = store.documents[detail.id]
    handlers.assign_section(
        unit,
        MANAGER,
        document.sections[0].id,
        Assignment(assigned_agency_id=POLICE, shared_with_agency_ids=[HEALTH]),
        store,
    )
    return unit, store, document


def an_update(text: str) -> str:
    return base64.b64encode(typed(Doc(), "paragraph", text)).decode()


def test_beginning_and_assigning_emit_their_events(begun: tuple[FakeUnit, FakeStore, Document]) -> None:
    unit, _, document = begun
    created, assigned = unit.emitted
    assert created.event_type == "reports.document_created"
    assert (created.document_id, created.sections) == (document.id, len(document.sections))
    assert assigned.event_type == "reports.section_assigned"
    assert (assigned.assigned_agency_id, assigned.shared_with_agency_ids) == (POLICE, [HEALTH])


def test_an_agency_begins_nothing(begun: tuple[FakeUnit, FakeStore, Document]) -> None:
    unit, store, _ = begun
    with pytest.raises(Forbidden):
        handlers.create_document(
            unit, POLICE_LEAD, NewDocument(review_id=REVIEW, kind="learning_brief"), store
        )


def test_the_writing_agency_opens_its_section_to_edit_and_a_shared_one_to_read(
    begun: tuple[FakeUnit, FakeStore, Document],
) -> None:
    unit, store, document = begun
    section = document.sections[0].id
    assert handlers.open_section(unit, POLICE_LEAD, section, store).access == "edit"
    assert handlers.open_section(unit, HEALTH_LEAD, section, store).access == "read"


@pytest.mark.parametrize("who", [STRANGER, HEALTH_LEAD, POLICE_LEAD])
def test_a_section_not_ones_own_is_not_found_when_opened(
    begun: tuple[FakeUnit, FakeStore, Document], who: Any
) -> None:
    unit, store, document = begun
    with pytest.raises(NotFound, match="No such section"):
        handlers.open_section(unit, who, document.sections[1].id, store)


def test_a_reader_cannot_save_updates_and_nothing_is_kept(
    begun: tuple[FakeUnit, FakeStore, Document],
) -> None:
    unit, store, document = begun
    section = document.sections[0].id
    with pytest.raises(Forbidden):
        handlers.save_updates(
            unit, HEALTH_LEAD, section, SectionUpdates(updates_base64=[an_update("x")]), store
        )
    assert store.updates.get(section, []) == []


def test_a_bad_update_in_a_batch_keeps_none_of_it(begun: tuple[FakeUnit, FakeStore, Document]) -> None:
    unit, store, document = begun
    section = document.sections[0].id
    batch = SectionUpdates(updates_base64=[an_update("kept?"), base64.b64encode(b"\x07junk").decode()])
    with pytest.raises(InvalidRequest):
        handlers.save_updates(unit, POLICE_LEAD, section, batch, store)
    assert store.updates.get(section, []) == []


def test_a_section_is_compacted_once_enough_updates_gather_and_reads_the_same(
    begun: tuple[FakeUnit, FakeStore, Document],
) -> None:
    unit, store, document = begun
    section = document.sections[0].id
    threshold = reports_settings().compact_after
    texts = [f"Paragraph {n}" for n in range(threshold + 1)]
    results = [
        handlers.save_updates(
            unit, POLICE_LEAD, section, SectionUpdates(updates_base64=[an_update(t)]), store
        )
        for t in texts
    ]
    assert [r.compacted for r in results].count(True) == 1
    assert results[threshold - 1].compacted
    assert store.compactions == 1 and len(store.updates[section]) == 1
    saved = handlers.document_text(unit, POLICE_LEAD, document.id, store)
    assert [s.section_id for s in saved.sections] == [section]
    assert sorted(b.text for b in saved.sections[0].blocks) == sorted(texts)


def test_the_text_of_a_document_leaves_out_what_the_caller_may_not_read(
    begun: tuple[FakeUnit, FakeStore, Document],
) -> None:
    unit, store, document = begun
    assert len(handlers.document_text(unit, MANAGER, document.id, store).sections) == len(document.sections)
    with pytest.raises(NotFound):
        handlers.document_text(unit, STRANGER, document.id, store)
    assert handlers.documents_of_review(unit, HEALTH_LEAD, REVIEW, store)[0].id == document.id
    with pytest.raises(NotFound):
        handlers.documents_of_review(unit, STRANGER, REVIEW, store)


def test_a_new_document_id_is_not_known_to_anyone() -> None:
    with pytest.raises(NotFound):
        handlers.get_document(FakeUnit(), MANAGER, uuid.uuid4(), FakeStore())
