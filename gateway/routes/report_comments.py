"""Comments on a report's sections: add one on the text selected in a section (the page's script has put the
anchor, a TipTap mark, on that text), reply, resolve or reopen. Each form posts here and returns to the
document at the comment; a refused form draws the document again with the problem beside the field. Each
change is announced to the pages open on the section (gateway/report_sync.py), which fetch its comment panel
again here, so another person's comment appears without reloading.

Who may comment where is the reports service's rule (services/reports/policy.py): whoever may read a section.
The gateway checks first that the section or comment belongs to the document in the address.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import report_extras
from gateway.auth import Caller, Principal
from gateway.deps import FormsDep, in_words, render
from gateway.report_sync import LiveSections
from gateway.routes.reports import _document, _reports, document_page
from gateway.rpc import RemoteError
from services.reports.contract import (
    CommentView,
    DocumentDetail,
    NewComment,
    NewReply,
    Resolution,
    comment_problems,
)

router = APIRouter()

_REPORT = "/reviews/{review_id}/reports/{document_id}"
# What a form may carry before the service judges it: far above the service's own limits, so that an
# overlong comment is refused in the service's words, not cut short here.
_FORM_LIMIT = 20_000


def _at(review_id: UUID, document_id: UUID, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/reviews/{review_id}/reports/{document_id}#{anchor}", status_code=303)


async def _refused(
    request: Request,
    caller: Principal,
    forms: FormsDep,
    document: DocumentDetail,
    key: str,
    problems: list[dict[str, str]],
    sent: dict[str, str],
) -> Response:
    """The document again, its form `key` showing what to fix and what was typed."""
    review = await forms.get_review(caller.actor, document.review_id)
    return await document_page(
        request,
        caller,
        review,
        document,
        problems={"comment_problems": {key: problems}, "comment_sent": {key: sent}},
        status_code=422,
    )


async def _comment_in(
    request: Request, caller: Principal, document: DocumentDetail, comment_id: UUID
) -> CommentView:
    """The comment, or 404 unless it is on a section of this document the caller may read."""
    listed = await _reports(request).comments_of_document(caller.actor, document.id)
    found = next((comment for comment in listed.comments if comment.id == comment_id), None)
    if found is None:
        raise HTTPException(404)
    return found


async def _announce(request: Request, section_id: UUID) -> None:
    """Tell the pages open on the section that its comments changed (they fetch them again)."""
    live: LiveSections = request.app.state.live_reports
    await live.comments_changed(section_id)


@router.get(_REPORT + "/sections/{section_id}/comments", response_class=HTMLResponse, include_in_schema=False)
async def section_comments(
    request: Request, review_id: UUID, document_id: UUID, section_id: UUID, caller: Caller
) -> Response:
    """One section's comment panel, as the document's page draws it: what a page fetches when told that the
    section's comments changed."""
    document = await _document(request, caller, review_id, document_id)
    section = next((s for s in document.sections if s.id == section_id), None)
    if section is None:
        raise HTTPException(404)
    # Asked outright, not quietly: a page keeps the panel it has rather than take an empty one.
    listed = await _reports(request).comments_of_document(caller.actor, document.id)
    threads = report_extras.by_section(document, listed)
    context = {
        "review": {"id": review_id},
        "document": document,
        "section": section,
        "thread": threads[section_id],
        "in_words": in_words,
    }
    return render(request, "reports/_comments.html", context)


@router.post(_REPORT + "/sections/{section_id}/comments", include_in_schema=False)
async def add_comment(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    section_id: UUID,
    forms: FormsDep,
    caller: Caller,
    anchor_id: Annotated[str, Form(max_length=40)] = "",
    quote: Annotated[str, Form(max_length=_FORM_LIMIT)] = "",
    body: Annotated[str, Form(max_length=_FORM_LIMIT)] = "",
) -> Response:
    """Comment on the text selected in a section; @Name mentions a person who may read it."""
    document = await _document(request, caller, review_id, document_id)
    if not any(section.id == section_id for section in document.sections):
        raise HTTPException(404)
    key = f"new-{section_id}"
    sent = {"body": body, "quote": quote, "anchor_id": anchor_id}
    try:
        command = NewComment(anchor_id=anchor_id, quote=quote, body=body)  # type: ignore[arg-type]
    except ValidationError as exc:
        return await _refused(request, caller, forms, document, key, comment_problems(exc), sent)
    try:
        comment = await _reports(request).add_comment(caller.actor, section_id, command)
    except RemoteError as exc:
        if exc.exc_type != "InvalidRequest":
            raise
        problems = [dict(p) for p in exc.problems] or [{"field": "body", "message": exc.message}]
        return await _refused(request, caller, forms, document, key, problems, sent)
    await _announce(request, section_id)
    return _at(review_id, document_id, f"comment-{comment.id}")


@router.post(_REPORT + "/comments/{comment_id}/replies", include_in_schema=False)
async def reply_to_comment(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    comment_id: UUID,
    forms: FormsDep,
    caller: Caller,
    body: Annotated[str, Form(max_length=_FORM_LIMIT)] = "",
) -> Response:
    """Reply to a comment."""
    document = await _document(request, caller, review_id, document_id)
    comment = await _comment_in(request, caller, document, comment_id)
    key = f"reply-{comment_id}"
    try:
        command = NewReply(body=body)
    except ValidationError as exc:
        return await _refused(request, caller, forms, document, key, comment_problems(exc), {"body": body})
    try:
        await _reports(request).reply_to_comment(caller.actor, comment_id, command)
    except RemoteError as exc:
        if exc.exc_type != "InvalidRequest":
            raise
        problems = [dict(p) for p in exc.problems] or [{"field": "body", "message": exc.message}]
        return await _refused(request, caller, forms, document, key, problems, {"body": body})
    await _announce(request, comment.section_id)
    return _at(review_id, document_id, f"comment-{comment_id}")


@router.post(_REPORT + "/comments/{comment_id}/resolution", include_in_schema=False)
async def resolve_comment(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    comment_id: UUID,
    caller: Caller,
    resolved: Annotated[str, Form(max_length=10)] = "true",
) -> Response:
    """Resolve a comment (resolved=true) or reopen it (resolved=false)."""
    document = await _document(request, caller, review_id, document_id)
    comment = await _comment_in(request, caller, document, comment_id)
    if resolved not in ("true", "false"):
        raise HTTPException(422, "Choose to resolve the comment or to reopen it")
    await _reports(request).resolve_comment(caller.actor, comment_id, Resolution(resolved=resolved == "true"))
    await _announce(request, comment.section_id)
    return _at(review_id, document_id, f"comment-{comment_id}")
