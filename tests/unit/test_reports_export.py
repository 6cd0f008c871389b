"""A document's text written as Word and as PDF (services/reports/export.py): the title, the partnership, each
section and its blocks in order, their kinds kept; text the PDF's core font lacks spelled plainly."""

from __future__ import annotations

import base64
import io
import uuid

import docx
import pypdf

from services.reports.contract import DocumentText, SectionText, TextBlock
from services.reports.export import exported, file_name, write_docx, write_pdf

TEXT = DocumentText(
    document_id=uuid.uuid4(),
    review_id=uuid.uuid4(),
    kind="overview_report",
    title="Overview report \u2013 Child A",
    sections=[
        SectionText(
            section_id=uuid.uuid4(),
            key="child",
            title="The child",
            blocks=[
                TextBlock(kind="heading", text="Early years", level=2),
                TextBlock(kind="paragraph", text="Child A\u2019s nursery noticed bruising."),
                TextBlock(kind="list_item", text="Health visitor"),
                TextBlock(kind="list_item", text="GP"),
                TextBlock(kind="quote", text="We did not know who to tell."),
            ],
        ),
        SectionText(section_id=uuid.uuid4(), key="findings", title="Findings", blocks=[]),
    ],
)
PARTNERSHIP = "Northbridge Safeguarding Children Partnership"


def test_the_word_file_opens_and_keeps_the_title_partnership_headings_lists_and_quotes() -> None:
    document = docx.Document(io.BytesIO(write_docx(TEXT, PARTNERSHIP)))
    paragraphs = [(p.style.name if p.style else "", p.text) for p in document.paragraphs]
    assert paragraphs == [
        ("Title", "Overview report \u2013 Child A"),
        ("Subtitle", PARTNERSHIP),
        ("Heading 1", "The child"),
        ("Heading 3", "Early years"),
        ("Normal", "Child A\u2019s nursery noticed bruising."),
        ("List Bullet", "Health visitor"),
        ("List Bullet", "GP"),
        ("Quote", "We did not know who to tell."),
        ("Heading 1", "Findings"),
    ]
    assert document.sections[0].header.paragraphs[0].text == "OFFICIAL-SENSITIVE"


def test_the_pdf_holds_the_text_in_order_with_typographic_marks_spelled_plainly() -> None:
    reader = pypdf.PdfReader(io.BytesIO(write_pdf(TEXT, PARTNERSHIP)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    expected = [
        "OFFICIAL-SENSITIVE",
        "Overview report - Child A",
        PARTNERSHIP,
        "The child",
        "Early years",
        "Child A's nursery noticed bruising.",
        "- Health visitor",
        "We did not know who to tell.",
        "Findings",
    ]
    positions = [text.find(part) for part in expected]
    assert -1 not in positions, (
        f"missing from the PDF: {[p for p, i in zip(expected, positions, strict=True) if i < 0]}"
    )
    assert positions == sorted(positions), "the PDF keeps the document's order"


def test_a_long_document_runs_over_pages() -> None:
    long = TEXT.model_copy(
        update={
            "sections": [
                SectionText(
                    section_id=uuid.uuid4(),
                    key="narrative",
                    title="What happened",
                    blocks=[
                        TextBlock(kind="paragraph", text=f"Paragraph {n}. " + "Words " * 80)
                        for n in range(60)
                    ],
                )
            ]
        }
    )
    reader = pypdf.PdfReader(io.BytesIO(write_pdf(long, PARTNERSHIP)))
    assert len(reader.pages) > 3
    assert "Paragraph 59." in reader.pages[-1].extract_text()


def test_the_file_is_named_from_the_title_and_sent_as_base64() -> None:
    assert file_name(TEXT, "pdf", "publication copy") == "overview-report-child-a-publication-copy.pdf"
    sent = exported(TEXT, PARTNERSHIP, "docx")
    assert sent.file_name == "overview-report-child-a.docx"
    assert sent.media_type.endswith("wordprocessingml.document")
    assert base64.b64decode(sent.content_base64)[:2] == b"PK"
    assert exported(TEXT, PARTNERSHIP, "pdf").media_type == "application/pdf"
