"""The publication use cases with fake stores (services/reports/publishing.py): only the review's managers
build, edit, check and mark a copy ready; the copy is refused while anything identifies someone, and its
readiness is emitted (ids only) once; a register of another review is refused; exports give each reader only
what they may read."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import date
from uuid import UUID

import docx
import pytest
from pycrdt import Doc

from services.kernel.errors import Forbidden, InvalidRequest, NotFound
from services.reports import handlers, publishing
from services.reports.contract import BlockText, NewDocument, PublicationCopy, RegisterPerson, SectionUpdates
from services.reports.domain import Document
from tests.unit.test_reports_domain import REVIEW, typed
from tests.unit.test_reports_handlers import HEALTH_LEAD, MANAGER, POLICE_LEAD, FakeStore, FakeUnit, begun

__all__ = ["begun"]  # the fixture, used here by name

REGISTER = [
    RegisterPerson(
        review_id=REVIEW,
        pseudonym="Child A",
        role_in_family="Subject child",
        name="Amelia Thornbury",
        born_on=date(2019, 3, 3),
        school="Oakfield Primary School",
    )
]


class FakeCopies:
    def __init__(self) -> None:
        self.copies: dict[UUID, PublicationCopy] = {}

    def get(self, document_id: UUID, *, lock: bool = False) -> PublicationCopy | None:
        found = self.copies.get(document_id)
        return found.model_copy(deep=True) if found else None

    def put(self, copy: PublicationCopy, *, by: str) -> None:
        self.copies[copy.document_id] = copy.model_copy(deep=True)


Begun = tuple[FakeUnit, FakeStore, Document]


def _write(unit: FakeUnit, store: FakeStore, document: Document, *texts: str) -> None:
    doc: Doc = Doc()
    updates = [base64.b64encode(typed(doc, "paragraph", text)).decode() for text in texts]
    section = document.sections[4].id  # "The incident": the managers' own
    handlers.save_updates(unit, MANAGER, section, SectionUpdates(updates_base64=updates), store)


def test_the_copy_is_refused_with_the_places_listed_until_they_are_changed(begun: Begun) -> None:
    unit, store, document = begun
    copies = FakeCopies()
    _write(
        unit, store, document, "Amelia was seen.", "Amelia, born 3rd March 2019, attends Oakfield Primary."
    )
    built = publishing.build_publication_copy(unit, MANAGER, document.id, REGISTER, store, copies)
    incident = next(s for s in built.sections if s.key == "incident")
    assert [b.text for b in incident.blocks] == [
        "Child A was seen.",
        "Child A, born 3rd March 2019, attends Oakfield Primary.",
    ]
    assert [(f.section_title, f.block, f.found, f.kind) for f in built.findings] == [
        ("The incident", 2, "3rd March 2019", "date_of_birth"),
        ("The incident", 2, "Oakfield Primary", "school"),
    ]
    refused = publishing.mark_copy_ready(unit, MANAGER, document.id, REGISTER, store, copies)
    assert refused.state == "draft" and len(refused.findings) == 2
    assert [e.event_type for e in unit.emitted if "publication" in e.event_type] == []

    publishing.edit_copy_block(
        unit,
        MANAGER,
        document.id,
        incident.section_id,
        2,
        BlockText(text="Child A attends a local school."),
        store,
        copies,
    )
    ready = publishing.mark_copy_ready(unit, MANAGER, document.id, REGISTER, store, copies)
    assert (ready.state, ready.findings) == ("ready", [])
    (event,) = [e for e in unit.emitted if e.event_type == "reports.publication_copy_ready"]
    assert (event.document_id, event.review_id) == (document.id, REVIEW)
    assert set(event.model_dump()) == {"document_id", "review_id"}, "ids only"
    publishing.mark_copy_ready(unit, MANAGER, document.id, REGISTER, store, copies)
    assert len([e for e in unit.emitted if e.event_type == "reports.publication_copy_ready"]) == 1

    # A name typed back in makes it a draft again, and the check finds it.
    publishing.edit_copy_block(
        unit,
        MANAGER,
        document.id,
        incident.section_id,
        1,
        BlockText(text="Amelia Thornbury was seen."),
        store,
        copies,
    )
    again = publishing.check_publication_copy(unit, MANAGER, document.id, REGISTER, store, copies)
    assert again.state == "draft"
    assert [(f.block, f.found, f.kind_label) for f in again.findings] == [
        (1, "Amelia Thornbury", "Real name")
    ]


def test_only_the_managers_work_on_the_copy(begun: Begun) -> None:
    unit, store, document = begun
    copies = FakeCopies()
    with pytest.raises(Forbidden):
        publishing.build_publication_copy(unit, POLICE_LEAD, document.id, REGISTER, store, copies)
    publishing.build_publication_copy(unit, MANAGER, document.id, REGISTER, store, copies)
    with pytest.raises(Forbidden):
        publishing.publication_copy(unit, POLICE_LEAD, document.id, store, copies)
    with pytest.raises(NotFound):
        publishing.publication_copy(unit, MANAGER, uuid.uuid4(), store, copies)


def test_a_register_of_another_review_is_refused(begun: Begun) -> None:
    unit, store, document = begun
    other = [REGISTER[0].model_copy(update={"review_id": uuid.uuid4()})]
    with pytest.raises(InvalidRequest):
        publishing.build_publication_copy(unit, MANAGER, document.id, other, store, FakeCopies())


def test_a_block_that_is_not_there_is_not_found(begun: Begun) -> None:
    unit, store, document = begun
    copies = FakeCopies()
    _write(unit, store, document, "One paragraph.")
    built = publishing.build_publication_copy(unit, MANAGER, document.id, REGISTER, store, copies)
    incident = next(s for s in built.sections if s.key == "incident")
    for block in (0, 2):
        with pytest.raises(NotFound):
            publishing.edit_copy_block(
                unit, MANAGER, document.id, incident.section_id, block, BlockText(text="x"), store, copies
            )


def test_an_export_holds_only_the_sections_the_reader_may_read(begun: Begun) -> None:
    unit, store, document = begun
    _write(unit, store, document, "The managers' words.")
    whole = publishing.export_document(unit, MANAGER, document.id, "docx", "Northbridge", store)
    police = publishing.export_document(unit, POLICE_LEAD, document.id, "docx", "Northbridge", store)
    health = publishing.export_document(unit, HEALTH_LEAD, document.id, "pdf", "Northbridge", store)

    def paragraphs(sent: str) -> list[str]:
        return [p.text for p in docx.Document(io.BytesIO(base64.b64decode(sent))).paragraphs]

    assert "The managers' words." in paragraphs(whole.content_base64)
    assert "The incident" in paragraphs(whole.content_base64)
    assert paragraphs(police.content_base64)[2:] == ["Partnership and authorities"]
    assert health.media_type == "application/pdf"


def test_the_title_is_anonymised_checked_and_changed_as_block_0(begun: Begun) -> None:
    unit, store, _ = begun
    copies = FakeCopies()
    detail = handlers.create_document(
        unit,
        MANAGER,
        NewDocument(review_id=REVIEW, kind="learning_brief", title="Brief: Amelia, 3/3/19"),
        store,
    )
    built = publishing.build_publication_copy(unit, MANAGER, detail.id, REGISTER, store, copies)
    assert built.title == "Brief: Child A, 3/3/19"
    assert [(f.section_id, f.section_title, f.block, f.found) for f in built.findings] == [
        (detail.id, "Title", 0, "3/3/19")
    ]
    changed = publishing.edit_copy_block(
        unit, MANAGER, detail.id, detail.id, 0, BlockText(text="Learning brief"), store, copies
    )
    assert changed.title == "Learning brief"
    assert publishing.mark_copy_ready(unit, MANAGER, detail.id, REGISTER, store, copies).state == "ready"
    with pytest.raises(InvalidRequest):
        publishing.edit_copy_block(
            unit, MANAGER, detail.id, detail.id, 0, BlockText(text="x" * 201), store, copies
        )
