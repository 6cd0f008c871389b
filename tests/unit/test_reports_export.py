"""A document's text written as Word and as PDF (services/reports/export.py): the title, the partnership, each
section and its blocks in order, their kinds kept; any European text drawn in the PDF as written (its Unicode
fonts, services/reports/fonts.py), and a clear error where those fonts are missing."""

from __future__ import annotations

import base64
import io
import uuid
from pathlib import Path

import docx
import pypdf
import pytest

from services.reports.contract import DocumentText, SectionText, TextBlock
from services.reports.export import exported, file_name, write_docx, write_pdf
from services.reports.fonts import MissingFont, pdf_fonts
from services.reports.settings import reports_settings

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


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_holds_the_text_in_order_with_its_typographic_marks() -> None:
    text = _pdf_text(write_pdf(TEXT, PARTNERSHIP))
    expected = [
        "OFFICIAL-SENSITIVE",
        "Overview report \u2013 Child A",
        PARTNERSHIP,
        "The child",
        "Early years",
        "Child A\u2019s nursery noticed bruising.",
        "\u2022 Health visitor",
        "We did not know who to tell.",
        "Findings",
    ]
    positions = [text.find(part) for part in expected]
    assert -1 not in positions, (
        f"missing from the PDF: {[p for p, i in zip(expected, positions, strict=True) if i < 0]}"
    )
    assert positions == sorted(positions), "the PDF keeps the document's order"


# Beyond Latin-1: curly quotes, dashes, Polish, Latvian, Welsh, Czech, Romanian, Greek and Cyrillic letters.
BEYOND_LATIN_1 = [
    "“We didn’t know” — said the mother – twice…",  # noqa: RUF001
    "Ms Wałęsa and Mr Āboliņš (Łódź, Rīga)",
    "Llŷr a Gwenllïan o Ddyfrdŵy: tŷ, dŵr, ŵyr",
    "Děkujeme; școală țară; Αθήνα; Київ",
]


def test_text_beyond_latin_1_survives_into_the_pdf_as_written() -> None:
    written = TEXT.model_copy(
        update={
            "title": "Review of “Child Ł” — Ynys Môn",
            "sections": [
                SectionText(
                    section_id=uuid.uuid4(),
                    key="voices",
                    title="Wyn’s family — their words",  # noqa: RUF001
                    blocks=[
                        TextBlock(kind="paragraph", text=BEYOND_LATIN_1[0]),
                        TextBlock(kind="quote", text=BEYOND_LATIN_1[1]),
                        TextBlock(kind="list_item", text=BEYOND_LATIN_1[2]),
                        TextBlock(kind="code", text=BEYOND_LATIN_1[3]),
                    ],
                )
            ],
        }
    )
    text = _pdf_text(write_pdf(written, "Partneriaeth Diogelu Gogledd Cymru — ŵ ŷ"))
    for line in [
        "Review of “Child Ł” — Ynys Môn",
        "Wyn’s family — their words",  # noqa: RUF001
        "Partneriaeth Diogelu Gogledd Cymru — ŵ ŷ",
        *BEYOND_LATIN_1,
    ]:
        assert line in text, f"{line!r} is not in the PDF's text as written:\n{text}"
    assert "?" not in text, "no character replaced"


def test_missing_fonts_are_named_with_how_to_install_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(MissingFont, match="apt-get install fonts-dejavu-core") as refused:
        pdf_fonts(tmp_path)
    assert "DejaVuSans.ttf" in str(refused.value) and "CASEREV_REPORTS_PDF_FONT_DIR" in str(refused.value)
    monkeypatch.setenv("CASEREV_REPORTS_PDF_FONT_DIR", str(tmp_path))
    reports_settings.cache_clear()
    try:
        with pytest.raises(MissingFont, match=str(tmp_path)):
            write_pdf(TEXT, PARTNERSHIP)
    finally:
        monkeypatch.delenv("CASEREV_REPORTS_PDF_FONT_DIR")
        reports_settings.cache_clear()


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
