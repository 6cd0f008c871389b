"""The rapid review report to the Child Safeguarding Practice Review Panel, assembled from the review's
records (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from services.forms.contract import (
    AgencyReturnAnswers,
    ChronologyEpisode,
    DeadlineView,
    Decision,
    KeyPracticeEpisode,
    RapidReviewMeeting,
    RapidReviewReport,
    RapidReviewSetup,
    ReturnView,
    ReviewFile,
    SeriousIncidentNotification,
)
from services.forms.documents.writing import (
    DEADLINE_STATUS,
    DECISION,
    MEETING,
    NIL_RETURN,
    NO_DATE,
    NOT_GIVEN,
    NOT_RECEIVED,
    NOT_RECORDED,
    REPORT,
    SETUP,
    SIN,
    _absent,
    _absent_step,
    _answers,
    _as_date,
    _children,
    _day,
    _deadline_of,
    _due,
    _in_england,
    _moment,
    _note_drafts,
    _row,
    _title,
    _value,
    _working_days,
    _Writer,
)

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
    review: ReviewFile,
    returns: list[ReturnView],
    partnership_name: str,
    today: date,
    episodes: Sequence[ChronologyEpisode] = (),
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
    _chronology_episodes(writer, episodes)
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


def _chronology_episodes(writer: _Writer, episodes: Sequence[ChronologyEpisode]) -> None:
    """The key practice episodes the reviewer tagged in the agencies' merged chronology, in date order."""
    writer.heading("Key practice episodes from the chronology")
    if not episodes:
        writer.text("No key practice episode has been tagged in the merged chronology yet.")
        return
    writer.grid(
        ["Date", "Agency record", "What happened", "Learning"],
        (
            [episode.date_typed, episode.source, episode.what_happened, episode.learning]
            for episode in episodes
        ),
    )


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
