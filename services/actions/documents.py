"""The action plan's documents: the quarterly update to the Executive and the section of the partnership's
yearly report (for a Safeguarding Adults Board, each review's findings, what was done and why any finding was
not implemented, as the Care Act 2014 asks). Pure: the content is decided once as blocks (headings,
paragraphs, lists, tables), then written as Word (python-docx) or PDF (fpdf2). No I/O but the bytes returned.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from docx import Document
from fpdf import FPDF

from services.actions import domain
from services.actions.domain import Action, Lesson, Recommendation

MARKING = "OFFICIAL-SENSITIVE"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Block:
    """One part of a document: a heading (level 1-3), a paragraph, a bulleted list or a table."""

    kind: str
    text: str = ""
    level: int = 1
    items: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class ReviewLearning:
    """What a document says of one review: its title and its plan."""

    review_id: UUID
    title: str
    lessons: Sequence[Lesson]
    recommendations: Sequence[Recommendation]
    actions: Sequence[Action]


@dataclass
class Report:
    """A document's title, subtitle and blocks."""

    title: str
    subtitle: str
    blocks: list[Block] = field(default_factory=list)

    def heading(self, text: str, level: int = 1) -> None:
        self.blocks.append(Block("heading", text, level))

    def paragraph(self, text: str) -> None:
        self.blocks.append(Block("paragraph", text))

    def bullets(self, items: Sequence[str]) -> None:
        self.blocks.append(Block("bullets", items=tuple(items)))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.blocks.append(Block("table", headers=tuple(headers), rows=tuple(tuple(r) for r in rows)))

    def text(self) -> str:
        """Every word of the document, for tests and search."""
        parts = [self.title, self.subtitle]
        for block in self.blocks:
            parts += [block.text, *block.items, *block.headers, *(cell for row in block.rows for cell in row)]
        return "\n".join(part for part in parts if part)


def _day(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "—"


def quarter_of(day: date) -> tuple[date, date]:
    """The calendar quarter holding `day`: its first and last days."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + (first_month == 10), 1 if first_month == 10 else first_month + 3, 1) - timedelta(
        days=1
    )
    return start, end


def reporting_year_of(day: date) -> tuple[date, date]:
    """The partnership's reporting year (1 April to 31 March) holding `day`."""
    start_year = day.year if day.month >= 4 else day.year - 1
    return date(start_year, 4, 1), date(start_year + 1, 3, 31)


def _owner(action: Action, names: dict[UUID, str], agencies: dict[UUID, str]) -> str:
    owner = names.get(action.owner_id, "Unknown person")
    agency = agencies.get(action.owner_agency_id) if action.owner_agency_id else None
    return f"{owner}, {agency}" if agency else owner


def quarterly_update(
    partnership: str,
    reviews: Sequence[ReviewLearning],
    names: dict[UUID, str],
    agencies: dict[UUID, str],
    today: date,
) -> Report:
    """The quarterly update to the Executive on every review's action plan, for the quarter to `today`."""
    start, end = quarter_of(today)
    report = Report(
        "Action plan update to the Executive",
        f"{partnership}: quarter {_day(start)} to {_day(end)}, as at {_day(today)}",
    )
    actions = [(review, action) for review in reviews for action in review.actions]
    counts = {status: 0 for status in domain.STATUS_WORDS}
    rags = {"red": 0, "amber": 0, "green": 0, "complete": 0}
    for _, action in actions:
        counts[action.shown_status(today)] += 1
        rags[action.rag(today)] += 1
    report.heading("Summary")
    report.paragraph(
        f"{len(actions)} actions from {len(reviews)} reviews. RAG: {rags['red']} red, {rags['amber']} amber, "
        f"{rags['green']} green, {rags['complete']} complete."
    )
    report.table(
        ["Status", "Actions"], [(domain.STATUS_WORDS[status], str(count)) for status, count in counts.items()]
    )

    def rows(chosen: Sequence[tuple[ReviewLearning, Action]], *extra: str) -> list[tuple[str, ...]]:
        return [
            (
                review.title,
                action.description,
                _owner(action, names, agencies),
                _day(action.due_on),
                *(
                    action.not_implemented_reason
                    if what == "reason"
                    else _day(action.impact_check_due_on)
                    if what == "impact"
                    else _day(action.signed_off_on)
                    for what in extra
                ),
            )
            for review, action in chosen
        ]

    attention = [(r, a) for r, a in actions if a.shown_status(today) in ("overdue", "at_risk")]
    report.heading("For the Executive's attention: overdue and at risk")
    if attention:
        report.table(["Review", "Action", "Owner", "Due"], rows(attention))
    else:
        report.paragraph("No action is overdue or at risk.")
    dropped = [(r, a) for r, a in actions if a.status == "not_implemented"]
    report.heading("Not implemented, and why")
    if dropped:
        report.table(["Review", "Action", "Owner", "Due", "Reason"], rows(dropped, "reason"))
    else:
        report.paragraph("Every action is being implemented.")
    done = [
        (r, a)
        for r, a in actions
        if a.status == "completed" and a.signed_off_on is None and a.completed_on and a.completed_on >= start
    ]
    report.heading("Completed this quarter, awaiting the impact check or sign-off")
    if done:
        report.table(["Review", "Action", "Owner", "Due", "Impact check due"], rows(done, "impact"))
    else:
        report.paragraph("None.")
    closed = [(r, a) for r, a in actions if a.signed_off_on and start <= a.signed_off_on <= end]
    report.heading("Signed off this quarter")
    if closed:
        report.table(["Review", "Action", "Owner", "Due", "Signed off"], rows(closed, "signed_off"))
    else:
        report.paragraph("None.")
    report.heading("Each review's plan")
    for review in reviews:
        report.heading(review.title, 2)
        report.table(
            ["Action", "Owner", "Due", "Status", "RAG"],
            [
                (
                    a.description,
                    _owner(a, names, agencies),
                    _day(a.due_on),
                    domain.STATUS_WORDS[a.shown_status(today)],
                    a.rag(today).capitalize(),
                )
                for a in domain.in_order(review.actions)
            ],
        )
    return report


def yearly_report_section(
    partnership: str,
    reviews: Sequence[ReviewLearning],
    theme_labels: dict[str, str],
    today: date,
    dissemination: Sequence[str] = (),
) -> Report:
    """The yearly report's section on reviews: each review's findings (its lessons), its recommendations,
    what was done, and the reasons any finding was not implemented; then how the learning was shared."""
    start, end = reporting_year_of(today)
    report = Report(
        "Reviews: what we learned and what we did",
        f"{partnership}: reporting year {_day(start)} to {_day(end)}",
    )
    for review in reviews:
        report.heading(review.title)
        report.heading("Findings", 2)
        report.bullets(
            [
                f"{lesson.finding} (themes: {', '.join(theme_labels.get(t, t) for t in lesson.themes)})"
                for lesson in review.lessons
            ]
            or ["No findings recorded."]
        )
        report.heading("Recommendations", 2)
        report.bullets([r.text for r in review.recommendations] or ["No recommendations made."])
        report.heading("What was done", 2)
        report.table(
            ["Action", "Status", "Practice changed"],
            [
                (
                    a.description,
                    domain.STATUS_WORDS[a.shown_status(today)],
                    f"{a.practice_changed}: {a.how_tested}" if a.practice_changed else "",
                )
                for a in domain.in_order(review.actions)
            ],
        )
        dropped = [a for a in review.actions if a.status == "not_implemented"]
        report.heading("Not implemented, and why", 2)
        report.bullets(
            [f"{a.description}: {a.not_implemented_reason}" for a in dropped]
            or ["Every finding is being acted on."]
        )
    report.heading("How the learning was shared")
    report.bullets(list(dissemination) or ["No learning brief recorded yet."])
    return report


# -- writers -----------------------------------------------------------------------------------------------


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def write_docx(report: Report) -> bytes:
    """The report as a Word document, marked OFFICIAL-SENSITIVE in its header."""
    document = Document()
    document.sections[0].header.paragraphs[0].text = MARKING
    document.add_heading(_xml(report.title), 0)
    document.add_paragraph(_xml(report.subtitle))
    for block in report.blocks:
        if block.kind == "heading":
            document.add_heading(_xml(block.text), block.level)
        elif block.kind == "paragraph":
            document.add_paragraph(_xml(block.text))
        elif block.kind == "bullets":
            for item in block.items:
                document.add_paragraph(_xml(item), style="List Bullet")
        elif block.kind == "table":
            table = document.add_table(rows=1, cols=len(block.headers))
            table.style = "Table Grid"
            for cell, header in zip(table.rows[0].cells, block.headers, strict=True):
                cell.text = _xml(header)
            for row in block.rows:
                cells = table.add_row().cells
                for cell, value in zip(cells, row, strict=True):
                    cell.text = _xml(value)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "-",
    }
)


def _latin(text: str) -> str:
    """The core PDF font holds Latin-1 only: other characters are spelled plainly or replaced."""
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def write_pdf(report: Report) -> bytes:
    """The report as a PDF (A4 portrait, the core Helvetica font), marked in every page's header."""

    class Pdf(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "B", 8)
            self.cell(0, 5, MARKING, align="R", new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 5, f"Page {self.page_no()}", align="C")

    pdf = Pdf(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, _latin(report.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, _latin(report.subtitle), new_x="LMARGIN", new_y="NEXT")
    for block in report.blocks:
        if block.kind == "heading":
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", {1: 14, 2: 12}.get(block.level, 11))
            pdf.multi_cell(0, 7, _latin(block.text), new_x="LMARGIN", new_y="NEXT")
        elif block.kind == "paragraph":
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5, _latin(block.text), new_x="LMARGIN", new_y="NEXT")
        elif block.kind == "bullets":
            pdf.set_font("Helvetica", "", 10)
            for item in block.items:
                pdf.multi_cell(0, 5, _latin("- " + item), new_x="LMARGIN", new_y="NEXT")
        elif block.kind == "table":
            pdf.set_font("Helvetica", "", 8)
            with pdf.table(text_align="LEFT") as table:
                header = table.row()
                for value in block.headers:
                    header.cell(_latin(value))
                for row in block.rows:
                    cells = table.row()
                    for value in row:
                        cells.cell(_latin(value))
    return bytes(pdf.output())
