"""A document's text as a file to download: Word (python-docx) or PDF (fpdf2). Pure: each writer takes a
`DocumentText` (the current text, a publication copy's, or a named version's alike) and returns the bytes.

The file opens with the document's title and the review's partnership; each section is a heading, and its
blocks keep their kind (headings, paragraphs, items of lists, quotations). Every page is marked
OFFICIAL-SENSITIVE, as the partnership's other documents are.
"""

from __future__ import annotations

import base64
import io
import re
import unicodedata

from docx import Document
from docx.document import Document as WordDocument
from docx.shared import Pt
from fpdf import FPDF

from services.reports.contract import DocumentText, ExportedFile, ExportFormat, TextBlock

MARKING = "OFFICIAL-SENSITIVE"
MEDIA_TYPES: dict[str, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
# Characters XML 1.0 (and so a .docx) cannot hold.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What the PDF's core font (Latin-1) lacks, spelled plainly.
_PLAINLY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u00a0": " ",
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
    }
)


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _latin1(text: str) -> str:
    """Text the core font can draw: letters with an accent Latin-1 lacks without it, anything else as "?"."""
    plain = text.translate(_PLAINLY)
    if all(ord(ch) < 256 for ch in plain):
        return plain
    out = []
    for ch in plain:
        if ord(ch) < 256:
            out.append(ch)
            continue
        spelled = "".join(
            p for p in unicodedata.normalize("NFKD", ch) if ord(p) < 256 and not unicodedata.combining(p)
        )
        out.append(spelled or ("" if unicodedata.category(ch) in ("Mn", "Me", "Cf") else "?"))
    return "".join(out)


def file_name(text: DocumentText, file_format: ExportFormat, suffix: str = "") -> str:
    """A plain file name from the title: letters, digits and hyphens only."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", f"{text.title} {suffix}").strip("-").lower() or "report"
    return f"{stem[:80]}.{file_format}"


def write_docx(text: DocumentText, partnership: str) -> bytes:
    """The document as Word: the title (Title style), the partnership, each section a Heading 1, its
    headings one level below, paragraphs, bulleted items and quotations in Word's own styles."""
    document = Document()
    document.core_properties.title = _xml(text.title)
    header = document.sections[0].header.paragraphs[0]
    header.text = MARKING
    document.add_heading(_xml(text.title), level=0)
    document.add_paragraph(_xml(partnership), style="Subtitle")
    for section in text.sections:
        document.add_heading(_xml(section.title), level=1)
        for block in section.blocks:
            _docx_block(document, block)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _docx_block(document: WordDocument, block: TextBlock) -> None:
    add_heading = document.add_heading
    add_paragraph = document.add_paragraph
    body = _xml(block.text)
    if block.kind == "heading":
        add_heading(body, level=min(max((block.level or 2) + 1, 2), 9))
    elif block.kind == "list_item":
        add_paragraph(body, style="List Bullet")
    elif block.kind == "quote":
        add_paragraph(body, style="Quote")
    elif block.kind == "code":
        run = add_paragraph().add_run(body)
        run.font.name = "Courier New"
        run.font.size = Pt(9)
    else:
        add_paragraph(body)


class _Pdf(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", "B", 8)
        self.cell(0, 5, MARKING, align="R", new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, f"Page {self.page_no()}", align="C")


def write_pdf(text: DocumentText, partnership: str) -> bytes:
    """The document as a PDF (A4 portrait, the core Helvetica font): the same shape as the Word file."""
    pdf = _Pdf(format="A4")
    pdf.set_title(_latin1(text.title))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, _latin1(text.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, _latin1(partnership), new_x="LMARGIN", new_y="NEXT")
    for section in text.sections:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 7, _latin1(section.title), new_x="LMARGIN", new_y="NEXT")
        for block in section.blocks:
            _pdf_block(pdf, block)
    return bytes(pdf.output())


def _pdf_block(pdf: FPDF, block: TextBlock) -> None:
    body = _latin1(block.text)
    if block.kind == "heading":
        pdf.ln(1)
        pdf.set_font("Helvetica", "B", 12 if (block.level or 2) <= 2 else 11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
    elif block.kind == "list_item":
        pdf.set_font("Helvetica", "", 10)
        pdf.set_x(pdf.l_margin + 4)
        pdf.multi_cell(0, 5, f"- {body}", new_x="LMARGIN", new_y="NEXT")
    elif block.kind == "quote":
        pdf.set_font("Helvetica", "I", 10)
        pdf.set_x(pdf.l_margin + 8)
        pdf.multi_cell(0, 5, body, new_x="LMARGIN", new_y="NEXT")
    elif block.kind == "code":
        pdf.set_font("Courier", "", 9)
        pdf.multi_cell(0, 4.5, body, new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, body, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def exported(
    text: DocumentText, partnership: str, file_format: ExportFormat, suffix: str = ""
) -> ExportedFile:
    """The file of the document in the format asked for, ready to send (bytes as base64)."""
    content = write_docx(text, partnership) if file_format == "docx" else write_pdf(text, partnership)
    return ExportedFile(
        file_name=file_name(text, file_format, suffix),
        media_type=MEDIA_TYPES[file_format],
        content_base64=base64.b64encode(content).decode("ascii"),
    )
