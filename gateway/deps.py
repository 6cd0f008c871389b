"""What a route needs, named so that routes read like sentences; and how a page is rendered."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response

from gateway.auth import Caller, Principal, csrf_token, presession_cookie_name, set_cookie
from gateway.policy import ACTION_READERS
from gateway.rpc import RpcClient
from services.actions.contract import Actions
from services.analytics.contract import Analytics
from services.chronology.contract import Chronology
from services.forms.contract import Forms
from services.kernel.calendar import ENGLAND
from services.kernel.config import gateway_settings
from services.kernel.identity import ANALYST_ROLES, CASE_ROLES, PARTNERSHIP_CASE_ROLES, Role
from services.meetings.contract import Meetings
from services.notifications.contract import Notifications

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


async def get_rpc(request: Request) -> RpcClient:
    """The process's RPC client."""
    return request.app.state.rpc


RpcDep = Annotated[RpcClient, Depends(get_rpc)]


# Each service as its contract declares it: calls checked by mypy, answers in their declared types, over the
# process's RPC client (which seals the caller for each method). These and every dependency on the path of
# each request are `async def`: FastAPI runs a plain `def` one in a worker thread, a hop per dependency.


async def get_forms(rpc: RpcDep) -> Forms:
    """The forms service."""
    return Forms.client(rpc)


async def get_notifications(rpc: RpcDep) -> Notifications:
    """The notifications service."""
    return Notifications.client(rpc)


async def get_analytics(rpc: RpcDep) -> Analytics:
    """The analytics service."""
    return Analytics.client(rpc)


async def get_chronology(rpc: RpcDep) -> Chronology:
    """The chronology service."""
    return Chronology.client(rpc)


async def get_meetings(rpc: RpcDep) -> Meetings:
    """The meetings service."""
    return Meetings.client(rpc)


async def get_actions(rpc: RpcDep) -> Actions:
    """The actions service."""
    return Actions.client(rpc)


FormsDep = Annotated[Forms, Depends(get_forms)]
MeetingsDep = Annotated[Meetings, Depends(get_meetings)]
NotificationsDep = Annotated[Notifications, Depends(get_notifications)]
AnalyticsDep = Annotated[Analytics, Depends(get_analytics)]
ChronologyDep = Annotated[Chronology, Depends(get_chronology)]
ActionsDep = Annotated[Actions, Depends(get_actions)]


def in_words(moment: datetime | None, *, weekday: bool = False) -> str:
    """A time as a page shows it, in UK time ("" for never): "30 November 2026 at 09:00", or with the
    weekday, "Monday 30 November 2026 at 09:00"."""
    if moment is None:
        return ""
    return moment.astimezone(ENGLAND).strftime(("%A " if weekday else "") + "%-d %B %Y at %H:%M")


def working_days(count: int) -> str:
    """A number of working days in words: "1 working day", "10 working days"."""
    return f"{count} working day{'' if count == 1 else 's'}"


def id_or_404(value: str) -> UUID:
    """An id from the address; anything else is "Page not found"."""
    try:
        return UUID(value)
    except ValueError:
        raise HTTPException(404) from None


def navigation(principal: Principal | None) -> list[tuple[str, str, str]]:
    """The menu a person sees: (key, address, words), from what their roles let them reach."""
    settings = gateway_settings()
    items: list[tuple[str, str, str]] = []
    roles = principal.actor.roles if principal else frozenset()
    if roles & CASE_ROLES:
        items.append(("reviews", "/reviews", "Reviews"))
    if roles & {Role.AGENCY_LEAD, Role.AGENCY_AUTHOR, Role.BUSINESS_MANAGER}:
        items.append(("returns", "/returns", "Returns"))
    if roles & CASE_ROLES - {Role.AGENCY_SYSTEM}:
        items.append(("meetings", "/meetings", "Meetings"))
    if Role.BUSINESS_MANAGER in roles:
        items.append(("reviews-new", "/reviews/new", "Open a review"))
    if roles & CASE_ROLES - {Role.AGENCY_SYSTEM}:
        items.append(("referrals-new", "/referrals/new", "Refer an incident"))
    if roles & ACTION_READERS:  # gateway/policy.py
        items.append(("actions", "/actions", "Actions"))
    if Role.BUSINESS_MANAGER in roles:
        items.append(("settings", "/settings/deadlines", "Deadline settings"))
    if roles & (PARTNERSHIP_CASE_ROLES | ANALYST_ROLES):
        items.append(("dashboard", "/dashboards", "Dashboards"))
    if Role.PARTNERSHIP_ADMIN in roles:
        items.append(("admin", "/admin/users", "Users"))
    if Role.DATA_PROTECTION_OFFICER in roles:
        items.append(("dpo", "/dpo", "Data protection"))
    if principal is not None:
        # The header shows the unread count beside it (base.html).
        items.append(("messages", "/notifications", "Messages"))
        items.append(("account", "/account", "Your account"))
    if settings.serves_demo_pages:
        items.append(("mail", "/demo/mail", "Caught e-mail"))
    return items


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """A page, with what every page needs: who is signed in, their menu, the CSRF token, the session clock."""
    settings = gateway_settings()
    principal: Principal | None = getattr(request.state, "principal", None)
    signed_in = principal is not None and principal.session is not None and principal.session.stage == "full"
    page_context = {
        "principal": principal if signed_in else None,
        "nav_items": navigation(principal if signed_in else None),
        "csrf_token": csrf_token(request),
        "session_idle_seconds": settings.session_idle_minutes * 60 if signed_in else 0,
        "session_warning_seconds": settings.session_warning_seconds,
        # The unread count, when the notifications service gave it for this page (gateway/live.py).
        "unread_count": getattr(request.state, "unread", None) if signed_in else None,
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, template, page_context, status_code=status_code)
    new_presession = getattr(request.state, "new_presession", None)
    if new_presession:
        set_cookie(response, presession_cookie_name(), new_presession)
    return response


PAGE_NOT_FOUND = (
    "If you typed the web address, check it is correct. "
    "If you pasted the web address, check you copied the entire address."
)


class ErrorAnswer(BaseModel):
    """The body of every JSON error: what went wrong and what to do, in a sentence."""

    detail: str


class Problem(BaseModel):
    """One thing to fix in a request: the field (a dotted path inside JSON), plain words, and its kind."""

    field: str
    message: str
    type: str = ""


class ProblemsAnswer(ErrorAnswer):
    """The body of a 422: `detail`, and each problem to fix."""

    problems: list[Problem] = []


# Declared on every operation of the OpenAPI document, so a generated client knows each answer's shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorAnswer,
        "description": "Not signed in: sign in, or send an API client's bearer token",
    },
    403: {"model": ErrorAnswer, "description": "Signed in, but this account may not do this"},
    404: {"model": ErrorAnswer, "description": "No such thing, or not one this account may know of"},
    409: {"model": ErrorAnswer, "description": "Changed meanwhile by someone else: reload and try again"},
    413: {"model": ErrorAnswer, "description": "The body is larger than the limit"},
    422: {"model": ProblemsAnswer, "description": "The request has problems: each is named"},
    503: {"model": ErrorAnswer, "description": "A service is not answering: try again in a minute"},
}


def wants_json(request: Request) -> bool:
    """True for the JSON API and for clients that ask for JSON; pages otherwise."""
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def error_response(
    request: Request, status: int, title: str, detail: str, problems: list[dict[str, str]] | None = None
) -> Response:
    """An error as JSON (`detail`, with `problems` when there are some) or as the error page."""
    if wants_json(request):
        body: dict[str, Any] = {"detail": detail}
        if problems:
            body["problems"] = problems
        return JSONResponse(body, status_code=status)
    context = {"status_code": status, "title": title, "detail": detail, "problems": problems or []}
    return render(request, "error.html", context, status)


__all__ = [
    "ERROR_RESPONSES",
    "PAGE_NOT_FOUND",
    "TEMPLATES",
    "ActionsDep",
    "AnalyticsDep",
    "Caller",
    "ChronologyDep",
    "FormsDep",
    "MeetingsDep",
    "NotificationsDep",
    "RpcDep",
    "error_response",
    "in_words",
    "navigation",
    "render",
    "wants_json",
]
