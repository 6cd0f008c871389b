"""A document's text as a file to download: Word (python-docx) or PDF (fpdf2, with the Unicode fonts of
fonts.py). Each writer takes a `DocumentText` (the current text, a publication copy's, or a named version's
alike) and returns the bytes.

The file opens with the document's title and the review's partnership; each section is a heading, and its
blocks keep their kind (headings, paragraphs, items of lists, quotations). Every page is marked
OFFICIAL-SENSITIVE, as the partnership's other documents are.
"""

from __future__ import annotations

import base64
import io
import re

from docx import Document
from docx.document import Document as WordDocument
from docx.shared import Pt
from fpdf import FPDF

from services.reports.contract import DocumentText, ExportedFile, ExportFormat, TextBlock
from services.reports.fonts import PdfFonts, pdf_fonts
from services.reports.settings import reports_settings

MARKING = "OFFICIAL-SENSITIVE"
MEDIA_TYPES: dict[str, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
# Characters XML 1.0 (and so a .docx) cannot hold.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The PDF's font families, each a Unicode TrueType font (fonts.py).
SANS = "sans"
MONO = "mono"
QUOTE_GREY = (70, 70, 70)


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


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
    def __init__(self, fonts: PdfFonts) -> None:
        super().__init__(format="A4")
        self.add_font(SANS, "", fonts.regular)
        self.add_font(SANS, "B", fonts.bold)
        self.mono = fonts.mono

    def set_mono(self, size: float) -> None:
        """The monospaced font, read only for a document with code in it (reading a font is most of the
        cost of a short PDF)."""
        if MONO not in self.fonts:
            self.add_font(MONO, "", self.mono)
        self.set_font(MONO, "", size)

    def header(self) -> None:
        self.set_font(SANS, "B", 8)
        self.cell(0, 5, MARKING, align="R", new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(SANS, "", 8)
        self.cell(0, 5, f"Page {self.page_no()}", align="C")


def write_pdf(text: DocumentText, partnership: str, fonts: PdfFonts | None = None) -> bytes:
    """The document as a PDF (A4 portrait, DejaVu Sans, so any European text is drawn as written): the same
    shape as the Word file. Without `fonts`, those of the settings' folder (MissingFont when absent)."""
    pdf = _Pdf(fonts or pdf_fonts(reports_settings().pdf_font_dir))
    pdf.set_title(text.title)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font(SANS, "B", 18)
    pdf.multi_cell(0, 9, text.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(SANS, "", 11)
    pdf.multi_cell(0, 6, partnership, new_x="LMARGIN", new_y="NEXT")
    for section in text.sections:
        pdf.ln(4)
        pdf.set_font(SANS, "B", 14)
        pdf.multi_cell(0, 7, section.title, new_x="LMARGIN", new_y="NEXT")
        for block in section.blocks:
            _pdf_block(pdf, block)
    return bytes(pdf.output())


def _pdf_block(pdf: _Pdf, block: TextBlock) -> None:
    body = block.text
    if block.kind == "heading":
        pdf.ln(1)
        pdf.set_font(SANS, "B", 12 if (block.level or 2) <= 2 else 11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
    elif block.kind == "list_item":
        pdf.set_font(SANS, "", 10)
        pdf.set_x(pdf.l_margin + 4)
        pdf.multi_cell(0, 5, f"\u2022 {body}", new_x="LMARGIN", new_y="NEXT")
    elif block.kind == "quote":
        # Set in from the margin and in grey (the fonts hold no italic).
        pdf.set_font(SANS, "", 10)
        pdf.set_text_color(*QUOTE_GREY)
        pdf.set_x(pdf.l_margin + 8)
        pdf.multi_cell(0, 5, body, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    elif block.kind == "code":
        pdf.set_mono(9)
        pdf.multi_cell(0, 4.5, body, new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.set_font(SANS, "", 10)
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
