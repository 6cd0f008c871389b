"""Chronologies of a review: the template, an agency's upload (checked whole, previewed, then imported), the
history of versions, the people register, and the merged chronology with its export as a file.

Who may read or change what is the chronology service's rule (services/chronology/policy.py), asked again
on every call; the gateway's policy only checks that the role may use the route at all. A file is checked
here, where it arrives, by the contract's checker (services/chronology/contract/sheet.py), streaming, in a
worker thread; its entries are staged in the service in chunks and nothing of it is read by anyone until the
agency imports it. A file with any problem is rejected whole, with every problem listed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import dataclasses
import io
import logging
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import anyio
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import identity
from gateway.auth import Caller
from gateway.chronology_export import (
    MEDIA_TYPES,
    WRITERS,
    XLSX,
    ChronologyExport,
    download_headers,
    every_entry,
    filters_in_words,
    neutralised,
)
from gateway.deps import ChronologyDep, FormsDep, error_response, in_words, render
from gateway.rpc import RemoteError
from services.chronology.contract import (
    MAX_PAGE,
    AddPerson,
    CheckContext,
    CheckRules,
    Chronology,
    ChronologyEntry,
    ChronologyPage,
    ChronologyQuery,
    Problem,
    ProblemView,
    StartUpload,
    TagEpisode,
    UploadDetail,
    check_file,
    columns_for,
    template_csv,
    template_xlsx,
)
from services.forms.contract import Forms
from services.kernel.calendar import today_in_england
from services.kernel.identity import Role

log = logging.getLogger(__name__)
router = APIRouter()

# A worksheet's declared size, <dimension ref="A1:K5001"/>: its last row.
DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')
# Entries sent to the service per call while a file is checked.
CHUNK = 2000
# The query string's filters of the merged chronology, as the page and its exports read them.
FILTERS = ("agency", "from", "to", "episodes", "person", "significance", "q")
SIGNIFICANCE = (("", "Any"), ("high", "High"), ("medium", "Medium"), ("low", "Low"))
STATES = {
    "checking": ("Checking", "govuk-tag--blue"),
    "rejected": ("Rejected", "govuk-tag--red"),
    "ready": ("Checked: not yet imported", "govuk-tag--yellow"),
    "current": ("Current", "govuk-tag--green"),
    "superseded": ("Replaced", "govuk-tag--grey"),
    "abandoned": ("Not finished", "govuk-tag--grey"),
}


def _day(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def _is_agency(caller: Caller) -> bool:
    return caller.actor.has_role(Role.AGENCY_AUTHOR, Role.AGENCY_LEAD)


def _keeps_register(caller: Caller) -> bool:
    return caller.actor.has_role(Role.BUSINESS_MANAGER, Role.INDEPENDENT_REVIEWER)


# -- the merged chronology ---------------------------------------------------------------------------------


def _date_or_none(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def chronology_query(
    params: Mapping[str, str], *, show_names: bool = False, limit: int = 50, paged: bool = True
) -> ChronologyQuery:
    """The entries a view of the merged chronology asks for, from its query string (agency, from, to,
    episodes, person, significance, q, and the page's cursor `after` where `paged`): what cannot be read is
    no filter at all. The page and every export read their filters here."""
    significance = params.get("significance", "")
    return ChronologyQuery(
        agency_id=_uuid_or_none(params.get("agency", "")),
        from_on=_date_or_none(params.get("from", "")),
        to_on=_date_or_none(params.get("to", "")),
        episodes_only=params.get("episodes") == "1",
        person_id=_uuid_or_none(params.get("person", "")),
        significance=significance if significance in ("low", "medium", "high") else None,  # type: ignore[arg-type]
        text=(params.get("q", "") or "")[:200] or None,
        after=((params.get("after", "") or "")[:200] or None) if paged else None,
        limit=limit,
        show_names=show_names,
    )


async def _chronology_page(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    chronology: ChronologyDep,
    caller: Caller,
    show_names: bool,
) -> Response:
    review = await forms.get_review(caller.actor, review_id)
    params = request.query_params
    query = chronology_query(params, show_names=show_names)
    page = await chronology.chronology_of_review(caller.actor, review.id, query)
    people = await chronology.people_of_review(caller.actor, review.id)
    kept = {key: value for key, value in params.items() if key != "after" and value}
    base = f"/reviews/{review.id}/chronology{'/with-names' if show_names else ''}"
    chosen = {key: kept[key] for key in FILTERS if key in kept}
    exported = f"?{_encode(chosen)}" if chosen else ""
    context = {
        "review": review,
        "page": page,
        "people": people,
        "query": query,
        "filters": kept,
        "filters_on": bool(chosen),
        "view": "timeline" if params.get("view") == "timeline" else "table",
        "base": base,
        "next_href": f"{base}?{_encode({**kept, 'after': page.next_after})}" if page.next_after else "",
        "first_href": f"{base}?{_encode(kept)}" if query.after else "",
        "names_href": f"/reviews/{review.id}/chronology/with-names?{_encode(kept)}",
        "pseudonyms_href": f"/reviews/{review.id}/chronology?{_encode(kept)}",
        "downloads": [
            (words, f"/reviews/{review.id}/chronology/export.{kind}{exported}", kind)
            for kind, words in (("xlsx", "Excel"), ("csv", "CSV"), ("pdf", "PDF"))
        ],
        "significance_choices": SIGNIFICANCE,
        "is_agency": _is_agency(caller),
        "keeps_register": _keeps_register(caller),
        "is_manager": caller.actor.has_role(Role.BUSINESS_MANAGER),
        "judges": _keeps_register(caller),
        "here": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        "day": _day,
    }
    return render(request, "chronology/merged.html", context)


def _encode(values: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode({key: value for key, value in values.items() if value})


@router.get("/reviews/{review_id}/chronology", response_class=HTMLResponse, include_in_schema=False)
async def merged_chronology(
    request: Request, review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """The review's merged chronology, with pseudonyms: every agency's entries in date order, filtered."""
    return await _chronology_page(request, review_id, forms, chronology, caller, show_names=False)


@router.get(
    "/reviews/{review_id}/chronology/with-names", response_class=HTMLResponse, include_in_schema=False
)
async def merged_chronology_with_names(
    request: Request, review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """The same with real names, for those who may see them (each call audited as a reveal)."""
    return await _chronology_page(request, review_id, forms, chronology, caller, show_names=True)


# -- the merged chronology as a file -----------------------------------------------------------------------


async def _export(
    kind: str, request: Request, review_id: UUID, forms: Forms, chronology: Chronology, caller: Caller
) -> Response:
    """The merged chronology as the page filters it, whole, with pseudonyms, as a file: read from the service
    a page of MAX_PAGE entries at a time and written as it comes (gateway/chronology_export.py) to a private
    temporary file, which is sent and then deleted. Nothing is sent until the file is whole, so a failure is
    an error page, never half a file."""
    review = await forms.get_review(caller.actor, review_id)
    query = chronology_query(request.query_params, limit=MAX_PAGE, paged=False)
    first = await chronology.chronology_of_review(caller.actor, review.id, query)
    rules = await chronology.check_rules(caller.actor, review.id)
    people = await chronology.people_of_review(caller.actor, review.id) if query.person_id else []
    export = ChronologyExport(
        review_title=review.title,
        filters=filters_in_words(query, dict(first.agencies), {person.id: person.label for person in people}),
        exported_at=datetime.now(UTC),
        extra_columns=tuple(rules.extra_columns),
    )

    def page_after(cursor: str) -> ChronologyPage:
        # Called in the writer's thread: the call itself runs on the event loop.
        return anyio.from_thread.run(
            chronology.chronology_of_review,
            caller.actor,
            review.id,
            query.model_copy(update={"after": cursor}),
        )

    entries = every_entry(first, page_after)
    del first  # the entries now hold the first page, and let it go once written
    handle, name = tempfile.mkstemp(prefix="chronology-", suffix=f".{kind}")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            written = await anyio.to_thread.run_sync(WRITERS[kind], export, entries, out)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    log.info("chronology of review %s exported as %s: %d entries", review.id, kind, written)
    filename = f"chronology-{review.id.hex[:8]}-{today_in_england().isoformat()}.{kind}"
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[kind],
        headers=download_headers(filename),
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.get("/reviews/{review_id}/chronology/export.xlsx", include_in_schema=False)
async def export_chronology_xlsx(
    request: Request, review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """The merged chronology as the page filters it, as an Excel workbook (pseudonyms only)."""
    return await _export("xlsx", request, review_id, forms, chronology, caller)


@router.get("/reviews/{review_id}/chronology/export.csv", include_in_schema=False)
async def export_chronology_csv(
    request: Request, review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """The merged chronology as the page filters it, as a CSV file in UTF-8 (pseudonyms only)."""
    return await _export("csv", request, review_id, forms, chronology, caller)


@router.get("/reviews/{review_id}/chronology/export.pdf", include_in_schema=False)
async def export_chronology_pdf(
    request: Request, review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """The merged chronology as the page filters it, as a PDF to print (pseudonyms only)."""
    return await _export("pdf", request, review_id, forms, chronology, caller)


# -- the template ------------------------------------------------------------------------------------------


async def _template(
    review_id: UUID, kind: str, forms: Forms, chronology: Chronology, caller: Caller
) -> Response:
    review = await forms.get_review(caller.actor, review_id)
    rules = await chronology.check_rules(caller.actor, review.id)
    columns = columns_for(rules.extra_columns)
    headers = download_headers(f"chronology-template-{review.id.hex[:8]}.{kind}")
    if kind == "csv":
        return Response(template_csv(columns), media_type="text/csv; charset=utf-8", headers=headers)
    body = await anyio.to_thread.run_sync(
        lambda: template_xlsx(columns, review_reference=review.title, register=rules.pseudonyms)
    )
    return Response(body, media_type=XLSX, headers=headers)


@router.get("/reviews/{review_id}/chronology/template.xlsx", include_in_schema=False)
async def chronology_template_xlsx(
    review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """The review's chronology template as a workbook: instructions, examples, lists of allowed values."""
    return await _template(review_id, "xlsx", forms, chronology, caller)


@router.get("/reviews/{review_id}/chronology/template.csv", include_in_schema=False)
async def chronology_template_csv(
    review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """The review's chronology template as a CSV file (UTF-8): the column headings."""
    return await _template(review_id, "csv", forms, chronology, caller)


# -- uploading a file --------------------------------------------------------------------------------------


@router.get("/reviews/{review_id}/chronology/upload", response_class=HTMLResponse, include_in_schema=False)
async def upload_page(
    request: Request, review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """The form to upload the caller's agency's chronology."""
    review = await forms.get_review(caller.actor, review_id)
    rules = await chronology.check_rules(caller.actor, review.id)
    return _upload_form(request, review, rules, [])


def _upload_form(
    request: Request, review: Any, rules: CheckRules, errors: list[dict[str, str]], status: int = 200
) -> Response:
    context = {
        "review": review,
        "rules": rules,
        "errors": errors,
        "max_mb": rules.max_bytes // 1_048_576,
    }
    return render(request, "chronology/upload.html", context, status_code=status)


@router.post(
    "/reviews/{review_id}/chronology/upload",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def upload_file(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    chronology: ChronologyDep,
    caller: Caller,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Receive a file, start its check in the background, and show its progress."""
    review = await forms.get_review(caller.actor, review_id)
    rules = await chronology.check_rules(caller.actor, review.id)
    if file is None or not file.filename:
        errors = [
            {"field": "file", "message": "Choose a file to upload: the filled template, as XLSX or CSV"}
        ]
        return _upload_form(request, review, rules, errors, 422)
    if rules.agency_id is None:
        raise HTTPException(403, rules.refusal or "Only an agency's author or safeguarding lead can upload")
    kept = await _keep(file, rules.max_bytes)
    if kept is None:
        errors = [
            {
                "field": "file",
                "message": f"The file is larger than {rules.max_bytes // 1_048_576} MB: "
                "split it into smaller files",
            }
        ]
        return _upload_form(request, review, rules, errors, 422)
    path, size = kept
    try:
        expected = await anyio.to_thread.run_sync(rows_in, path)
        command = StartUpload(
            review_id=review.id,
            filename=Path(file.filename).name[:255] or "file",
            size_bytes=size,
            rows_expected=expected,
        )
        upload = await chronology.start_upload(caller.actor, command)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    checks: set[asyncio.Task[None]] = request.app.state.__dict__.setdefault("chronology_checks", set())
    task = asyncio.create_task(
        _check_in_background(chronology, caller.actor, upload.id, path, upload.filename, rules)
    )
    checks.add(task)
    task.add_done_callback(checks.discard)
    return RedirectResponse(f"/reviews/{review.id}/chronology/uploads/{upload.id}", status_code=303)


async def _keep(file: UploadFile, limit: int) -> tuple[Path, int] | None:
    """The uploaded file copied to a private temporary file (None when over the limit, and nothing kept)."""
    handle, name = tempfile.mkstemp(prefix="chronology-", suffix=".upload")
    path = Path(name)
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := await file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise OverflowError
                out.write(chunk)
    except OverflowError:
        path.unlink(missing_ok=True)
        return None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size


def rows_in(path: Path) -> int:
    """Roughly how many rows a file holds, for the progress bar (0 when it cannot tell cheaply): a workbook's
    declared dimension, read from the first bytes of its first sheet (never the whole of it: the checker
    decides later whether the workbook is safe to read), or a text file's line count."""
    with path.open("rb") as handle:
        if handle.read(4).startswith(b"PK"):
            try:
                with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
                    found = DIMENSION.search(sheet.read(4096))
            except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError):
                return 0
            return max(int(found.group(1)) - 1, 0) if found else 0
        handle.seek(0)
        lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
        return max(lines - 1, 0)


@dataclass
class CheckRun:
    """One file's check, run in a worker thread: entries go to the service in chunks, problems are kept.

    A chunk is staged while the checker reads the next (`stage` runs on `loop`); the one before it must have
    been taken first, so chunks arrive in the file's order and a refusal stops the check. `waited` is the time
    the checker spent waiting for the service."""

    stage: Callable[[list[ChronologyEntry], int], Coroutine[Any, Any, Any]]
    loop: asyncio.AbstractEventLoop
    problems: list[ProblemView] = dataclasses.field(default_factory=list)
    warnings: list[ProblemView] = dataclasses.field(default_factory=list)
    rows_read: int = 0
    waited: float = 0.0
    _pending: concurrent.futures.Future[Any] | None = None

    def run(self, path: Path, filename: str, context: CheckContext) -> None:
        chunk: list[ChronologyEntry] = []
        try:
            for item in check_file(path, filename=filename, context=context):
                if isinstance(item, Problem):
                    view = ProblemView(
                        row=item.row, column=item.column, message=item.message, warning=item.warning
                    )
                    (self.warnings if item.warning else self.problems).append(view)
                    if item.row is not None:
                        self.rows_read = max(self.rows_read, item.row - 1)
                    continue
                if item.row is not None:
                    self.rows_read = max(self.rows_read, item.row - 1)
                if self.problems:
                    continue  # the file is rejected whole: stop staging, keep finding problems
                chunk.append(item)
                if len(chunk) >= CHUNK:
                    self._send(chunk)
                    chunk = []
            if chunk and not self.problems:
                self._send(chunk)
        finally:
            self._taken()

    def _send(self, chunk: list[ChronologyEntry]) -> None:
        self._taken()
        self._pending = asyncio.run_coroutine_threadsafe(self.stage(chunk, self.rows_read), self.loop)

    def _taken(self) -> None:
        """Wait until the chunk in flight is staged (its refusal raised here)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            began = time.perf_counter()
            try:
                pending.result()
            finally:
                self.waited += time.perf_counter() - began


async def _check_in_background(
    chronology: Chronology, actor: Any, upload_id: UUID, path: Path, filename: str, rules: CheckRules
) -> None:
    """Check the file and stage its entries; then tell the service whether it passed. A failure here leaves
    the upload `checking`, which the service abandons after a while (nothing of it is ever read)."""
    context = CheckContext(
        today=today_in_england(),
        born_on=rules.born_on,
        people=rules.spellings,
        extra_columns=tuple(rules.extra_columns),
        max_bytes=rules.max_bytes,
        max_rows=rules.max_rows,
    )

    async def stage(entries: list[ChronologyEntry], rows_read: int) -> None:
        await chronology.stage_entries(actor, upload_id, entries, rows_read)

    run = CheckRun(stage, asyncio.get_running_loop())
    try:
        await anyio.to_thread.run_sync(run.run, path, filename, context)
        await chronology.finish_check(actor, upload_id, run.problems, run.warnings, run.rows_read)
    except RemoteError as error:
        # The service refused a chunk (its own check of the entries against the review): the file is rejected.
        log.info("chronology upload %s refused by the service: %s", upload_id, error.exc_type)
        problem = ProblemView(message=f"The file could not be imported: {error.message}")
        try:
            await chronology.finish_check(
                actor, upload_id, [*run.problems, problem], run.warnings, run.rows_read
            )
        except Exception:
            log.exception("chronology upload %s: could not record its rejection", upload_id)
    except Exception:
        log.exception("chronology upload %s: the check stopped", upload_id)
    finally:
        path.unlink(missing_ok=True)


async def _upload(chronology: Chronology, caller: Caller, review_id: UUID, upload_id: UUID) -> UploadDetail:
    upload = await chronology.upload(caller.actor, upload_id)
    if upload.review_id != review_id:
        raise HTTPException(404)
    return upload


def _progress(upload: UploadDetail | Any) -> dict[str, Any]:
    return {
        "state": upload.state,
        "rows_read": upload.rows_read,
        "entries": upload.entries,
        "problems": upload.problems,
        "done": upload.state != "checking",
    }


@router.get(
    "/reviews/{review_id}/chronology/uploads/{upload_id}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def upload_status(
    request: Request,
    review_id: UUID,
    upload_id: UUID,
    forms: FormsDep,
    chronology: ChronologyDep,
    caller: Caller,
) -> Response:
    """An upload: its check's progress, then every problem, or a preview to import."""
    review = await forms.get_review(caller.actor, review_id)
    upload = await _upload(chronology, caller, review.id, upload_id)
    context = {
        "review": review,
        "upload": upload,
        "state": STATES[upload.state],
        "uploaded_at": in_words(upload.uploaded_at),
        "imported_at": in_words(upload.imported_at),
        "may_import": upload.state == "ready"
        and _is_agency(caller)
        and upload.agency_id == caller.actor.agency_id,
        "day": _day,
    }
    return render(request, "chronology/upload_status.html", context)


@router.get("/reviews/{review_id}/chronology/uploads/{upload_id}/progress", include_in_schema=False)
async def upload_progress(
    review_id: UUID, upload_id: UUID, chronology: ChronologyDep, caller: Caller
) -> JSONResponse:
    """How far the check of an upload has got (the page's progress bar asks this)."""
    upload = await _upload(chronology, caller, review_id, upload_id)
    return JSONResponse(_progress(upload), headers={"Cache-Control": "no-store"})


@router.get("/reviews/{review_id}/chronology/uploads/{upload_id}/problems.csv", include_in_schema=False)
async def upload_problems(
    review_id: UUID, upload_id: UUID, chronology: ChronologyDep, caller: Caller
) -> Response:
    """Every problem of a rejected upload, as a CSV file to work through."""
    upload = await _upload(chronology, caller, review_id, upload_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Row", "Column", "What to fix"])
    for problem in [*upload.problem_list, *upload.warning_list]:
        writer.writerow(
            [
                problem.row or "",
                neutralised(problem.column or ""),
                neutralised(("Warning: " if problem.warning else "") + problem.message),
            ]
        )
    name = f"problems-{Path(upload.filename).stem[:60] or 'upload'}.csv"
    return Response(
        ("\ufeff" + out.getvalue()).encode(),
        media_type="text/csv; charset=utf-8",
        headers=download_headers(name),
    )


@router.post(
    "/reviews/{review_id}/chronology/uploads/{upload_id}/import",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def import_upload(
    review_id: UUID, upload_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """Import a checked upload: it becomes the agency's current chronology of the review."""
    review = await forms.get_review(caller.actor, review_id)
    await _upload(chronology, caller, review.id, upload_id)
    await chronology.import_upload(caller.actor, upload_id)
    return RedirectResponse(f"/reviews/{review.id}/chronology/uploads/{upload_id}", status_code=303)


@router.get("/reviews/{review_id}/chronology/uploads", response_class=HTMLResponse, include_in_schema=False)
async def upload_history(
    request: Request, review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """Every version of every agency's chronology the caller may see: who uploaded it, when, and its fate."""
    review = await forms.get_review(caller.actor, review_id)
    uploads = await chronology.uploads_of_review(caller.actor, review.id)
    rows = [
        {
            "upload": upload,
            "state": STATES[upload.state],
            "at": in_words(upload.uploaded_at),
            "imported": in_words(upload.imported_at),
            "opens": _keeps_register(caller) or upload.agency_id == caller.actor.agency_id,
        }
        for upload in uploads
    ]
    # Messages refused from agencies' systems: the business manager follows them up with the agency.
    refused = (
        await chronology.refused_messages(caller.actor, review.id)
        if caller.actor.has_role(Role.BUSINESS_MANAGER)
        else []
    )
    asked = await chronology.agencies_asked(caller.actor, review.id)
    agencies = {a.id: a.name for a in await run_in_threadpool(identity.list_agencies, review.partnership_id)}
    context = {
        "review": review,
        "rows": rows,
        "asked": [agencies.get(agency, "An agency") for agency in asked],
        "not_asked": [(agency, name) for agency, name in agencies.items() if agency not in asked],
        "refused": [{"message": message, "at": in_words(message.received_at)} for message in refused],
        "is_agency": _is_agency(caller),
        "judges": _keeps_register(caller),
        "is_manager": caller.actor.has_role(Role.BUSINESS_MANAGER),
    }
    return render(request, "chronology/history.html", context)


# -- the people register -----------------------------------------------------------------------------------


# How a register field that does not validate is worded (the fields already checked above are not here).
REGISTER_PROBLEMS = {
    "label": "Enter a pseudonym of at most 40 characters",
    "name": "Enter a full name of at most 200 characters",
    "role_in_family": "Enter a role in the family of at most 100 characters",
    "also_known_as": "Enter at most 10 other names, each at most 200 characters, separated by semicolons",
    "address": "Enter the address in at most 300 characters, or leave it blank",
    "postcode": "Enter a UK postcode, such as NE1 4ST, or leave it blank",
    "school": "Enter the school's name in at most 200 characters, or leave it blank",
    "nhs_number": "Enter the NHS number as 10 digits, such as 999 000 1006, or leave it blank",
    "record_numbers": "Enter at most 10 record numbers, each 3 to 60 characters, separated by semicolons",
}


def _listed(typed: str) -> list[str]:
    return [part.strip() for part in typed.split(";") if part.strip()]


@router.get("/reviews/{review_id}/chronology/people", response_class=HTMLResponse, include_in_schema=False)
async def register_page(
    request: Request, review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """The review's people register, with names for its keepers."""
    review = await forms.get_review(caller.actor, review_id)
    return await _register(request, review, chronology, caller, [], {})


async def _register(
    request: Request,
    review: Any,
    chronology: Chronology,
    caller: Caller,
    errors: list[dict[str, str]],
    values: dict[str, str],
    status: int = 200,
) -> Response:
    people = await chronology.people_of_review(caller.actor, review.id, show_names=_keeps_register(caller))
    context = {
        "review": review,
        "people": people,
        "keeps_register": _keeps_register(caller),
        "errors": errors,
        "values": values,
        "day": _day,
    }
    return render(request, "chronology/people.html", context, status_code=status)


@router.post(
    "/reviews/{review_id}/chronology/people",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def add_person(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    chronology: ChronologyDep,
    caller: Caller,
    label: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=400)] = "",
    role_in_family: Annotated[str, Form(max_length=200)] = "",
    born_on: Annotated[str, Form(max_length=20)] = "",
    also_known_as: Annotated[str, Form(max_length=2000)] = "",
    address: Annotated[str, Form(max_length=600)] = "",
    postcode: Annotated[str, Form(max_length=20)] = "",
    school: Annotated[str, Form(max_length=400)] = "",
    nhs_number: Annotated[str, Form(max_length=40)] = "",
    record_numbers: Annotated[str, Form(max_length=2000)] = "",
    subject: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Add someone to the register."""
    review = await forms.get_review(caller.actor, review_id)
    values = {
        "label": label,
        "name": name,
        "role_in_family": role_in_family,
        "born_on": born_on,
        "also_known_as": also_known_as,
        "address": address,
        "postcode": postcode,
        "school": school,
        "nhs_number": nhs_number,
        "record_numbers": record_numbers,
    }
    errors: list[dict[str, str]] = []
    born = None
    if born_on.strip():
        born = _date_or_none(born_on.strip())
        if born is None:
            errors.append(
                {"field": "born_on", "message": "Enter the date of birth as YYYY-MM-DD, or leave it blank"}
            )
    fields = {
        "label": "Enter a pseudonym, such as Child A",
        "name": "Enter their full name",
        "role_in_family": "Enter their role in the family, such as Mother",
    }
    for field, message in fields.items():
        if not values[field].strip():
            errors.append({"field": field, "message": message})
    if errors:
        return await _register(request, review, chronology, caller, errors, values, 422)
    try:
        command = AddPerson(
            review_id=review.id,
            label=label,
            name=name,
            role_in_family=role_in_family,
            born_on=born,
            subject=subject == "yes",
            also_known_as=_listed(also_known_as),
            address=address.strip() or None,
            postcode=postcode.strip() or None,
            school=school.strip() or None,
            nhs_number=nhs_number.strip() or None,
            record_numbers=_listed(record_numbers),
        )
    except ValidationError as refused:
        wrong = list(dict.fromkeys(str(problem["loc"][0]) for problem in refused.errors()))
        errors = [{"field": f, "message": REGISTER_PROBLEMS.get(f, "Check this answer")} for f in wrong]
        return await _register(request, review, chronology, caller, errors, values, 422)
    try:
        await chronology.add_person(caller.actor, command)
    except RemoteError as error:
        if error.exc_type in ("Conflict", "InvalidRequest"):
            return await _register(
                request,
                review,
                chronology,
                caller,
                [{"field": "label", "message": error.message}],
                values,
                422,
            )
        raise
    return RedirectResponse(f"/reviews/{review.id}/chronology/people", status_code=303)


@router.post(
    "/reviews/{review_id}/chronology/agencies",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def ask_agency(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    chronology: ChronologyDep,
    caller: Caller,
    agency_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """The business manager asks an agency for its chronology."""
    review = await forms.get_review(caller.actor, review_id)
    agency = _uuid_or_none(agency_id)
    if agency is None:
        return error_response(
            request,
            422,
            "There is a problem",
            "Choose an agency",
            [{"field": "agency_id", "message": "Choose an agency"}],
        )
    await chronology.ask_agency(caller.actor, review.id, agency)
    return RedirectResponse(f"/reviews/{review.id}/chronology/uploads", status_code=303)


# -- the reviewer's judgements: key practice episodes and likely duplicates ---------------------------------


def _invalid(request: Request, problems: list[dict[str, str]]) -> Response:
    """A form refused as invalid (422), naming each problem."""
    return error_response(request, 422, "There is a problem", "Fix the problems below", problems)


def _back_to(review_id: UUID, back: str) -> str:
    """Where to go after a judgement: the chronology page it was made on (never anywhere else)."""
    base = f"/reviews/{review_id}/chronology"
    return back if back.startswith(base) and "//" not in back and "\\" not in back else base


@router.post(
    "/reviews/{review_id}/chronology/episodes",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def tag_episode(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    chronology: ChronologyDep,
    caller: Caller,
    entry_id: Annotated[str, Form(max_length=40)] = "",
    learning: Annotated[str, Form(max_length=5000)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Tag an entry as a key practice episode, with the learning it points to."""
    review = await forms.get_review(caller.actor, review_id)
    entry = _uuid_or_none(entry_id)
    problems = []
    if entry is None:
        problems.append({"field": "entry_id", "message": "Choose an entry of the chronology"})
    if not learning.strip():
        problems.append({"field": "learning", "message": "Enter what this episode shows: the learning"})
    if problems or entry is None:
        return _invalid(request, problems)
    await chronology.tag_episode(caller.actor, review.id, TagEpisode(entry_id=entry, learning=learning))
    return RedirectResponse(_back_to(review.id, back), status_code=303)


@router.post(
    "/reviews/{review_id}/chronology/episodes/remove",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def untag_episode(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    chronology: ChronologyDep,
    caller: Caller,
    entry_id: Annotated[str, Form(max_length=40)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Take an entry off the key practice episodes."""
    review = await forms.get_review(caller.actor, review_id)
    entry = _uuid_or_none(entry_id)
    if entry is None:
        problems = [{"field": "entry_id", "message": "Choose an entry of the chronology"}]
        return _invalid(request, problems)
    await chronology.untag_episode(caller.actor, review.id, entry)
    return RedirectResponse(_back_to(review.id, back), status_code=303)


@router.get("/reviews/{review_id}/chronology/episodes", response_class=HTMLResponse, include_in_schema=False)
async def episodes_page(
    request: Request, review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """The review's key practice episodes, with the learning noted: what the reports draw on."""
    review = await forms.get_review(caller.actor, review_id)
    episodes = await chronology.episodes_of_review(caller.actor, review.id)
    context = {
        "review": review,
        "episodes": episodes,
        "is_agency": _is_agency(caller),
        "judges": _keeps_register(caller),
    }
    return render(request, "chronology/episodes.html", context)


@router.get(
    "/reviews/{review_id}/chronology/duplicates", response_class=HTMLResponse, include_in_schema=False
)
async def duplicates_page(
    request: Request, review_id: UUID, forms: FormsDep, chronology: ChronologyDep, caller: Caller
) -> Response:
    """Entries from different agencies that look like one event, for the reviewer to confirm or dismiss."""
    review = await forms.get_review(caller.actor, review_id)
    pairs = await chronology.likely_duplicates(caller.actor, review.id)
    first = await chronology.chronology_of_review(caller.actor, review.id, ChronologyQuery(limit=1))
    notice = {"confirm": "Confirmed as one event", "dismiss": "Dismissed: it will not be flagged again"}.get(
        request.query_params.get("done", ""), ""
    )
    context = {"review": review, "pairs": pairs, "notice": notice, "settling": first.settling}
    return render(request, "chronology/duplicates.html", context)


@router.post(
    "/reviews/{review_id}/chronology/duplicates/{duplicate_id}",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def resolve_duplicate(
    request: Request,
    review_id: UUID,
    duplicate_id: UUID,
    forms: FormsDep,
    chronology: ChronologyDep,
    caller: Caller,
    decision: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Confirm a likely duplicate as one event, or dismiss it for good."""
    review = await forms.get_review(caller.actor, review_id)
    if decision not in ("confirm", "dismiss"):
        problems = [{"field": "decision", "message": "Choose whether the two entries are one event"}]
        return _invalid(request, problems)
    await chronology.resolve_duplicate(caller.actor, review.id, duplicate_id, decision)  # type: ignore[arg-type]
    return RedirectResponse(f"/reviews/{review.id}/chronology/duplicates?done={decision}", status_code=303)


# -- the partnership's own columns ---------------------------------------------------------------------------


@router.get("/settings/chronology", response_class=HTMLResponse, include_in_schema=False)
async def columns_page(request: Request, chronology: ChronologyDep, caller: Caller) -> Response:
    """The partnership's own columns of its chronology template: its deciders read them, its manager sets."""
    columns = await chronology.partnership_columns(caller.actor)
    return _columns_page(request, caller, "\n".join(columns), [], columns)


def _columns_page(
    request: Request,
    caller: Caller,
    text: str,
    errors: list[dict[str, str]],
    columns: list[str],
    status: int = 200,
) -> Response:
    context = {
        "text": text,
        "errors": errors,
        "columns": columns,
        "standard": [column.heading for column in columns_for([])],
        "may_change": caller.actor.has_role(Role.BUSINESS_MANAGER),
        "saved": request.query_params.get("saved") == "1",
    }
    return render(request, "chronology/columns.html", context, status_code=status)


@router.post(
    "/settings/chronology", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
async def set_columns(
    request: Request,
    chronology: ChronologyDep,
    caller: Caller,
    columns: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """Set the partnership's own columns: one heading per line."""
    wanted = [line.strip() for line in columns.splitlines() if line.strip()]
    try:
        await chronology.set_partnership_columns(caller.actor, wanted)
    except RemoteError as error:
        if error.exc_type != "InvalidRequest":
            raise
        current = await chronology.partnership_columns(caller.actor)
        return _columns_page(
            request, caller, columns, [{"field": "columns", "message": error.message}], current, 422
        )
    return RedirectResponse("/settings/chronology?saved=1", status_code=303)
