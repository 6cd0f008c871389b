"""Named versions of a review's documents: the list and naming the current text, reading a version, choosing
two versions (or a version and the current text) and seeing what changed, restoring a version (whose updates
are then sent to every page open on the document, gateway/report_sync.py), and renaming and deleting one (the
partners' sign-off locks a version: gateway/routes/report_accuracy.py). Every page works without JavaScript.

Who may do what is the reports service's rule (services/reports/policy.py), asked on every call; here the
page checks only that the document and version are the ones its address names.
"""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway.auth import Caller, Principal
from gateway.deps import FormsDep, in_words, render
from gateway.report_sync import LiveSections
from gateway.routes.reports import _document, _problems, _reports
from gateway.rpc import RemoteError
from services.reports.contract import DocumentDetail, NameVersion, VersionSummary, VersionText

router = APIRouter()

VERSIONS = "/reviews/{review_id}/reports/{document_id}/versions"
CURRENT = "current"


def _versions_page(review_id: UUID, document_id: UUID, **query: str) -> str:
    page = f"/reviews/{review_id}/reports/{document_id}/versions"
    return page + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


async def _version(
    request: Request, caller: Principal, document: DocumentDetail, version_id: UUID
) -> VersionText:
    version = await _reports(request).version_text(caller.actor, version_id)
    if version.document_id != document.id:
        raise HTTPException(404)
    return version


def _choice(value: str) -> UUID | None:
    """A side of a comparison from the query: "current" (or nothing) is the current text."""
    if value in ("", CURRENT):
        return None
    try:
        return UUID(value)
    except ValueError:
        raise HTTPException(404) from None


async def _list(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    forms: FormsDep,
    caller: Principal,
    *,
    problems: list[dict[str, str]] | None = None,
    sent_name: str = "",
    status_code: int = 200,
) -> Response:
    review = await forms.get_review(caller.actor, review_id)
    document = await _document(request, caller, review_id, document_id)
    versions = await _reports(request).versions_of_document(caller.actor, document_id)
    by_id = {str(v.id): v for v in versions}
    context: dict[str, Any] = {
        "review": review,
        "document": document,
        "versions": versions,
        "may_manage": document.may_manage,
        "in_words": in_words,
        "problems": problems or [],
        "sent_name": sent_name,
        "form_token": str(uuid.uuid4()),
        "named": by_id.get(request.query_params.get("named", "")),
        "restored": by_id.get(request.query_params.get("restored", "")),
        "deleted": request.query_params.get("deleted") == "1",
    }
    return render(request, "reports/versions.html", context, status_code=status_code)


@router.get(VERSIONS, response_class=HTMLResponse, include_in_schema=False)
async def versions(
    request: Request, review_id: UUID, document_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """The document's versions, newest first; the form to name the current text for those who may, and the
    form to choose two texts to compare."""
    return await _list(request, review_id, document_id, forms, caller)


@router.post(VERSIONS, include_in_schema=False)
async def name_version(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    forms: FormsDep,
    caller: Caller,
    name: Annotated[str, Form(max_length=200)] = "",
    form_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Name the current text of every section of the document (a double submission names it once)."""
    await _document(request, caller, review_id, document_id)
    problems: list[dict[str, str]]
    if not name.strip():
        problems = [{"field": "name", "message": "Name the version"}]
    elif len(name.strip()) > 120:
        problems = [{"field": "name", "message": "The name must be 120 characters or fewer"}]
    else:
        try:
            version = await _reports(request).name_version(
                caller.actor, document_id, NameVersion(name=name), form_token or str(uuid.uuid4())
            )
            return RedirectResponse(
                _versions_page(review_id, document_id, named=str(version.id)), status_code=303
            )
        except RemoteError as exc:
            if exc.exc_type != "InvalidRequest":
                raise
            problems = _problems(exc)
    return await _list(
        request, review_id, document_id, forms, caller, problems=problems, sent_name=name, status_code=422
    )


@router.get(VERSIONS + "/compare", response_class=HTMLResponse, include_in_schema=False)
async def compare_versions(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    forms: FormsDep,
    caller: Caller,
    earlier: Annotated[str, Query(max_length=40)] = "",
    later: Annotated[str, Query(max_length=40)] = CURRENT,
) -> Response:
    """What changed between two texts of the document, section by section, words inserted and deleted marked.
    Without a choice, the newest version against the current text."""
    review = await forms.get_review(caller.actor, review_id)
    document = await _document(request, caller, review_id, document_id)
    reports = _reports(request)
    versions = await reports.versions_of_document(caller.actor, document_id)
    if not earlier:
        earlier = str(versions[0].id) if versions else CURRENT
    comparison = await reports.compare_versions(caller.actor, document_id, _choice(earlier), _choice(later))
    context = {
        "review": review,
        "document": document,
        "versions": versions,
        "comparison": comparison,
        "earlier": earlier,
        "later": later,
        "in_words": in_words,
        "changed": [s for s in comparison.sections if s.changed],
    }
    return render(request, "reports/compare.html", context)


@router.get(VERSIONS + "/{version_id}", response_class=HTMLResponse, include_in_schema=False)
async def version_page(
    request: Request, review_id: UUID, document_id: UUID, version_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """A version's text (the sections the caller may read), its downloads, and for those who may, restoring,
    renaming and deleting it."""
    review = await forms.get_review(caller.actor, review_id)
    document = await _document(request, caller, review_id, document_id)
    version = await _version(request, caller, document, version_id)
    context = {
        "review": review,
        "document": document,
        "version": version,
        "may_manage": document.may_manage,
        "in_words": in_words,
        "problems": [],
        "sent_name": version.version.name,
    }
    return render(request, "reports/version.html", context)


@router.get(VERSIONS + "/{version_id}/restore", response_class=HTMLResponse, include_in_schema=False)
async def confirm_restore(
    request: Request, review_id: UUID, document_id: UUID, version_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """Ask before restoring: what restoring does, and that nothing of the history is lost."""
    review = await forms.get_review(caller.actor, review_id)
    document = await _document(request, caller, review_id, document_id)
    if not document.may_manage:
        raise HTTPException(
            403, "Only the review's business manager or independent reviewer can restore a version"
        )
    version = await _version(request, caller, document, version_id)
    context = {"review": review, "document": document, "version": version, "form_token": str(uuid.uuid4())}
    return render(request, "reports/restore.html", context)


@router.post(VERSIONS + "/{version_id}/restore", include_in_schema=False)
async def restore_version(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    version_id: UUID,
    caller: Caller,
    form_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Restore the version as a new edit, and send each section's update to the pages open on it."""
    document = await _document(request, caller, review_id, document_id)
    await _version(request, caller, document, version_id)
    restored = await _reports(request).restore_version(
        caller.actor, version_id, form_token or str(uuid.uuid4())
    )
    live: LiveSections = request.app.state.live_reports
    for section in restored.sections:
        await live.push(section.section_id, base64.b64decode(section.update_base64))
    return RedirectResponse(_versions_page(review_id, document_id, restored=str(version_id)), status_code=303)


async def _managed(
    request: Request, caller: Principal, review_id: UUID, document_id: UUID, version_id: UUID
) -> VersionSummary:
    document = await _document(request, caller, review_id, document_id)
    return (await _version(request, caller, document, version_id)).version


@router.post(VERSIONS + "/{version_id}/name", include_in_schema=False)
async def rename_version(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    version_id: UUID,
    forms: FormsDep,
    caller: Caller,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Give a version that is not locked another name."""
    await _managed(request, caller, review_id, document_id, version_id)
    problems: list[dict[str, str]] = []
    if not name.strip():
        problems = [{"field": "name", "message": "Name the version"}]
    elif len(name.strip()) > 120:
        problems = [{"field": "name", "message": "The name must be 120 characters or fewer"}]
    else:
        try:
            await _reports(request).rename_version(caller.actor, version_id, NameVersion(name=name))
            return RedirectResponse(
                _versions_page(review_id, document_id) + f"/{version_id}", status_code=303
            )
        except RemoteError as exc:
            if exc.exc_type != "InvalidRequest":
                raise
            problems = _problems(exc)
    review = await forms.get_review(caller.actor, review_id)
    document = await _document(request, caller, review_id, document_id)
    context = {
        "review": review,
        "document": document,
        "version": await _version(request, caller, document, version_id),
        "may_manage": document.may_manage,
        "in_words": in_words,
        "problems": problems,
        "sent_name": name,
    }
    return render(request, "reports/version.html", context, status_code=422)


@router.post(VERSIONS + "/{version_id}/delete", include_in_schema=False)
async def delete_version(
    request: Request, review_id: UUID, document_id: UUID, version_id: UUID, caller: Caller
) -> Response:
    """Delete a version that is not locked (the document's text and history are untouched)."""
    await _managed(request, caller, review_id, document_id, version_id)
    await _reports(request).delete_version(caller.actor, version_id)
    return RedirectResponse(_versions_page(review_id, document_id, deleted="1"), status_code=303)
