"""Reviews: the JSON API and the pages. Who may see which review is decided by the forms service on every
call (the gateway passes the caller along); the gateway's policy only checks the role may use the route."""

from __future__ import annotations

import uuid
from contextlib import suppress
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import identity
from gateway.auth import Caller
from gateway.deps import FormsDep, in_words, render
from gateway.identity import REVIEW_PARTS
from gateway.routes import lifecycle
from gateway.rpc import RemoteError
from services.forms.contract import TITLE_MAX, OpenReview, ReviewListEntry, ReviewSummary, ReviewTypeInfo
from services.kernel.identity import Role

router = APIRouter()

# What to tell a person, per field and pydantic error type (GOV.UK error message style).
MESSAGES = {
    "review_type": {"*": "Select the type of review"},
    "partnership_id": {"*": "Select the partnership"},
    "title": {
        "missing": "Enter a title: a case reference, not a name",
        "string_too_short": "Title must be 3 characters or more",
        "string_too_long": f"Title must be {TITLE_MAX} characters or fewer",
        "string_type": "Title must be text",
        "*": "Title must be a single line of text",
    },
}


def problems_of(error: ValidationError) -> list[dict[str, str]]:
    """One problem per field, in words that say what to fix."""
    problems: dict[str, dict[str, str]] = {}
    for item in error.errors():
        location = [part for part in item["loc"] if part != "body"]
        field = str(location[-1]) if location and isinstance(location[-1], str) else "body"
        by_type = MESSAGES.get(field, {})
        message = by_type.get(item["type"]) or by_type.get("*") or f"{field}: {item['msg']}"
        if item["type"] == "value_error" and not by_type and "error" in item.get("ctx", {}):
            message = str(item["ctx"]["error"])
        if item["type"] == "extra_forbidden":
            message = f"{field} is not a field of this request: remove it"
        elif item["type"] == "json_invalid":
            message = "The body is not valid JSON: send a JSON object"
        elif field == "body":
            message = (
                "Send a JSON object with the fields this request takes (the API's documentation lists them)"
            )
        problems.setdefault(field, {"field": field, "message": message, "type": item["type"]})
    return list(problems.values())


MESSAGES_UNKNOWN_TYPE = {
    "field": "review_type",
    "message": "Select the type of review",
    "type": "unknown_review_type",
}

UNKNOWN_PARTNERSHIP = {
    "field": "partnership_id",
    "message": "No partnership has this id: choose one of the partnerships listed",
    "type": "unknown_partnership",
}


class RequestProblems(Exception):
    """The request is well-formed but names something that does not exist; each problem says what to fix."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("The request has problems")
        self.problems = problems


def _display(review: ReviewSummary) -> dict[str, Any]:
    return {
        "id": review.id,
        "title": review.title,
        "review_type_label": review.review_type_label,
        "stage_label": review.stage_label,
        "opened_at": in_words(review.opened_at),
    }


async def _open(forms: FormsDep, caller: Caller, command: OpenReview, idempotency_key: str) -> ReviewSummary:
    if not await run_in_threadpool(identity.partnership_exists, command.partnership_id):
        raise RequestProblems([UNKNOWN_PARTNERSHIP])
    return await forms.open_review(caller.actor, command, idempotency_key)


async def _review(forms: FormsDep, caller: Caller, review_id: UUID) -> ReviewSummary:
    return await forms.get_review(caller.actor, review_id)


# -- JSON API -----------------------------------------------------------------------------------------------


@router.get("/api/review-types", tags=["reviews"], summary="The review types a partnership can open")
async def api_review_types(forms: FormsDep) -> list[ReviewTypeInfo]:
    """Each type with its stages."""
    return await forms.review_types()


@router.get("/api/reviews", tags=["reviews"], summary="The reviews the caller may see")
async def api_reviews(forms: FormsDep, caller: Caller) -> list[ReviewListEntry]:
    """Newest first, each with its next deadline and red/amber/green: a partnership's reviews for its
    business manager, partners and executive; the reviews a person (or an agency's system) takes part in
    for everyone else."""
    return await forms.list_reviews(caller.actor)


@router.post("/api/reviews", status_code=201, tags=["reviews"], summary="Open a review")
async def api_open_review(
    command: OpenReview,
    forms: FormsDep,
    caller: Caller,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ReviewSummary:
    """Open a review in the caller's partnership; repeat a request with the same Idempotency-Key header to
    get the same review back."""
    return await _open(forms, caller, command, idempotency_key or str(uuid.uuid4()))


@router.get("/api/reviews/{review_id}", tags=["reviews"], summary="One review")
async def api_review(review_id: UUID, forms: FormsDep, caller: Caller) -> ReviewSummary:
    """A review the caller may see (404 for any other, whether or not it exists)."""
    return await _review(forms, caller, review_id)


# -- pages --------------------------------------------------------------------------------------------------


@router.get("/reviews", response_class=HTMLResponse, include_in_schema=False)
async def reviews_page(request: Request, forms: FormsDep, caller: Caller) -> Response:
    """The reviews the signed-in person may see, each with its next deadline and red/amber/green state."""
    entries = await forms.list_reviews(caller.actor)
    rows = [
        {
            **_display(r),
            "shared": r.partnership_id != caller.actor.partnership_id,
            "next_deadline": lifecycle.deadline_words(r.next_deadline, r.paused),
            "rag": lifecycle.rag_tag(r.rag, r.closed),
        }
        for r in entries
    ]
    return render(
        request,
        "reviews/list.html",
        {"reviews": rows, "can_open": caller.actor.has_role(Role.BUSINESS_MANAGER)},
    )


async def _form_page(
    request: Request,
    forms: FormsDep,
    caller: Caller,
    values: dict[str, str],
    errors: list[dict[str, str]],
    status: int = 200,
) -> Response:
    review_types = await forms.review_types()
    assert caller.actor.partnership_id is not None
    partnership = await run_in_threadpool(identity.get_partnership, caller.actor.partnership_id)
    return render(
        request,
        "reviews/new.html",
        {
            "nav": "reviews-new",
            "review_types": review_types,
            "partnership": partnership,
            "values": values,
            "errors": errors,
            "form_token": str(uuid.uuid4()),
        },
        status_code=status,
    )


@router.get("/reviews/new", response_class=HTMLResponse, include_in_schema=False)
async def new_review_page(request: Request, forms: FormsDep, caller: Caller) -> Response:
    """The form to open a review."""
    return await _form_page(request, forms, caller, {}, [])


@router.post("/reviews/new", response_class=HTMLResponse, response_model=None, include_in_schema=False)
async def new_review_submit(
    request: Request,
    forms: FormsDep,
    caller: Caller,
    review_type: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    form_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Validate on the server; on success redirect to the review (so a refresh does not resubmit)."""
    values = {"review_type": review_type, "title": title}
    submitted = {key: value for key, value in values.items() if value}
    # Review types are the forms service's data: a type it does not offer is named with the rest.
    offered = {t.code for t in await forms.review_types()}
    unknown_type = [] if not review_type or review_type in offered else [dict(MESSAGES_UNKNOWN_TYPE)]
    try:
        command = OpenReview.model_validate({**submitted, "partnership_id": caller.actor.partnership_id})
    except ValidationError as exc:
        errors = unknown_type + [
            p for p in problems_of(exc) if p["field"] != "review_type" or not unknown_type
        ]
        return await _form_page(request, forms, caller, values, errors, status=422)
    if unknown_type:
        return await _form_page(request, forms, caller, values, unknown_type, status=422)
    try:
        review = await _open(forms, caller, command, form_token or str(uuid.uuid4()))
    except RequestProblems as exc:
        return await _form_page(request, forms, caller, values, exc.problems, status=422)
    except RemoteError as exc:
        if exc.exc_type in ("InvalidRequest", "Forbidden"):
            errors = exc.problems or [{"field": "review_type", "message": exc.message}]
            return await _form_page(request, forms, caller, values, errors, status=422)
        raise
    return RedirectResponse(f"/reviews/{review.id}?opened=1", status_code=303)


async def _review_page(
    request: Request,
    forms: FormsDep,
    caller: Caller,
    review_id: UUID,
    *,
    opened: bool = False,
    errors: list[dict[str, str]] | None = None,
    notice: str = "",
    completed: str = "",
    status: int = 200,
) -> Response:
    review = await lifecycle.review_file(forms, caller, review_id)
    done = next((step.label for step in review.steps if step.code == completed and step.completed_on), "")
    if done:
        # The step just completed may have closed the review: say that, not the step's name.
        notice = notice or ("The review is closed" if review.closed else f"{done}: completed")
    manage = (
        caller.actor.has_role(Role.BUSINESS_MANAGER) and review.partnership_id == caller.actor.partnership_id
    )
    context: dict[str, Any] = {
        "review": _display(review),
        # the review's lifecycle: its steps, stages, statutory clock, pauses, returns and documents
        "tasks": lifecycle.task_list(review),
        "stages": lifecycle.stage_timeline(review),
        "clock": lifecycle.clock_rows(review),
        "day_plan": lifecycle.day_plan(review),
        "pauses": lifecycle.pause_rows(review),
        "paused": review.paused,
        "closed": review.closed,
        "rag": lifecycle.rag_tag(review.rag, review.closed),
        "next_deadline": lifecycle.deadline_words(review.next_deadline, review.paused),
        "returns": len(review.returns)
        if lifecycle.may_reach(caller, "GET", "/reviews/{review_id}/returns")
        else 0,
        "documents": lifecycle.documents_for(review, caller),
        "chronology": lifecycle.may_reach(caller, "GET", "/reviews/{review_id}/chronology"),
        "plan": lifecycle.may_reach(caller, "GET", "/reviews/{review_id}/plan"),
        "sign_off": lifecycle.may_reach(caller, "GET", "/reviews/{review_id}/sign-off"),
        "opened": opened,
        "manage": manage,
        "errors": errors or [],
        "notice": notice,
        "members": [],
        "candidates": [],
        "parts": REVIEW_PARTS,
        "partnerships": [],
        "shared_with": [],
    }
    partnerships = {p.id: p for p in await run_in_threadpool(identity.list_partnerships)}
    context["shared_with"] = [partnerships[p].name for p in review.shared_with if p in partnerships]
    if manage:
        members = await run_in_threadpool(identity.members_of_review, review.id)
        taken = {m.user_id for m in members}
        users = await run_in_threadpool(identity.list_users, review.partnership_id)
        context["members"] = members
        context["candidates"] = [
            u for u in users if u.active and u.id not in taken and u.roles & _MEMBER_ROLES
        ]
        context["partnerships"] = [
            p
            for p in partnerships.values()
            if p.id != review.partnership_id and p.id not in review.shared_with
        ]
    return render(request, "reviews/review.html", context, status_code=status)


# People who can take a part in a review: anyone holding a role that works on reviews by membership.
_MEMBER_ROLES = frozenset(
    {Role.AGENCY_LEAD, Role.AGENCY_AUTHOR, Role.INDEPENDENT_REVIEWER, Role.SUBGROUP_MEMBER, Role.ACTION_OWNER}
)


@router.get("/reviews/{review_id}", response_class=HTMLResponse, include_in_schema=False)
async def review_page(
    request: Request, review_id: UUID, forms: FormsDep, caller: Caller, opened: str = "", completed: str = ""
) -> Response:
    """A review's page: its steps as a task list, its stages, its statutory clock and pauses, its people."""
    return await _review_page(request, forms, caller, review_id, opened=bool(opened), completed=completed)


@router.get("/reviews/{review_id}/people", include_in_schema=False, response_model=None)
async def review_people(
    request: Request, review_id: UUID, forms: FormsDep, caller: Caller
) -> list[dict[str, str]] | Response:
    """The members of a review, for its business manager: as JSON, or for a browser the review's page at
    its people."""
    review = await _review(forms, caller, review_id)
    if review.partnership_id != caller.actor.partnership_id:
        raise HTTPException(404)
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(f"/reviews/{review.id}#people", status_code=303)
    members = await run_in_threadpool(identity.members_of_review, review.id)
    return [{"user_id": str(m.user_id), "display_name": m.display_name, "part": m.part} for m in members]


@router.post(
    "/reviews/{review_id}/people", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
async def add_review_member(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    caller: Caller,
    user_id: Annotated[str, Form(max_length=40)] = "",
    part: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Add a person of the partnership to the review, in a part."""
    review = await _review(forms, caller, review_id)
    if review.partnership_id != caller.actor.partnership_id:
        raise HTTPException(404)
    errors = []
    member = None
    with suppress(ValueError):
        member = await run_in_threadpool(identity.user_by_id, UUID(user_id))
    if member is None or member.partnership_id != review.partnership_id or not member.active:
        errors.append({"field": "user_id", "message": "Choose a person from the list"})
    if part not in REVIEW_PARTS:
        errors.append({"field": "part", "message": "Choose their part in the review"})
    if errors or member is None:
        return await _review_page(request, forms, caller, review_id, errors=errors, status=422)
    await run_in_threadpool(
        identity.add_member, review.id, member.id, review.partnership_id, part, caller.actor.user_id
    )
    return RedirectResponse(f"/reviews/{review.id}", status_code=303)


@router.post(
    "/reviews/{review_id}/share", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
async def share_review(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    caller: Caller,
    partnership_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Share the review with another partnership."""
    try:
        other = UUID(partnership_id)
        known = await run_in_threadpool(identity.partnership_exists, other)
    except ValueError:
        known = False
    if not known:
        errors = [{"field": "partnership_id", "message": "Choose a partnership from the list"}]
        return await _review_page(request, forms, caller, review_id, errors=errors, status=422)
    try:
        await forms.share_review(caller.actor, review_id, other, str(uuid.uuid4()))
    except RemoteError as exc:
        if exc.exc_type in ("InvalidRequest", "Forbidden"):
            errors = [{"field": "partnership_id", "message": exc.message}]
            return await _review_page(request, forms, caller, review_id, errors=errors, status=422)
        raise
    return RedirectResponse(f"/reviews/{review_id}", status_code=303)
