"""What every document shares: the marking, the words for what is not there, how an answer reads, and
the writer of a Word document (python-docx). Pure: no I/O but the bytes it returns."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, get_args

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm
from pydantic import BaseModel

from services.forms.contract import (
    Child,
    DeadlineView,
    ReviewFile,
    SeriousIncidentNotification,
    StepView,
)
from services.kernel.calendar import ENGLAND

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARKING = "OFFICIAL-SENSITIVE"
NOT_RECORDED = "Not recorded yet"
NOT_NEEDED = "Not needed for this review"
NOT_GIVEN = "Not given"
NIL_RETURN = "No involvement (nil return)"
NOT_RECEIVED = "Not received"
NO_DATE = "—"

DEADLINE_STATUS = {
    "waiting": "Not started",
    "due": "Due",
    "paused": "Paused",
    "overdue": "Overdue",
    "met": "Met",
    "late": "Late",
}

SIN = "serious_incident_notification"
SETUP = "rapid_review_setup"
MEETING = "rapid_review_meeting"
REPORT = "rapid_review_report"
DECISION = "decision"

# Characters XML 1.0 cannot hold: a form answer may carry one (pasted text), and lxml refuses to write it.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# -- words -------------------------------------------------------------------------------------------------


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _in_england(value: datetime) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(ENGLAND)


def _moment(value: datetime) -> str:
    local = _in_england(value)
    return f"{_day(local.date())} at {local:%H:%M}"


def _working_days(count: int) -> str:
    return f"{count} working day" if count == 1 else f"{count} working days"


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _as_date(raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def _title(model: type[BaseModel], name: str) -> str:
    return model.model_fields[name].title or name.replace("_", " ").capitalize()


def _choices(model: type[BaseModel], name: str) -> dict[str, str]:
    extra = model.model_fields[name].json_schema_extra
    labels = extra.get("choices") if isinstance(extra, dict) else None
    return {str(key): str(label) for key, label in labels.items()} if isinstance(labels, dict) else {}


def _is_date(annotation: Any) -> bool:
    """date, date | None, or either wrapped in Annotated (PastDate)."""
    return annotation is date or any(_is_date(inner) for inner in get_args(annotation))


def _value(model: type[BaseModel], name: str, answers: dict[str, Any]) -> str:
    """An answer in the words a reader needs: choice labels, dates as "5 May 2026", Yes or No."""
    raw = answers.get(name)
    labels = _choices(model, name)
    if isinstance(raw, list):
        return "; ".join(labels.get(str(item), str(item)) for item in raw) or "None"
    if raw is None or raw == "":
        return NOT_GIVEN
    if isinstance(raw, bool):
        return "Yes" if raw else "No"
    if labels:
        return labels.get(str(raw), str(raw))
    when = _as_date(raw) if _is_date(model.model_fields[name].annotation) else None
    return _day(when) if when else _clean(str(raw))


# -- what the review holds ---------------------------------------------------------------------------------


def _step(review: ReviewFile, form: str) -> StepView | None:
    return next((step for step in review.steps if step.form == form), None)


def _answers(review: ReviewFile, form: str) -> dict[str, Any] | None:
    """The answers of the step that uses this form: completed, or saved as a draft."""
    step = _step(review, form)
    if step is None or step.status not in ("completed", "in_progress") or step.answers is None:
        return None
    return step.answers


def _note_drafts(writer: _Writer, review: ReviewFile, forms: Iterable[str]) -> None:
    """Say which sections come from answers saved but not yet confirmed."""
    drafts = [step.label for step in review.steps if step.form in forms and step.status == "in_progress"]
    if drafts:
        writer.text("DRAFT: includes answers saved but not yet confirmed in: " + "; ".join(drafts) + ".")


def _absent(review: ReviewFile, form: str) -> str:
    step = _step(review, form)
    if step is not None and step.status == "not_needed":
        return NOT_NEEDED
    return NOT_RECORDED


def _absent_step(review: ReviewFile, form: str) -> str:
    step = _step(review, form)
    if step is None or step.status == "not_needed":
        return f"{_absent(review, form)}."
    return f"{NOT_RECORDED}: the step “{step.label}” is not completed."


def _deadline_of(review: ReviewFile, form: str) -> DeadlineView | None:
    step = _step(review, form)
    if step is None or step.deadline is None:
        return None
    return next((deadline for deadline in review.deadlines if deadline.code == step.deadline), None)


def _due(deadline: DeadlineView) -> date | None:
    return deadline.revised_due_on or deadline.due_on


def _row(model: type[BaseModel], name: str, answers: dict[str, Any] | None, absent: str) -> tuple[str, str]:
    return _title(model, name), _value(model, name, answers) if answers is not None else absent


def _children(writer: _Writer, review: ReviewFile, sin: dict[str, Any] | None) -> None:
    writer.heading(_title(SeriousIncidentNotification, "children"))
    if sin is None:
        writer.text(_absent_step(review, SIN))
        return
    children: list[dict[str, Any]] = sin.get("children") or []
    writer.text(f"Number of children: {len(children)}")
    for number, child in enumerate(children, start=1):
        writer.heading(f"Child {number}", level=2)
        writer.rows(_row(Child, name, child, NOT_GIVEN) for name in Child.model_fields)


# -- the document ------------------------------------------------------------------------------------------


class _Writer:
    """A Word document marked OFFICIAL-SENSITIVE on every page, titled with the case reference."""

    def __init__(self, title: str, subtitle: str, partnership_name: str, today: date) -> None:
        self.document = Document()
        section = self.document.sections[0]
        for part in (section.header, section.footer):
            marking = part.paragraphs[0]
            marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
            marking.add_run(MARKING).bold = True
        properties = self.document.core_properties
        properties.title = _clean(title)
        properties.subject = subtitle
        properties.author = _clean(partnership_name)
        properties.last_modified_by = _clean(partnership_name)
        properties.category = MARKING
        properties.comments = ""
        properties.created = properties.modified = datetime.combine(today, time())
        self.document.add_heading(_clean(title), level=0)
        self.document.add_paragraph(subtitle)
        self.document.add_paragraph(
            f"{_clean(partnership_name)}. Assembled on {_day(today)} from the review's records."
        )

    def heading(self, text: str, level: int = 1) -> None:
        self.document.add_heading(_clean(text), level=level)

    def text(self, text: str) -> None:
        cleaned = _clean(text)
        for line in [line for line in cleaned.splitlines() if line.strip()] or [cleaned]:
            self.document.add_paragraph(line)

    def passage(self, label: str, text: str) -> None:
        """A labelled long answer: the label in bold, then the answer's paragraphs."""
        self.document.add_paragraph().add_run(label).bold = True
        self.text(text)

    def rows(self, rows: Iterable[tuple[str, str]]) -> None:
        """A two-column table of questions and answers."""
        table = self.document.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for label, value in rows:
            question, answer = table.add_row().cells
            question.width, answer.width = Cm(6), Cm(10)
            question.paragraphs[0].add_run(_clean(label)).bold = True
            answer.text = _clean(value)
        self.document.add_paragraph()

    def grid(self, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        """A table with a header row."""
        table = self.document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, label in zip(table.rows[0].cells, header, strict=True):
            cell.paragraphs[0].add_run(label).bold = True
        for row in rows:
            for cell, value in zip(table.add_row().cells, row, strict=True):
                cell.text = _clean(value)
        self.document.add_paragraph()

    def bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()
