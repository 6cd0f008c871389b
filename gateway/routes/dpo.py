"""The data protection officer's pages: who accessed what (the audit log), subject access requests and the
retention schedule, always of the officer's own partnership and never the content of a case file.

The rules (due dates, retention periods, what a form must hold) are in gateway/gdpr.py; the audit log is
read through gateway/audit.py; these handlers translate between them and the pages.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway import audit, gdpr, identity
from gateway.auth import AccessDenied, Caller
from gateway.deps import FormsDep, NotificationsDep, render
from gateway.identity import utcnow
from gateway.rpc import command_for
from services.forms.contract import Forms
from services.kernel.calendar import ENGLAND, today_in_england
from services.kernel.data_protection import PersonQuery, PersonRecord
from services.notifications.contract import Notifications

router = APIRouter(include_in_schema=False)

# Entries on one page of the audit search; older ones are a link away.
AUDIT_PAGE = 200
# Entries in one CSV download (the newest).
AUDIT_CSV_LIMIT = 10_000
# Entries read at a time when a subject access export gathers all of a person's.
AUDIT_EXPORT_BATCH = 5_000


def _partnership_of(caller: Caller) -> UUID:
    """The officer's partnership: every register here is scoped to it."""
    if caller.actor.partnership_id is None:
        raise AccessDenied("no partnership")
    return caller.actor.partnership_id


def _day(value: date) -> str:
    return value.strftime("%-d %B %Y")


def _moment(value: datetime) -> str:
    return value.astimezone(ENGLAND).strftime("%-d %B %Y, %H:%M:%S")


def _file_part(value: str) -> str:
    """Text safe in a download's file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", value).strip("-") or "request"


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


def _request_id(value: str) -> UUID:
    """A request id from the address; anything else is not found."""
    try:
        return UUID(value)
    except ValueError:
        raise HTTPException(404) from None


# -- the start page -----------------------------------------------------------------------------------------


@router.get("/dpo", response_class=HTMLResponse)
async def start(request: Request, caller: Caller, forms: FormsDep) -> Response:
    """The tools, with how many requests are open or overdue and how many records are due for review."""
    partnership_id = _partnership_of(caller)
    today = today_in_england(utcnow())
    requests = await run_in_threadpool(gdpr.subject_access_requests, partnership_id)
    open_requests = [sar for sar in requests if sar.completed_on is None]
    due = await _records_due(forms, caller, partnership_id, today)
    return render(
        request,
        "dpo/start.html",
        {
            "nav": "dpo",
            "open_requests": len(open_requests),
            "overdue_requests": sum(1 for sar in open_requests if gdpr.is_overdue(sar.due_on, today)),
            "records_due": len(due),
        },
    )


# -- the audit log ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    """An audit entry as the table shows it."""

    when: str
    who: str
    record: str
    record_id: str
    action: str
    outcome: str
    address: str


@dataclass(frozen=True)
class AuditSearch:
    """What the officer asked for: one review's entries, or one person's."""

    review_id: UUID | None = None
    user_id: str | None = None

    @property
    def query(self) -> str:
        return f"review_id={self.review_id}" if self.review_id else f"user_id={self.user_id}"


def _audit_search(
    review_id: str | None, user_id: str | None
) -> tuple[AuditSearch | None, list[gdpr.Problem]]:
    """The search the query asks for (None if it asks for none yet), or what to fix."""
    if review_id is not None and user_id is not None:
        return None, [
            {"field": "review_id", "message": "Search by a review or by a person, not both at once"}
        ]
    if review_id is not None:
        try:
            return AuditSearch(review_id=UUID(review_id.strip())), []
        except ValueError:
            message = (
                "Enter the review's ID"
                if not review_id.strip()
                else "Enter the review's ID in the correct format, like 0b9e3c2a-5d4f-4e8a-9c1b-2f6d7e8a9b0c"
            )
            return None, [{"field": "review_id", "message": message}]
    if user_id is not None:
        value = user_id.strip()
        # An agency's system acts as "client:<uuid>" (gateway/auth.py).
        bare = value.removeprefix("client:")
        try:
            UUID(bare)
        except ValueError:
            return None, [{"field": "user_id", "message": "Choose the person whose access you want to see"}]
        return AuditSearch(user_id=value if value.startswith("client:") else str(UUID(bare))), []
    return None, []


def _audit_entries(
    partnership_id: UUID, search: AuditSearch, limit: int, before: int | None
) -> list[audit.AuditRow]:
    if search.review_id is not None:
        return audit.entries_for_review(partnership_id, search.review_id, limit, before=before)
    assert search.user_id is not None
    return audit.entries_by_user(partnership_id, search.user_id, limit, before=before)


async def _audit_page(
    request: Request,
    partnership_id: UUID,
    search: AuditSearch | None,
    errors: list[gdpr.Problem],
    values: dict[str, str],
    before: int | None = None,
) -> Response:
    users = await run_in_threadpool(identity.list_users, partnership_id)
    names = {str(user.id): user.display_name for user in users}
    rows = (
        await run_in_threadpool(_audit_entries, partnership_id, search, AUDIT_PAGE, before)
        if search is not None and not errors
        else []
    )
    lines = [
        AuditLine(
            when=_moment(row.at),
            who=names.get(row.user_id, row.user_id),
            record=row.record_type.replace("_", " "),
            record_id=row.record_id
            or (str(row.review_id) if row.review_id and search and search.user_id else ""),
            action=row.action.replace("_", " "),
            outcome=row.outcome,
            address=row.address or "",
        )
        for row in rows
    ]
    heading = ""
    if search is not None and not errors:
        heading = (
            f"Who accessed review {search.review_id}"
            if search.review_id
            else f"What {names.get(search.user_id or '', search.user_id)} accessed"
        )
    return render(
        request,
        "dpo/audit.html",
        {
            "nav": "dpo",
            "errors": errors,
            "values": values,
            "people": [(str(user.id), user.display_name) for user in users],
            "searched": search is not None and not errors,
            "heading": heading,
            "lines": lines,
            "csv_link": f"/dpo/audit.csv?{search.query}" if search and not errors else "",
            "older_link": f"/dpo/audit?{search.query}&before={rows[-1].seq}"
            if search and len(rows) == AUDIT_PAGE
            else "",
            "page_size": AUDIT_PAGE,
        },
        status_code=422 if errors else 200,
    )


@router.get("/dpo/audit", response_class=HTMLResponse)
async def audit_search(
    request: Request,
    caller: Caller,
    review_id: str | None = None,
    user_id: str | None = None,
    before: int | None = None,
) -> Response:
    """Who accessed a review, or what a person accessed, newest first."""
    partnership_id = _partnership_of(caller)
    search, errors = _audit_search(review_id, user_id)
    values = {"review_id": review_id or "", "user_id": user_id or ""}
    return await _audit_page(request, partnership_id, search, errors, values, before)


@router.get("/dpo/audit.csv", response_model=None)
async def audit_csv(
    request: Request, caller: Caller, review_id: str | None = None, user_id: str | None = None
) -> Response:
    """The same entries as a CSV download (the newest AUDIT_CSV_LIMIT)."""
    partnership_id = _partnership_of(caller)
    search, errors = _audit_search(review_id, user_id)
    values = {"review_id": review_id or "", "user_id": user_id or ""}
    if search is None and not errors:
        errors = [
            {
                "field": "review_id",
                "message": "Enter a review's ID, or choose a person, to download their entries",
            }
        ]
    if search is None or errors:
        return await _audit_page(request, partnership_id, None, errors, values)
    rows = await run_in_threadpool(_audit_entries, partnership_id, search, AUDIT_CSV_LIMIT, None)
    subject = f"review-{search.review_id}" if search.review_id else f"user-{search.user_id}"
    filename = f"audit-{_file_part(subject)}-{today_in_england(utcnow()).isoformat()}.csv"
    return Response(audit.as_csv(rows), media_type="text/csv; charset=utf-8", headers=_attachment(filename))


# -- subject access requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestLine:
    """A subject access request as the register shows it."""

    id: UUID
    reference: str
    requester: str
    subject_email: str
    received_on: str
    due_on: str
    completed_on: str
    deadline: gdpr.Deadline | None


def _request_line(sar: gdpr.SubjectAccessRequest, today: date) -> RequestLine:
    return RequestLine(
        id=sar.id,
        reference=sar.reference,
        requester=sar.requester,
        subject_email=sar.subject_email or "",
        received_on=_day(sar.received_on),
        due_on=_day(sar.due_on),
        completed_on=_day(sar.completed_on) if sar.completed_on else "",
        deadline=gdpr.sar_deadline(sar.due_on, today) if sar.completed_on is None else None,
    )


async def _requests_page(
    request: Request,
    partnership_id: UUID,
    *,
    errors: list[gdpr.Problem] | None = None,
    values: dict[str, str] | None = None,
    notice: str = "",
) -> Response:
    today = today_in_england(utcnow())
    requests = await run_in_threadpool(gdpr.subject_access_requests, partnership_id)
    lines = [_request_line(sar, today) for sar in requests]
    errors = errors or []
    return render(
        request,
        "dpo/subject_access_requests.html",
        {
            "nav": "dpo",
            "errors": errors,
            "date_error": next((error["message"] for error in errors if "parts" in error), ""),
            "date_parts_in_error": [part for error in errors for part in error.get("parts", [])],
            "values": values or {},
            "notice": notice,
            "open_requests": [line for line in lines if not line.completed_on],
            "completed_requests": [line for line in lines if line.completed_on],
            "example_date": f"{today.day} {today.month} {today.year}",
        },
        status_code=422 if errors else 200,
    )


@router.get("/dpo/subject-access-requests", response_class=HTMLResponse)
async def subject_access_requests(
    request: Request, caller: Caller, logged: str | None = None, completed: str | None = None
) -> Response:
    """The register: the form to log a request, open requests by due date, and completed ones."""
    partnership_id = _partnership_of(caller)
    notice = ""
    for request_id, words in ((logged, "logged"), (completed, "marked as completed")):
        if request_id:
            try:
                sar = await run_in_threadpool(gdpr.subject_access_request, partnership_id, UUID(request_id))
            except ValueError:
                sar = None
            if sar is not None:
                notice = f"Request {sar.reference} {words}." + (
                    f" Respond by {_day(sar.due_on)}." if words == "logged" else ""
                )
    return await _requests_page(request, partnership_id, notice=notice)


@router.post("/dpo/subject-access-requests", response_class=HTMLResponse, response_model=None)
async def log_subject_access_request(request: Request, caller: Caller) -> Response:
    """Log a request; its due date is one calendar month after it was received."""
    partnership_id = _partnership_of(caller)
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    values = {key: value for key, value in form.items() if key != "csrf_token"}
    new_request, errors = gdpr.check_subject_access_request(form, today_in_england(utcnow()))
    if new_request is None:
        return await _requests_page(request, partnership_id, errors=errors, values=values)
    try:
        request_id = await run_in_threadpool(
            lambda: gdpr.log_subject_access_request(
                partnership_id, new_request, logged_by=caller.actor.user_id, now=utcnow()
            )
        )
    except gdpr.DuplicateReference:
        errors = [
            {"field": "reference", "message": "A request with this reference is already logged: use another"}
        ]
        return await _requests_page(request, partnership_id, errors=errors, values=values)
    return RedirectResponse(f"/dpo/subject-access-requests?logged={request_id}", status_code=303)


@router.post("/dpo/subject-access-requests/{request_id}/complete", response_model=None)
async def complete_subject_access_request(request_id: str, caller: Caller) -> Response:
    """Mark a request completed today."""
    partnership_id = _partnership_of(caller)
    wanted = _request_id(request_id)
    if await run_in_threadpool(gdpr.subject_access_request, partnership_id, wanted) is None:
        raise HTTPException(404)
    # Completing a completed request changes nothing: it keeps its first completion date.
    await run_in_threadpool(
        gdpr.complete_subject_access_request, partnership_id, wanted, today_in_england(utcnow())
    )
    return RedirectResponse(f"/dpo/subject-access-requests?completed={wanted}", status_code=303)


def _all_entries_by_user(partnership_id: UUID, user_id: str) -> list[audit.AuditRow]:
    rows: list[audit.AuditRow] = []
    before: int | None = None
    while True:
        batch = audit.entries_by_user(partnership_id, user_id, AUDIT_EXPORT_BATCH, before=before)
        rows += batch
        if len(batch) < AUDIT_EXPORT_BATCH:
            return rows
        before = batch[-1].seq


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return audit.canonical_timestamp(value)
    if isinstance(value, date | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


@router.get("/dpo/subject-access-requests/{request_id}/export", response_model=None)
async def export_subject_access_request(
    request_id: str, caller: Caller, forms: FormsDep, notifications: NotificationsDep
) -> Response:
    """Everything held about the request's subject across the services, as one JSON document."""
    partnership_id = _partnership_of(caller)
    sar = await run_in_threadpool(gdpr.subject_access_request, partnership_id, _request_id(request_id))
    if sar is None:
        raise HTTPException(404)
    user = await run_in_threadpool(identity.user_by_email, sar.subject_email) if sar.subject_email else None
    # Only an account of the officer's own partnership is theirs to disclose.
    if user is not None and user.partnership_id != partnership_id:
        user = None
    account = await run_in_threadpool(gdpr.account_record, partnership_id, user.id) if user else None
    entries = await run_in_threadpool(_all_entries_by_user, partnership_id, str(user.id)) if user else []
    person = {"user_id": str(user.id) if user else None, "email": sar.subject_email}
    # Each service that holds records about people is asked what it holds about this one.
    held: dict[str, list[Any]] = {Forms.service: [], Notifications.service: []}
    if person["user_id"] or person["email"]:
        found: list[PersonRecord] = await forms.records_about_person(
            caller.actor, command_for(Forms.records_about_person, PersonQuery, person)
        )
        held[Forms.service] = [record.model_dump(mode="json") for record in found]
        found = await notifications.records_about_person(
            caller.actor, command_for(Notifications.records_about_person, PersonQuery, person)
        )
        held[Notifications.service] = [record.model_dump(mode="json") for record in found]
    document = {
        "subject": {
            "request_reference": sar.reference,
            "requester": sar.requester,
            "email": sar.subject_email,
            "user_id": person["user_id"],
            "received_on": sar.received_on,
            "due_on": sar.due_on,
        },
        "generated_at": utcnow(),
        "generated_by": caller.actor.user_id,
        "sources": {
            "identity": account,
            "audit": [asdict(row) for row in entries],
            **held,
        },
    }
    filename = f"subject-access-{_file_part(sar.reference)}-{today_in_england(utcnow()).isoformat()}.json"
    body = json.dumps(document, default=_json_value, indent=2, ensure_ascii=False)
    return Response(body, media_type="application/json", headers=_attachment(filename))


# -- retention ----------------------------------------------------------------------------------------------


async def _records_due(
    forms: FormsDep, caller: Caller, partnership_id: UUID, today: date
) -> list[gdpr.DueRecord]:
    """What has outlived the partnership's retention periods: reviews, deactivated accounts, completed
    subject access requests."""
    overrides = await run_in_threadpool(gdpr.retention_overrides, partnership_id)
    schedule = {rule.record_type: rule for rule in gdpr.retention_schedule(overrides)}
    review_rule = schedule["review"]
    cutoff = gdpr.retention_cutoff(review_rule.months, today)
    candidates = await forms.reviews_for_retention(caller.actor, cutoff)
    type_labels = {t.code: t.label for t in await forms.review_types()} if candidates else {}
    reviews = [
        (
            f"Review {review.title} ({type_labels.get(review.review_type, review.review_type)})",
            today_in_england(review.opened_at),
        )
        for review in candidates
    ]
    accounts = [
        (f"Account of {account.display_name}", today_in_england(account.deactivated_at))
        for account in await run_in_threadpool(gdpr.deactivated_accounts, partnership_id)
    ]
    requests = [
        (f"Subject access request {sar.reference}", sar.completed_on)
        for sar in await run_in_threadpool(gdpr.subject_access_requests, partnership_id)
        if sar.completed_on is not None
    ]
    due = (
        gdpr.records_past_retention(review_rule, reviews, today)
        + gdpr.records_past_retention(schedule["user_account"], accounts, today)
        + gdpr.records_past_retention(schedule["subject_access_request"], requests, today)
    )
    return sorted(due, key=lambda record: record.ended_on)


async def _retention_page(
    request: Request,
    forms: FormsDep,
    caller: Caller,
    partnership_id: UUID,
    *,
    errors: list[gdpr.Problem] | None = None,
    values: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    today = today_in_england(utcnow())
    schedule = gdpr.retention_schedule(await run_in_threadpool(gdpr.retention_overrides, partnership_id))
    due = await _records_due(forms, caller, partnership_id, today)
    submitted = values or {}
    return render(
        request,
        "dpo/retention.html",
        {
            "nav": "dpo",
            "errors": errors or [],
            "saved": saved,
            "schedule": [
                {
                    "rule": rule,
                    "field": gdpr.field_of(rule.record_type),
                    # After a refused form, what was sent (even nothing); otherwise the period in force.
                    "value": submitted.get(gdpr.field_of(rule.record_type), "")
                    if errors
                    else str(rule.months),
                    "default_months": gdpr.DEFAULT_MONTHS[rule.record_type],
                }
                for rule in schedule
            ],
            "due": [
                {
                    "description": record.description,
                    "started_on": _day(record.started_on),
                    "ended_on": _day(record.ended_on),
                    "action": record.action_label,
                    "action_colour": "red" if record.action == "delete" else "yellow",
                    "guidance": record.guidance,
                    "record": next(rule.label for rule in schedule if rule.record_type == record.record_type),
                }
                for record in due
            ],
            "months_min": gdpr.MONTHS_MIN,
            "months_max": gdpr.MONTHS_MAX,
        },
        status_code=422 if errors else 200,
    )


@router.get("/dpo/retention", response_class=HTMLResponse)
async def retention(request: Request, caller: Caller, forms: FormsDep, saved: str = "") -> Response:
    """The retention schedule, the form to change it, and what is due for review or deletion."""
    return await _retention_page(request, forms, caller, _partnership_of(caller), saved=bool(saved))


@router.post("/dpo/retention", response_class=HTMLResponse, response_model=None)
async def change_retention(request: Request, caller: Caller, forms: FormsDep) -> Response:
    """Set the partnership's own retention periods (1 to 600 months each)."""
    partnership_id = _partnership_of(caller)
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    months, errors = gdpr.check_retention_months(form)
    if errors:
        return await _retention_page(request, forms, caller, partnership_id, errors=errors, values=form)
    await run_in_threadpool(
        lambda: gdpr.set_retention_periods(
            partnership_id, months, changed_by=caller.actor.user_id, now=utcnow()
        )
    )
    return RedirectResponse("/dpo/retention?saved=1", status_code=303)
