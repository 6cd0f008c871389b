"""The action plan's documents (services/actions/documents.py): the quarterly update to the Executive and the
yearly report's section, each written as Word and PDF and read back."""

from __future__ import annotations

import io
import uuid
from datetime import date

from docx import Document

from services.actions import documents
from services.actions.documents import ReviewLearning
from services.actions.domain import Action, Lesson, Recommendation

TODAY = date(2027, 2, 15)
PARTNERSHIP, REVIEW, OWNER, AGENCY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def plan() -> ReviewLearning:
    lesson = Lesson(
        uuid.uuid4(),
        REVIEW,
        PARTNERSHIP,
        "Referrals were not shared",
        ("information_sharing",),
        1,
        "review",
        None,
        date(2026, 10, 1),
        "bm",
    )
    recommendation = Recommendation(
        uuid.uuid4(), REVIEW, "Share the same day", (lesson.id,), "partnership", (), date(2026, 10, 1), "bm"
    )

    def action(description: str, **changes: object) -> Action:
        base = Action(
            uuid.uuid4(),
            REVIEW,
            PARTNERSHIP,
            OWNER,
            date(2027, 1, 31),
            "on_track",
            description,
            "m",
            recommendation.id,
            owner_agency_id=AGENCY,
            assigned_on=date(2026, 10, 2),
        )
        return base.__class__(**{**base.__dict__, **changes})

    actions = [
        action("Audit referrals"),  # overdue by its date
        action(
            "Commission a dashboard", status="not_implemented", not_implemented_reason="No provider found"
        ),
        action(
            "Train health visitors",
            status="completed",
            completed_on=date(2027, 1, 20),
            due_on=date(2027, 3, 1),
        ),
        action(
            "Add a prompt",
            status="completed",
            completed_on=date(2026, 12, 1),
            practice_changed="yes",
            how_tested="Dip sample of 30 forms",
            signed_off_on=date(2027, 1, 10),
        ),
    ]
    return ReviewLearning(REVIEW, "NB-2025-031 toddler, neglect", [lesson], [recommendation], actions)


def section(report: documents.Report, heading: str) -> str:
    """The words under a top-level heading of the report, up to the next one."""
    words: list[str] = []
    inside = False
    for block in report.blocks:
        if block.kind == "heading" and block.level == 1:
            inside = block.text.startswith(heading)
            continue
        if inside:
            words += [block.text, *block.items, *(cell for row in block.rows for cell in row)]
    return "\n".join(words)


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    words = [p.text for p in document.paragraphs]
    words += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(words)


def test_the_quarterly_update_names_what_needs_the_executive_and_reads_back_from_word() -> None:
    report = documents.quarterly_update(
        "Northbridge", [plan()], {OWNER: "Max Owner"}, {AGENCY: "Police"}, TODAY
    )
    text = docx_text(documents.write_docx(report))
    assert "Action plan update to the Executive" in text
    assert "quarter 1 January 2027 to 31 March 2027" in text
    for words in ("Audit referrals", "No provider found", "Train health visitors", "Max Owner, Police"):
        assert words in text
    assert "Audit referrals" in section(report, "For the Executive's attention")
    assert "No provider found" in section(report, "Not implemented")
    assert "Train health visitors" in section(report, "Completed this quarter")
    assert "Add a prompt" in section(report, "Signed off this quarter")


def test_the_yearly_section_gives_findings_what_was_done_and_why_not_implemented() -> None:
    report = documents.yearly_report_section(
        "Northbridge",
        [plan()],
        {"information_sharing": "Information sharing"},
        TODAY,
        ["Learning brief sent to 4 agencies"],
    )
    text = docx_text(documents.write_docx(report))
    assert "reporting year 1 April 2026 to 31 March 2027" in text
    assert "Referrals were not shared (themes: Information sharing)" in text
    assert "Commission a dashboard: No provider found" in text
    assert "Learning brief sent to 4 agencies" in text


def test_the_pdf_is_written_whatever_the_characters() -> None:
    report = documents.quarterly_update(
        "Northbridge \u2013 \u201csmart\u201d \u2713", [plan()], {}, {}, TODAY
    )
    content = documents.write_pdf(report)
    assert content.startswith(b"%PDF-")


def test_quarters_and_reporting_years() -> None:
    assert documents.quarter_of(date(2027, 11, 5)) == (date(2027, 10, 1), date(2027, 12, 31))
    assert documents.reporting_year_of(date(2027, 3, 31)) == (date(2026, 4, 1), date(2027, 3, 31))
