"""A document's downloads (Word, PDF: its current text or any named version) and its publication copy: built
from the document with the review's people register, checked, edited block by block, checked again and marked
ready (gateway/templates/reports/).

The register (real names, dates of birth, addresses, schools, record numbers) is the chronology service's: it
is asked here, on the caller's behalf, for each build and check, and handed to the reports service, which uses
it and keeps nothing of it. (A service cannot seal a caller, so reports cannot ask chronology itself; events
carry no personal data.) Both services decide again who may: the register's keepers, the document's managers
(the business manager and the independent reviewer). Every route is audited (gateway/policy.py).
"""

from __future__ import annotations

import base64
import logging
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import identity
from gateway.auth import Caller
from gateway.chronology_export import download_headers
from gateway.deps import ChronologyDep, FormsDep, render
from gateway.rpc import RemoteError
from services.chronology.contract import Chronology, PersonView
from services.reports.contract import (
    MAX_BLOCK_TEXT,
    BlockText,
    DocumentDetail,
    ExportedFile,
    PublicationCopy,
    RegisterPerson,
    Reports,
    SectionText,
    TextBlock,
)

log = logging.getLogger(__name__)

router = APIRouter()

_REPORT = "/reviews/{review_id}/reports/{document_id}"
_COPY = _REPORT + "/publication"
_VERSION = _REPORT + "/versions/{version_id}"
MAX_TITLE = 200  # a copy's title, as a document's


def _reports(request: Request) -> Reports:
    return Reports.client(request.app.state.rpc)


async def _document(request: Request, caller: Caller, review_id: UUID, document_id: UUID) -> DocumentDetail:
    document = await _reports(request).get_document(caller.actor, document_id)
    if document.review_id != review_id:
        raise HTTPException(404)
    return document


def register_person(person: PersonView) -> RegisterPerson | None:
    """A person of chronology's register as the reports service takes them (None without a real name: the
    caller was not shown it, and the reports service will refuse them anyway)."""
    if not person.name:
        return None
    return RegisterPerson(
        review_id=person.review_id,
        pseudonym=person.label,
        role_in_family=person.role_in_family,
        name=person.name,
        also_known_as=person.also_known_as,
        born_on=person.born_on,
        address=person.address,
        postcode=person.postcode,
        school=person.school,
        nhs_number=person.nhs_number,
        record_numbers=person.record_numbers,
    )


async def _register(chronology: Chronology, caller: Caller, review_id: UUID) -> list[RegisterPerson]:
    people = await chronology.people_of_review(caller.actor, review_id, show_names=True)
    return [found for found in map(register_person, people) if found is not None]


async def _partnership_name(review: Any) -> str:
    partnership = await run_in_threadpool(identity.get_partnership, review.partnership_id)
    return partnership.name if partnership else "Safeguarding partnership"


def _download(built: ExportedFile) -> Response:
    return Response(
        base64.b64decode(built.content_base64),
        media_type=built.media_type,
        headers=download_headers(built.file_name),
    )


# -- downloads of the document -------------------------------------------------------------------------------


async def _export(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    forms: Any,
    caller: Caller,
    kind: str,
    *,
    copy: bool = False,
    version_id: UUID | None = None,
) -> Response:
    """The document's current text (with `copy`, its publication copy; with `version_id`, that named version)
    as a download of `kind`."""
    review = await forms.get_review(caller.actor, review_id)
    await _document(request, caller, review_id, document_id)
    reports = _reports(request)
    partnership = await _partnership_name(review)
    file_format: Any = kind
    try:
        if version_id is not None:
            built = await reports.export_version(
                caller.actor, document_id, version_id, file_format, partnership
            )
        elif copy:
            built = await reports.export_publication_copy(caller.actor, document_id, file_format, partnership)
        else:
            built = await reports.export_document(caller.actor, document_id, file_format, partnership)
    except RemoteError as exc:
        if exc.exc_type != "MissingFont":
            raise
        log.error("report download: %s", exc.message)
        raise HTTPException(
            503,
            "PDF downloads cannot be made: this server lacks the fonts they need. Tell your administrator.",
        ) from None
    return _download(built)


@router.get(_REPORT + "/export.docx", include_in_schema=False, response_model=None)
async def export_docx(
    request: Request, review_id: UUID, document_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """The document's current text (the sections the caller may read) as Word."""
    return await _export(request, review_id, document_id, forms, caller, "docx")


@router.get(_REPORT + "/export.pdf", include_in_schema=False, response_model=None)
async def export_pdf(
    request: Request, review_id: UUID, document_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """The document's current text (the sections the caller may read) as PDF."""
    return await _export(request, review_id, document_id, forms, caller, "pdf")


@router.get(_VERSION + "/export.docx", include_in_schema=False, response_model=None)
async def export_version_docx(
    request: Request, review_id: UUID, document_id: UUID, version_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """A named version's text (the sections the caller may read, as they were then) as Word."""
    return await _export(request, review_id, document_id, forms, caller, "docx", version_id=version_id)


@router.get(_VERSION + "/export.pdf", include_in_schema=False, response_model=None)
async def export_version_pdf(
    request: Request, review_id: UUID, document_id: UUID, version_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """A named version's text (the sections the caller may read, as they were then) as PDF."""
    return await _export(request, review_id, document_id, forms, caller, "pdf", version_id=version_id)


# -- the publication copy ------------------------------------------------------------------------------------


def _findings_by_block(copy: PublicationCopy | None) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for finding in copy.findings if copy else []:
        found.setdefault(f"{finding.section_id}-{finding.block}", []).append(finding)
    return found


async def _copy_page(
    request: Request,
    review: Any,
    document: DocumentDetail,
    copy: PublicationCopy | None,
    *,
    refused: bool = False,
    status_code: int = 200,
) -> Response:
    context = {
        "review": review,
        "document": document,
        "copy": copy,
        "by_block": _findings_by_block(copy),
        "refused": refused,
        "just_ready": request.query_params.get("ready") == "1" and copy is not None and copy.state == "ready",
    }
    return render(request, "reports/publication.html", context, status_code=status_code)


async def _copy_or_none(request: Request, caller: Caller, document_id: UUID) -> PublicationCopy | None:
    try:
        return await _reports(request).publication_copy(caller.actor, document_id)
    except RemoteError as exc:
        if exc.exc_type == "NotFound":
            return None
        raise


@router.get(_COPY, response_class=HTMLResponse, include_in_schema=False)
async def publication_page(
    request: Request, review_id: UUID, document_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """The publication copy with the places the last check found, or the button that builds it."""
    review = await forms.get_review(caller.actor, review_id)
    document = await _document(request, caller, review_id, document_id)
    if not document.may_manage:
        raise HTTPException(404)
    return await _copy_page(request, review, document, await _copy_or_none(request, caller, document_id))


@router.post(_COPY, include_in_schema=False)
async def build_copy(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    forms: FormsDep,
    chronology: ChronologyDep,
    caller: Caller,
) -> Response:
    """Build (again) the copy from the document's current text, the register's names replaced."""
    await forms.get_review(caller.actor, review_id)
    await _document(request, caller, review_id, document_id)
    register = await _register(chronology, caller, review_id)
    await _reports(request).build_publication_copy(caller.actor, document_id, register)
    return RedirectResponse(f"/reviews/{review_id}/reports/{document_id}/publication", status_code=303)


@router.post(_COPY + "/check", include_in_schema=False)
async def check_copy(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    forms: FormsDep,
    chronology: ChronologyDep,
    caller: Caller,
) -> Response:
    """Check the copy again against the register (after the register or the copy changed)."""
    await forms.get_review(caller.actor, review_id)
    await _document(request, caller, review_id, document_id)
    register = await _register(chronology, caller, review_id)
    await _reports(request).check_publication_copy(caller.actor, document_id, register)
    return RedirectResponse(f"/reviews/{review_id}/reports/{document_id}/publication", status_code=303)


@router.post(_COPY + "/ready", response_class=HTMLResponse, include_in_schema=False, response_model=None)
async def mark_ready(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    forms: FormsDep,
    chronology: ChronologyDep,
    caller: Caller,
) -> Response:
    """Mark the copy ready; refused (the page again, each place listed) while anything identifies someone."""
    review = await forms.get_review(caller.actor, review_id)
    document = await _document(request, caller, review_id, document_id)
    register = await _register(chronology, caller, review_id)
    copy = await _reports(request).mark_copy_ready(caller.actor, document_id, register)
    if copy.state != "ready":
        return await _copy_page(request, review, document, copy, refused=True, status_code=422)
    return RedirectResponse(
        f"/reviews/{review_id}/reports/{document_id}/publication?ready=1", status_code=303
    )


def _block_of(copy: PublicationCopy, section_id: UUID, block: int) -> tuple[Any, Any]:
    """The section and block asked for; block 0 of the document's id is the copy's title."""
    if section_id == copy.document_id and block == 0:
        title = TextBlock(kind="heading", text=copy.title, level=1)
        return SectionText(section_id=section_id, key="title", title="Title", blocks=[title]), title
    section = next((s for s in copy.sections if s.section_id == section_id), None)
    if section is None or not 1 <= block <= len(section.blocks):
        raise HTTPException(404)
    return section, section.blocks[block - 1]


async def _block_page(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    section_id: UUID,
    block: int,
    forms: Any,
    caller: Caller,
    text: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> Response:
    review = await forms.get_review(caller.actor, review_id)
    document = await _document(request, caller, review_id, document_id)
    copy = await _reports(request).publication_copy(caller.actor, document_id)
    section, found = _block_of(copy, section_id, block)
    context = {
        "review": review,
        "document": document,
        "section": section,
        "block_number": block,
        "block": found,
        "text": found.text if text is None else text,
        "findings": _findings_by_block(copy).get(f"{section_id}-{block}", []),
        "errors": errors or [],
        "max_text": MAX_BLOCK_TEXT,
    }
    return render(request, "reports/publication_block.html", context, status_code=422 if errors else 200)


@router.get(
    _COPY + "/sections/{section_id}/blocks/{block}", response_class=HTMLResponse, include_in_schema=False
)
async def block_page(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    section_id: UUID,
    block: int,
    forms: FormsDep,
    caller: Caller,
) -> Response:
    """One block of the copy, to change its text."""
    return await _block_page(request, review_id, document_id, section_id, block, forms, caller)


@router.post(_COPY + "/sections/{section_id}/blocks/{block}", include_in_schema=False, response_model=None)
async def change_block(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    section_id: UUID,
    block: int,
    forms: FormsDep,
    caller: Caller,
    text: Annotated[str, Form(max_length=MAX_BLOCK_TEXT * 2)] = "",
) -> Response:
    """Save one block's new text, then back to the copy at that block."""
    problem = None
    limit = MAX_TITLE if block == 0 else MAX_BLOCK_TEXT
    if not text.strip():
        problem = "Enter the text of this part of the copy"
    elif len(text.strip()) > limit:
        problem = f"The text must be {limit:,} characters or fewer"
    if problem:
        errors = [{"field": "text", "message": problem}]
        return await _block_page(
            request, review_id, document_id, section_id, block, forms, caller, text, errors
        )
    await _document(request, caller, review_id, document_id)
    await _reports(request).edit_copy_block(
        caller.actor, document_id, section_id, block, BlockText(text=text)
    )
    return RedirectResponse(
        f"/reviews/{review_id}/reports/{document_id}/publication#block-{section_id}-{block}", status_code=303
    )


@router.get(_COPY + "/export.docx", include_in_schema=False, response_model=None)
async def export_copy_docx(
    request: Request, review_id: UUID, document_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """The publication copy as Word."""
    return await _export(request, review_id, document_id, forms, caller, "docx", copy=True)


@router.get(_COPY + "/export.pdf", include_in_schema=False, response_model=None)
async def export_copy_pdf(
    request: Request, review_id: UUID, document_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """The publication copy as PDF."""
    return await _export(request, review_id, document_id, forms, caller, "pdf", copy=True)
