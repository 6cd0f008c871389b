"""A report's publication copy and downloads, on the real system through the gateway: the business manager
puts two (synthetic) people in the demo infant review's people register with what identifies them, writes a
section of a new overview report naming them, builds the publication copy (names replaced by pseudonyms), is
refused when marking it ready with each place left listed (a date of birth, a school, a surname two people
share), changes those blocks, and marks it ready (reports.publication_copy_ready, ids only). The document and
the copy download as Word and PDF holding their text; people with no part in the document or the copy are
refused, and every download is audited."""

from __future__ import annotations

import html
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import docx
import pypdf
import pytest
from pycrdt import Doc, create_update_message

from tests.e2e.helpers import Database, SignedIn, sign_in
from tests.e2e.test_agency_returns import MANAGER, POLICE_LEAD
from tests.e2e.test_reports import EASTMOOR_MANAGER, SUBGROUP, open_socket
from tests.support.system import SystemEnv, wait_for
from tests.unit.test_reports_domain import typed

REVIEWER = "reviewer@northbridge.example"
# Unlikely to collide with anything the demo wrote: a suffix of this run.
RUN = uuid.uuid4().hex[:4].upper()
CHILD = f"Child P{RUN}"
MOTHER = f"Mother P{RUN}"
PARAGRAPHS = [
    "Tamsin Quarrington was seen by the health visitor.",
    "Tamsin, born 3rd March 2019, attends Larkspur Primary School.",
    "Ms Quarrington and Bryony Quarrington's partner declined help.",
]


@dataclass
class Copy:
    review: str
    document: str
    section: str

    @property
    def page(self) -> str:
        return f"/reviews/{self.review}/reports/{self.document}"

    @property
    def publication(self) -> str:
        return self.page + "/publication"


def _text(response_text: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", response_text))


@pytest.fixture(scope="module")
def copy(system: SystemEnv) -> Iterator[Copy]:
    manager = sign_in(system, MANAGER)
    found = re.search(
        r'href="/reviews/([0-9a-f-]{36})"[^>]*>\s*NB-2026-014', manager.client.get("/reviews").text
    )
    assert found, "the demo's infant review is listed"
    review = found.group(1)
    for person in (
        {
            "label": CHILD,
            "name": "Tamsin Quarrington",
            "role_in_family": "Subject child's sibling",
            "born_on": "2019-03-03",
            "school": "Larkspur Primary School",
            "address": "7 Heronsgate Row, Northbridge",
            "postcode": "NB3 9QX",
            "nhs_number": "999 000 1014",
            "record_numbers": f"CS-{RUN}-77",
        },
        {"label": MOTHER, "name": "Bryony Quarrington", "role_in_family": "Sibling's mother"},
    ):
        added = manager.post_form(f"/reviews/{review}/chronology/people", person)
        assert added.status_code == 303, _text(added.text)[:2000]
    begun = manager.post_form(
        f"/reviews/{review}/reports", {"kind": "overview_report", "title": f"Overview {RUN}"}
    )
    assert begun.status_code == 303, begun.text[:2000]
    document = begun.headers["location"].rsplit("/", 1)[1]
    page = manager.client.get(f"/reviews/{review}/reports/{document}").text
    section = re.findall(r'data-report-section="([0-9a-f-]{36})"', page)[4]  # "What happened"
    doc: Doc = Doc()
    with open_socket(
        system, manager, f"/reviews/{review}/reports/{document}/sections/{section}/sync"
    ) as socket:
        socket.recv(timeout=5)
        for paragraph in PARAGRAPHS:
            socket.send(create_update_message(typed(doc, "paragraph", paragraph)))
        wait_for(
            lambda: PARAGRAPHS[-1] in _text(manager.client.get(f"/reviews/{review}/reports/{document}").text),
            timeout=20,
            message="the manager's paragraphs kept by the reports service",
        )
    yield Copy(review, document, section)


def test_the_register_keeps_what_identifies_a_person_for_its_keepers(system: SystemEnv, copy: Copy) -> None:
    register = _text(sign_in(system, MANAGER).client.get(f"/reviews/{copy.review}/chronology/people").text)
    assert "School: Larkspur Primary School" in register and "NHS number 999 000 1014" in register
    refused = sign_in(system, MANAGER).post_form(
        f"/reviews/{copy.review}/chronology/people",
        {"label": f"X{RUN}", "name": "Someone Else", "role_in_family": "Uncle", "postcode": "not a postcode"},
    )
    assert refused.status_code == 422
    assert "Enter a UK postcode, such as NE1 4ST, or leave it blank" in _text(refused.text)


def test_a_copy_with_a_date_of_birth_a_school_or_a_shared_surname_left_is_refused_with_the_places(
    system: SystemEnv, copy: Copy, db: Database
) -> None:
    manager = sign_in(system, MANAGER)
    before = _text(manager.client.get(copy.publication).text)
    assert "Build the publication copy" in before
    built = manager.post_form(copy.publication)
    assert built.status_code == 303, _text(built.text)[:2000]
    page = _text(manager.client.get(copy.publication).text)
    assert f"{CHILD} was seen by the health visitor." in page
    assert "Tamsin" not in page, "a first name alone is replaced"
    assert f"{CHILD}, born 3rd March 2019, attends Larkspur Primary School." in page
    assert f"Ms Quarrington and {MOTHER}'s partner declined help." in page
    # The error summary: each place, linked to its block.
    for kind, found, block in (
        ("Date of birth", "3rd March 2019", 2),
        ("School", "Larkspur Primary School", 2),
        ("Real name", "Quarrington", 3),
    ):
        assert f'<a href="#block-{copy.section}-{block}">{kind} “{found}”' in html.unescape(
            manager.client.get(copy.publication).text
        ), f"{kind} {found} listed"
    assert f'id="block-{copy.section}-2"' in page

    refused = manager.post_form(copy.publication + "/ready")
    assert refused.status_code == 422
    assert "The copy cannot be marked ready: it still identifies people in 3 places" in _text(refused.text)
    assert not db.rows(
        "SELECT 1 FROM reports.outbox WHERE event_type = 'reports.publication_copy_ready' "
        "AND envelope->'data'->>'document_id' = %s",
        (copy.document,),
    )

    second = f"{copy.publication}/sections/{copy.section}/blocks/2"
    form = _text(manager.client.get(second).text)
    assert "The check found here: date of birth “3rd March 2019”, school “Larkspur Primary School”" in form
    empty = manager.post_form(second, {"text": "   "})
    assert empty.status_code == 422 and "Enter the text of this part of the copy" in _text(empty.text)
    for number, text in (
        (2, f"{CHILD} attends a local primary school."),
        (3, f"{MOTHER} and her partner declined help."),
    ):
        changed = manager.post_form(
            f"{copy.publication}/sections/{copy.section}/blocks/{number}", {"text": text}
        )
        assert changed.status_code == 303
    ready = manager.post_form(copy.publication + "/ready")
    assert ready.status_code == 303 and ready.headers["location"].endswith("?ready=1")
    assert "The publication copy is ready" in _text(manager.client.get(ready.headers["location"]).text)
    (event,) = db.rows(
        "SELECT envelope->'data' FROM reports.outbox WHERE event_type = 'reports.publication_copy_ready' "
        "AND envelope->'data'->>'document_id' = %s",
        (copy.document,),
    )
    assert event[0] == {"document_id": copy.document, "review_id": copy.review}, "ids only"

    # The title is the copy's own too (block 0 of the document's id), changed on the same kind of page.
    title = f"{copy.publication}/sections/{copy.document}/blocks/0"
    assert f"Overview {RUN}</textarea>" in manager.client.get(title).text
    assert manager.post_form(title, {"text": f"Overview {RUN}"}).status_code == 303
    assert "Draft: nothing found" in _text(manager.client.get(copy.publication).text), "an edit undoes ready"
    assert manager.post_form(copy.publication + "/ready").status_code == 303

    # The copy downloads with its anonymised text; the document keeps its own.
    word = docx.Document(io.BytesIO(manager.client.get(copy.publication + "/export.docx").content))
    paragraphs = [p.text for p in word.paragraphs]
    assert paragraphs[0] == f"Overview {RUN}" and "Northbridge" in paragraphs[1]
    assert f"{CHILD} attends a local primary school." in paragraphs
    assert not any("Quarrington" in p or "Tamsin" in p for p in paragraphs)
    pdf = manager.client.get(copy.publication + "/export.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith('attachment; filename="overview-')
    pdf_text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"{MOTHER} and her partner declined help." in pdf_text and "Tamsin" not in pdf_text


def test_the_document_downloads_as_word_and_pdf_with_its_text_and_partnership(
    system: SystemEnv, copy: Copy
) -> None:
    manager = sign_in(system, MANAGER)
    assert "export.docx" in manager.client.get(copy.page).text
    word = manager.client.get(copy.page + "/export.docx")
    assert word.status_code == 200 and word.headers["cache-control"] == "no-store"
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs]
    assert paragraphs[0] == f"Overview {RUN}"
    assert "Northbridge" in paragraphs[1]
    assert "What happened" in paragraphs and PARAGRAPHS[0] in paragraphs
    pdf = manager.client.get(copy.page + "/export.pdf")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"Overview {RUN}" in text and PARAGRAPHS[1] in text


@pytest.mark.parametrize(
    ("who", "path", "status", "why"),
    [
        (POLICE_LEAD, "/publication", 403, "an agency never reaches a publication copy"),
        (POLICE_LEAD, "/publication/export.pdf", 403, "nor its download"),
        (POLICE_LEAD, "/export.docx", 404, "an agency with no section of the document"),
        (SUBGROUP, "/export.pdf", 404, "a member of the review with no section"),
        (EASTMOOR_MANAGER, "/export.docx", 404, "another partnership's business manager"),
        (EASTMOOR_MANAGER, "/publication", 404, "another partnership's business manager, the copy"),
    ],
)
def test_whoever_has_no_part_in_the_document_or_the_copy_is_refused(
    system: SystemEnv, copy: Copy, who: str, path: str, status: int, why: str
) -> None:
    assert sign_in(system, who).client.get(copy.page + path).status_code == status, why


def test_refused_changes_leave_the_copy_alone(system: SystemEnv, copy: Copy) -> None:
    police: SignedIn = sign_in(system, POLICE_LEAD)
    assert police.post_form(copy.publication).status_code == 403
    block = f"{copy.publication}/sections/{copy.section}/blocks/1"
    assert police.post_form(block, {"text": "Tamsin Quarrington"}).status_code == 403
    eastmoor = sign_in(system, EASTMOOR_MANAGER)
    assert eastmoor.post_form(block, {"text": "Tamsin Quarrington"}).status_code == 404
    assert eastmoor.post_form(copy.publication + "/ready").status_code == 404
    page = _text(sign_in(system, MANAGER).client.get(copy.publication).text)
    assert "Tamsin" not in page


def test_downloads_and_the_copy_are_audited(system: SystemEnv, copy: Copy, db: Database) -> None:
    manager = sign_in(system, MANAGER)
    manager.client.get(copy.page + "/export.docx")
    manager.client.get(copy.publication + "/export.pdf")
    sign_in(system, EASTMOOR_MANAGER).client.get(copy.page + "/export.pdf")
    rows = db.rows(
        "SELECT record_type, action, outcome FROM audit.audit_entry WHERE record_id = %s "
        "AND action = 'export' ORDER BY record_type, outcome",
        (copy.document,),
    )
    assert ("report", "export", "allowed") in rows
    assert ("report", "export", "denied") in rows
    assert ("report_publication", "export", "allowed") in rows
