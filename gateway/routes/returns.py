"""Agency returns (the rapid review's agency summaries): an agency's list of what is due from it, the return
as a form, checking and submitting it, a nil return, addenda, and the business manager's board and
extensions.

Who may read or change which return is the forms service's rule (services/forms/policy.py), asked again on
every call. The gateway's policy only checks that the role may use the route at all; every route then asks
the service for the return (or the review) first, which answers "not found" to anyone who may not read it,
and only then looks at the form, so that an empty or wrong form is refused as invalid (422) and never
before access is decided.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import identity
from gateway.auth import Caller
from gateway.deps import FormsDep, id_or_404, in_words, render, working_days
from gateway.json_api import body_schema, json_command
from gateway.rpc import RemoteError, command_for
from services.forms.contract import (
    LONG_TEXT,
    MAX_EPISODES,
    SHORT_TEXT,
    AddAddendum,
    AgencyReturnAnswers,
    AskAgency,
    ExtendReturn,
    Forms,
    KeyPracticeEpisode,
    ReturnSummary,
    ReturnView,
    ReviewFile,
)
from services.kernel.calendar import today_in_england
from services.kernel.identity import Role

router = APIRouter()

Problem = dict[str, Any]

LOCKED = ("submitted", "nil")
STATUS_TAGS = {
    "requested": ("Not started", "govuk-tag--grey"),
    "draft": ("Draft", "govuk-tag--blue"),
    "submitted": ("Submitted", "govuk-tag--green"),
    "nil": ("Nil return", "govuk-tag--turquoise"),
}

# The return's questions, in the order the form asks them; the words come from the contract.
TEXT_FIELDS = ("author_role", "summary", "immediate_actions", "learning")
LONG_FIELDS = frozenset({"summary", "immediate_actions", "learning"})
DATE_FIELDS = ("involvement_from", "involvement_to")
EPISODE_FIELDS = ("what_happened", "went_well", "could_improve")
DATE_PARTS = ("day", "month", "year")
# Every question asked with a GOV.UK date input, on the return and on the extension form.
DATE_QUESTIONS = (*DATE_FIELDS, "extended_to")
# Guidance beyond the contract's own descriptions.
HINTS = {
    "summary": "What the agency knew of the child and family, and what it did. Use roles and initials, "
    "never names.",
    "involvement_to": "Leave blank if the agency is still involved",
    "immediate_actions": "What the agency has done since the incident to keep children safe, or 'None'",
    "learning": "What the agency has learned so far, or 'None yet'",
}
STILL_INVOLVED = "Still involved"
STALE_PAGE = {
    "field": "",
    "group": "",
    "message": "This page is out of date: reload the return and try again",
}


def _title(name: str) -> str:
    return AgencyReturnAnswers.model_fields[name].title or name


def _hint(name: str) -> str:
    return HINTS.get(name) or AgencyReturnAnswers.model_fields[name].description or ""


def _day(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# -- refusals (who may do what is the forms service's rule: ReturnView.own_agency, .agency_lead) ----------


def _refuse(words: str) -> HTTPException:
    return HTTPException(403, words)


async def _return(forms: FormsDep, caller: Caller, return_id: str) -> ReturnView:
    """The return if the caller may read it; the service's NotFound (404) otherwise."""
    return await forms.get_return(caller.actor, id_or_404(return_id))


# -- how a return is shown -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnLine:
    """A return as the agency's list and the board show it: every word already chosen."""

    id: UUID
    review_id: UUID
    review_title: str
    agency_name: str
    status: str
    status_class: str
    due_on: str
    extended_to: str
    extension_reason: str
    submitted: str
    timeliness: str
    timeliness_class: str
    locked: bool
    may_extend: bool
    overdue: bool = False
    overdue_by: str = ""  # while overdue: the working days past the due date, in words


def _timeliness(agency_return: ReturnSummary, today: date) -> tuple[str, str]:
    """On time or late once in; overdue, due today or the working days left while not."""
    if agency_return.status in LOCKED:
        late = agency_return.late_by_working_days
        return (
            (f"Late by {working_days(late)}", "govuk-tag--orange")
            if late
            else ("On time", "govuk-tag--green")
        )
    if agency_return.overdue:
        behind = agency_return.overdue_by_working_days
        return (f"Overdue by {working_days(behind)}" if behind > 0 else "Overdue"), "govuk-tag--red"
    left = agency_return.working_days_left or 0
    if left == 0:
        return "Due today", "govuk-tag--yellow"
    return f"{working_days(left)} left", ""


def _line(agency_return: ReturnSummary, today: date, *, may_extend: bool = False) -> ReturnLine:
    status, status_class = STATUS_TAGS[agency_return.status]
    timeliness, timeliness_class = _timeliness(agency_return, today)
    locked = agency_return.status in LOCKED
    return ReturnLine(
        id=agency_return.id,
        review_id=agency_return.review_id,
        review_title=agency_return.review_title,
        agency_name=agency_return.agency_name,
        status=status,
        status_class=status_class,
        due_on=_day(agency_return.due_on),
        extended_to=_day(agency_return.extended_to),
        extension_reason=agency_return.extension_reason,
        submitted=in_words(agency_return.submitted_at),
        timeliness=timeliness,
        timeliness_class=timeliness_class,
        locked=locked,
        may_extend=may_extend and not locked,
        overdue=agency_return.overdue,
        overdue_by=working_days(agency_return.overdue_by_working_days)
        if agency_return.overdue and agency_return.overdue_by_working_days > 0
        else "",
    )


def _paragraphs(value: Any) -> list[str]:
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def _date_words(value: Any) -> str:
    try:
        return _day(date.fromisoformat(str(value))) if value else ""
    except ValueError:
        return ""


def _answer_rows(answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The answers (episodes aside) as summary list rows: the question, its paragraphs, the field's id."""

    def row(name: str, paragraphs: list[str], anchor: str = "") -> dict[str, Any]:
        return {"key": _title(name), "paragraphs": paragraphs, "anchor": anchor or name}

    rows = [row("author_role", _paragraphs(answers.get("author_role")))]
    for name in DATE_FIELDS:
        words = _date_words(answers.get(name))
        if not words and name == "involvement_to" and answers.get("involvement_from"):
            words = STILL_INVOLVED  # the form asks for it to be left blank while the agency is involved
        rows.append(row(name, [words] if words else [], f"{name}-day"))
    rows.append(row("summary", _paragraphs(answers.get("summary"))))
    rows.append(row("immediate_actions", _paragraphs(answers.get("immediate_actions"))))
    rows.append(row("learning", _paragraphs(answers.get("learning"))))
    rows.append(row("records_secured", ["Yes" if answers.get("records_secured") else "No"]))
    return rows


def _episode_cards(answers: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
    """Each key practice episode as the rows of its own summary card."""
    cards = []
    for number, episode in enumerate(answers.get("episodes") or []):
        cards.append(
            [
                {
                    "key": KeyPracticeEpisode.model_fields[name].title or name,
                    "paragraphs": _paragraphs(episode.get(name)),
                    "anchor": f"episodes-{number}-{name}",
                }
                for name in EPISODE_FIELDS
            ]
        )
    return cards


def _form_values(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Saved answers as the form's fields hold them."""
    values: dict[str, Any] = {name: str(answers.get(name) or "") for name in TEXT_FIELDS}
    for name in DATE_FIELDS:
        try:
            day = date.fromisoformat(str(answers[name])) if answers.get(name) else None
        except ValueError:
            day = None
        for part in DATE_PARTS:
            values[f"{name}-{part}"] = str(getattr(day, part)) if day else ""
    values["episodes"] = [
        {name: str(episode.get(name) or "") for name in EPISODE_FIELDS}
        for episode in answers.get("episodes") or []
    ]
    values["records_secured"] = bool(answers.get("records_secured"))
    return values


async def _names(user_ids: Iterable[str | None]) -> dict[str, str]:
    """Display names of the people who submitted or added to returns ("Not known" for anyone not listed)."""
    names: dict[str, str] = {}
    for user_id in {u for u in user_ids if u}:
        try:
            account = await run_in_threadpool(identity.user_by_id, UUID(user_id))
        except ValueError:
            account = None
        names[user_id] = account.display_name if account else "Not known"
    return names


# -- reading a form ------------------------------------------------------------------------------------------


def _date_from(
    form: FormData, field: str, label: str, *, required: bool
) -> tuple[str | None, Problem | None]:
    """A date from GOV.UK's three inputs (ISO, or None if all are blank and it may be), or the problem to show
    (GOV.UK's date input error messages)."""
    values = {part: _text(form, f"{field}-{part}").strip() for part in DATE_PARTS}
    missing = [part for part in DATE_PARTS if not values[part]]

    def problem(message: str, bad: Iterable[str]) -> tuple[None, Problem]:
        inputs = [f"{field}-{part}" for part in bad]
        return None, {"field": inputs[0], "group": field, "message": message, "inputs": inputs}

    if len(missing) == len(DATE_PARTS):
        return problem(f"Enter the {label.lower()}", DATE_PARTS) if required else (None, None)
    if missing:
        return problem(f"{label} must include a {' and a '.join(missing)}", missing)
    not_numbers = [part for part in DATE_PARTS if not (values[part].isascii() and values[part].isdigit())]
    if not_numbers:
        return problem(f"{label} must be a real date", not_numbers)
    if len(values["year"]) != 4:
        return problem("Year must include 4 numbers", ["year"])
    try:
        day = date(int(values["year"]), int(values["month"]), int(values["day"]))
    except ValueError:
        return problem(
            f"{label} must be a real date", ["month"] if not 1 <= int(values["month"]) <= 12 else ["day"]
        )
    return day.isoformat(), None


def _version(form: FormData) -> int | None:
    value = _text(form, "version").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _answers_from(form: FormData) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
    """(answers for the service, the fields as sent for the page, the problems found before asking it).

    Key practice episodes left wholly blank are dropped, so the page shows the others numbered as saved."""
    answers: dict[str, Any] = {}
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for name in TEXT_FIELDS:
        values[name] = _text(form, name)
        answers[name] = values[name].strip()
    for name in DATE_FIELDS:
        for part in DATE_PARTS:
            values[f"{name}-{part}"] = _text(form, f"{name}-{part}")
        answers[name], problem = _date_from(form, name, _title(name), required=False)
        if problem:
            problems.append(problem)
    episodes = []
    for number in range(MAX_EPISODES):
        episode = {name: _text(form, f"episodes-{number}-{name}") for name in EPISODE_FIELDS}
        if any(text.strip() for text in episode.values()):
            episodes.append(episode)
    values["episodes"] = episodes
    answers["episodes"] = [{name: text.strip() for name, text in episode.items()} for episode in episodes]
    values["records_secured"] = answers["records_secured"] = _text(form, "records_secured") == "yes"
    return answers, values, problems


def _on_page(problems: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """A service's problems (dotted paths: `episodes.0.what_happened`) as the page's fields name them."""
    shown: list[Problem] = []
    for problem in problems:
        field, kind = str(problem.get("field", "")), str(problem.get("type", ""))
        # The one rule across fields is the period's order: it belongs to its end.
        group = "involvement_to" if kind == "date_order" or field == "form" else field.replace(".", "-")
        if group == "episodes":
            group = "episodes-0-what_happened"
        inputs = [f"{group}-{part}" for part in DATE_PARTS] if group in DATE_QUESTIONS else []
        shown.append(
            {
                "field": inputs[0] if inputs else group,
                "group": group,
                "message": str(problem.get("message") or "Check this answer"),
                "inputs": inputs,
            }
        )
    return shown


def _error_context(errors: list[Problem]) -> dict[str, Any]:
    """What a page with a form needs of its errors: the summary's list, each field's first message, and the
    date inputs to mark."""
    messages: dict[str, str] = {}
    for error in errors:
        messages.setdefault(error.get("group", ""), error["message"])
    return {
        "errors": errors,
        "messages": messages,
        "inputs_in_error": {name for error in errors for name in error.get("inputs", [])},
    }


# -- the agency's list ---------------------------------------------------------------------------------------


@router.get("/returns", response_class=HTMLResponse, include_in_schema=False)
async def returns_list(request: Request, forms: FormsDep, caller: Caller) -> Response:
    """For the business manager, every return across the partnership's open reviews; for an agency's
    people, the returns asked of their agency: those still to do, soonest due first, then those already
    in, latest first."""
    if caller.actor.has_role(Role.BUSINESS_MANAGER):
        return await _partnership_board(request, forms, caller)
    today = today_in_england()
    rows = await forms.list_returns(caller.actor)
    to_do = sorted((r for r in rows if r.status not in LOCKED), key=lambda r: r.extended_to or r.due_on)
    returned = sorted(
        (r for r in rows if r.status in LOCKED),
        key=lambda r: r.submitted_at.timestamp() if r.submitted_at else 0.0,
        reverse=True,
    )
    context = {
        "nav": "returns",
        "to_do": [_line(r, today) for r in to_do],
        "returned": [_line(r, today) for r in returned],
    }
    return render(request, "returns/list.html", context)


# -- one return ----------------------------------------------------------------------------------------------


async def _return_page(
    request: Request,
    caller: Caller,
    view: ReturnView,
    *,
    values: dict[str, Any] | None = None,
    errors: list[Problem] | None = None,
    addendum_text: str = "",
    notice: str = "",
    panel: str = "",
    status: int = 200,
) -> Response:
    own = view.own_agency
    names = await _names([view.submitted_by, *(addendum.author for addendum in view.addenda)])
    form_values = values if values is not None else _form_values(view.answers)
    episodes = list(form_values["episodes"])
    if len(episodes) < MAX_EPISODES:
        episodes.append(dict.fromkeys(EPISODE_FIELDS, ""))
    context = {
        "nav": "returns" if own else "reviews",
        "view": view,
        "line": _line(view, today_in_england()),
        "editable": view.may_edit,
        "locked": view.status in LOCKED,
        "may_amend": own and view.status in LOCKED,
        "back": ("/returns", "Returns from your agency")
        if own
        else (f"/reviews/{view.review_id}/returns", "Returns for this review"),
        "values": form_values,
        "episodes": episodes,
        "rows": _answer_rows(view.answers),
        "episode_cards": _episode_cards(view.answers),
        "submitted_by": names.get(view.submitted_by or "", ""),
        "submitted_at": in_words(view.submitted_at),
        "addenda": [
            {
                "paragraphs": _paragraphs(a.text),
                "author": names.get(a.author, ""),
                "added_at": in_words(a.added_at),
            }
            for a in view.addenda
        ],
        "addendum_text": addendum_text,
        "form_token": str(uuid.uuid4()),
        "notice": notice,
        "panel": panel,
        "titles": {name: _title(name) for name in AgencyReturnAnswers.model_fields},
        "hints": {name: _hint(name) for name in AgencyReturnAnswers.model_fields},
        "episode_titles": {name: KeyPracticeEpisode.model_fields[name].title for name in EPISODE_FIELDS},
        "max_episodes": MAX_EPISODES,
        "long_text": LONG_TEXT,
        "short_text": SHORT_TEXT,
        "example_date": _example_date(),
        **_error_context(errors or []),
    }
    return render(request, "returns/return.html", context, status_code=status)


def _example_date() -> str:
    today = today_in_england()
    return f"{today.day} {today.month} {today.year}"


@router.get("/returns/{return_id}", response_class=HTMLResponse, include_in_schema=False)
async def return_page(
    request: Request,
    return_id: str,
    forms: FormsDep,
    caller: Caller,
    saved: str = "",
    submitted: str = "",
    nil: str = "",
    added: str = "",
) -> Response:
    """A draft as a form for the agency's own people; otherwise the answers, read-only, with any addenda."""
    view = await _return(forms, caller, return_id)
    panel = ""
    if submitted and view.status == "submitted":
        panel = "Return submitted"
    elif nil and view.status == "nil":
        panel = "Nil return made"
    notice = "Draft saved" if saved and view.may_edit else "Addendum added" if added and view.addenda else ""
    return await _return_page(request, caller, view, notice=notice, panel=panel)


async def _conflict_page(
    request: Request, view: ReturnView, message: str, answers: Mapping[str, Any] | None = None
) -> Response:
    """Someone else changed or submitted the return first: say so, show what was sent (not saved, nothing
    merged) and how to carry on."""
    names = await _names([view.submitted_by])
    context = {
        "view": view,
        "message": message,
        "locked": view.status in LOCKED,
        "submitted_by": names.get(view.submitted_by or "", ""),
        "submitted_at": in_words(view.submitted_at),
        "sent_rows": _answer_rows(answers) if answers is not None else [],
        "sent_episodes": _episode_cards(answers) if answers is not None else [],
    }
    return render(request, "returns/conflict.html", context, status_code=409)


@router.post("/returns/{return_id}", response_class=HTMLResponse, include_in_schema=False)
async def save_return(request: Request, return_id: str, forms: FormsDep, caller: Caller) -> Response:
    """Save the draft with the version the page was opened at; "Continue" saves, then checks the answers."""
    view = await _return(forms, caller, return_id)
    if not view.own_agency:
        raise _refuse("Only the agency's own safeguarding lead or author can change its return")
    form = await request.form()
    answers, values, problems = _answers_from(form)
    if view.status in LOCKED:
        return await _conflict_page(request, view, "This return has been submitted and is locked.", answers)
    version = _version(form)
    if version is None:
        problems.insert(0, STALE_PAGE)
    if problems:
        return await _return_page(request, caller, view, values=values, errors=problems, status=422)
    try:
        await forms.save_return(caller.actor, view.id, answers, version)
    except RemoteError as exc:
        if exc.exc_type == "InvalidRequest":
            errors = _on_page(exc.problems) or [{**STALE_PAGE, "message": exc.message}]
            return await _return_page(request, caller, view, values=values, errors=errors, status=422)
        if exc.exc_type == "Conflict":
            current = await _return(forms, caller, return_id)
            return await _conflict_page(request, current, exc.message, answers)
        raise
    if _text(form, "action") == "continue":
        return RedirectResponse(f"/returns/{view.id}/check", status_code=303)
    return RedirectResponse(f"/returns/{view.id}?saved=1", status_code=303)


# -- checking and submitting --------------------------------------------------------------------------------


async def _check_page(
    request: Request, caller: Caller, view: ReturnView, errors: list[Problem] | None = None, status: int = 200
) -> Response:
    missing = _on_page(view.missing)
    context = {
        "nav": "returns",
        "view": view,
        "line": _line(view, today_in_england()),
        "rows": _answer_rows(view.answers),
        "episode_cards": _episode_cards(view.answers),
        "missing": missing,
        "may_submit": view.may_submit and not missing,
        "is_lead": view.agency_lead,
        **_error_context(errors or []),
    }
    return render(request, "returns/check.html", context, status_code=status)


@router.get("/returns/{return_id}/check", response_class=HTMLResponse, include_in_schema=False)
async def check_return(request: Request, return_id: str, forms: FormsDep, caller: Caller) -> Response:
    """Check your answers before submitting: what is still missing, and "Submit return" for the lead."""
    view = await _return(forms, caller, return_id)
    if not view.own_agency:
        raise _refuse("Only the agency's own safeguarding lead or author can check its return")
    if view.status in LOCKED:
        return RedirectResponse(f"/returns/{view.id}", status_code=303)
    return await _check_page(request, caller, view)


async def _submitted_elsewhere(
    request: Request, forms: FormsDep, caller: Caller, return_id: str, message: str
) -> Response:
    current = await _return(forms, caller, return_id)
    return await _conflict_page(request, current, message)


@router.post("/returns/{return_id}/submit", response_class=HTMLResponse, include_in_schema=False)
async def submit_return(request: Request, return_id: str, forms: FormsDep, caller: Caller) -> Response:
    """Submit the return as checked (the version the check page showed). One of two submissions at once wins;
    the other is told, and nothing of it is merged."""
    view = await _return(forms, caller, return_id)
    if not view.agency_lead:
        raise _refuse("Only the agency's safeguarding lead can submit its return")
    if view.status in LOCKED:
        return await _conflict_page(request, view, "This return has already been submitted.")
    version = _version(await request.form())
    if version is None:
        return await _check_page(request, caller, view, [STALE_PAGE], status=422)
    try:
        await forms.submit_return(caller.actor, view.id, version)
    except RemoteError as exc:
        if exc.exc_type == "InvalidRequest":
            current = await _return(forms, caller, return_id)
            errors = _on_page(exc.problems) or [{**STALE_PAGE, "message": exc.message}]
            return await _check_page(request, caller, current, errors, status=422)
        if exc.exc_type == "Conflict":
            return await _submitted_elsewhere(request, forms, caller, return_id, exc.message)
        raise
    return RedirectResponse(f"/returns/{view.id}?submitted=1", status_code=303)


# -- a nil return --------------------------------------------------------------------------------------------


def _nil_page(
    request: Request, view: ReturnView, errors: list[Problem] | None = None, status: int = 200
) -> Response:
    context = {"nav": "returns", "view": view, **_error_context(errors or [])}
    return render(request, "returns/nil.html", context, status_code=status)


@router.get("/returns/{return_id}/nil", response_class=HTMLResponse, include_in_schema=False)
async def nil_return_page(request: Request, return_id: str, forms: FormsDep, caller: Caller) -> Response:
    """Confirm the agency had no involvement with the child or family (its lead only)."""
    view = await _return(forms, caller, return_id)
    if not view.agency_lead:
        raise _refuse("Only the agency's safeguarding lead can make a nil return")
    if view.status in LOCKED:
        return RedirectResponse(f"/returns/{view.id}", status_code=303)
    return _nil_page(request, view)


@router.post("/returns/{return_id}/nil", response_class=HTMLResponse, include_in_schema=False)
async def nil_return(request: Request, return_id: str, forms: FormsDep, caller: Caller) -> Response:
    """Make the nil return once "yes" is chosen; "no" goes back to the return."""
    view = await _return(forms, caller, return_id)
    if not view.agency_lead:
        raise _refuse("Only the agency's safeguarding lead can make a nil return")
    if view.status in LOCKED:
        return await _conflict_page(request, view, "This return has already been submitted.")
    form = await request.form()
    confirm, version = _text(form, "confirm"), _version(form)
    if confirm == "no":
        return RedirectResponse(f"/returns/{view.id}", status_code=303)
    if confirm != "yes":
        problem = {
            "field": "confirm",
            "group": "confirm",
            "message": "Select yes to confirm your agency had no involvement with this child or family",
        }
        return _nil_page(request, view, [problem], status=422)
    if version is None:
        return _nil_page(request, view, [STALE_PAGE], status=422)
    try:
        await forms.nil_return(caller.actor, view.id, version)
    except RemoteError as exc:
        if exc.exc_type == "Conflict":
            return await _submitted_elsewhere(request, forms, caller, return_id, exc.message)
        raise
    return RedirectResponse(f"/returns/{view.id}?nil=1", status_code=303)


# -- addenda -------------------------------------------------------------------------------------------------


@router.post("/returns/{return_id}/addenda", response_class=HTMLResponse, include_in_schema=False)
async def add_addendum(request: Request, return_id: str, forms: FormsDep, caller: Caller) -> Response:
    """Add a correction to a submitted return, with its own author and time; the return is unchanged."""
    view = await _return(forms, caller, return_id)
    if not view.own_agency:
        raise _refuse("Only the agency's own safeguarding lead or author can add to its return")
    form = await request.form()
    text = _text(form, "text")
    problem = ""
    if view.status not in LOCKED:
        problem = "You can add an addendum once the return is submitted: change the draft instead"
    elif not text.strip():
        problem = "Enter the addendum: what is corrected or added, and why"
    elif len(text.strip()) > LONG_TEXT:
        problem = f"The addendum must be {LONG_TEXT} characters or fewer"
    if problem:
        errors = [{"field": "text" if view.status in LOCKED else "", "group": "text", "message": problem}]
        return await _return_page(request, caller, view, errors=errors, addendum_text=text, status=422)
    key = _text(form, "form_token")[:200] or str(uuid.uuid4())
    try:
        addendum = command_for(Forms.add_addendum, AddAddendum, {"text": text.strip()})
        await forms.add_addendum(caller.actor, view.id, addendum, key)
    except RemoteError as exc:
        if exc.exc_type == "InvalidRequest":
            errors = [{"field": "text", "group": "text", "message": exc.message}]
            return await _return_page(request, caller, view, errors=errors, addendum_text=text, status=422)
        raise
    return RedirectResponse(f"/returns/{view.id}?added=1#addenda", status_code=303)


# -- the business manager's board and extensions ------------------------------------------------------------


async def _partnership_board(request: Request, forms: FormsDep, caller: Caller) -> Response:
    """Every agency's return across the partnership's open reviews, in the forms service's order: overdue
    first, then by due date."""
    today = today_in_england()
    rows = await forms.partnership_returns(caller.actor)
    lines = [_line(r, today) for r in rows]
    context = {
        "nav": "returns",
        "lines": lines,
        "overdue": sum(line.overdue for line in lines),
        "returned": sum(line.locked for line in lines),
        "reviews": len({line.review_id for line in lines}),
    }
    return render(request, "returns/partnership.html", context)


async def _review_file(forms: FormsDep, caller: Caller, review_id: UUID) -> ReviewFile:
    """The review if the caller may read it and it is their own partnership's (agencies' returns are never
    shown to another partnership); not found otherwise."""
    review = await forms.get_review_file(caller.actor, review_id)
    if review.partnership_id != caller.actor.partnership_id:
        raise HTTPException(404)
    return review


@router.get("/reviews/{review_id}/returns", response_class=HTMLResponse, include_in_schema=False)
async def returns_board(
    request: Request, review_id: str, forms: FormsDep, caller: Caller, extended: str = "", asked: str = ""
) -> Response:
    """Every agency's return for a review: who has returned what, and when."""
    review = await _review_file(forms, caller, id_or_404(review_id))
    return await _board_page(request, review, extended=extended, asked=asked)


async def _agencies_not_asked(review: ReviewFile) -> list[tuple[str, str]]:
    """The partnership's agencies not yet asked for a return of this review: (id, name)."""
    asked = {agency_return.agency_id for agency_return in review.returns}
    agencies = await run_in_threadpool(identity.list_agencies, review.partnership_id)
    return [(str(agency.id), agency.name) for agency in agencies if agency.id not in asked]


async def _board_page(
    request: Request,
    review: ReviewFile,
    *,
    extended: str = "",
    asked: str = "",
    errors: list[Problem] | None = None,
    status: int = 200,
) -> Response:
    today = today_in_england()
    rapid_review_begun = any(
        step.form == "rapid_review_setup" and step.status == "completed" for step in review.steps
    )
    may_ask = review.may_manage and rapid_review_begun and not review.closed
    asked_line = next((r for r in review.returns if str(r.id) == asked), None)
    lines = [_line(r, today, may_extend=review.may_manage) for r in review.returns]
    deadline = next((d for d in review.deadlines if d.code == "returns"), None)
    extended_line = next((line for line in lines if str(line.id) == extended), None)
    context = {
        "nav": "reviews",
        "review": review,
        "lines": lines,
        "returned": sum(line.locked for line in lines),
        "overdue": sum(agency_return.overdue for agency_return in review.returns),
        "deadline": deadline,
        "deadline_on": _day(deadline.revised_due_on or deadline.due_on) if deadline else "",
        "notice": f"{extended_line.agency_name} now has until {extended_line.extended_to}"
        if extended_line
        else f"{asked_line.agency_name} has been asked for a return, due {_day(asked_line.due_on)}"
        if asked_line
        else "",
        "may_ask": may_ask,
        "agencies_not_asked": await _agencies_not_asked(review) if may_ask else [],
        "form_token": str(uuid.uuid4()),
        **_error_context(errors or []),
    }
    return render(request, "returns/board.html", context, status_code=status)


@router.post("/reviews/{review_id}/returns", response_class=HTMLResponse, include_in_schema=False)
async def ask_agency(request: Request, review_id: str, forms: FormsDep, caller: Caller) -> Response:
    """Ask one more agency for a return (it came to light later that it knew the family)."""
    review = await _review_file(forms, caller, id_or_404(review_id))
    if not review.may_manage:
        raise _refuse("Only the business manager of the partnership can ask an agency for a return")
    form = await request.form()
    chosen = dict(await _agencies_not_asked(review)).get(_text(form, "agency_id"))
    if chosen is None:
        problem = {"field": "agency_id", "group": "agency_id", "message": "Choose the agency to ask"}
        return await _board_page(request, review, errors=[problem], status=422)
    agency_id = _text(form, "agency_id")
    token = _text(form, "form_token")[:200] or str(uuid.uuid4())
    try:
        command = command_for(
            Forms.ask_agency, AskAgency, {"agency": {"agency_id": agency_id, "name": chosen}}
        )
        changed = await forms.ask_agency(caller.actor, review.id, command, token)
    except RemoteError as exc:
        if exc.exc_type != "InvalidRequest":
            raise
        problems = [
            {"field": "agency_id", "group": "agency_id", "message": p.get("message", exc.message)}
            for p in exc.problems or [{"message": exc.message}]
        ]
        return await _board_page(request, review, errors=problems, status=422)
    new = next(r for r in changed.returns if str(r.agency_id) == agency_id)
    return RedirectResponse(f"/reviews/{review.id}/returns?asked={new.id}", status_code=303)


async def _extension_target(forms: FormsDep, caller: Caller, return_id: str) -> ReturnView:
    view = await _return(forms, caller, return_id)
    review = await _review_file(forms, caller, view.review_id)
    if not review.may_manage:
        raise _refuse("Only the business manager of the partnership can extend a return")
    return view


def _extend_page(
    request: Request,
    view: ReturnView,
    values: dict[str, str] | None = None,
    errors: list[Problem] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "nav": "reviews",
        "view": view,
        "line": _line(view, today_in_england()),
        "values": values or {},
        "example_date": _example_date(),
        "long_text": LONG_TEXT,
        **_error_context(errors or []),
    }
    return render(request, "returns/extend.html", context, status_code=status)


@router.get("/returns/{return_id}/extend", response_class=HTMLResponse, include_in_schema=False)
async def extend_return_page(request: Request, return_id: str, forms: FormsDep, caller: Caller) -> Response:
    """The form to give an agency more time (the partnership's business manager)."""
    view = await _extension_target(forms, caller, return_id)
    if view.status in LOCKED:
        return RedirectResponse(f"/reviews/{view.review_id}/returns", status_code=303)
    return _extend_page(request, view)


@router.post("/returns/{return_id}/extend", response_class=HTMLResponse, include_in_schema=False)
async def extend_return(request: Request, return_id: str, forms: FormsDep, caller: Caller) -> Response:
    """A later due date with the reason; back to the board."""
    view = await _extension_target(forms, caller, return_id)
    form = await request.form()
    values = {f"extended_to-{part}": _text(form, f"extended_to-{part}") for part in DATE_PARTS}
    values["reason"] = _text(form, "reason")
    problems: list[Problem] = []
    extended_to, problem = _date_from(form, "extended_to", "New due date", required=True)
    if problem:
        problems.append(problem)
    if not values["reason"].strip():
        problems.append(
            {"field": "reason", "group": "reason", "message": "Enter the reason for the extension"}
        )
    if view.status in LOCKED:
        problems = [{**STALE_PAGE, "message": "The return is already in: it needs no extension"}]
    if problems:
        return _extend_page(request, view, values, problems, status=422)
    try:
        command = command_for(
            Forms.extend_return,
            ExtendReturn,
            {"extended_to": extended_to, "reason": values["reason"].strip()},
        )
        await forms.extend_return(caller.actor, view.id, command)
    except RemoteError as exc:
        if exc.exc_type in ("InvalidRequest", "Conflict"):
            errors = _on_page(exc.problems) or [{**STALE_PAGE, "message": exc.message}]
            status = 422 if exc.exc_type == "InvalidRequest" else 409
            return _extend_page(request, view, values, errors, status=status)
        raise
    return RedirectResponse(f"/reviews/{view.review_id}/returns?extended={view.id}", status_code=303)


# -- JSON API (each command runs once per Idempotency-Key) ---------------------------------------------------


class SaveReturnBody(BaseModel):
    """A draft of the return's answers (as AgencyReturnAnswers; some may wait) and the version last read."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Any]
    version: int


class SubmitReturnBody(BaseModel):
    """The version of the draft the agency's lead checked."""

    model_config = ConfigDict(extra="forbid")

    version: int


@router.get("/api/returns", tags=["returns"], summary="The returns the caller works on")
async def api_returns(forms: FormsDep, caller: Caller) -> list[ReturnSummary]:
    """As the returns page: for the business manager, every agency's return across the partnership's open
    reviews, overdue first; for an agency's people, the returns asked of their agency, soonest due first."""
    if caller.actor.has_role(Role.BUSINESS_MANAGER):
        return await forms.partnership_returns(caller.actor)
    return await forms.list_returns(caller.actor)


@router.get("/api/returns/{return_id}", tags=["returns"], summary="One agency return")
async def api_return(return_id: UUID, forms: FormsDep, caller: Caller) -> ReturnView:
    """The return with its answers and version; 404 for another agency's."""
    return await forms.get_return(caller.actor, return_id)


@router.put(
    "/api/returns/{return_id}",
    tags=["returns"],
    summary="Save a draft of an agency return",
    openapi_extra=body_schema(SaveReturnBody),
)
async def api_save_return(request: Request, return_id: UUID, forms: FormsDep, caller: Caller) -> ReturnView:
    """The agency's own lead or author saves its draft: 422 naming each problem, 409 if `version` is not the
    draft's latest or the return is locked. Send an Idempotency-Key header: a repeat answers as the first."""
    view = await forms.get_return(caller.actor, return_id)
    body = await json_command(request, SaveReturnBody)
    return await forms.save_return(caller.actor, view.id, body.answers, body.version)


@router.post(
    "/api/returns/{return_id}/submit",
    tags=["returns"],
    summary="Submit an agency return",
    openapi_extra=body_schema(SubmitReturnBody),
)
async def api_submit_return(request: Request, return_id: UUID, forms: FormsDep, caller: Caller) -> ReturnView:
    """The agency's lead submits the saved draft, complete; locked from then on. 409 if someone saved since.
    Send an Idempotency-Key header: a repeat answers with the return as first submitted."""
    view = await forms.get_return(caller.actor, return_id)
    body = await json_command(request, SubmitReturnBody)
    return await forms.submit_return(caller.actor, view.id, body.version)
