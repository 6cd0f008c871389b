"""The review lifecycle: a step's form, "check your answers" and completing it; pausing the clock; the
documents; referring an incident; the partnership's deadline figures; and the JSON API of the same.

The forms service decides on every call what the caller may do (which review, which step, whose role).
These routes fetch the review through it before they look at what was posted, so that a form from someone
who may not read the review is "not found" and one from the wrong role is refused, never validated; an
allowed form with nothing in it is answered 422 and changes nothing.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import forms_ui, identity
from gateway.auth import Caller
from gateway.deps import ChronologyDep, FormsDep, in_words, render, working_days
from gateway.forms_ui import PageErrors, PostedForm
from gateway.json_api import body_schema
from gateway.policy import policy_for
from gateway.rpc import RemoteError, command_for
from services.chronology.contract import Chronology
from services.forms.contract import (
    FORMS,
    TITLE_MAX,
    ChangeDeadlineSettings,
    ChronologyEpisode,
    DeadlineSetting,
    DeadlineView,
    EndPause,
    Forms,
    OpenReview,
    RecordPause,
    Refer,
    Referral,
    ReviewFile,
    ReviewTypeInfo,
    StepView,
)
from services.kernel.identity import Role

router = APIRouter()

day = forms_ui.day_in_words
TOKEN_MAX = 200


# -- what the pages show of a review's lifecycle (the review page uses these too) ---------------------------

# A step's status in a GOV.UK task list: the words, and the tag's colour ("" for plain text).
STEP_STATUS = {
    "completed": ("Completed", ""),
    "in_progress": ("In progress", "govuk-tag--light-blue"),
    "not_started": ("Not yet started", "govuk-tag--blue"),
    "cannot_start": ("Cannot start yet", ""),
    "not_needed": ("Not needed", "govuk-tag--grey"),
}
# A review's, or a deadline's, red/amber/green state in words: never colour alone.
RAG_TAGS = {
    "red": ("Overdue", "govuk-tag--red"),
    "amber": ("Due soon", "govuk-tag--orange"),
    "green": ("On track", "govuk-tag--green"),
    "paused": ("Paused", "govuk-tag--grey"),
}
STAGE_STATE = {
    "done": "Done",
    "current": "Current stage",
    "future": "Not reached yet",
    "skipped": "Not needed",
}
# The documents a review can draw, by the kind of form whose answers make them (services/forms/documents.py).
DOCUMENTS = {
    "panel-notification": ("serious_incident_notification", "Serious Incident Notification (Word document)"),
    "rapid-review-report": ("rapid_review_report", "Rapid review report (Word document)"),
}


def rag_tag(rag: str, closed: bool) -> dict[str, str] | None:
    """The tag of a review's state: "Overdue", "Due soon", "On track", "Paused"; "Closed" without colour."""
    if closed:
        return {"text": "Closed", "colour": "govuk-tag--grey"}
    found = RAG_TAGS.get(rag)
    return {"text": found[0], "colour": found[1]} if found else None


RUNS_ON = "a pause does not stop it"


def runs_on_while_paused(deadline: DeadlineView, paused: bool) -> bool:
    """True for a deadline still running while the review is paused: one a pause cannot stop."""
    return paused and not deadline.pausable and deadline.status in ("due", "overdue")


def deadline_words(deadline: DeadlineView | None, paused: bool = False) -> dict[str, str] | None:
    """The next deadline of a review in words: what, by when (its date revised for pauses), and how long
    is left; while the review is paused, whether this deadline runs on."""
    if deadline is None:
        return None
    due = deadline.revised_due_on or deadline.due_on
    if deadline.status == "paused":
        left = "Paused, not late"
    elif deadline.status == "overdue":
        left = f"Overdue by {working_days(deadline.late_by_working_days)}"
    elif deadline.working_days_left == 0:
        left = "Due today"
    elif deadline.working_days_left is not None:
        left = f"{working_days(deadline.working_days_left)} left"
    else:
        left = ""
    if left and runs_on_while_paused(deadline, paused):
        left = f"{left}: {RUNS_ON}"
    return {"label": deadline.label, "due_on": day(due), "left": left}


def _deadline_status(deadline: DeadlineView, paused: bool = False) -> tuple[str, str]:
    if deadline.status == "waiting":
        return "Not started", "govuk-tag--grey"
    if deadline.status == "paused":
        return "Paused, not late", "govuk-tag--grey"
    if runs_on_while_paused(deadline, paused) and deadline.status == "due":
        return "Runs on during the pause", "govuk-tag--blue"
    if deadline.status == "overdue":
        return "Overdue", "govuk-tag--red"
    if deadline.status == "met":
        return "Met", "govuk-tag--green"
    if deadline.status == "late":
        return "Met late", "govuk-tag--red"
    return RAG_TAGS.get(deadline.rag, ("Due", "govuk-tag--blue"))


def clock_rows(file: ReviewFile) -> list[dict[str, Any]]:
    """The statutory clock: each deadline with its statutory date, the date revised for pauses, and how it
    stands."""
    rows = []
    for deadline in file.deadlines:
        status, colour = _deadline_status(deadline, file.paused)
        revised = deadline.revised_due_on
        rows.append(
            {
                "label": deadline.label,
                "statutory": deadline.statutory,
                "date_words": "Statutory date" if deadline.statutory else "Due date",
                "basis": deadline.basis,
                "due_on": day(deadline.due_on) or "Its clock has not started",
                "revised_due_on": day(revised) if revised and revised != deadline.due_on else "",
                "done_on": day(deadline.done_on),
                "status": status,
                "colour": colour,
                # Read after the tag: "Overdue by 6 working days", "Met late by 2 working days".
                "late": f"by {working_days(deadline.late_by_working_days)}"
                if deadline.late_by_working_days > 0
                else "",
                "left": (deadline_words(deadline) or {}).get("left", "") if deadline.status == "due" else "",
            }
        )
    return rows


def day_plan(file: ReviewFile) -> list[dict[str, str]]:
    """The rapid review day plan: "Day 1: letters to agencies", "Day 10: agency returns due", ..."""
    planned = sorted((d for d in file.deadlines if d.day_plan is not None), key=lambda d: d.day_plan or 0)
    return [
        {
            "day": f"Day {deadline.day_plan}",
            "label": deadline.label,
            "due_on": day(deadline.revised_due_on or deadline.due_on),
        }
        for deadline in planned
    ]


def pause_rows(file: ReviewFile) -> list[dict[str, Any]]:
    """The pauses of a review's clock, latest first."""
    return [
        {
            "id": str(pause.id),
            "reason": pause.reason_label,
            "detail": pause.detail,
            "starts_on": day(pause.starts_on),
            "ends_on": day(pause.ends_on) if pause.ends_on else "Not known yet",
            "open": pause.ends_on is None,
            "period": f"from {day(pause.starts_on)} to {day(pause.ends_on)}"
            if pause.ends_on
            else f"from {day(pause.starts_on)}, end not known yet",
            "approved_by": pause.approved_by,
            "recorded_at": in_words(pause.recorded_at),
        }
        for pause in sorted(file.pauses, key=lambda p: p.starts_on, reverse=True)
    ]


def task_list(file: ReviewFile) -> list[dict[str, Any]]:
    """The steps of a review as GOV.UK task list sections, one per stage, each step with its status."""
    stage_labels = {stage.code: stage.label for stage in file.stages}
    sections = []
    for stage, steps in groupby(file.steps, key=lambda step: step.stage):
        items = []
        for step in steps:
            words, colour = STEP_STATUS[step.status]
            if step.status == "completed":
                hint = f"Completed on {day(step.completed_on)}" if step.completed_on else ""
            elif step.status == "cannot_start":
                hint = step.blocked_by
            else:
                hint = f"Due by {day(step.due_on)}" if step.due_on else ""
                if not step.may_complete and step.status in ("not_started", "in_progress"):
                    hint = " ".join(
                        part for part in (hint, f"For {step.done_by[:1].lower()}{step.done_by[1:]}.") if part
                    )
            items.append(
                {
                    "label": step.label,
                    "href": ""
                    if step.status in ("cannot_start", "not_needed")
                    else f"/reviews/{file.id}/steps/{step.code}",
                    "status": words,
                    "colour": colour,
                    "cannot_start": step.status == "cannot_start",
                    "hint": hint,
                }
            )
        sections.append({"label": stage_labels.get(stage, stage), "steps": items})
    return sections


def stage_timeline(file: ReviewFile) -> list[dict[str, Any]]:
    """The stages of a review in order: done, current, not reached yet, or not needed, and when reached."""
    return [
        {
            "label": stage.label,
            "state": STAGE_STATE[stage.state],
            "current": stage.state == "current",
            "done": stage.state == "done",
            "reached_on": day(stage.reached_on),
        }
        for stage in file.stages
    ]


def documents_for(file: ReviewFile, caller: Caller) -> list[dict[str, str]]:
    """The documents the caller may download: the partnership's business manager, partners and executive."""
    actor = caller.actor
    if actor.partnership_id != file.partnership_id or not actor.has_role(
        Role.BUSINESS_MANAGER, Role.SAFEGUARDING_PARTNER, Role.EXECUTIVE
    ):
        return []
    forms = {step.form for step in file.steps if step.status != "not_needed"}
    return [
        {"href": f"/reviews/{file.id}/documents/{kind}", "label": label}
        for kind, (form, label) in DOCUMENTS.items()
        if form in forms
    ]


def may_reach(caller: Caller, method: str, path: str) -> bool:
    """Whether the caller's roles pass a route's policy (gateway/policy.py): to show only the links they can
    follow (the route and the service still decide about the record itself)."""
    rule = policy_for(method, path)
    return rule is not None and rule.admits_role(caller.actor.roles)


# -- finding what a request is about ------------------------------------------------------------------------


async def review_file(forms: FormsDep, caller: Caller, review_id: UUID) -> ReviewFile:
    """The review with its lifecycle, if the caller may read it (the service answers NotFound otherwise)."""
    return await forms.get_review_file(caller.actor, review_id)


def _step_of(file: ReviewFile, code: str) -> StepView:
    for step in file.steps:
        if step.code == code:
            return step
    raise HTTPException(404)


def _form_of(step: StepView) -> type[BaseModel]:
    form = FORMS.get(step.form)
    if form is None:
        raise HTTPException(404)
    return form


async def _agencies(form: type[BaseModel], partnership_id: UUID) -> list[forms_ui.Agency]:
    if not forms_ui.asks_for_agencies(form):
        return []
    agencies = await run_in_threadpool(identity.list_agencies, partnership_id)
    return [forms_ui.Agency(str(agency.id), agency.name) for agency in agencies]


async def _name_of(user_id: str | None) -> str:
    try:
        user = await run_in_threadpool(identity.user_by_id, UUID(str(user_id)))
    except ValueError:
        user = None
    return user.display_name if user else "the system"


def _text(posted: PostedForm, name: str, limit: int = TOKEN_MAX) -> str:
    for value in posted.getlist(name):
        if isinstance(value, str):
            return value.strip()[:limit]
    return ""


def _whole_number(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _problems(exc: RemoteError) -> list[dict[str, Any]]:
    return exc.problems or [{"field": "form", "message": exc.message}]


def _about_the_step(problems: Sequence[Mapping[str, Any]]) -> str:
    """The reason a step cannot be worked on, when the service's problem is about the step itself."""
    return next((str(p.get("message", "")) for p in problems if p.get("field") == "step"), "")


# -- a step: its form, "check your answers", completing it -------------------------------------------------

CONFLICT_SAVED = (
    "Someone else saved this form after you opened it. Reload the page to see their answers, then make "
    "your changes again."
)
CONFLICT_COMPLETED = (
    "Someone else changed or completed this step after you opened it. Reload the page to see it as it is now."
)
CONFLICT_CHECKED = (
    "Someone else changed or completed this step after you opened it. This page now shows it as it is: "
    "check it again before you confirm."
)


async def _step_page(
    request: Request,
    file: ReviewFile,
    step: StepView,
    *,
    values: dict[str, Any] | None = None,
    errors: PageErrors = forms_ui.NO_ERRORS,
    status: int = 200,
) -> Response:
    form = _form_of(step)
    agencies = await _agencies(form, file.partnership_id)
    items = forms_ui.questions(form, agencies)
    if step.status == "completed":
        mode = "completed"
    elif step.may_complete:
        mode = "form"
    elif step.status == "cannot_start":
        mode = "blocked"
    elif step.status == "not_needed":
        mode = "not_needed"
    else:
        mode = "read_only"
    deadline = next((d for d in file.deadlines if d.code == step.deadline), None)
    running = deadline is not None and deadline.status in ("due", "overdue", "paused")
    left = (deadline_words(deadline, file.paused) or {}).get("left", "") if running else ""
    return render(
        request,
        "lifecycle/step.html",
        {
            "nav": "reviews",
            "review": {"id": file.id, "title": file.title},
            "step": {
                "code": step.code,
                "label": step.label,
                "due_on": day(step.due_on),
                # How its deadline stands: "overdue by 6 working days", "3 working days left".
                "due_left": left[:1].lower() + left[1:],
                "completed_on": day(step.completed_on),
                "completed_by": await _name_of(step.completed_by) if step.completed_by else "",
                "reason": step.blocked_by,
            },
            "mode": mode,
            "questions": items,
            "values": values if values is not None else forms_ui.prefill(items, step.answers or step.prefill),
            "errors": errors,
            "rows": forms_ui.answer_rows(items, step.answers) if step.answers and mode != "form" else [],
            "version": step.version,
        },
        status_code=status,
    )


@router.get("/reviews/{review_id}/steps/{step}", response_class=HTMLResponse, include_in_schema=False)
async def step_page(
    request: Request, review_id: UUID, step: str, forms: FormsDep, caller: Caller
) -> Response:
    """A step of a review: its form, prefilled from the saved draft; its answers once completed; or why it
    cannot start yet."""
    file = await review_file(forms, caller, review_id)
    return await _step_page(request, file, _step_of(file, step))


@router.post(
    "/reviews/{review_id}/steps/{step}",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def save_step(
    request: Request, review_id: UUID, step: str, forms: FormsDep, caller: Caller
) -> Response:
    """Save the step's answers as a draft, then check them; every problem listed and linked otherwise."""
    file = await review_file(forms, caller, review_id)
    current = _step_of(file, step)
    form = _form_of(current)
    agencies = await _agencies(form, file.partnership_id)
    items = forms_ui.questions(form, agencies)
    posted = await request.form()
    parsed = forms_ui.parse(form, posted, agencies)
    version = _whole_number(_text(posted, "version"))
    try:
        # Sent even when the page found problems: the service decides first whether the caller may work on
        # the step, then names every other problem, and stores nothing while any remains.
        await forms.save_step(caller.actor, review_id, step, parsed.answers, version)
    except RemoteError as exc:
        if exc.exc_type == "Conflict":
            file = await review_file(forms, caller, review_id)
            latest = _step_of(file, step)
            message = CONFLICT_COMPLETED if latest.status == "completed" else CONFLICT_SAVED
            shown = latest if latest.status == "completed" else current
            return await _step_page(
                request,
                file,
                shown,
                values=parsed.values if shown is current else None,
                errors=forms_ui.message_errors(message),
                status=409,
            )
        if exc.exc_type != "InvalidRequest":
            raise
        reason = _about_the_step(exc.problems)
        if reason or not exc.problems:
            return await _step_page(
                request, file, current, errors=forms_ui.message_errors(reason or exc.message), status=422
            )
        theirs = [{**p, "field": parsed.page_path(str(p.get("field") or "form"))} for p in exc.problems]
        errors = forms_ui.page_errors(items, [*parsed.problems, *theirs])
        return await _step_page(request, file, current, values=parsed.values, errors=errors, status=422)
    if parsed.problems:  # not reached while the service refuses what the page could not read
        errors = forms_ui.page_errors(items, parsed.problems)
        return await _step_page(request, file, current, values=parsed.values, errors=errors, status=422)
    return RedirectResponse(f"/reviews/{review_id}/steps/{step}/check", status_code=303)


async def _check_page(
    request: Request,
    file: ReviewFile,
    step: StepView,
    *,
    errors: PageErrors = forms_ui.NO_ERRORS,
    status: int = 200,
) -> Response:
    form = _form_of(step)
    items = forms_ui.questions(form, await _agencies(form, file.partnership_id))
    form_page = f"/reviews/{file.id}/steps/{step.code}"
    return render(
        request,
        "lifecycle/check.html",
        {
            "nav": "reviews",
            "review": {"id": file.id, "title": file.title},
            "step": {"code": step.code, "label": step.label, "due_on": day(step.due_on)},
            "form_page": form_page,
            "rows": forms_ui.answer_rows(items, step.answers) if step.answers else [],
            "may_complete": step.may_complete and bool(step.answers),
            "may_change": step.may_complete,
            "completed": step.status == "completed",
            "version": step.version,
            "form_token": str(uuid.uuid4()),
            "errors": errors,
        },
        status_code=status,
    )


@router.get("/reviews/{review_id}/steps/{step}/check", response_class=HTMLResponse, include_in_schema=False)
async def check_page(
    request: Request, review_id: UUID, step: str, forms: FormsDep, caller: Caller
) -> Response:
    """Check your answers: the saved draft in words, each with a link to change it, and the button that
    completes the step."""
    file = await review_file(forms, caller, review_id)
    current = _step_of(file, step)
    if current.status == "completed":
        return RedirectResponse(f"/reviews/{review_id}/steps/{step}", status_code=303)
    return await _check_page(request, file, current)


@router.post(
    "/reviews/{review_id}/steps/{step}/check",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def complete_step(
    request: Request, review_id: UUID, step: str, forms: FormsDep, caller: Caller
) -> Response:
    """Complete the step from the draft whose version the page showed: one of two people completing it at
    once wins, the other is told what happened."""
    file = await review_file(forms, caller, review_id)
    current = _step_of(file, step)
    posted = await request.form()
    version = _whole_number(_text(posted, "version"))
    if version is None and current.may_complete:
        errors = forms_ui.message_errors("Reload the page, check the answers again and confirm them")
        return await _check_page(request, file, current, errors=errors, status=422)
    token = _text(posted, "form_token") or str(uuid.uuid4())
    try:
        # Without a version the service still decides who may complete the step; -1 never matches a draft.
        await forms.complete_step(caller.actor, review_id, step, -1 if version is None else version, token)
    except RemoteError as exc:
        if exc.exc_type == "Conflict":
            file = await review_file(forms, caller, review_id)
            errors = forms_ui.message_errors(CONFLICT_CHECKED, target="answers")
            return await _check_page(request, file, _step_of(file, step), errors=errors, status=409)
        if exc.exc_type != "InvalidRequest":
            raise
        reason = _about_the_step(exc.problems)
        if reason or not exc.problems:
            errors = forms_ui.message_errors(reason or exc.message, target="answers")
        else:
            form = _form_of(current)
            items = forms_ui.questions(form, await _agencies(form, file.partnership_id))
            errors = forms_ui.page_errors(items, exc.problems, href=f"/reviews/{review_id}/steps/{step}")
        return await _check_page(request, file, current, errors=errors, status=422)
    return RedirectResponse(f"/reviews/{review_id}?completed={step}", status_code=303)


# -- pauses of the clock ------------------------------------------------------------------------------------


def _end_field(pause_id: str) -> str:
    return f"end-{pause_id}-ends_on"


async def _pauses_page(
    request: Request,
    file: ReviewFile,
    *,
    values: dict[str, Any] | None = None,
    errors: PageErrors = forms_ui.NO_ERRORS,
    notice: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "lifecycle/pauses.html",
        {
            "nav": "reviews",
            "review": {"id": file.id, "title": file.title},
            "paused": file.paused,
            "pauses": pause_rows(file),
            "clock": clock_rows(file),
            # The service allows one open pause at a time, and none once the review is closed.
            "may_record": file.may_manage and not file.closed and not file.paused,
            "may_end": file.may_manage,
            "form_token": str(uuid.uuid4()),
            "questions": forms_ui.questions(RecordPause),
            "values": values or {},
            "errors": errors,
            "end_field": _end_field,
            "notice": notice,
        },
        status_code=status,
    )


@router.get("/reviews/{review_id}/pauses", response_class=HTMLResponse, include_in_schema=False)
async def pauses_page(
    request: Request, review_id: UUID, forms: FormsDep, caller: Caller, recorded: str = "", ended: str = ""
) -> Response:
    """The pauses of a review's clock, with each deadline's statutory and revised dates; for the business
    manager, the forms to record a pause and to end one."""
    file = await review_file(forms, caller, review_id)
    notice = "The pause is recorded" if recorded else "The pause is ended" if ended else ""
    return await _pauses_page(request, file, notice=notice)


def _must_manage(file: ReviewFile) -> None:
    if not file.may_manage:
        raise HTTPException(
            403, "Only the business manager of the partnership holding the review can pause its clock."
        )


@router.post(
    "/reviews/{review_id}/pauses", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
async def record_pause(request: Request, review_id: UUID, forms: FormsDep, caller: Caller) -> Response:
    """Pause the review's clock for a parallel process."""
    file = await review_file(forms, caller, review_id)
    _must_manage(file)
    items = forms_ui.questions(RecordPause)
    posted = await request.form()
    parsed = forms_ui.parse(RecordPause, posted)
    problems = list(parsed.problems)
    pause: RecordPause | None = None
    try:
        pause = RecordPause.model_validate(parsed.answers)
    except ValidationError as exc:
        problems += forms_ui.problems_of(exc)
    if pause is not None and not problems:
        token = _text(posted, "form_token") or str(uuid.uuid4())
        try:
            await forms.record_pause(caller.actor, review_id, pause, token)
        except RemoteError as exc:
            if exc.exc_type != "InvalidRequest":
                raise
            problems = _problems(exc)
    if problems:
        errors = forms_ui.page_errors(items, problems)
        return await _pauses_page(request, file, values=parsed.values, errors=errors, status=422)
    return RedirectResponse(f"/reviews/{review_id}/pauses?recorded=1", status_code=303)


@router.post(
    "/reviews/{review_id}/pauses/{pause_id}/end",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def end_pause(
    request: Request, review_id: UUID, pause_id: str, forms: FormsDep, caller: Caller
) -> Response:
    """End an open pause on a date: the clock runs again and the revised dates are fixed."""
    file = await review_file(forms, caller, review_id)
    _must_manage(file)
    posted = await request.form()
    parts = {part: _text(posted, f"ends_on-{part}") for part in forms_ui.DATE_PARTS}
    ends_on, problem, bad = forms_ui.read_date(parts, "The date the pause ended")
    field = _end_field(pause_id if re.fullmatch(r"[0-9a-fA-F-]{36}", pause_id) else "pause")
    values = {f"{field}-{part}": value for part, value in parts.items()}
    message = problem or ("" if ends_on else "Enter the date the pause ended")
    if not message:
        if pause_id not in {str(pause.id) for pause in file.pauses}:
            raise HTTPException(404)
        try:
            ending = command_for(Forms.end_pause, EndPause, {"ends_on": ends_on})
            await forms.end_pause(caller.actor, review_id, UUID(pause_id), ending)
        except RemoteError as exc:
            if exc.exc_type != "InvalidRequest":
                raise
            message = _problems(exc)[0]["message"]
    if message:
        target = f"{field}-{bad[0] if bad else 'day'}"
        errors = PageErrors(
            [{"href": f"#{target}", "message": message}],
            {field: message},
            {field: bad or list(forms_ui.DATE_PARTS)},
        )
        return await _pauses_page(request, file, values=values, errors=errors, status=422)
    return RedirectResponse(f"/reviews/{review_id}/pauses?ended=1", status_code=303)


# -- documents ----------------------------------------------------------------------------------------------


async def _episodes_for_report(
    chronology: Chronology, caller: Caller, review_id: UUID
) -> list[ChronologyEpisode]:
    """The key practice episodes of the review's chronology as the report lists them (none when the
    chronology service does not know the review)."""
    try:
        episodes = await chronology.episodes_of_review(caller.actor, review_id)
    except RemoteError as error:
        if error.exc_type != "NotFound":
            raise
        return []
    return [
        ChronologyEpisode(
            date_typed=episode.date_typed,
            source=episode.source,
            what_happened=episode.event,
            learning=episode.learning,
        )
        for episode in episodes
    ]


@router.get("/reviews/{review_id}/documents/{kind}", include_in_schema=False, response_model=None)
async def document(
    review_id: UUID, kind: str, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """A document assembled from the review (Word), as an attachment named by the service."""
    partnership_id = caller.actor.partnership_id
    partnership = (
        await run_in_threadpool(identity.get_partnership, partnership_id) if partnership_id else None
    )
    episodes = (
        await _episodes_for_report(chronology, caller, review_id) if kind == "rapid-review-report" else []
    )
    found = await forms.document(
        caller.actor, review_id, kind, partnership.name if partnership else "", episodes
    )
    filename = re.sub(r"[^A-Za-z0-9._-]", "-", found.filename)[:120] or "document.docx"
    return Response(
        base64.b64decode(found.content_base64),
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# -- referring an incident ----------------------------------------------------------------------------------


async def _review_types(forms: FormsDep) -> list[ReviewTypeInfo]:
    return await forms.review_types()


def _referral_questions(review_types: Sequence[ReviewTypeInfo]) -> list[forms_ui.Question]:
    """The referral page's questions: which kind of review, the case reference, then the referral form."""
    kind = forms_ui.Question(
        key="review_type",
        id="review_type",
        path="review_type",
        label="What kind of review may this need?",
        hint="",
        widget="radios",
        required=True,
        choices=tuple(forms_ui.Choice(t.code, t.label, t.hint) for t in review_types),
    )
    title = forms_ui.Question(
        key="title",
        id="title",
        path="title",
        label="Case reference",
        hint=f"Up to {TITLE_MAX} characters. Never a child's or family member's name: for example "
        "'NB-2026-031 infant'.",
        widget="text",
        required=True,
        max_length=TITLE_MAX,
    )
    return [kind, title, *forms_ui.questions(Referral)]


async def _referral_page(
    request: Request,
    forms: FormsDep,
    caller: Caller,
    *,
    values: dict[str, Any] | None = None,
    errors: PageErrors = forms_ui.NO_ERRORS,
    status: int = 200,
) -> Response:
    partnership_id = caller.actor.partnership_id
    partnership = (
        await run_in_threadpool(identity.get_partnership, partnership_id) if partnership_id else None
    )
    return render(
        request,
        "lifecycle/referral.html",
        {
            "nav": "referrals-new",
            "partnership": partnership.name if partnership else "",
            "questions": _referral_questions(await _review_types(forms)),
            "values": values or {},
            "errors": errors,
            "form_token": str(uuid.uuid4()),
        },
        status_code=status,
    )


@router.get("/referrals/new", response_class=HTMLResponse, include_in_schema=False)
async def referral_page(request: Request, forms: FormsDep, caller: Caller) -> Response:
    """Refer a possible serious incident to the partnership."""
    return await _referral_page(request, forms, caller)


def _title_problems(review_type: str, title: str, known: set[str]) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    if review_type not in known:
        problems.append({"field": "review_type", "message": "Select the kind of review this may need"})
    if not title:
        problems.append({"field": "title", "message": "Enter a case reference, not a name"})
        return problems
    try:
        OpenReview.model_validate({"review_type": "any", "partnership_id": uuid.uuid4(), "title": title})
    except ValidationError as exc:
        problems += [{**p, "field": "title"} for p in forms_ui.problems_of(exc)]
    return problems


@router.post("/referrals/new", response_class=HTMLResponse, response_model=None, include_in_schema=False)
async def refer(request: Request, forms: FormsDep, caller: Caller) -> Response:
    """Send the referral: it opens a review with the referral completed. The page confirms it, and links to
    the review only if the referrer may read it."""
    review_types = await _review_types(forms)
    items = _referral_questions(review_types)
    posted = await request.form()
    review_type, title = _text(posted, "review_type", 50), _text(posted, "title", TITLE_MAX + 1)
    parsed = forms_ui.parse(Referral, posted)
    values = {**parsed.values, "review_type": review_type, "title": title}
    problems = [
        *_title_problems(review_type, title, {t.code for t in review_types}),
        *parsed.problems,
    ]
    try:
        Referral.model_validate(parsed.answers)
    except ValidationError as exc:
        problems += forms_ui.problems_of(exc)
    if not problems:
        referred = {
            "review_type": review_type,
            "partnership_id": caller.actor.partnership_id,
            "title": title,
            "referral": parsed.answers,
        }
        token = _text(posted, "form_token") or str(uuid.uuid4())
        try:
            summary = await forms.refer(caller.actor, command_for(Forms.refer, Refer, referred), token)
        except RemoteError as exc:
            if exc.exc_type != "InvalidRequest":
                raise
            problems = _problems(exc)
    if problems:
        errors = forms_ui.page_errors(items, problems)
        return await _referral_page(request, forms, caller, values=values, errors=errors, status=422)
    try:
        await forms.get_review(caller.actor, summary.id)
        can_open = True
    except RemoteError as exc:
        if exc.exc_type not in ("NotFound", "Forbidden"):
            raise
        can_open = False
    return render(
        request,
        "lifecycle/referral_sent.html",
        {
            "nav": "referrals-new",
            "review": {"id": summary.id, "title": summary.title, "type": summary.review_type_label},
            "can_open": can_open,
        },
    )


# -- the partnership's deadline figures ---------------------------------------------------------------------

UNITS = {"working_days": "working days", "months": "months"}
UNIT = {"working_days": "working day", "months": "month"}


def amount(count: int, unit: str) -> str:
    """A figure in words: "1 working day", "5 working days", "1 month", "6 months"."""
    return f"{count} {UNIT[unit] if count == 1 else UNITS[unit]}"


def allowed(minimum: int, maximum: int, unit: str) -> str:
    """What a partnership may set: "1 to 5 working days", or "1 month only" where statute fixes it."""
    if minimum == maximum:
        return f"{amount(minimum, unit)} only"
    return f"{minimum} to {amount(maximum, unit)}"


async def _settings(forms: FormsDep, caller: Caller) -> list[DeadlineSetting]:
    return await forms.deadline_settings(caller.actor)


async def _settings_page(
    request: Request,
    forms: FormsDep,
    caller: Caller,
    settings: list[DeadlineSetting],
    *,
    review_type: str = "",
    values: Mapping[str, str] | None = None,
    errors: PageErrors = forms_ui.NO_ERRORS,
    notice: str = "",
    status: int = 200,
) -> Response:
    labels = {t.code: t.label for t in await _review_types(forms)}
    sections = []
    for code, rows in groupby(settings, key=lambda row: row.review_type):
        figures = []
        for row in rows:
            field = f"{code}-{row.code}"
            shown = values.get(row.code, "") if values is not None and code == review_type else str(row.value)
            figures.append(
                {
                    "code": row.code,
                    "id": field,
                    "label": row.label,
                    "value": shown,
                    "saved": amount(row.value, row.unit),
                    "default": amount(row.default, row.unit),
                    "range": allowed(row.minimum, row.maximum, row.unit),
                    "unit": UNITS[row.unit],
                    "statutory": row.statutory,
                    "changed": row.value != row.default,
                }
            )
        sections.append({"code": code, "label": labels.get(code, code), "figures": figures})
    return render(
        request,
        "lifecycle/deadline_settings.html",
        {
            "nav": "settings",
            "sections": sections,
            "may_change": caller.actor.has_role(Role.BUSINESS_MANAGER),
            "errors": errors,
            "notice": notice,
        },
        status_code=status,
    )


@router.get("/settings/deadlines", response_class=HTMLResponse, include_in_schema=False)
async def deadline_settings_page(
    request: Request, forms: FormsDep, caller: Caller, saved: str = ""
) -> Response:
    """The partnership's deadline figures per review type, with the default and what statute allows."""
    settings = await _settings(forms, caller)
    labels = {t.code: t.label for t in await _review_types(forms)}
    notice = f"Figures saved: {labels[saved]}" if saved in labels else ""
    return await _settings_page(request, forms, caller, settings, notice=notice)


@router.post("/settings/deadlines", response_class=HTMLResponse, response_model=None, include_in_schema=False)
async def change_deadline_settings(request: Request, forms: FormsDep, caller: Caller) -> Response:
    """Set the partnership's figures for one review type; reviews opened from then on use them."""
    settings = await _settings(forms, caller)
    posted = await request.form()
    review_type = _text(posted, "review_type", 50)
    rows = [row for row in settings if row.review_type == review_type]
    if not rows:
        errors = forms_ui.message_errors(
            "Choose the review type whose figures to change", target="main-content"
        )
        return await _settings_page(request, forms, caller, settings, errors=errors, status=422)
    typed = {row.code: _text(posted, row.code, 10) for row in rows}
    problems: list[dict[str, str]] = []
    figures: dict[str, int] = {}
    for row in rows:
        number = _whole_number(typed[row.code])
        if not typed[row.code]:
            problems.append(
                {"field": row.code, "message": f"{row.label}: enter a number of {UNITS[row.unit]}"}
            )
        elif number is None:
            problems.append({"field": row.code, "message": f"{row.label}: enter a whole number"})
        else:
            figures[row.code] = number
    if not problems:
        try:
            change = ChangeDeadlineSettings(review_type=review_type, values=figures)
            await forms.change_deadline_settings(caller.actor, change)
        except RemoteError as exc:
            if exc.exc_type != "InvalidRequest":
                raise
            problems = _problems(exc)
    if problems:
        fields = {row.code for row in rows}
        summary = [
            {
                "href": f"#{review_type}-{p['field']}" if p.get("field") in fields else "#main-content",
                "message": str(p.get("message", "")),
            }
            for p in problems
        ]
        inline = {
            f"{review_type}-{p['field']}": str(p.get("message", ""))
            for p in problems
            if p.get("field") in fields
        }
        return await _settings_page(
            request,
            forms,
            caller,
            settings,
            review_type=review_type,
            values=typed,
            errors=PageErrors(summary, inline, {}),
            status=422,
        )
    return RedirectResponse(f"/settings/deadlines?saved={review_type}", status_code=303)


# -- JSON API -----------------------------------------------------------------------------------------------


class SaveStepBody(BaseModel):
    """The answers of a step's form (as its model in the forms contract) and the draft's version last read
    (null for the first save)."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Any]
    version: int | None = None


class CompleteStepBody(BaseModel):
    """The version of the draft the caller checked."""

    model_config = ConfigDict(extra="forbid")

    version: int


Body = TypeVar("Body", bound=BaseModel)


async def _json_body(request: Request, model: type[Body]) -> tuple[Body | None, list[Any]]:
    """The body as `model`, or None and the errors FastAPI would have raised for it (answered 422)."""
    try:
        payload = await request.json()
    except ValueError as exc:
        return None, [
            {"type": "json_invalid", "loc": ("body",), "input": {}, "ctx": {"error": type(exc).__name__}}
        ]
    try:
        return model.model_validate(payload), []
    except ValidationError as exc:
        return None, [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]


@router.get("/api/reviews/{review_id}/file", tags=["reviews"], summary="A review with its lifecycle")
async def api_review_file(review_id: UUID, forms: FormsDep, caller: Caller) -> ReviewFile:
    """Steps (with their answers and versions), stages, the statutory clock with pauses, and the agency
    returns the caller may read. 404 for a review the caller may not read."""
    return await review_file(forms, caller, review_id)


@router.post(
    "/api/reviews/{review_id}/steps/{step}",
    tags=["reviews"],
    summary="Save a step's answers as a draft",
    openapi_extra=body_schema(SaveStepBody),
)
async def api_save_step(
    request: Request, review_id: UUID, step: str, forms: FormsDep, caller: Caller
) -> ReviewFile:
    """Checked in full: 422 with a problem per field (`children.0.sex`) and nothing stored; 403 for a role
    that does not do this step; 409 if it is completed or `version` is not the draft's latest. Send an
    Idempotency-Key header: a repeat answers with the review as it is and saves nothing again."""
    file = await review_file(forms, caller, review_id)
    current = _step_of(file, step)
    body, problems = await _json_body(request, SaveStepBody)
    if body is None and current.may_complete:
        raise RequestValidationError(problems)
    answers, version = (body.answers, body.version) if body else ({}, None)
    if current.may_complete and isinstance(answers.get("agencies"), list):
        answers = {
            **answers,
            "agencies": await _registered_agencies(answers["agencies"], file.partnership_id),
        }
    key = request.headers.get("idempotency-key", "")[:TOKEN_MAX] or None
    return await forms.save_step(caller.actor, review_id, step, answers, version, key)


async def _registered_agencies(asked: list[Any], partnership_id: UUID) -> list[dict[str, str]]:
    """The agencies a JSON client invites, as the partnership's register names them; 422 naming each id the
    register does not hold (the forms service knows no agencies of its own)."""
    known = {
        str(agency.id): agency.name
        for agency in await run_in_threadpool(identity.list_agencies, partnership_id)
    }
    chosen, problems = [], []
    for index, agency in enumerate(asked):
        agency_id = str(agency.get("agency_id", "")) if isinstance(agency, dict) else ""
        if agency_id in known:
            chosen.append({"agency_id": agency_id, "name": known[agency_id]})
        else:
            message = "No agency of the partnership has this id: see the partnership's agencies"
            problems.append({"field": f"agencies.{index}.agency_id", "message": message})
    if problems:
        raise RemoteError(
            "InvalidRequest", "The agencies have problems", ["The agencies have problems", problems]
        )
    return chosen


@router.post(
    "/api/reviews/{review_id}/steps/{step}/complete",
    tags=["reviews"],
    summary="Complete a step from its saved draft",
    openapi_extra=body_schema(CompleteStepBody),
)
async def api_complete_step(
    request: Request, review_id: UUID, step: str, forms: FormsDep, caller: Caller
) -> ReviewFile:
    """Send the draft's `version` and an Idempotency-Key header (a repeat returns the review as it is). 409
    if someone else saved or completed it since; 422 with the reason if the step cannot be completed yet."""
    file = await review_file(forms, caller, review_id)
    current = _step_of(file, step)
    body, problems = await _json_body(request, CompleteStepBody)
    if body is None and current.may_complete:
        raise RequestValidationError(problems)
    key = request.headers.get("idempotency-key", "")[:TOKEN_MAX] or str(uuid.uuid4())
    # A repeated key answers with the review as it stands (the declared ReviewFile).
    return await forms.complete_step(caller.actor, review_id, step, body.version if body else -1, key)


__all__ = [
    "clock_rows",
    "day_plan",
    "deadline_words",
    "documents_for",
    "pause_rows",
    "rag_tag",
    "review_file",
    "router",
    "stage_timeline",
    "task_list",
]
