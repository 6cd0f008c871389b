"""Reviews: the JSON API and the pages to open one."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from gateway import identity
from gateway.deps import TEMPLATES, RpcDep, actor_payload, demo_actor
from gateway.rpc import RemoteError
from services.forms.contract import TITLE_MAX, OpenReview, ReviewSummary, ReviewTypeInfo

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
        if item["type"] == "extra_forbidden":
            message = f"{field} is not a field of this request: remove it"
        elif item["type"] == "json_invalid":
            message = "The body is not valid JSON: send a JSON object"
        elif field == "body":
            message = "Send a JSON object with review_type, partnership_id and title"
        problems.setdefault(field, {"field": field, "message": message, "type": item["type"]})
    return list(problems.values())


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


async def _open(rpc: RpcDep, command: OpenReview, idempotency_key: str) -> dict[str, Any]:
    if not await run_in_threadpool(identity.partnership_exists, command.partnership_id):
        raise RequestProblems([UNKNOWN_PARTNERSHIP])
    return await rpc.call(
        "forms",
        "open_review",
        actor_payload(demo_actor(command.partnership_id)),
        command.model_dump(mode="json"),
        idempotency_key,
    )


@router.get("/api/review-types", tags=["reviews"], summary="The review types a partnership can open")
async def api_review_types(rpc: RpcDep) -> list[ReviewTypeInfo]:
    """Each type with its stages."""
    return [ReviewTypeInfo.model_validate(t) for t in await rpc.call("forms", "review_types")]


@router.post("/api/reviews", status_code=201, tags=["reviews"], summary="Open a review")
async def api_open_review(
    command: OpenReview,
    rpc: RpcDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ReviewSummary:
    """Open a review; repeat a request with the same Idempotency-Key header to get the same review back."""
    return ReviewSummary.model_validate(await _open(rpc, command, idempotency_key or str(uuid.uuid4())))


@router.get("/api/reviews/{review_id}", tags=["reviews"], summary="One review")
async def api_review(review_id: UUID, partnership_id: UUID, rpc: RpcDep) -> ReviewSummary:
    """A review of the caller's partnership."""
    actor = actor_payload(demo_actor(partnership_id))
    return ReviewSummary.model_validate(await rpc.call("forms", "get_review", actor, str(review_id)))


async def _form_page(
    request: Request, rpc: RpcDep, values: dict[str, str], errors: list[dict[str, str]], status: int = 200
) -> HTMLResponse:
    review_types = [ReviewTypeInfo.model_validate(t) for t in await rpc.call("forms", "review_types")]
    partnerships = await run_in_threadpool(identity.list_partnerships)
    return TEMPLATES.TemplateResponse(
        request,
        "reviews/new.html",
        {
            "nav": "new",
            "review_types": review_types,
            "partnerships": partnerships,
            "values": values,
            "errors": errors,
            "csrf_token": "",
            "form_token": str(uuid.uuid4()),
        },
        status_code=status,
    )


@router.get("/reviews/new", response_class=HTMLResponse, include_in_schema=False)
async def new_review_page(request: Request, rpc: RpcDep) -> HTMLResponse:
    """The form to open a review."""
    return await _form_page(request, rpc, {}, [])


@router.post("/reviews/new", response_class=HTMLResponse, response_model=None, include_in_schema=False)
async def new_review_submit(
    request: Request,
    rpc: RpcDep,
    review_type: Annotated[str, Form()] = "",
    partnership_id: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    form_token: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Validate on the server; on success redirect to the review (so a refresh does not resubmit)."""
    values = {"review_type": review_type, "partnership_id": partnership_id, "title": title}
    submitted = {key: value for key, value in values.items() if value}
    try:
        command = OpenReview.model_validate(submitted)
    except ValidationError as exc:
        return await _form_page(request, rpc, values, problems_of(exc), status=422)
    try:
        review = await _open(rpc, command, form_token or str(uuid.uuid4()))
    except RequestProblems as exc:
        return await _form_page(request, rpc, values, exc.problems, status=422)
    except RemoteError as exc:
        if exc.exc_type in ("InvalidRequest", "Forbidden"):
            errors = exc.problems or [{"field": "review_type", "message": exc.message}]
            return await _form_page(request, rpc, values, errors, status=422)
        raise
    return RedirectResponse(
        f"/reviews/{review['id']}?partnership_id={review['partnership_id']}&opened=1", status_code=303
    )


@router.get("/reviews/{review_id}", response_class=HTMLResponse, include_in_schema=False)
async def review_page(request: Request, review_id: UUID, partnership_id: UUID, rpc: RpcDep) -> HTMLResponse:
    """A review's page (for now: the confirmation that it was opened)."""
    actor = actor_payload(demo_actor(partnership_id))
    review = ReviewSummary.model_validate(await rpc.call("forms", "get_review", actor, str(review_id)))
    return TEMPLATES.TemplateResponse(
        request,
        "reviews/opened.html",
        {
            "nav": "new",
            "review": {
                "id": review.id,
                "title": review.title,
                "review_type_label": review.review_type_label,
                "stage_label": review.stage_label,
                "opened_at": review.opened_at.strftime("%-d %B %Y at %H:%M UTC"),
            },
        },
    )
