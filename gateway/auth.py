"""Who is calling: a session cookie or an API client's bearer token, checked against the route's policy
(gateway/policy.py) before any route runs; CSRF on every state-changing request from a browser; and the
audit record of every call to case data.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from hashlib import sha256
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.exceptions import WebSocketException
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.status import WS_1008_POLICY_VIOLATION

from gateway import audit, identity
from gateway.credentials import new_token
from gateway.identity import Session, UserAccount, utcnow
from gateway.policy import Policy, policy_for
from gateway.secretbox import derive_key, load_key
from services.kernel.config import GatewaySettings, gateway_settings
from services.kernel.identity import ANALYST_ROLES, CASE_ROLES, Actor, Role
from services.kernel.logs import request_id as current_request_id

log = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Requests that authenticate by their own credentials, never by cookie: no CSRF token to check.
CSRF_EXEMPT = frozenset({"/api/oauth/token"})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    actor: Actor
    display_name: str
    session: Session | None = None
    user: UserAccount | None = None
    api_client: identity.ApiClient | None = None

    @property
    def is_session(self) -> bool:
        return self.session is not None


class SignInRequired(Exception):
    """The route needs a signed-in person and there is none (or the session ended)."""

    def __init__(self, next_path: str, expired: bool = False) -> None:
        super().__init__("sign in required")
        self.next_path = next_path
        self.expired = expired


class AccessDenied(Exception):
    """The caller may not use this route (or the request failed its CSRF check)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- cookies ------------------------------------------------------------------------------------------------


def session_cookie_name(settings: GatewaySettings | None = None) -> str:
    """`__Host-` demands Secure; only plain-HTTP local development goes without both."""
    return "__Host-session" if (settings or gateway_settings()).cookies_secure else "caserev-session"


def presession_cookie_name(settings: GatewaySettings | None = None) -> str:
    """The cookie that binds the CSRF token of a form shown before sign-in."""
    return "__Host-presession" if (settings or gateway_settings()).cookies_secure else "caserev-presession"


def set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """HttpOnly, SameSite=Lax, path /, no domain (a __Host- cookie), Secure outside local development."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=gateway_settings().cookies_secure,
    )


def start_session_cookie(response: Response, token: str) -> None:
    """Hand the browser a new session id (every sign-in step issues a new one)."""
    set_cookie(
        response, session_cookie_name(), token, max_age=gateway_settings().session_absolute_hours * 3600
    )


def clear_session_cookie(response: Response) -> None:
    """Forget the session cookie."""
    response.delete_cookie(
        session_cookie_name(),
        path="/",
        secure=gateway_settings().cookies_secure,
        httponly=True,
        samesite="lax",
    )


# -- CSRF ---------------------------------------------------------------------------------------------------


@lru_cache
def _csrf_key() -> bytes:
    return derive_key(load_key(gateway_settings()), "csrf")


def csrf_token_for(binding: str) -> str:
    """The token a form must carry: an HMAC of the session (or pre-session) it was shown in."""
    return hmac.new(_csrf_key(), binding.encode(), sha256).hexdigest()


def csrf_binding(request: Request) -> str | None:
    """What the CSRF token of this request is bound to: its session, else its pre-session cookie."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None and principal.session is not None:
        return "session:" + principal.session.id_hash
    presession = request.cookies.get(presession_cookie_name())
    return "pre:" + presession if presession else None


def csrf_token(request: Request) -> str:
    """The CSRF token to put in the page's forms (creating the pre-session cookie when needed)."""
    binding = csrf_binding(request)
    if binding is None:
        value = getattr(request.state, "new_presession", None) or new_token()
        request.state.new_presession = value
        binding = "pre:" + value
    return csrf_token_for(binding)


async def _check_csrf(request: Request) -> None:
    binding = csrf_binding(request)
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if binding is None or not sent or not hmac.compare_digest(sent, csrf_token_for(binding)):
        raise AccessDenied("csrf")


# -- authentication -----------------------------------------------------------------------------------------


def actor_of_user(found: identity.SessionCaller, user: UserAccount) -> Actor:
    """The Actor a signed-in user carries to every service."""
    regional = Role.REGIONAL_ANALYST in user.roles and user.region
    return Actor(
        user_id=str(user.id),
        partnership_id=user.partnership_id,
        agency_id=user.agency_id,
        roles=user.roles,
        reviews=found.reviews,
        partnerships=found.region_partnerships if regional else frozenset(),
    )


def session_expired(session: Session, now: datetime, settings: GatewaySettings) -> bool:
    """True past the absolute time-out or after the idle time-out without activity."""
    idle = timedelta(minutes=settings.session_idle_minutes)
    return now >= session.expires_at or now - session.last_seen_at >= idle


def authenticate(request: HTTPConnection, *, touch: bool = True) -> tuple[Principal | None, bool]:
    """The caller of a request, and whether a session cookie was sent that has now expired."""
    settings = gateway_settings()
    now = utcnow()
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        client = identity.client_by_api_token(authorization[7:].strip(), now)
        if client is None:
            return None, False
        actor = Actor(
            user_id=f"client:{client.id}",
            partnership_id=client.partnership_id,
            agency_id=client.agency_id,
            roles=frozenset({Role.AGENCY_SYSTEM}),
            reviews=identity.reviews_of_agency(client.agency_id),
        )
        return Principal(actor=actor, display_name=client.name, api_client=client), False
    token = request.cookies.get(session_cookie_name(settings))
    if not token:
        return None, False
    found, remembered = identity.session_caller(token, remembered_for=settings.session_cache_seconds)
    if found is not None and remembered and not _still_good(found, now, settings):
        # Ending a session is decided on what the database says now, never on what was remembered.
        identity.SESSIONS.forget(found.session.id_hash)
        found, _ = identity.session_caller(token)
    if found is None:
        return None, True
    session, user = found.session, found.user
    if user is None or not _still_good(found, now, settings):
        identity.end_session(session.id_hash, now)
        return None, True
    if touch and _due_a_touch(session, now):
        identity.touch_session(session.id_hash, now)
    return _principal(found, user), False


def _principal(found: identity.SessionCaller, user: UserAccount) -> Principal:
    return Principal(
        actor=actor_of_user(found, user), display_name=user.display_name, session=found.session, user=user
    )


def _due_a_touch(session: Session, now: datetime) -> bool:
    # Activity is written at most every 15 seconds: the idle time-out is counted in minutes.
    return now - session.last_seen_at > timedelta(seconds=15)


def remembered_caller(request: HTTPConnection, *, touch: bool = True) -> Principal | None:
    """The caller of a request signed in with a session this process looked up a moment ago (SessionCache),
    judged as `authenticate` judges it but without the database or a worker thread; None whenever
    `authenticate` must decide (no such session remembered, an API client, anything to end or write)."""
    settings = gateway_settings()
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return None
    token = request.cookies.get(session_cookie_name(settings))
    found = identity.SESSIONS.remembered(token, settings.session_cache_seconds) if token else None
    if found is None or found.user is None:
        return None
    now = utcnow()
    if not _still_good(found, now, settings) or (touch and _due_a_touch(found.session, now)):
        return None
    return _principal(found, found.user)


def _still_good(found: identity.SessionCaller, now: datetime, settings: GatewaySettings) -> bool:
    """A session within its time-outs, of an account that exists and is active."""
    user = found.user
    return user is not None and user.active and not session_expired(found.session, now, settings)


def session_still_live(request: Request) -> bool:
    """Whether the session a request came with is still live (not signed out, not timed out), looked up
    again now and without counting as activity: for a response that lasts (the live unread count)."""
    token = request.cookies.get(session_cookie_name())
    session = identity.session_by_token(token) if token else None
    if session is None or session.stage != "full":
        return False
    return not session_expired(session, utcnow(), gateway_settings())


def _client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def same_origin(connection: HTTPConnection) -> bool:
    """Whether a websocket's handshake comes from a page of this site (its Origin): a browser sends the
    session cookie to a websocket whichever site's page opens it, so the cookie alone proves nothing."""
    origin = connection.headers.get("origin", "")
    host = connection.headers.get("host", "")
    public = gateway_settings().public_url.rstrip("/")
    return bool(origin) and origin in {public, f"http://{host}", f"https://{host}"}


async def enforce_websocket_policy(websocket: HTTPConnection) -> None:
    """A websocket route's policy ("WEBSOCKET", path): a full session in an admitted role, from a page of this
    site. Otherwise the handshake is refused (403) before the route runs: deny by default here too."""
    route = websocket.scope.get("route")
    path = getattr(route, "path", None)
    policy = policy_for("WEBSOCKET", path) if path else None
    principal, _ = await run_in_threadpool(authenticate, websocket, touch=True)
    websocket.state.principal = principal
    reason = None
    if policy is None or policy.access != "signed_in":
        reason = "no policy"
    elif principal is None or principal.session is None or principal.session.stage != "full":
        reason = "signed out"
    elif not policy.admits_role(principal.actor.roles):
        reason = "role"
    elif not same_origin(websocket):
        reason = "origin"
    if reason is not None:
        if principal is not None and policy is not None and policy.audit:
            entry = audit.AuditEntry(
                user_id=principal.actor.user_id,
                partnership_id=principal.actor.partnership_id,
                review_id=_uuid_or_none(websocket.path_params.get("review_id")),
                record_type=policy.audit,
                record_id=next((str(v) for k, v in websocket.path_params.items() if k != "review_id"), None),
                action=policy.action or "open",
                outcome="denied",
                address=websocket.client.host if websocket.client else None,
            )
            await run_in_threadpool(audit.append, entry)
        raise WebSocketException(WS_1008_POLICY_VIOLATION, reason)


async def enforce_policy(connection: HTTPConnection) -> None:
    """Run before every route: find its policy, authenticate, check role and CSRF, note the audit."""
    if not isinstance(connection, Request):
        await enforce_websocket_policy(connection)
        return
    request = connection
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    policy = policy_for(request.method, path) if path else None
    if policy is None:
        log.error("route %s %s has no policy: refused", request.method, path)
        raise AccessDenied("no policy")
    # The keep-alive is the only request that extends a session without other activity; what a page asks
    # by itself (policy.activity False) does not extend it.
    principal, expired = remembered_caller(request, touch=policy.activity), False
    if principal is None:
        principal, expired = await run_in_threadpool(authenticate, request, touch=policy.activity)
    request.state.principal = principal
    request.state.session_expired = expired
    if policy.access == "enrolling":
        if principal is None or principal.session is None or principal.session.stage != "enrol":
            raise SignInRequired(request.url.path, expired)
    elif policy.access == "signed_in":
        if principal is None or (principal.session is not None and principal.session.stage != "full"):
            raise SignInRequired(_next_path(request), expired)
        if principal.api_client is not None and not policy.api_clients:
            raise AccessDenied("api client")
        if not policy.admits_role(principal.actor.roles):
            await _note_audit(request, policy, principal, "denied", write_now=True)
            raise AccessDenied("role")
    if (
        request.method in UNSAFE_METHODS
        and path not in CSRF_EXEMPT
        and (principal is None or principal.is_session)
    ):
        await _check_csrf(request)
    if policy.audit and principal is not None:
        await _note_audit(request, policy, principal, "allowed", write_now=False)


def _next_path(request: Request) -> str:
    if request.method != "GET":
        return "/"
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def sign_in_location(next_path: str, expired: bool) -> str:
    """Where a browser is sent to sign in, and back to afterwards."""
    location = "/sign-in?next=" + quote(next_path, safe="")
    return location + ("&expired=1" if expired else "")


def safe_next(next_path: str | None, default: str = "/reviews") -> str:
    """A same-site path to return to after signing in (never another site); `default` otherwise."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//") or "\\" in next_path:
        return default
    return next_path


def landing_page(roles: frozenset[str]) -> str:
    """Where a person starts when they asked for no page: the first thing their roles let them do."""
    if roles & CASE_ROLES:
        return "/reviews"
    if roles & ANALYST_ROLES:
        return "/dashboards"
    if Role.PARTNERSHIP_ADMIN in roles:
        return "/admin/users"
    if Role.DATA_PROTECTION_OFFICER in roles:
        return "/dpo"
    return "/account"


# -- audit --------------------------------------------------------------------------------------------------


def _uuid_or_none(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None


async def _note_audit(
    request: Request, policy: Policy, principal: Principal, outcome: str, *, write_now: bool
) -> None:
    params = request.path_params
    record_id = next((str(v) for k, v in params.items() if k != "review_id"), None)
    entry = audit.AuditEntry(
        user_id=principal.actor.user_id,
        partnership_id=principal.actor.partnership_id,
        review_id=_uuid_or_none(params.get("review_id") or request.query_params.get("review_id")),
        record_type=policy.audit or "route",
        record_id=record_id,
        action=policy.action or ("read" if request.method in ("GET", "HEAD") else "write"),
        outcome=outcome,
        address=_client_address(request),
        request_id=current_request_id.get(),
    )
    if write_now:
        await run_in_threadpool(audit.append, entry)
    else:
        request.state.audit_entry = entry


def outcome_of(status_code: int) -> str:
    """What the audit records of a response."""
    if status_code < 400:
        return "allowed"
    if status_code in (401, 403, 404):
        return "denied"
    return "failed"


def audit_entry_of(request: Request, status_code: int) -> audit.AuditEntry | None:
    """The audit entry a finished request owes, with its outcome."""
    entry: audit.AuditEntry | None = getattr(request.state, "audit_entry", None)
    if entry is None:
        return None
    return audit.AuditEntry(**{**entry.__dict__, "outcome": outcome_of(status_code)})


async def principal_of(request: Request) -> Principal:
    """The signed-in caller (the policy has already insisted there is one)."""
    principal: Principal | None = request.state.principal
    if principal is None:
        raise SignInRequired(_next_path(request))
    return principal


Caller = Annotated[Principal, Depends(principal_of)]
