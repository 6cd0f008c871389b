"""Factual accuracy of a named version: the round's page (the manager's board of who has confirmed, disputed
or not answered, overdue marked; an agency's sections to check and its answer), opening and closing a round,
an agency's answer; the family's comments on a version; the partners' sign-off, which locks the version once
every partner needed has signed, and the review's page of where each report's sign-off stands. Every page
works without JavaScript.

Who may do what is the reports service's rule (services/reports/policy.py), asked on every call; here the
page checks only that the version is the one its address names.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway.auth import Caller, Principal
from gateway.deps import FormsDep, in_words, render
from gateway.routes.reports import _problems, _reports
from gateway.rpc import RemoteError
from services.reports.contract import (
    MAX_COMMENT,
    AccuracyAnswer,
    AccuracyPage,
    FamilyCommentsEntry,
    OpenAccuracyRound,
    SectionComment,
)

router = APIRouter()

VERSION = "/reviews/{review_id}/reports/{document_id}/versions/{version_id}"
Problems = list[dict[str, str]]


def _page(review_id: UUID, document_id: UUID, version_id: UUID, what: str) -> str:
    return f"/reviews/{review_id}/reports/{document_id}/versions/{version_id}/{what}"


def _check_place(page: Any, review_id: UUID, document_id: UUID) -> None:
    """The version must be of the document and review the address names."""
    if page.version.review_id != review_id or page.version.document_id != document_id:
        raise HTTPException(404)


def _date(value: str, field: str, problems: Problems, *, required: bool) -> date | None:
    if not value.strip():
        if required:
            problems.append({"field": field, "message": "Enter the date"})
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.append({"field": field, "message": "Enter a real date, for example 2027-01-31"})
        return None


async def _accuracy(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    version_id: UUID,
    forms: FormsDep,
    caller: Principal,
    *,
    page: AccuracyPage | None = None,
    problems: Problems | None = None,
    sent: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    review = await forms.get_review(caller.actor, review_id)
    page = page or await _reports(request).accuracy_of_version(caller.actor, version_id)
    _check_place(page, review_id, document_id)
    current = next((r for r in page.rounds if r.open), None)
    context: dict[str, Any] = {
        "review": review,
        "document_id": document_id,
        "page": page,
        "current": current,
        "in_words": in_words,
        "today": date.today(),
        "problems": problems or [],
        "sent": sent or {},
        "form_token": str(uuid.uuid4()),
        "here": _page(review_id, document_id, version_id, "accuracy"),
        "answered": request.query_params.get("answered", ""),
    }
    return render(request, "reports/accuracy.html", context, status_code=status_code)


@router.get(VERSION + "/accuracy", response_class=HTMLResponse, include_in_schema=False)
async def accuracy_page(
    request: Request, review_id: UUID, document_id: UUID, version_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """The version's factual-accuracy rounds: for the manager, who has confirmed, disputed or not answered
    (overdue marked) and the form to open a round; for an agency asked, its sections and its answer."""
    return await _accuracy(request, review_id, document_id, version_id, forms, caller)


@router.post(VERSION + "/accuracy", include_in_schema=False)
async def open_round(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    version_id: UUID,
    forms: FormsDep,
    caller: Caller,
    due_on: Annotated[str, Form(max_length=40)] = "",
    agency_ids: Annotated[list[str] | None, Form()] = None,
    form_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Open a round: ask the chosen agencies to check the version by the date."""
    reports = _reports(request)
    page = await reports.accuracy_of_version(caller.actor, version_id)
    _check_place(page, review_id, document_id)
    problems: Problems = []
    due = _date(due_on, "due_on", problems, required=False)
    chosen: list[UUID] = []
    for value in agency_ids or []:
        try:
            chosen.append(UUID(value))
        except ValueError:
            problems.append({"field": "agency_ids", "message": "Choose agencies from the list"})
    if not problems:
        try:
            await reports.open_accuracy_round(
                caller.actor,
                version_id,
                OpenAccuracyRound(due_on=due, agency_ids=chosen),
                form_token or str(uuid.uuid4()),
            )
            return RedirectResponse(_page(review_id, document_id, version_id, "accuracy"), status_code=303)
        except RemoteError as exc:
            if exc.exc_type not in ("InvalidRequest", "Conflict"):
                raise
            problems = _problems(exc)
    sent = {"due_on": due_on, "agency_ids": agency_ids or []}
    return await _accuracy(
        request,
        review_id,
        document_id,
        version_id,
        forms,
        caller,
        problems=problems,
        sent=sent,
        status_code=422,
    )


@router.post(VERSION + "/accuracy/{round_id}/answer", include_in_schema=False)
async def answer_round(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    version_id: UUID,
    round_id: UUID,
    forms: FormsDep,
    caller: Caller,
) -> Response:
    """The caller's agency confirms the sections about it, or disputes them with a comment on each one it
    disputes (the form's `comment-<section id>` fields)."""
    reports = _reports(request)
    page = await reports.accuracy_of_version(caller.actor, version_id)
    _check_place(page, review_id, document_id)
    if not any(r.id == round_id for r in page.rounds):
        raise HTTPException(404)
    posted = await request.form()
    answer = str(posted.get("answer", ""))
    problems: Problems = []
    comments = []
    for section in page.sections:
        text = str(posted.get(f"comment-{section.section_id}", "")).strip()
        if len(text) > MAX_COMMENT:
            problems.append(
                {
                    "field": f"comment-{section.section_id}",
                    "message": f"Keep each comment to {MAX_COMMENT} characters",
                }
            )
        elif text:
            comments.append(SectionComment(section_id=section.section_id, text=text))
    if answer not in ("confirmed", "disputed"):
        problems.append({"field": "answer", "message": "Choose whether the sections are accurate"})
    elif answer == "disputed" and not comments and not problems:
        problems.append({"field": "answer", "message": "Say what is not accurate in at least one section"})
    elif answer == "confirmed":
        comments = []
    if not problems:
        try:
            await reports.answer_accuracy(
                caller.actor,
                round_id,
                AccuracyAnswer(answer=answer, comments=comments),  # type: ignore[arg-type]
            )
            return RedirectResponse(
                _page(review_id, document_id, version_id, "accuracy") + f"?answered={answer}", status_code=303
            )
        except RemoteError as exc:
            if exc.exc_type not in ("InvalidRequest", "Conflict"):
                raise
            problems = _problems(exc)
    sent = {key: str(value) for key, value in posted.items()}
    return await _accuracy(
        request,
        review_id,
        document_id,
        version_id,
        forms,
        caller,
        page=page,
        problems=problems,
        sent=sent,
        status_code=422,
    )


@router.post(VERSION + "/accuracy/{round_id}/close", include_in_schema=False)
async def close_round(
    request: Request, review_id: UUID, document_id: UUID, version_id: UUID, round_id: UUID, caller: Caller
) -> Response:
    """Close the round: answers no longer change, and agencies are no longer chased."""
    reports = _reports(request)
    page = await reports.accuracy_of_version(caller.actor, version_id)
    _check_place(page, review_id, document_id)
    if not any(r.id == round_id for r in page.rounds):
        raise HTTPException(404)
    await reports.close_accuracy_round(caller.actor, round_id)
    return RedirectResponse(_page(review_id, document_id, version_id, "accuracy"), status_code=303)


@router.get("/reviews/{review_id}/accuracy-requests/{check_id}", include_in_schema=False)
async def accuracy_request(request: Request, review_id: UUID, check_id: UUID, caller: Caller) -> Response:
    """The page a message about an agency's check opens (`check_id`: the agency's request in a round): the
    round's page of its version."""
    place = await _reports(request).accuracy_request(caller.actor, check_id)
    if place.review_id != review_id:
        raise HTTPException(404)
    return RedirectResponse(
        _page(place.review_id, place.document_id, place.version_id, "accuracy"), status_code=303
    )


# -- the family's comments -----------------------------------------------------------------------------------


async def _family(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    version_id: UUID,
    forms: FormsDep,
    caller: Principal,
    *,
    problems: Problems | None = None,
    sent: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    review = await forms.get_review(caller.actor, review_id)
    reports = _reports(request)
    records = await reports.family_comments_of_version(caller.actor, version_id)
    version = await reports.versions_of_document(caller.actor, document_id)
    named = next((v for v in version if v.id == version_id), None)
    if named is None or named.review_id != review_id:
        raise HTTPException(404)
    context = {
        "review": review,
        "version": named,
        "records": records,
        "in_words": in_words,
        "problems": problems or [],
        "sent": sent or {},
        "here": _page(review_id, document_id, version_id, "family"),
    }
    return render(request, "reports/family.html", context, status_code=status_code)


@router.get(VERSION + "/family", response_class=HTMLResponse, include_in_schema=False)
async def family_page(
    request: Request, review_id: UUID, document_id: UUID, version_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """When the family was shown the version, what they said and the response; the form to record it."""
    return await _family(request, review_id, document_id, version_id, forms, caller)


@router.post(VERSION + "/family", include_in_schema=False)
async def record_family(
    request: Request,
    review_id: UUID,
    document_id: UUID,
    version_id: UUID,
    forms: FormsDep,
    caller: Caller,
    shown_on: Annotated[str, Form(max_length=40)] = "",
    comments: Annotated[str, Form(max_length=MAX_COMMENT * 2)] = "",
    response: Annotated[str, Form(max_length=MAX_COMMENT * 2)] = "",
) -> Response:
    """Record that the family was shown the version on a date, their comments and the response."""
    problems: Problems = []
    shown = _date(shown_on, "shown_on", problems, required=True)
    for field, text in (("comments", comments), ("response", response)):
        if len(text.strip()) > MAX_COMMENT:
            problems.append({"field": field, "message": f"Keep it to {MAX_COMMENT} characters"})
    if not problems and shown is not None:
        try:
            await _reports(request).record_family_comments(
                caller.actor,
                version_id,
                FamilyCommentsEntry(shown_on=shown, comments=comments, response=response),
            )
            return RedirectResponse(_page(review_id, document_id, version_id, "family"), status_code=303)
        except RemoteError as exc:
            if exc.exc_type != "InvalidRequest":
                raise
            problems = _problems(exc)
    sent = {"shown_on": shown_on, "comments": comments, "response": response}
    return await _family(
        request,
        review_id,
        document_id,
        version_id,
        forms,
        caller,
        problems=problems,
        sent=sent,
        status_code=422,
    )


# -- the partners' sign-off ----------------------------------------------------------------------------------


@router.get("/reviews/{review_id}/sign-off", response_class=HTMLResponse, include_in_schema=False)
async def review_sign_offs(request: Request, review_id: UUID, forms: FormsDep, caller: Caller) -> Response:
    """Where the partners' sign-off of each of the review's reports stands, the way to each version to sign:
    the partners' way in (they read no drafts, so the reports' own pages are not theirs)."""
    review = await forms.get_review(caller.actor, review_id)
    if review.partnership_id != caller.actor.partnership_id:
        raise HTTPException(404)  # a review shared with the caller's partnership is signed off by its own
    standings = await _reports(request).sign_offs_of_review(caller.actor, review_id)
    context = {"review": review, "standings": standings, "in_words": in_words}
    return render(request, "reports/sign_offs.html", context)


@router.get(VERSION + "/sign-off", response_class=HTMLResponse, include_in_schema=False)
async def sign_off_page(
    request: Request, review_id: UUID, document_id: UUID, version_id: UUID, forms: FormsDep, caller: Caller
) -> Response:
    """Who has signed the version off and when; for a partner, the version's text and the button."""
    review = await forms.get_review(caller.actor, review_id)
    page = await _reports(request).sign_off_of_version(caller.actor, version_id)
    _check_place(page, review_id, document_id)
    context = {
        "review": review,
        "page": page,
        "in_words": in_words,
        "here": _page(review_id, document_id, version_id, "sign-off"),
        "signed": request.query_params.get("signed") == "1",
    }
    return render(request, "reports/sign_off.html", context)


@router.post(VERSION + "/sign-off", include_in_schema=False)
async def sign_off(
    request: Request, review_id: UUID, document_id: UUID, version_id: UUID, caller: Caller
) -> Response:
    """Sign the version off for the caller's partner agency; the last partner needed locks it."""
    reports = _reports(request)
    page = await reports.sign_off_of_version(caller.actor, version_id)
    _check_place(page, review_id, document_id)
    await reports.sign_off_version(caller.actor, version_id)
    return RedirectResponse(
        _page(review_id, document_id, version_id, "sign-off") + "?signed=1", status_code=303
    )
