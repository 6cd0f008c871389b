"""Learning into change: a review's plan (lessons, recommendations, actions) as a tree and as a table, every
action the caller may see (filtered), "my actions", one action with its progress, impact check and sign-off,
and the partnership's themes with those that recur.

Who may read or change what is the actions service's rule (services/actions/policy.py), asked again on every
call: an action owner sees and changes only their own actions. The gateway's policy only checks that the role
may use the route at all; a refusal of the service (422 with each field named) re-renders the form.
"""

from __future__ import annotations

import base64
import contextlib
import re
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import identity
from gateway.auth import Caller
from gateway.deps import ActionsDep, ChronologyDep, FormsDep, render
from gateway.json_api import body_schema, json_command
from gateway.rpc import RemoteError
from services.actions.contract import (
    MAX_EVIDENCE_BYTES,
    ActionFilter,
    ActionView,
    AddEvidence,
    AddTheme,
    AssignAction,
    LessonView,
    MakeRecommendation,
    RecommendationView,
    RecordBrief,
    RecordDissemination,
    RecordImpact,
    RecordLesson,
    ReviewPlan,
    UpdateAction,
)
from services.kernel.identity import PARTNERSHIP_CASE_ROLES, Role
from services.kernel.uploads import FileRefused, check_upload

router = APIRouter()

STATUS_WORDS = {
    "not_started": ("Not started", "govuk-tag--grey"),
    "on_track": ("On track", "govuk-tag--green"),
    "at_risk": ("At risk", "govuk-tag--orange"),
    "overdue": ("Overdue", "govuk-tag--red"),
    "completed": ("Completed", "govuk-tag--blue"),
    "not_implemented": ("Not implemented", "govuk-tag--red"),
    "closed": ("Closed", "govuk-tag--grey"),
}
RAG_WORDS = {
    "red": ("Red", "govuk-tag--red"),
    "amber": ("Amber", "govuk-tag--orange"),
    "green": ("Green", "govuk-tag--green"),
    "complete": ("Complete", "govuk-tag--blue"),
}
SETTABLE = ("not_started", "on_track", "at_risk", "completed", "not_implemented")
SOURCES = {
    "review": "The review",
    "rapid_review": "The rapid review",
    "chronology_episode": "A key practice episode of the chronology",
    "meeting": "A meeting",
}
AUDIENCES = {"partnership": "The partnership", "agency": "Named agencies", "national": "The nation"}
IMPACT = {"yes": "Yes", "partly": "Partly", "no": "No"}
SPREAD = {"sent": "Sent to", "acknowledged": "Acknowledged by", "training": "Used in training or an event"}


def _day(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def _date(day: str, month: str, year: str) -> tuple[date | None, bool]:
    """A date from the three boxes of a GOV.UK date input; (None, True) when given but not a real date."""
    if not (day or month or year):
        return None, False
    try:
        return date(int(year), int(month), int(day)), False
    except ValueError:
        return None, True


def _refused(error: RemoteError) -> list[dict[str, str]]:
    """The problems of a service's refusal (InvalidRequest); re-raised for any other error."""
    if error.exc_type != "InvalidRequest":
        raise error
    return [
        {"field": str(p.get("field", "")), "message": str(p.get("message", ""))} for p in error.problems
    ] or [{"field": "", "message": error.message}]


def _row(action: ActionView, review_titles: dict[Any, str]) -> dict[str, Any]:
    status, status_class = STATUS_WORDS[action.status]
    rag, rag_class = RAG_WORDS[action.rag]
    return {
        "id": action.id,
        "review_id": action.review_id,
        "review_title": review_titles.get(action.review_id)
        or review_titles.get(action.review_type, "A review")
        + (f" begun {_day(action.review_began_on)}" if action.review_began_on else ""),
        "description": action.description,
        "owner": action.owner_name,
        "agency": action.owner_agency_name,
        "due_on": _day(action.due_on),
        "status": status,
        "status_class": status_class,
        "rag": rag,
        "rag_class": rag_class,
        "recommendation_id": action.recommendation_id,
        "meeting_path": f"/reviews/{action.review_id}/meetings/{action.meeting_id}"
        if action.meeting_id
        else "",
    }


async def _titles(forms: Any, caller: Caller) -> dict[Any, str]:
    """The titles of the reviews the caller may read in forms, and the words for each review type: an action
    owner who is no member of a review reads it as its type and the day it began."""
    titles: dict[Any, str] = {kind.code: kind.label.split(" (")[0] for kind in await forms.review_types()}
    with contextlib.suppress(RemoteError):
        titles.update({review.id: review.title for review in await forms.list_reviews(caller.actor)})
    return titles


async def _rapid_review_meeting(forms: Any, caller: Caller, review_id: UUID) -> dict[str, str] | None:
    """What the rapid review meeting recorded (forms' step answers): its immediate safeguarding actions,
    which become actions of the plan, and its learning so far, which becomes lessons. None before it met."""
    try:
        review_file = await forms.get_review_file(caller.actor, review_id)
    except RemoteError:
        return None
    for step in review_file.steps:
        if step.form == "rapid_review_meeting" and step.answers:
            return {
                "held_on": _day(date.fromisoformat(str(step.answers.get("held_on"))))
                if step.answers.get("held_on")
                else "",
                "immediate_actions": str(step.answers.get("immediate_safety_actions") or ""),
                "learning": str(step.answers.get("learning") or ""),
            }
    return None


# -- a review's plan ---------------------------------------------------------------------------------------


async def _plan_page(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    actions: ActionsDep,
    chronology: ChronologyDep,
    caller: Caller,
    *,
    errors: list[dict[str, str]] | None = None,
    given: dict[str, Any] | None = None,
    notice: str = "",
    assigning: UUID | None = None,
) -> Response:
    review = await forms.get_review(caller.actor, review_id)
    plan: ReviewPlan = await actions.plan_of_review(caller.actor, review.id)
    agreed = next((a for a in plan.to_be_assigned if a.item_id == assigning), None)
    if given is None and agreed is not None:  # the assign form, filled in from the minutes
        given = {
            "answers": f"agreed:{agreed.item_id}",
            "description": agreed.what,
            "owner_id": agreed.owner_id or "",
            "due_day": str(agreed.due_on.day) if agreed.due_on else "",
            "due_month": str(agreed.due_on.month) if agreed.due_on else "",
            "due_year": str(agreed.due_on.year) if agreed.due_on else "",
        }
    taxonomy = await actions.taxonomy(caller.actor)
    titles = await _titles(forms, caller)
    owners = await actions.owners(caller.actor) if plan.may_assign else []
    episodes = []
    if plan.may_record:
        try:
            episodes = [e for e in await chronology.episodes_of_review(caller.actor, review.id) if e.entry_id]
        except RemoteError:
            episodes = []  # the chronology service does not know the review yet
    briefs = await actions.briefs_of_review(caller.actor, review.id)
    rapid_review = await _rapid_review_meeting(forms, caller, review.id) if plan.may_record else None
    labels = {theme.code: theme.label for theme in taxonomy.themes}
    rows = {a.id: _row(a, titles) for a in plan.actions}
    view = "table" if request.query_params.get("view") == "table" else "tree"
    context = {
        "review": review,
        "plan": plan,
        "view": view,
        "lessons": [
            {
                "id": lesson.id,
                "finding": lesson.finding,
                "themes": [(labels.get(code, code), code in lesson.retired_themes) for code in lesson.themes],
                "source": SOURCES.get(lesson.source, lesson.source),
                "recorded_on": _day(lesson.recorded_on),
                "recommendations": [
                    {
                        "id": r.id,
                        "text": r.text,
                        "audience": AUDIENCES.get(r.audience, r.audience),
                        "actions": [rows[a.id] for a in plan.actions if a.recommendation_id == r.id],
                    }
                    for r in plan.recommendations
                    if lesson.id in r.lesson_ids
                ],
            }
            for lesson in plan.lessons
        ],
        "other_actions": [
            rows[a.id] for a in plan.actions if a.recommendation_id is None and a.meeting_id is None
        ],
        "meeting_actions": [rows[a.id] for a in plan.actions if a.meeting_id is not None],
        "to_be_assigned": [
            {
                "item_id": agreed.item_id,
                "what": agreed.what,
                "meeting_path": f"/reviews/{review.id}/meetings/{agreed.meeting_id}",
                "agreed_on": _day(agreed.agreed_on),
                "owner": agreed.owner_name or ("Someone without an account" if agreed.owner_id else "Nobody"),
                "due_on": _day(agreed.due_on) if agreed.due_on else "Not given",
                "reasons": agreed.reasons,
            }
            for agreed in plan.to_be_assigned
        ],
        "rows": list(rows.values()),
        "recommendations": plan.recommendations,
        "warnings": [
            {
                "theme": w.theme_label,
                "review_title": titles.get(w.earlier_review_id, "An earlier review"),
                "review_id": w.earlier_review_id,
                "action_id": w.action_id,
                "description": w.action_description,
                "status": STATUS_WORDS[w.status][0],
            }
            for w in plan.warnings
        ],
        "themes": [t for t in taxonomy.themes if t.retired_in is None],
        "owners": owners,
        "episodes": episodes,
        "briefs": [
            {
                "id": brief.id,
                "title": brief.title,
                "published_on": _day(brief.published_on),
                "counts": brief,
                "dissemination": [
                    (SPREAD[d.kind], d.to_whom, _day(d.on), "" if d.people is None else str(d.people))
                    for d in brief.dissemination
                ],
            }
            for brief in briefs
        ],
        "spread_kinds": SPREAD,
        "rapid_review": rapid_review,
        "sources": SOURCES,
        "audiences": AUDIENCES,
        "errors": errors or [],
        "given": given or {},
        "notice": notice,
    }
    return render(request, "actions/plan.html", context, 422 if errors else 200)


@router.get("/reviews/{review_id}/plan", response_class=HTMLResponse, include_in_schema=False)
async def plan_page(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    actions: ActionsDep,
    chronology: ChronologyDep,
    caller: Caller,
) -> Response:
    """A review's learning and action plan: lessons, recommendations and actions, as a tree or a table."""
    notice = {
        "lesson": "Lesson recorded",
        "recommendation": "Recommendation made",
        "action": "Action assigned",
        "brief": "Learning brief recorded",
        "dissemination": "Recorded how the learning was shared",
    }.get(request.query_params.get("done", ""), "")
    return await _plan_page(
        request,
        review_id,
        forms,
        actions,
        chronology,
        caller,
        notice=notice,
        assigning=_uuid(request.query_params.get("assign", "")[:40]),
    )


@router.post("/reviews/{review_id}/lessons", response_class=HTMLResponse, include_in_schema=False)
async def record_lesson(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    actions: ActionsDep,
    chronology: ChronologyDep,
    caller: Caller,
    finding: Annotated[str, Form(max_length=4000)] = "",
    themes: Annotated[list[str] | None, Form(max_length=20)] = None,
    source: Annotated[str, Form(max_length=30)] = "review",
    episode_entry_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Record a lesson of the review, tagged with themes."""
    review = await forms.get_review(caller.actor, review_id)
    command = RecordLesson(
        review_id=review.id,
        finding=finding,
        themes=[t[:60] for t in (themes or [])][:20],
        source=source if source in SOURCES else "review",  # type: ignore[arg-type]
        episode_entry_id=_uuid(episode_entry_id),
    )
    try:
        await actions.record_lesson(caller.actor, command)
    except RemoteError as error:
        given = {"finding": finding, "themes": themes or [], "source": source}
        return await _plan_page(
            request, review.id, forms, actions, chronology, caller, errors=_refused(error), given=given
        )
    return RedirectResponse(f"/reviews/{review.id}/plan?done=lesson", status_code=303)


@router.post("/reviews/{review_id}/recommendations", response_class=HTMLResponse, include_in_schema=False)
async def make_recommendation(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    actions: ActionsDep,
    chronology: ChronologyDep,
    caller: Caller,
    text: Annotated[str, Form(max_length=4000)] = "",
    lesson_ids: Annotated[list[str] | None, Form(max_length=50)] = None,
    audience: Annotated[str, Form(max_length=20)] = "partnership",
) -> Response:
    """Make a recommendation drawing on lessons of the review."""
    review = await forms.get_review(caller.actor, review_id)
    command = MakeRecommendation(
        review_id=review.id,
        text=text,
        lesson_ids=[i for i in (_uuid(v) for v in (lesson_ids or [])[:50]) if i is not None],
        audience=audience if audience in AUDIENCES else "partnership",  # type: ignore[arg-type]
    )
    try:
        await actions.make_recommendation(caller.actor, command)
    except RemoteError as error:
        given = {"text": text, "lesson_ids": lesson_ids or [], "audience": audience}
        return await _plan_page(
            request, review.id, forms, actions, chronology, caller, errors=_refused(error), given=given
        )
    return RedirectResponse(f"/reviews/{review.id}/plan?done=recommendation", status_code=303)


@router.post("/reviews/{review_id}/actions", response_class=HTMLResponse, include_in_schema=False)
async def assign_action(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    actions: ActionsDep,
    chronology: ChronologyDep,
    caller: Caller,
    answers: Annotated[str, Form(max_length=50)] = "",  # a recommendation id, or "agreed:" and an item id
    description: Annotated[str, Form(max_length=4000)] = "",
    owner_id: Annotated[str, Form(max_length=40)] = "",
    due_day: Annotated[str, Form(alias="due_on-day", max_length=2)] = "",
    due_month: Annotated[str, Form(alias="due_on-month", max_length=2)] = "",
    due_year: Annotated[str, Form(alias="due_on-year", max_length=4)] = "",
    success_measure: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Assign an action answering a recommendation, one of the rapid review's immediate actions, or one agreed
    in a meeting still to be assigned."""
    review = await forms.get_review(caller.actor, review_id)
    due_on, not_real = _date(due_day, due_month, due_year)
    from_rapid_review = answers == "rapid_review"
    agreed_item_id = _uuid(answers.removeprefix("agreed:")) if answers.startswith("agreed:") else None
    command = AssignAction(
        review_id=review.id,
        recommendation_id=None if from_rapid_review or answers.startswith("agreed:") else _uuid(answers),
        source="rapid_review" if from_rapid_review else "meeting" if agreed_item_id else "recommendation",
        agreed_item_id=agreed_item_id,
        description=description,
        owner_id=_uuid(owner_id),
        due_on=due_on,
        success_measure=success_measure,
    )
    given = {
        "answers": answers,
        "description": description,
        "owner_id": owner_id,
        "due_day": due_day,
        "due_month": due_month,
        "due_year": due_year,
        "success_measure": success_measure,
    }
    try:
        await actions.assign_action(caller.actor, command)
    except RemoteError as error:
        problems = [  # the agreed action is chosen where the recommendation is
            {**p, "field": "recommendation_id"} if p["field"] == "agreed_item_id" else p
            for p in _refused(error)
        ]
        if not_real:
            problems = [p for p in problems if p["field"] != "due_on"]
            problems.append({"field": "due_on", "message": "The due date must be a real date"})
        return await _plan_page(
            request, review.id, forms, actions, chronology, caller, errors=problems, given=given
        )
    return RedirectResponse(f"/reviews/{review.id}/plan?done=action", status_code=303)


@router.post("/reviews/{review_id}/learning-briefs", response_class=HTMLResponse, include_in_schema=False)
async def record_brief(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    actions: ActionsDep,
    chronology: ChronologyDep,
    caller: Caller,
    title: Annotated[str, Form(max_length=300)] = "",
    published_day: Annotated[str, Form(alias="published_on-day", max_length=2)] = "",
    published_month: Annotated[str, Form(alias="published_on-month", max_length=2)] = "",
    published_year: Annotated[str, Form(alias="published_on-year", max_length=4)] = "",
) -> Response:
    """Record the review's learning brief."""
    review = await forms.get_review(caller.actor, review_id)
    published_on, not_real = _date(published_day, published_month, published_year)
    given = {"brief_title": title, "published_day": published_day, "published_month": published_month}
    given["published_year"] = published_year
    try:
        await actions.record_brief(
            caller.actor, RecordBrief(review_id=review.id, title=title, published_on=published_on)
        )
    except RemoteError as error:
        problems = [
            {**p, "field": "brief_title" if p["field"] == "title" else p["field"]} for p in _refused(error)
        ]
        if not_real:
            problems = [p for p in problems if p["field"] != "published_on"]
            problems.append({"field": "published_on", "message": "The date published must be a real date"})
        return await _plan_page(
            request, review.id, forms, actions, chronology, caller, errors=problems, given=given
        )
    return RedirectResponse(f"/reviews/{review.id}/plan?done=brief#learning-briefs", status_code=303)


@router.post("/reviews/{review_id}/dissemination", response_class=HTMLResponse, include_in_schema=False)
async def record_dissemination(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    actions: ActionsDep,
    chronology: ChronologyDep,
    caller: Caller,
    brief_id: Annotated[str, Form(max_length=40)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    to_whom: Annotated[str, Form(max_length=300)] = "",
    on_day: Annotated[str, Form(alias="on-day", max_length=2)] = "",
    on_month: Annotated[str, Form(alias="on-month", max_length=2)] = "",
    on_year: Annotated[str, Form(alias="on-year", max_length=4)] = "",
    people: Annotated[str, Form(max_length=7)] = "",
) -> Response:
    """Record to whom the brief was sent, who acknowledged it, or training that used it."""
    review = await forms.get_review(caller.actor, review_id)
    on, not_real = _date(on_day, on_month, on_year)
    given = {"brief_id": brief_id, "kind": kind, "to_whom": to_whom, "on_day": on_day, "on_month": on_month}
    given.update({"on_year": on_year, "people": people})
    people_count = int(people) if people.strip().isdigit() else None
    try:
        await actions.record_dissemination(
            caller.actor,
            RecordDissemination(
                review_id=review.id,
                brief_id=_uuid(brief_id),
                kind=kind if kind in SPREAD else None,  # type: ignore[arg-type]
                to_whom=to_whom,
                on=on,
                people=people_count,
            ),
        )
    except RemoteError as error:
        problems = _refused(error)
        if not_real:
            problems = [p for p in problems if p["field"] != "on"]
            problems.append({"field": "on", "message": "The date must be a real date"})
        if people.strip() and people_count is None:
            problems = [p for p in problems if p["field"] != "people"]
            problems.append({"field": "people", "message": "Enter how many people took part as a number"})
        return await _plan_page(
            request, review.id, forms, actions, chronology, caller, errors=problems, given=given
        )
    return RedirectResponse(f"/reviews/{review.id}/plan?done=dissemination#learning-briefs", status_code=303)


# -- every action, my actions ------------------------------------------------------------------------------


def _filter_of(params: Any, *, mine: bool) -> ActionFilter:
    status = params.get("status", "")
    due_by, _ = _date(params.get("due-day", ""), params.get("due-month", ""), params.get("due-year", ""))
    return ActionFilter(
        agency_id=_uuid(params.get("agency", "")),
        owner_id=_uuid(params.get("owner", "")),
        theme=(params.get("theme", "") or "")[:60] or None,
        status=status if status in STATUS_WORDS else None,
        due_by=due_by,
        mine=mine,
    )


async def _list_page(
    request: Request, forms: FormsDep, actions: ActionsDep, caller: Caller, *, mine: bool
) -> Response:
    query = _filter_of(request.query_params, mine=mine)
    listed = await actions.actions(caller.actor, query)
    titles = await _titles(forms, caller)
    everything = listed if mine else await actions.actions(caller.actor, ActionFilter())
    taxonomy = await actions.taxonomy(caller.actor)
    context = {
        "mine": mine,
        "rows": [_row(a, titles) for a in listed],
        "query": query,
        "params": request.query_params,
        "agencies": sorted(
            {(a.owner_agency_id, a.owner_agency_name) for a in everything if a.owner_agency_id}
        ),
        "owner_choices": sorted({(a.owner_id, a.owner_name) for a in everything}, key=lambda o: o[1]),
        "themes": [(t.code, t.label) for t in taxonomy.themes],
        "statuses": [(code, words) for code, (words, _) in STATUS_WORDS.items()],
        "deciders": caller.actor.has_role(*PARTNERSHIP_CASE_ROLES),
    }
    return render(request, "actions/list.html", context)


@router.get("/actions", response_class=HTMLResponse, include_in_schema=False)
async def actions_page(request: Request, forms: FormsDep, actions: ActionsDep, caller: Caller) -> Response:
    """Every action of the reviews the caller may see (an action owner: their own), filtered."""
    return await _list_page(request, forms, actions, caller, mine=False)


@router.get("/actions/mine", response_class=HTMLResponse, include_in_schema=False)
async def my_actions_page(request: Request, forms: FormsDep, actions: ActionsDep, caller: Caller) -> Response:
    """The actions assigned to the caller."""
    return await _list_page(request, forms, actions, caller, mine=True)


# -- documents ---------------------------------------------------------------------------------------------

REPORTS = {
    "quarterly_update": "the quarterly update to the Executive",
    "yearly_report": "the yearly report's section on reviews",
}


@router.get("/actions/reports", response_class=HTMLResponse, include_in_schema=False)
async def reports_page(request: Request, actions: ActionsDep, caller: Caller) -> Response:
    """The documents built from the action plans, each as Word or PDF."""
    await actions.recurring_themes(caller.actor)  # whoever may not see the partnership's learning: not found
    links = [
        {
            "href": f"/actions/reports/download?kind={kind}&format={file_format}",
            "label": f"{words[0].upper()}{words[1:]} ({'Word' if file_format == 'docx' else 'PDF'})",
            "filename": f"{kind.replace('_', '-')}.{file_format}",
        }
        for kind, words in REPORTS.items()
        for file_format in ("docx", "pdf")
    ]
    return render(request, "actions/reports.html", {"links": links})


@router.get("/actions/reports/download", include_in_schema=False, response_model=None)
async def download_report(request: Request, forms: FormsDep, actions: ActionsDep, caller: Caller) -> Response:
    """A document built now from every action plan of the caller's partnership."""
    kind = request.query_params.get("kind", "quarterly_update")
    file_format = request.query_params.get("format", "docx")
    if kind not in REPORTS or file_format not in ("docx", "pdf"):
        raise HTTPException(404)
    partnership_id = caller.actor.partnership_id
    partnership = (
        await run_in_threadpool(identity.get_partnership, partnership_id) if partnership_id else None
    )
    titles = await _titles(forms, caller)
    built = await actions.report(
        caller.actor,
        kind,  # type: ignore[arg-type]
        file_format,  # type: ignore[arg-type]
        partnership.name if partnership else "",
        {review: title for review, title in titles.items() if isinstance(review, UUID)},
    )
    filename = re.sub(r"[^A-Za-z0-9._-]", "-", built.filename)[:120]
    return Response(
        base64.b64decode(built.content_base64),
        media_type=built.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# -- one action --------------------------------------------------------------------------------------------


async def _action_page(
    request: Request,
    action_id: UUID,
    forms: FormsDep,
    actions: ActionsDep,
    caller: Caller,
    *,
    errors: list[dict[str, str]] | None = None,
    given: dict[str, str] | None = None,
    notice: str = "",
) -> Response:
    detail = await actions.action(caller.actor, action_id)
    action = detail.action
    titles = await _titles(forms, caller)
    context = {
        "action": action,
        "row": _row(action, titles),
        "updates": [
            {
                "on": _day(u.written_on),
                "by": u.written_by,
                "status": STATUS_WORDS[u.status][0],
                "note": u.note,
                "reason": u.reason,
            }
            for u in detail.updates
        ],
        "evidence": [
            {
                "href": f"/actions/{action.id}/evidence/{e.id}",
                "filename": e.filename,
                "kind": e.kind_label,
                "size": f"{max(1, e.size_bytes // 1024)} KB",
                "added": _day(e.added_on),
                "by": e.added_by,
            }
            for e in detail.evidence
        ],
        "completed_on": _day(action.completed_on),
        "impact_due": _day(action.impact_check_due_on),
        "signed_off_on": _day(action.signed_off_on),
        "practice_changed": IMPACT.get(action.practice_changed or "", ""),
        "settable": [(code, STATUS_WORDS[code][0]) for code in SETTABLE],
        "impact_choices": IMPACT,
        "may_reopen": caller.actor.has_role(Role.BUSINESS_MANAGER, Role.EXECUTIVE),
        "errors": errors or [],
        "given": given or {},
        "notice": notice,
    }
    return render(request, "actions/action.html", context, 422 if errors else 200)


@router.get("/actions/{action_id}", response_class=HTMLResponse, include_in_schema=False)
async def action_page(
    request: Request, action_id: UUID, forms: FormsDep, actions: ActionsDep, caller: Caller
) -> Response:
    """One action: its owner, due date, measure, status and RAG, its updates, impact check and sign-off."""
    notice = {
        "progress": "Progress recorded",
        "evidence": "Evidence added",
        "impact": "Impact check recorded",
        "signed_off": "Signed off: the action is closed",
    }.get(request.query_params.get("done", ""), "")
    return await _action_page(request, action_id, forms, actions, caller, notice=notice)


@router.post("/actions/{action_id}/progress", response_class=HTMLResponse, include_in_schema=False)
async def record_progress(
    request: Request,
    action_id: UUID,
    forms: FormsDep,
    actions: ActionsDep,
    caller: Caller,
    status: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """A progress update: the status now and what was done (a reason where one is needed)."""
    given = {"status": status, "note": note, "reason": reason}
    if status not in SETTABLE:
        # Look the action up first, so that whoever may not see it is told it is not found.
        await actions.action(caller.actor, action_id)
        problems = [{"field": "status", "message": "Choose the action's status now"}]
        return await _action_page(request, action_id, forms, actions, caller, errors=problems, given=given)
    try:
        await actions.update_action(
            caller.actor,
            UpdateAction(action_id=action_id, status=status, note=note, reason=reason),  # type: ignore[arg-type]
        )
    except RemoteError as error:
        problems = _refused(error)
        return await _action_page(request, action_id, forms, actions, caller, errors=problems, given=given)
    return RedirectResponse(f"/actions/{action_id}?done=progress", status_code=303)


@router.post("/actions/{action_id}/impact", response_class=HTMLResponse, include_in_schema=False)
async def record_impact(
    request: Request,
    action_id: UUID,
    forms: FormsDep,
    actions: ActionsDep,
    caller: Caller,
    practice_changed: Annotated[str, Form(max_length=10)] = "",
    how_tested: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """The impact check of a completed action: did practice change, and how was it tested."""
    given = {"practice_changed": practice_changed, "how_tested": how_tested}
    if practice_changed not in IMPACT:
        await actions.action(caller.actor, action_id)
        problems = [{"field": "practice_changed", "message": "Choose whether practice changed"}]
        return await _action_page(request, action_id, forms, actions, caller, errors=problems, given=given)
    try:
        await actions.record_impact(
            caller.actor,
            RecordImpact(action_id=action_id, practice_changed=practice_changed, how_tested=how_tested),  # type: ignore[arg-type]
        )
    except RemoteError as error:
        problems = _refused(error)
        return await _action_page(request, action_id, forms, actions, caller, errors=problems, given=given)
    return RedirectResponse(f"/actions/{action_id}?done=impact", status_code=303)


@router.post("/actions/{action_id}/evidence", response_class=HTMLResponse, include_in_schema=False)
async def add_evidence(
    request: Request,
    action_id: UUID,
    forms: FormsDep,
    actions: ActionsDep,
    caller: Caller,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """A file of evidence for the action: checked here by the kernel's checker, then again by the service."""
    await actions.action(
        caller.actor, action_id
    )  # whoever may not see the action: not found, before any check
    content = await file.read() if file is not None else b""
    name = (file.filename or "") if file is not None else ""
    problems: list[dict[str, str]] = []
    if not content:
        problems = [{"field": "file", "message": "Choose the file of evidence"}]
    else:
        try:
            await run_in_threadpool(check_upload, content, name, max_bytes=MAX_EVIDENCE_BYTES)
        except FileRefused as refused:
            problems = [{"field": "file", "message": p["message"]} for p in refused.problems]
    if not problems:
        try:
            await actions.add_evidence(
                caller.actor,
                AddEvidence(
                    action_id=action_id, filename=name, content_base64=base64.b64encode(content).decode()
                ),
            )
        except RemoteError as error:
            problems = [{"field": "file", "message": p["message"]} for p in _refused(error)]
    if problems:
        return await _action_page(request, action_id, forms, actions, caller, errors=problems)
    return RedirectResponse(f"/actions/{action_id}?done=evidence", status_code=303)


@router.get("/actions/{action_id}/evidence/{evidence_id}", include_in_schema=False, response_model=None)
async def evidence_file(action_id: UUID, evidence_id: UUID, actions: ActionsDep, caller: Caller) -> Response:
    """A file of evidence, as an attachment (never shown inline)."""
    found = await actions.evidence_file(caller.actor, action_id, evidence_id)
    filename = re.sub(r"[^A-Za-z0-9._-]", "-", found.filename)[:120] or "evidence"
    return Response(
        base64.b64decode(found.content_base64),
        media_type=found.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.post("/actions/{action_id}/sign-off", response_class=HTMLResponse, include_in_schema=False)
async def sign_off(
    request: Request, action_id: UUID, forms: FormsDep, actions: ActionsDep, caller: Caller
) -> Response:
    """The Executive signs the action off: it is closed."""
    try:
        await actions.sign_off(caller.actor, action_id)
    except RemoteError as error:
        problems = _refused(error)
        return await _action_page(request, action_id, forms, actions, caller, errors=problems)
    return RedirectResponse(f"/actions/{action_id}?done=signed_off", status_code=303)


# -- themes ------------------------------------------------------------------------------------------------


async def _themes_page(
    request: Request,
    actions: ActionsDep,
    caller: Caller,
    *,
    errors: list[dict[str, str]] | None = None,
    given: dict[str, str] | None = None,
    notice: str = "",
) -> Response:
    counts = await actions.recurring_themes(caller.actor)
    taxonomy = await actions.taxonomy(caller.actor)
    reviews_by_theme: dict[str, int] = {}
    for count in counts:
        reviews_by_theme[count.theme] = reviews_by_theme.get(count.theme, 0) + count.reviews
    context = {
        "counts": counts,
        "recurring": {theme for theme, reviews in reviews_by_theme.items() if reviews >= 2},
        "taxonomy": taxonomy,
        "manages": caller.actor.has_role(Role.BUSINESS_MANAGER),
        "errors": errors or [],
        "given": given or {},
        "notice": notice,
    }
    return render(request, "actions/themes.html", context, 422 if errors else 200)


@router.get("/themes", response_class=HTMLResponse, include_in_schema=False)
async def themes_page(request: Request, actions: ActionsDep, caller: Caller) -> Response:
    """The partnership's themes by year across its reviews (those that recur marked), and its taxonomy."""
    notice = {"added": "Theme added", "retired": "Theme retired"}.get(
        request.query_params.get("done", ""), ""
    )
    return await _themes_page(request, actions, caller, notice=notice)


@router.post("/themes", response_class=HTMLResponse, include_in_schema=False)
async def add_theme(
    request: Request,
    actions: ActionsDep,
    caller: Caller,
    code: Annotated[str, Form(max_length=60)] = "",
    label: Annotated[str, Form(max_length=120)] = "",
    national_code: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Add a partnership theme (or map one to a national code): a new version of the taxonomy."""
    given = {"code": code, "label": label, "national_code": national_code}
    problems = []
    if not code or not code.replace("_", "").isalnum() or not code[:1].isalpha() or code != code.lower():
        problems.append(
            {"field": "code", "message": "Enter a code of lower-case letters, digits and underscores"}
        )
    if len(label.strip()) < 2:
        problems.append({"field": "label", "message": "Enter the theme's name"})
    if problems:
        await actions.recurring_themes(caller.actor)  # whoever may not see the themes is told so first
        return await _themes_page(request, actions, caller, errors=problems, given=given)
    try:
        await actions.add_theme(
            caller.actor,
            AddTheme(code=code, label=label.strip(), national_code=national_code.strip() or None),
        )
    except RemoteError as error:
        return await _themes_page(request, actions, caller, errors=_refused(error), given=given)
    return RedirectResponse("/themes?done=added", status_code=303)


@router.post("/themes/retire", response_class=HTMLResponse, include_in_schema=False)
async def retire_theme(
    request: Request, actions: ActionsDep, caller: Caller, code: Annotated[str, Form(max_length=60)] = ""
) -> Response:
    """Retire a theme: a new version of the taxonomy; the lessons that used it keep it."""
    try:
        await actions.retire_theme(caller.actor, code)
    except RemoteError as error:
        problems = [{**p, "field": "retire_code"} for p in _refused(error)]
        return await _themes_page(request, actions, caller, errors=problems)
    return RedirectResponse("/themes?done=retired", status_code=303)


# -- JSON API: the learning of a review (each command runs once per Idempotency-Key) -------------------------


@router.get("/api/reviews/{review_id}/plan", tags=["learning"], summary="A review's lessons and actions")
async def api_plan(review_id: UUID, forms: FormsDep, actions: ActionsDep, caller: Caller) -> ReviewPlan:
    """The review's lessons, recommendations and actions, with recurring-theme warnings; 404 for a review the
    caller may not read."""
    review = await forms.get_review(caller.actor, review_id)
    return await actions.plan_of_review(caller.actor, review.id)


@router.post(
    "/api/reviews/{review_id}/lessons",
    status_code=201,
    tags=["learning"],
    summary="Record a lesson of a review",
    openapi_extra=body_schema(RecordLesson),
)
async def api_record_lesson(
    request: Request, review_id: UUID, forms: FormsDep, actions: ActionsDep, caller: Caller
) -> LessonView:
    """A lesson tagged with themes (`review_id` comes from the address). Send an Idempotency-Key header: a
    repeat answers with the lesson first recorded and records nothing again."""
    review = await forms.get_review(caller.actor, review_id)
    command = await json_command(request, RecordLesson, review.id)
    return await actions.record_lesson(caller.actor, command)


@router.post(
    "/api/reviews/{review_id}/recommendations",
    status_code=201,
    tags=["learning"],
    summary="Make a recommendation of a review",
    openapi_extra=body_schema(MakeRecommendation),
)
async def api_make_recommendation(
    request: Request, review_id: UUID, forms: FormsDep, actions: ActionsDep, caller: Caller
) -> RecommendationView:
    """A recommendation drawing on the review's lessons. Send an Idempotency-Key header: a repeat answers
    with the recommendation first made."""
    review = await forms.get_review(caller.actor, review_id)
    command = await json_command(request, MakeRecommendation, review.id)
    return await actions.make_recommendation(caller.actor, command)


@router.post(
    "/api/reviews/{review_id}/actions",
    status_code=201,
    tags=["learning"],
    summary="Assign an action of a review",
    openapi_extra=body_schema(AssignAction),
)
async def api_assign_action(
    request: Request, review_id: UUID, forms: FormsDep, actions: ActionsDep, caller: Caller
) -> ActionView:
    """An action answering a recommendation: owner, due date and measure of success. Send an Idempotency-Key
    header: a repeat answers with the action first assigned."""
    review = await forms.get_review(caller.actor, review_id)
    command = await json_command(request, AssignAction, review.id)
    return await actions.assign_action(caller.actor, command)
