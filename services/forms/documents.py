"""The documents a review's business manager downloads, finishes and sends, assembled from its records.

Pure: it builds Word documents (DOCX bytes, python-docx) from what the forms service already holds and
does no other I/O.

    rapid_review_report(
        review: ReviewFile, returns: list[ReturnView], partnership_name: str, today: date
    ) -> bytes
        The rapid review report to the Child Safeguarding Practice Review Panel.

    panel_notification(review: ReviewFile, partnership_name: str, today: date) -> bytes
        The Serious Incident Notification, every question of its form with the review's answer.

    KINDS: dict[str, tuple[str, Builder]]
        File slug -> (title, builder). Every builder takes (review, returns, partnership_name, today), so a
        service can serve any kind the same way; the notification ignores the returns.

A step's answers are found by the kind of form the step uses, never by its code, so any review type that
uses the form gives the same document. Completed steps are read, and steps saved as drafts too (the
manager draws the document to finish it before the partners sign off), with a note under the title naming
the draft steps; a section whose step has no answers says "Not recorded yet", so the manager sees what is
missing. The questions and choice labels are
the form models' own (`title`, `json_schema_extra["choices"]` in contract.py). The documents hold what the
records hold and nothing else: no names are added.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, get_args

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm
from pydantic import BaseModel

from services.forms.contract import (
    AgencyReturnAnswers,
    Child,
    DeadlineView,
    Decision,
    KeyPracticeEpisode,
    RapidReviewMeeting,
    RapidReviewReport,
    RapidReviewSetup,
    ReturnView,
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


# -- the rapid review report -------------------------------------------------------------------------------


# The forms whose answers the rapid review report draws on.
REPORT_FORMS = (
    SIN,
    "rapid_review_setup",
    "rapid_review_meeting",
    "rapid_review_report",
    "decision",
)


def rapid_review_report(
    review: ReviewFile, returns: list[ReturnView], partnership_name: str, today: date
) -> bytes:
    """The rapid review report to the Child Safeguarding Practice Review Panel, as a DOCX document.

    Assembled from the review's completed steps (the Serious Incident Notification, the rapid review's
    set-up, meeting, report and sign-off, the decision), the agencies' returns and the review's deadlines.
    A section whose step is not completed says "Not recorded yet".
    """
    writer = _Writer(
        review.title,
        "Rapid review report to the Child Safeguarding Practice Review Panel",
        partnership_name,
        today,
    )
    _note_drafts(writer, review, REPORT_FORMS)
    sin = _answers(review, SIN)
    _partnership_and_authorities(writer, review, sin, partnership_name)
    _notification_dates(writer, review, sin)
    _meeting_dates(writer, review)
    _children(writer, review, sin)
    _incident(writer, review, sin)
    _agencies(writer, review, sin, returns)
    _lived_experience(writer, review)
    _immediate_actions(writer, review)
    _learning(writer, review)
    _parallel_processes(writer, review)
    _decision(writer, review)
    _sign_off(writer, review)
    _timeliness(writer, review)
    return writer.bytes()


def _partnership_and_authorities(
    writer: _Writer, review: ReviewFile, sin: dict[str, Any] | None, partnership_name: str
) -> None:
    writer.heading("Partnership and authorities")
    absent = _absent(review, SIN)
    writer.rows(
        [
            ("Safeguarding partnership", partnership_name),
            ("Review", review.review_type_label),
            _row(SeriousIncidentNotification, "notifying_local_authority", sin, absent),
            _row(SeriousIncidentNotification, "other_local_authorities", sin, absent),
        ]
    )


def _notification_dates(writer: _Writer, review: ReviewFile, sin: dict[str, Any] | None) -> None:
    writer.heading("Serious Incident Notification")
    absent = _absent(review, SIN)
    rows = [
        ("Case reference", review.title),
        *(_row(SeriousIncidentNotification, name, sin, absent) for name in ("incident_date", "date_aware")),
        _row(SeriousIncidentNotification, "notified_on", sin, absent),
    ]
    deadline = _deadline_of(review, SIN)
    due = _due(deadline) if deadline else None
    rows.append(("Notification due", _day(due) if due else absent))
    rows.append(("Notified within the deadline?", _met(deadline) if deadline else absent))
    writer.rows(rows)


def _met(deadline: DeadlineView) -> str:
    if deadline.status == "met":
        return "Yes"
    if deadline.status == "late":
        return f"No: {_working_days(deadline.late_by_working_days)} late"
    if deadline.status == "waiting":
        return NOT_RECORDED
    return f"Not yet done ({DEADLINE_STATUS[deadline.status].lower()})"


def _meeting_dates(writer: _Writer, review: ReviewFile) -> None:
    writer.heading("Meeting dates")
    setup, meeting = _answers(review, SETUP), _answers(review, MEETING)
    writer.rows(
        [
            _row(RapidReviewSetup, "letters_sent_on", setup, _absent(review, SETUP)),
            _row(RapidReviewSetup, "meeting_planned_on", setup, _absent(review, SETUP)),
            _row(RapidReviewMeeting, "held_on", meeting, _absent(review, MEETING)),
        ]
    )


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


def _incident(writer: _Writer, review: ReviewFile, sin: dict[str, Any] | None) -> None:
    writer.heading("The incident")
    if sin is None:
        writer.text(_absent_step(review, SIN))
        return
    writer.rows(
        _row(SeriousIncidentNotification, name, sin, NOT_GIVEN) for name in ("nature", "police_investigation")
    )
    writer.passage(
        _title(SeriousIncidentNotification, "case_outline"),
        _value(SeriousIncidentNotification, "case_outline", sin),
    )


def _agencies(
    writer: _Writer, review: ReviewFile, sin: dict[str, Any] | None, returns: list[ReturnView]
) -> None:
    writer.heading("Agencies involved")
    if sin is not None:
        writer.rows(
            _row(SeriousIncidentNotification, name, sin, NOT_GIVEN)
            for name in ("known_to_agencies", "agencies_known")
        )
    if not returns:
        asked = _answers(review, SETUP) is not None
        writer.text("No agency has been asked for a return." if asked else _absent_step(review, SETUP))
        return
    received = sum(1 for each in returns if each.status == "submitted")
    nil = sum(1 for each in returns if each.status == "nil")
    writer.text(
        f"Returns asked for: {len(returns)}. Submitted: {received}. Nil returns: {nil}. "
        f"{NOT_RECEIVED}: {len(returns) - received - nil}."
    )
    for agency_return in returns:
        _agency_return(writer, agency_return)


def _agency_return(writer: _Writer, agency_return: ReturnView) -> None:
    writer.heading(agency_return.agency_name, level=2)
    if agency_return.status == "nil":
        when = agency_return.submitted_at
        writer.rows(
            [("Status", NIL_RETURN), ("Recorded on", _day(_in_england(when).date()) if when else NOT_GIVEN)]
        )
    elif agency_return.status != "submitted":
        due = _day(agency_return.extended_to or agency_return.due_on)
        if agency_return.extended_to:
            due += f" (extended from {_day(agency_return.due_on)})"
        writer.rows([("Status", NOT_RECEIVED), ("Due", due)])
    else:
        _submitted_return(writer, agency_return)
    if agency_return.addenda:
        writer.heading("Addenda", level=3)
        for addendum in agency_return.addenda:
            writer.passage(f"Added by {addendum.author} on {_moment(addendum.added_at)}", addendum.text)


def _submitted_return(writer: _Writer, agency_return: ReturnView) -> None:
    answers = agency_return.answers
    status = "Submitted"
    if agency_return.submitted_at is not None:
        status += f" on {_day(_in_england(agency_return.submitted_at).date())}"
    if agency_return.late_by_working_days:
        status += f", {_working_days(agency_return.late_by_working_days)} late"
    start, end = _as_date(answers.get("involvement_from")), _as_date(answers.get("involvement_to"))
    if start and end:
        period = f"{_day(start)} to {_day(end)}"
    else:
        period = f"From {_day(start)}" if start else NOT_GIVEN
    writer.rows(
        [
            ("Status", status),
            _row(AgencyReturnAnswers, "author_role", answers, NOT_GIVEN),
            ("Period of involvement", period),
            _row(AgencyReturnAnswers, "records_secured", answers, NOT_GIVEN),
        ]
    )
    writer.passage(_title(AgencyReturnAnswers, "summary"), _value(AgencyReturnAnswers, "summary", answers))
    writer.document.add_paragraph().add_run(_title(AgencyReturnAnswers, "episodes")).bold = True
    episodes: list[dict[str, Any]] = answers.get("episodes") or []
    if episodes:
        names = list(KeyPracticeEpisode.model_fields)
        writer.grid(
            [_title(KeyPracticeEpisode, name) for name in names],
            ([_value(KeyPracticeEpisode, name, episode) for name in names] for episode in episodes),
        )
    else:
        writer.text("None recorded.")
    for name in ("immediate_actions", "learning"):
        writer.passage(_title(AgencyReturnAnswers, name), _value(AgencyReturnAnswers, name, answers))


def _lived_experience(writer: _Writer, review: ReviewFile) -> None:
    writer.heading(_title(RapidReviewReport, "lived_experience"))
    report = _answers(review, REPORT)
    writer.text(
        _value(RapidReviewReport, "lived_experience", report) if report else _absent_step(review, REPORT)
    )


def _immediate_actions(writer: _Writer, review: ReviewFile) -> None:
    writer.heading("Immediate safeguarding actions")
    meeting = _answers(review, MEETING)
    label = _title(RapidReviewMeeting, "immediate_safety_actions")
    if meeting is None:
        writer.passage(label, _absent_step(review, MEETING))
    else:
        writer.passage(label, _value(RapidReviewMeeting, "immediate_safety_actions", meeting))


def _learning(writer: _Writer, review: ReviewFile) -> None:
    writer.heading(_title(RapidReviewReport, "learning_under_way"))
    for model, form, name in (
        (RapidReviewMeeting, MEETING, "learning"),
        (RapidReviewReport, REPORT, "learning_under_way"),
    ):
        answers = _answers(review, form)
        writer.passage(
            _title(model, name), _value(model, name, answers) if answers else _absent_step(review, form)
        )


def _parallel_processes(writer: _Writer, review: ReviewFile) -> None:
    writer.heading(_title(RapidReviewReport, "parallel_processes"))
    report = _answers(review, REPORT)
    writer.text(
        _value(RapidReviewReport, "parallel_processes", report) if report else _absent_step(review, REPORT)
    )
    if review.pauses:
        writer.document.add_paragraph().add_run("Pauses of the review's clock").bold = True
        writer.grid(
            ["Reason", "Details", "From", "To", "Agreed by"],
            (
                [
                    pause.reason_label,
                    pause.detail,
                    _day(pause.starts_on),
                    _day(pause.ends_on) if pause.ends_on else "Continuing",
                    pause.approved_by,
                ]
                for pause in review.pauses
            ),
        )


def _decision(writer: _Writer, review: ReviewFile) -> None:
    writer.heading("Decision and rationale")
    decision = _answers(review, DECISION)
    if decision is None:
        writer.text(_absent_step(review, DECISION))
        return
    writer.rows(_row(Decision, name, decision, NOT_GIVEN) for name in ("outcome", "decided_on"))
    writer.passage(_title(Decision, "rationale"), _value(Decision, "rationale", decision))
    if decision.get("alternative_learning"):
        writer.passage(
            _title(Decision, "alternative_learning"), _value(Decision, "alternative_learning", decision)
        )


def _sign_off(writer: _Writer, review: ReviewFile) -> None:
    writer.heading("Sign-off by the three safeguarding partners")
    report, absent = _answers(review, REPORT), _absent(review, REPORT)
    writer.rows(
        _row(RapidReviewReport, name, report, absent)
        for name in ("local_authority_signed_on", "police_signed_on", "health_signed_on")
    )


def _timeliness(writer: _Writer, review: ReviewFile) -> None:
    writer.heading("Timeliness")
    if not review.deadlines:
        writer.text("This review has no deadlines.")
        return
    writer.grid(
        ["Deadline", "Due", "Revised due", "Status", "Late by"],
        (
            [
                f"{deadline.label} (statutory)" if deadline.statutory else deadline.label,
                _day(deadline.due_on) if deadline.due_on else NO_DATE,
                _day(deadline.revised_due_on) if deadline.revised_due_on else NO_DATE,
                DEADLINE_STATUS[deadline.status],
                _working_days(deadline.late_by_working_days) if deadline.late_by_working_days else NO_DATE,
            ]
            for deadline in review.deadlines
        ),
    )


# -- the Serious Incident Notification ---------------------------------------------------------------------


def panel_notification(review: ReviewFile, partnership_name: str, today: date) -> bytes:
    """The Serious Incident Notification to the Panel as a DOCX document: every question of the form, by
    its title, with the review's answer; "Not recorded yet" for each while the step is not completed."""
    writer = _Writer(
        review.title,
        "Serious Incident Notification to the Child Safeguarding Practice Review Panel",
        partnership_name,
        today,
    )
    _note_drafts(writer, review, (SIN,))
    sin, absent = _answers(review, SIN), _absent(review, SIN)
    writer.rows(
        [
            ("Safeguarding partnership", partnership_name),
            ("Case reference", review.title),
            *(
                _row(SeriousIncidentNotification, name, sin, absent)
                for name in SeriousIncidentNotification.model_fields
                if name != "children"
            ),
        ]
    )
    _children(writer, review, sin)
    return writer.bytes()


Builder = Callable[[ReviewFile, list[ReturnView], str, date], bytes]


def _notification_of(
    review: ReviewFile, returns: list[ReturnView], partnership_name: str, today: date
) -> bytes:
    return panel_notification(review, partnership_name, today)


# Each document by its address: its name, the form whose answers make it, and how it is built. A review
# draws a document only if its type has a step with that form (a DHR has no rapid review report).
KINDS: dict[str, tuple[str, str, Builder]] = {
    "rapid-review-report": ("Rapid review report", "rapid_review_report", rapid_review_report),
    "panel-notification": (
        "Serious Incident Notification",
        "serious_incident_notification",
        _notification_of,
    ),
}


def kinds_of(forms: set[str]) -> list[str]:
    """The documents a review whose type uses these forms can draw, in their order."""
    return [kind for kind, (_, form, _) in KINDS.items() if form in forms]
