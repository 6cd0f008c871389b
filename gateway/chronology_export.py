"""A review's merged chronology as a file to take away: CSV, Excel (XLSX) or PDF, with pseudonyms only.

Each writer reads the entries from an iterable and writes each one as it comes, so that a chronology of any
length is never held whole: the route feeds them a page of the service's answer at a time. The CSV goes out
row by row, the workbook through openpyxl's write-only sheet, the PDF row by row through fpdf2 (which keeps
the pages it has drawn, not the entries).

Every cell of a CSV file or a workbook is text: one that a spreadsheet would run as a formula is neutralised
(`neutralised`, used by every CSV file and workbook the gateway makes of what people typed; the audit log's
CSV keeps its own copy in gateway/audit.py, a module this one depends on). The PDF uses the core Helvetica
font, which has glyphs for Latin-1 only: any other character is spelled plainly or replaced (`pdf_text`),
never a reason to fail.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, BinaryIO
from uuid import UUID

from fpdf import FPDF
from fpdf.fonts import CORE_FONTS_CHARWIDTHS
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from gateway.deps import in_words
from services.chronology.contract import ChronologyPage, ChronologyQuery, EntryView

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

PSEUDONYMISED = "Pseudonymised: real names removed"
COLUMNS = (
    "Date",
    "Agency",
    "Source",
    "Practitioner role",
    "Event",
    "Action or decision",
    "Significance",
    "Key practice episode",
    "People",
)
SIGNIFICANCE = {"high": "High", "medium": "Medium", "low": "Low"}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralised(cell: str) -> str:
    """A cell a spreadsheet will show as text: one starting as a formula would (=, +, -, @, tab, CR) gets a
    leading apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def download_headers(name: str) -> dict[str, str]:
    """The headers of a file to download: saved under a name of plain characters, never kept by a cache."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in name)
    return {"Content-Disposition": f'attachment; filename="{safe}"', "Cache-Control": "no-store"}


def _day(value: date) -> str:
    return value.strftime("%-d %B %Y")


def filters_in_words(
    query: ChronologyQuery, agencies: Mapping[UUID, str], people: Mapping[UUID, str]
) -> tuple[str, ...]:
    """The filters of a view of the chronology as a reader would say them, in the page's order."""
    words: list[str] = []
    if query.text:
        words.append(f'Words: "{query.text}"')
    if query.agency_id:
        words.append(f"Agency: {agencies.get(query.agency_id, 'an agency with no entries')}")
    if query.person_id:
        words.append(f"Person: {people.get(query.person_id, 'someone not in the register')}")
    if query.from_on:
        words.append(f"From {_day(query.from_on)}")
    if query.to_on:
        words.append(f"To {_day(query.to_on)}")
    if query.significance:
        words.append(f"Significance: {SIGNIFICANCE[query.significance]}")
    if query.episodes_only:
        words.append("Key practice episodes only")
    return tuple(words)


@dataclass(frozen=True)
class ChronologyExport:
    """What an exported chronology says besides its entries: which review, which entries (the filters in
    words), when, and the partnership's own columns that follow the standard ones."""

    review_title: str
    filters: tuple[str, ...]
    exported_at: datetime
    extra_columns: tuple[str, ...] = ()

    def title_lines(self) -> list[str]:
        """The title block: the review, the entries chosen, when, and that no real name is in the file."""
        chosen = "; ".join(self.filters) if self.filters else "all (no filters)"
        return [
            f"Chronology of {self.review_title}",
            f"Entries: {chosen}",
            f"Exported {in_words(self.exported_at)}",
            PSEUDONYMISED,
        ]

    def headings(self) -> list[str]:
        """The column headings: the standard columns, then the partnership's own."""
        return [*COLUMNS, *self.extra_columns]

    def cells(self, entry: EntryView) -> list[str]:
        """One entry's cells under the headings. An entry showing real names is refused: an export carries
        pseudonyms only, whoever asks for it."""
        if entry.names_shown:
            raise ValueError("an exported chronology carries pseudonyms only, not an entry with real names")
        return [
            date_as_typed(entry),
            entry.agency_name,
            entry.source,
            entry.practitioner_role,
            entry.event,
            action_or_decision(entry),
            SIGNIFICANCE.get(entry.significance or "", ""),
            "Yes" if entry.episode or entry.agency_suggests_episode else "",
            "; ".join(entry.people),
            *(entry.extra.get(heading, "") for heading in self.extra_columns),
        ]


def every_entry(page: ChronologyPage, page_after: Callable[[str], ChronologyPage]) -> Iterator[EntryView]:
    """Every entry of a view of the chronology, from its first page on: each next page is asked for by the
    cursor of the one before once the writer has taken all of that one, so one page is held at a time."""
    while True:
        yield from page.entries
        if page.next_after is None:
            return
        page = page_after(page.next_after)


def date_as_typed(entry: EntryView) -> str:
    """The date as the agency typed it, with the time and the end date: "12/03/2024 14:30 to 15/03/2024"."""
    words = entry.date_typed
    if entry.time:
        words += " " + entry.time.strftime("%H:%M")
    if entry.ended_typed:
        words += " to " + entry.ended_typed
    return words


def action_or_decision(entry: EntryView) -> str:
    """What the agency did, or why it did nothing."""
    if entry.action:
        return entry.action
    return f"No action: {entry.no_action_reason}" if entry.no_action_reason else ""


def _cell(text: str) -> str:
    # The control characters a workbook cannot hold go first, so that none hides a formula behind it.
    return neutralised(ILLEGAL_CHARACTERS_RE.sub("", text))


# -- CSV ---------------------------------------------------------------------------------------------------


def write_csv(export: ChronologyExport, entries: Iterable[EntryView], out: BinaryIO) -> int:
    """The chronology as CSV (UTF-8 with a byte order mark, so that Excel reads it as such): the title block,
    a blank line, the headings, then one row per entry. Returns how many entries it wrote."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    written = 0
    try:
        writer = csv.writer(text)
        writer.writerows([_cell(line)] for line in export.title_lines())
        writer.writerow([])
        writer.writerow([_cell(heading) for heading in export.headings()])
        for entry in entries:
            writer.writerow([_cell(value) for value in export.cells(entry)])
            written += 1
    finally:
        text.detach()  # flushed, and `out` left open for its owner
    return written


# -- XLSX --------------------------------------------------------------------------------------------------

# Column widths in characters: dates and names narrow, what happened wide.
XLSX_WIDTHS = {"Event": 60, "Action or decision": 45, "Source": 30, "People": 24, "Date": 22}


def write_xlsx(export: ChronologyExport, entries: Iterable[EntryView], out: BinaryIO) -> int:
    """The chronology as a workbook of one sheet, "Chronology": the title block, then the headings (bold,
    frozen, filterable) and one row per entry, wrapped. Every cell is a string (an inline string in the file,
    never a formula, a number or a date). Returns how many entries it wrote."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Chronology")
    headings = export.headings()
    for index, heading in enumerate(headings, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = XLSX_WIDTHS.get(heading, 18)
    title = export.title_lines()
    heading_row = len(title) + 2
    sheet.freeze_panes = f"A{heading_row + 1}"
    styles = _Styles(sheet)
    for number, line in enumerate(title):
        sheet.append([_text_cell(sheet, line, styles.title if number == 0 else None)])
    sheet.append([])
    sheet.append([_text_cell(sheet, heading, styles.heading) for heading in headings])
    written = 0
    try:
        for entry in entries:
            sheet.append([_text_cell(sheet, value, styles.body) for value in export.cells(entry)])
            written += 1
    except BaseException:
        _abandon(sheet)
        raise
    last = get_column_letter(len(headings))
    sheet.auto_filter.ref = f"A{heading_row}:{last}{heading_row + max(written, 1)}"
    workbook.save(out)
    return written


def _abandon(sheet: WriteOnlyWorksheet) -> None:
    """A workbook that will not be finished: openpyxl keeps a write-only sheet's rows in a temporary file that
    it deletes once the workbook is saved, or when the process ends; delete it now, so that no part of a
    chronology is left lying on the disk."""
    with suppress(Exception):
        sheet.close()
    writer = getattr(sheet, "_writer", None)  # openpyxl's, holding that file
    if writer is not None:
        with suppress(Exception):
            writer.cleanup()


class _Styles:
    """The sheet's three looks, made once: a cell takes a copy of one (its index in the workbook's styles),
    which costs far less than giving each cell its font and alignment."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        top = Alignment(vertical="top", wrap_text=True)
        title = WriteOnlyCell(sheet)
        title.font = Font(bold=True, size=14)
        heading = WriteOnlyCell(sheet)
        heading.font, heading.alignment = Font(bold=True), top
        body = WriteOnlyCell(sheet)
        body.alignment = top
        self.title, self.heading, self.body = title._style, heading._style, body._style


def _text_cell(sheet: WriteOnlyWorksheet, text: str, style: StyleArray | None = None) -> WriteOnlyCell | None:
    if not text:
        return None
    cell = WriteOnlyCell(sheet, value=_cell(text))
    cell.data_type = "s"  # text, whatever it looks like
    if style is not None:
        cell._style = copy(style)
    return cell


# -- PDF ---------------------------------------------------------------------------------------------------

# What Latin-1 lacks but a practitioner's word processor types, spelled plainly.
_PLAINLY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u20ac": "EUR",
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0131": "i",
        "\u0152": "OE",
        "\u0153": "oe",
    }
)


def pdf_text(text: str) -> str:
    """Text the PDF's core font can draw (Latin-1): typographic quotes and dashes spelled plainly, letters
    with an accent Latin-1 lacks without it ("Łukasz" as "Lukasz", "ś" as "s"), anything else as "?"."""
    if text.isascii():
        return text
    return "".join(_latin1(ch) for ch in text.translate(_PLAINLY))


@lru_cache(maxsize=4096)
def _latin1(ch: str) -> str:
    if ord(ch) < 256:
        return ch
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return ""  # a combining mark, a joiner or an emoji's variation selector: nothing to draw
    plain = "".join(
        part
        for part in unicodedata.normalize("NFKD", ch)
        if ord(part) < 256 and not unicodedata.combining(part)
    )
    return plain or "?"


FONT = "helvetica"
FONT_SIZE = 7.5  # points
LINE = 3.3  # mm from one line of a cell to the next
PADDING = 1.0  # mm around a cell's text
MARGIN = 10.0  # mm
# Widths in mm of the columns whose values are short; the rest share what is left (Event the most).
PDF_WIDTHS = {
    "Date": 24.0,
    "Agency": 22.0,
    "Source": 26.0,
    "Practitioner role": 22.0,
    "Significance": 17.0,
    "Key practice episode": 14.0,
    "People": 22.0,
}
PDF_SHARES = {"Event": 3.0, "Action or decision": 2.0}


def pdf_widths(headings: Sequence[str], page_width: float) -> list[float]:
    """Each column's width in mm: the short ones fixed, the others sharing the rest of the page by their
    shares (a partnership's column 1.5), all narrowed alike when the page cannot hold them."""
    fixed = [PDF_WIDTHS.get(heading, 0.0) for heading in headings]
    shares = [0.0 if heading in PDF_WIDTHS else PDF_SHARES.get(heading, 1.5) for heading in headings]
    left = page_width - sum(fixed)
    floor = 12.0 * sum(1 for share in shares if share)
    if left < floor:
        # Too many columns: every column gets the same share of the page.
        return [page_width / len(headings)] * len(headings)
    return [width or left * share / sum(shares) for width, share in zip(fixed, shares, strict=True)]


class ChronologyPdf(FPDF):
    """A4 landscape pages: the title block on the first, the column headings at the top of each, the
    pseudonymisation notice and the page number at the foot. Rows are drawn one by one with the core font;
    a row taller than what is left of a page goes on to the next, and one taller than a page is split."""

    def __init__(self, export: ChronologyExport) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.export = export
        self.headings = [pdf_text(heading) for heading in export.headings()]
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False, margin=MARGIN + 4)  # rows decide their own page breaks
        self.set_title(pdf_text(f"Chronology of {export.review_title}"))
        self.set_subject(PSEUDONYMISED)
        self.set_creator("Case Review")
        self.widths = pdf_widths(self.headings, self.epw)
        self.in_table = False
        self.body_top = 0.0

    def header(self) -> None:
        if self.in_table:
            self.draw_headings()

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font(FONT, "", 7)
        self.cell(0, 4, f"{PSEUDONYMISED}.  Page {self.page_no()}", align="C")

    def title_block(self) -> None:
        """The title block, then the headings of the table that follows."""
        lines = self.export.title_lines()
        self.add_page()
        self.set_font(FONT, "B", 14)
        self.multi_cell(0, 7, pdf_text(lines[0]), new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 9)
        for line in lines[1:]:
            self.multi_cell(0, 4.5, pdf_text(line), new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        self.in_table = True
        self.draw_headings()

    def draw_headings(self) -> None:
        self.set_fill_color(225)
        self.row(self.headings, bold=True)
        self.body_top = self.y

    def row(self, cells: Sequence[str], bold: bool = False) -> None:
        """One row of the table, its cells wrapped to their columns' widths."""
        self.set_font(FONT, "B" if bold else "", FONT_SIZE)
        widths = CORE_FONTS_CHARWIDTHS["helveticaB" if bold else "helvetica"]
        unit = FONT_SIZE * 0.001 / self.k  # a character's width in the font's thousandths, in mm
        columns = [
            _wrapped(pdf_text(text), width - 2 * PADDING, widths, unit)
            for text, width in zip(cells, self.widths, strict=True)
        ]
        height = max(len(lines) for lines in columns)
        done = 0
        while done < height:
            room = int((self.page_break_trigger - self.y - 2 * PADDING) // LINE)
            whole_on_next_page = self.y > self.body_top + 0.01 and not bold
            if room < 1 or (done == 0 and height > room and whole_on_next_page):
                self.add_page()
                continue
            take = min(room, height - done)
            top, box = self.y, take * LINE + 2 * PADDING
            if bold:
                self.rect(self.l_margin, top, self.epw, box, style="F")
            x = self.l_margin
            for lines, width in zip(columns, self.widths, strict=True):
                for number, line in enumerate(lines[done : done + take]):
                    if line:
                        self.text(x + PADDING, top + PADDING + number * LINE + 2.5, line)
                x += width
            self.set_draw_color(180)
            self.line(self.l_margin, top + box, self.l_margin + self.epw, top + box)
            self.set_y(top + box)
            done += take


def _wrapped(text: str, room: float, widths: Mapping[str, int], unit: float) -> list[str]:
    """The text in lines no wider than `room` mm: broken between words, and within a word only when the
    word alone is wider."""
    lines: list[str] = []
    space = widths[" "] * unit
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split():
            size = sum(widths.get(ch, 600) for ch in word) * unit
            if line and used + space + size <= room:
                line, used = f"{line} {word}", used + space + size
                continue
            if line:
                lines.append(line)
            line, used = word, size
            if size > room:
                line, used = "", 0.0
                for ch in word:
                    step = widths.get(ch, 600) * unit
                    if line and used + step > room:
                        lines.append(line)
                        line, used = "", 0.0
                    line, used = line + ch, used + step
        lines.append(line)
    return lines


def write_pdf(export: ChronologyExport, entries: Iterable[EntryView], out: BinaryIO) -> int:
    """The chronology as a PDF: A4 landscape, the title block, then a table of the entries with its headings
    on every page. Returns how many entries it wrote."""
    pdf = ChronologyPdf(export)
    pdf.title_block()
    written = 0
    for entry in entries:
        pdf.row(export.cells(entry))
        written += 1
    if not written:
        pdf.set_font(FONT, "", 9)
        pdf.cell(0, 8, "No entries.", new_x="LMARGIN", new_y="NEXT")
    pdf.output(out)
    return written


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX, "pdf": "application/pdf"}
