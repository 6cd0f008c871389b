"""A review's documents written together: the list, beginning one from its template, a document's page (each
section's saved text drawn by the server, so the page reads without JavaScript; with it, each section the
caller may change becomes an editor shared live), assigning sections, and the websocket of each section's live
document (the Yjs sync protocol, gateway/report_sync.py).

Who may read or change which section is the reports service's rule (services/reports/policy.py), asked on
every call: the websocket is accepted only once the service has granted the section to the caller, so nothing
of it is sent to anyone else.
"""

from __future__ import annotations

import base64
import logging
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import audit, report_extras
from gateway.auth import Caller, Principal
from gateway.deps import FormsDep, in_words, render
from gateway.report_sync import LiveSections
from gateway.rpc import RemoteError, RpcUnavailable
from services.kernel.identity import Role
from services.reports.contract import KIND_LABELS, Assignment, DocumentDetail, NewDocument, Reports

log = logging.getLogger(__name__)

router = APIRouter()

# A websocket refused after the handshake (the service said no while it was open) closes with this code.
REFUSED = 4403
SYNC_PATH = "/reviews/{review_id}/reports/{document_id}/sections/{section_id}/sync"


def _reports(request: Request) -> Reports:
    return Reports.client(request.app.state.rpc)


async def _document(
    request: Request, caller: Principal, review_id: UUID, document_id: UUID
) -> DocumentDetail:
    document = await _reports(request).get_document(caller.actor, document_id)
    if document.review_id != review_id:
        raise HTTPException(404)
    return document


def _problems(exc: RemoteError) -> list[dict[str, str]]:
    return [dict(problem) for problem in exc.problems] or [{"field": "", "message": exc.message}]


def _manages(caller: Principal) -> bool:
    return caller.actor.has_role(Role.BUSINESS_MANAGER, Role.INDEPENDENT_REVIEWER)


@router.get("/reviews/{review_id}/reports", response_class=HTMLResponse, include_in_schema=False)
async def review_reports(request: Request, review_id: UUID, forms: FormsDep, caller: Caller) -> Response:
    """The review's documents the caller may read some of; the form to begin one for those who may."""
    review = await forms.get_review(caller.actor, review_id)
    documents = await _reports(request).documents_of_review(caller.actor, review_id)
    context: dict[str, Any] = {
        "review": review,
        "documents": documents,
        "kinds": KIND_LABELS,
        "in_words": in_words,
        "may_begin": _manages(caller),
        "agencies": [],
        "problems": [],
    }
    if context["may_begin"]:
        with _quietly():
            context["agencies"] = (await _reports(request).assignees(caller.actor, review_id)).agencies
    return render(request, "reports/list.html", context)


class _quietly:
    """Leave out what a refused or absent answer would have added to a page (the page is still drawn)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> bool:
        return isinstance(value, RemoteError | RpcUnavailable)


@router.post("/reviews/{review_id}/reports", include_in_schema=False)
async def begin_report(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    caller: Caller,
    kind: Annotated[str, Form(max_length=40)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    agency_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Begin a document of the review from its kind's template."""
    review = await forms.get_review(caller.actor, review_id)
    reports = _reports(request)
    problems: list[dict[str, str]] = []
    if kind not in KIND_LABELS:
        problems.append({"field": "kind", "message": "Choose the kind of document"})
    agency = None
    if kind == "agency_report":
        try:
            agency = UUID(agency_id)
        except ValueError:
            problems.append({"field": "agency_id", "message": "Choose the agency whose report this is"})
    if not problems:
        try:
            command = NewDocument(review_id=review_id, kind=kind, title=title, agency_id=agency)  # type: ignore[arg-type]
            document = await reports.create_document(caller.actor, command)
            return RedirectResponse(f"/reviews/{review_id}/reports/{document.id}", status_code=303)
        except RemoteError as exc:
            if exc.exc_type != "InvalidRequest":
                raise
            problems = _problems(exc)
    documents = await reports.documents_of_review(caller.actor, review_id)
    agencies = (await reports.assignees(caller.actor, review_id)).agencies
    context = {
        "review": review,
        "documents": documents,
        "kinds": KIND_LABELS,
        "in_words": in_words,
        "may_begin": True,
        "agencies": agencies,
        "problems": problems,
        "sent": {"kind": kind, "title": title, "agency_id": agency_id},
    }
    return render(request, "reports/list.html", context, status_code=422)


@router.get(
    "/reviews/{review_id}/reports/{document_id}", response_class=HTMLResponse, include_in_schema=False
)
async def report_page(
    request: Request, review_id: UUID, document_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """A document: each section the caller may read, its saved text, an editor where they may change it."""
    review = await forms.get_review(caller.actor, review_id)
    document = await _document(request, caller, review_id, document_id)
    return await document_page(request, caller, review, document)


async def document_page(
    request: Request,
    caller: Principal,
    review: Any,
    document: DocumentDetail,
    *,
    problems: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The document's page (drawn again with `problems` when a form on it was refused)."""
    assignees = None
    if document.may_manage:
        with _quietly():
            assignees = await _reports(request).assignees(caller.actor, document.review_id)
    context = {
        "review": review,
        "document": document,
        "assignees": assignees,
        "agency_names": {a.id: a.name for a in assignees.agencies} if assignees else {},
        "in_words": in_words,
        "editor_name": caller.display_name,
        **await report_extras.page_extras(request.app.state.rpc, caller.actor, document),
        **(problems or {}),
    }
    return render(request, "reports/document.html", context, status_code=status_code)


@router.post(
    "/reviews/{review_id}/reports/{document_id}/sections/{section_id}/assignment", include_in_schema=False
)
async def assign_section(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    section_id: UUID,
    caller: Caller,
    assigned_user_id: Annotated[str, Form(max_length=200)] = "",
    assigned_agency_id: Annotated[str, Form(max_length=40)] = "",
    shared_with_agency_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Assign a section to a person or an agency, and share it with other agencies."""
    await _document(request, caller, review_id, document_id)
    try:
        assignment = Assignment(
            assigned_user_id=assigned_user_id or None,
            assigned_agency_id=UUID(assigned_agency_id) if assigned_agency_id else None,
            shared_with_agency_ids=[UUID(a) for a in shared_with_agency_ids or []],
        )
    except ValueError:
        raise HTTPException(422, "Choose the agencies from the list") from None
    await _reports(request).assign_section(caller.actor, section_id, assignment)
    return RedirectResponse(
        f"/reviews/{review_id}/reports/{document_id}#section-{section_id}", status_code=303
    )


# -- the live document ---------------------------------------------------------------------------------------


@router.websocket(SYNC_PATH)
async def section_sync(websocket: WebSocket, review_id: UUID, document_id: UUID, section_id: UUID) -> None:
    """A section's live document over the Yjs sync protocol. The policy has checked the session, the role and
    the page's origin (gateway/auth.py); here the reports service grants the section to the caller, or the
    handshake is refused (403) before anything of it is sent."""
    principal: Principal = websocket.state.principal
    live: LiveSections = websocket.app.state.live_reports
    entry = audit.AuditEntry(
        user_id=principal.actor.user_id,
        partnership_id=principal.actor.partnership_id,
        review_id=review_id,
        record_type="report_section",
        record_id=str(section_id),
        action="open",
        outcome="denied",
        address=websocket.client.host if websocket.client else None,
    )
    try:
        grant = await live.reports.open_section(principal.actor, section_id)
    except (RemoteError, RpcUnavailable) as exc:
        refused = isinstance(exc, RemoteError) and exc.exc_type in ("NotFound", "Forbidden", "InvalidRequest")
        await run_in_threadpool(audit.append, entry if refused else _failed(entry))
        await websocket.close(code=REFUSED if refused else 1013)
        return
    if grant.document_id != document_id or grant.review_id != review_id:
        await run_in_threadpool(audit.append, entry)
        await websocket.close(code=REFUSED)
        return
    await run_in_threadpool(audit.append, _allowed(entry))
    await websocket.accept()
    await live.serve(
        websocket, principal.actor, section_id, grant.access, base64.b64decode(grant.state_base64)
    )


def _allowed(entry: audit.AuditEntry) -> audit.AuditEntry:
    return audit.AuditEntry(**{**entry.__dict__, "outcome": "allowed"})


def _failed(entry: audit.AuditEntry) -> audit.AuditEntry:
    return audit.AuditEntry(**{**entry.__dict__, "outcome": "failed"})
