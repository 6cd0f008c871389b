"""Signing in and out, setting up an account from an e-mailed link, resetting a password, and one's own
account. Password hashing and the database run in the thread pool, off the event loop."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from gateway import audit, identity, signin, totp
from gateway.auth import (
    Caller,
    clear_session_cookie,
    landing_page,
    safe_next,
    start_session_cookie,
)
from gateway.credentials import verify_password
from gateway.deps import NotificationsDep, in_words, render
from gateway.devices import describe_device
from gateway.identity import utcnow
from gateway.metrics import SIGN_INS
from gateway.rpc import command_for
from services.kernel.config import gateway_settings
from services.kernel.identity import GRANTABLE_ROLES, Actor, Role
from services.kernel.logs import request_id as current_request_id
from services.notifications.contract import AccountEmail, Notifications

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

GATEWAY_ACTOR = Actor(user_id="system:gateway", roles=frozenset({Role.SYSTEM}))
LINK_PURPOSES = ("invitation", "second_factor_reset")
LINK_NOT_USABLE = {
    "title": "This link does not work",
    "paragraphs": [
        "The link may have been used already, or it may have expired. Links to set up an account work once "
        "and for 7 days; links to reset a password work once and for 60 minutes.",
        "Ask your partnership's administrator to send you a new invitation, or ask for a new password reset "
        "link.",
    ],
    "link": ("/sign-in", "Go to the sign-in page"),
}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def send_account_email(
    notifications: Notifications, user: identity.UserAccount, kind: str, link: str | None, key: str
) -> None:
    """Ask the notifications service to e-mail a person about their account."""
    message = {
        "to": user.email,
        "display_name": user.display_name,
        "kind": kind,
        "link": link,
        "partnership_id": user.partnership_id,
    }
    await notifications.send_account_email(
        GATEWAY_ACTOR, command_for(Notifications.send_account_email, AccountEmail, message), key
    )


async def audit_account_event(
    request: Request,
    action: str,
    outcome: str,
    user: identity.UserAccount | None,
    record_id: str | None = None,
) -> None:
    """Write a sign-in, sign-out or set-up to the audit log (who, when, from where, how it ended)."""
    await run_in_threadpool(
        audit.append,
        audit.AuditEntry(
            user_id=str(user.id) if user else "anonymous",
            partnership_id=user.partnership_id if user else None,
            record_type="session",
            record_id=record_id,
            action=action,
            outcome=outcome,
            address=_address(request),
            request_id=current_request_id.get(),
        ),
    )


# -- sign in and out ----------------------------------------------------------------------------------------


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(
    request: Request, next: str = "", recovery: str = "", expired: str = "", reset: str = ""
) -> Response:
    """The sign-in form."""
    notice = ""
    if expired:
        notice = (
            "You were signed out because you had not done anything for a while. Sign in again to carry on."
        )
    elif reset:
        notice = "Your password has been changed. Sign in with your new password and a security code."
    return render(
        request,
        "account/sign_in.html",
        {
            "errors": [],
            "email": "",
            "next": safe_next(next, ""),
            "recovery": bool(recovery),
            "notice": notice,
        },
    )


@router.post("/sign-in", response_class=HTMLResponse, response_model=None)
async def sign_in(
    request: Request,
    notifications: NotificationsDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=40)] = "",
    recovery: Annotated[str, Form(max_length=1)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check e-mail, password and code together; on success start a new session (a new id)."""
    now = utcnow()
    result = await run_in_threadpool(
        signin.sign_in, email, password, code, recovery=bool(recovery), address=_address(request), now=now
    )
    SIGN_INS.labels("succeeded" if result.ok else "code_reused" if result.code_reused else "refused").inc()
    # A refusal is recorded against a hash of the address typed: the log never says whether it exists.
    await audit_account_event(
        request, "sign_in", "allowed" if result.ok else "denied", result.user, identity.account_key(email)
    )
    if not result.ok:
        if result.code_reused:
            owner = await run_in_threadpool(identity.user_by_email, email)
            if owner is not None:
                await send_account_email(
                    notifications, owner, "code_reused", None, f"code-reused:{owner.id}:{now:%Y%m%d%H%M}"
                )
        errors = [{"field": "email", "message": signin.SIGN_IN_REFUSED}]
        return render(
            request,
            "account/sign_in.html",
            {
                "errors": errors,
                "email": email,
                "next": safe_next(next, ""),
                "recovery": bool(recovery),
                "notice": "",
            },
            status_code=401,
        )
    assert result.user is not None
    previous = request.state.principal
    if previous is not None and previous.session is not None:
        await run_in_threadpool(identity.end_session, previous.session.id_hash, now)
    token = await run_in_threadpool(
        identity.create_session,
        result.user.id,
        "full",
        now=now,
        lifetime=_absolute(),
        address=_address(request),
        device=describe_device(request.headers.get("user-agent")),
    )
    response = RedirectResponse(safe_next(next, landing_page(result.user.roles)), status_code=303)
    start_session_cookie(response, token)
    return response


def _absolute() -> timedelta:
    return timedelta(hours=gateway_settings().session_absolute_hours)


@router.post("/sign-out", response_model=None)
async def sign_out(request: Request, caller: Caller) -> Response:
    """End this session."""
    if caller.session is not None:
        await run_in_threadpool(identity.end_session, caller.session.id_hash, utcnow())
    await audit_account_event(request, "sign_out", "allowed", caller.user)
    response = RedirectResponse("/signed-out", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/signed-out", response_class=HTMLResponse)
async def signed_out(request: Request, everywhere: str = "") -> Response:
    """Confirmation of signing out."""
    paragraphs = ["You have signed out of Case Review."]
    if everywhere:
        paragraphs = ["You have signed out of Case Review on every computer and phone you used it on."]
    return render(
        request,
        "account/message.html",
        {"title": "You have signed out", "paragraphs": paragraphs, "link": ("/sign-in", "Sign in again")},
    )


@router.post("/session/keep-alive", response_model=None)
async def keep_alive(request: Request, caller: Caller) -> Response:
    """Activity from the time-out warning: the idle clock starts again."""
    assert caller.session is not None
    await run_in_threadpool(identity.touch_session, caller.session.id_hash, utcnow())
    return JSONResponse({"idle_seconds": gateway_settings().session_idle_minutes * 60})


# -- setting up an account from a link ---------------------------------------------------------------------


@router.get("/invitations/{token}", response_class=HTMLResponse)
async def link_page(request: Request, token: str) -> Response:
    """Step 1 of setting up: create a password (invitation) or confirm it (second factor reset)."""
    found = await run_in_threadpool(signin.usable_link, token, LINK_PURPOSES, utcnow())
    if found is None:
        return render(request, "account/message.html", LINK_NOT_USABLE, status_code=404)
    _link, user = found
    return render(
        request,
        "account/link_password.html",
        {
            "errors": [],
            "token": token,
            "creating": user.password_hash is None,
            "display_name": user.display_name,
        },
    )


@router.post("/invitations/{token}", response_class=HTMLResponse, response_model=None)
async def link_submit(
    request: Request,
    token: str,
    password: Annotated[str, Form(max_length=1024)] = "",
    confirm_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Set (or check) the password, then start an enrolling session bound to the link."""
    now = utcnow()
    found = await run_in_threadpool(signin.usable_link, token, LINK_PURPOSES, now)
    if found is None:
        return render(request, "account/message.html", LINK_NOT_USABLE, status_code=404)
    link, user = found
    creating = user.password_hash is None
    if creating:
        errors = signin.problems_with_new_password(user, password, confirm_password)
        if not errors:
            await run_in_threadpool(signin.set_new_password, user.id, password, now)
    else:
        key = identity.account_key(user.email)
        paused = await run_in_threadpool(signin.throttled, key, _address(request), now)
        ok = await run_in_threadpool(verify_password, user.password_hash, password, signin.password_pepper())
        errors = []
        if paused or not ok:
            await run_in_threadpool(identity.record_failure, key, _address(request), now)
            errors = [
                {
                    "field": "password",
                    "message": "The password is not right, or there have been too many attempts: "
                    "try again in a few minutes",
                }
            ]
    if errors:
        return render(
            request,
            "account/link_password.html",
            {"errors": errors, "token": token, "creating": creating, "display_name": user.display_name},
            status_code=422,
        )
    session_token = await run_in_threadpool(
        identity.create_session,
        user.id,
        "enrol",
        now=now,
        lifetime=signin.link_lifetime("password_reset"),
        address=_address(request),
        device=describe_device(request.headers.get("user-agent")),
        link_hash=link.token_hash,
    )
    response = RedirectResponse("/set-up-authenticator", status_code=303)
    start_session_cookie(response, session_token)
    return response


async def _enrolment_page(
    request: Request, caller_session_hash: str, email: str, errors: list, secret: str | None = None
) -> Response:
    secret = secret or totp.new_secret()
    uri = totp.provisioning_uri(secret, email)
    return render(
        request,
        "account/set_up_authenticator.html",
        {
            "errors": errors,
            "qr_code": totp.qr_code_data_uri(uri),
            "secret_words": totp.format_secret_for_typing(secret),
            "pending": signin.pending_secret_token(secret, caller_session_hash),
        },
        status_code=422 if errors else 200,
    )


@router.get("/set-up-authenticator", response_class=HTMLResponse)
async def set_up_authenticator(request: Request, caller: Caller) -> Response:
    """Step 2: a new secret as a QR code (drawn here, never by a third party) and as text."""
    assert caller.session is not None and caller.user is not None
    return await _enrolment_page(request, caller.session.id_hash, caller.user.email, [])


@router.post("/set-up-authenticator", response_class=HTMLResponse, response_model=None)
async def confirm_authenticator(
    request: Request,
    caller: Caller,
    pending: Annotated[str, Form(max_length=400)] = "",
    code: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A correct code confirms the app; the link is spent, the enrolling session ends, a full one starts,
    and the recovery codes are shown once."""
    assert caller.session is not None and caller.user is not None
    now = utcnow()
    secret = signin.pending_secret(pending, caller.session.id_hash)
    if secret is None:
        return await _enrolment_page(
            request,
            caller.session.id_hash,
            caller.user.email,
            [
                {
                    "field": "code",
                    "message": "The set-up expired: scan this new QR code and enter the code it shows",
                }
            ],
        )
    step = totp.matching_step(secret, code, now)
    if step is None:
        return await _enrolment_page(
            request,
            caller.session.id_hash,
            caller.user.email,
            [{"field": "code", "message": "Enter the 6-digit code your app shows now for Case Review"}],
            secret,
        )
    link_hash = caller.session.link_hash
    if link_hash is None or not await run_in_threadpool(identity.use_link, link_hash, now):
        return render(request, "account/message.html", LINK_NOT_USABLE, status_code=404)
    codes = await run_in_threadpool(signin.complete_enrolment, caller.user, secret, step, now)
    await audit_account_event(request, "set_up_second_factor", "allowed", caller.user)
    await run_in_threadpool(identity.end_session, caller.session.id_hash, now)
    await run_in_threadpool(identity.signed_in, caller.user.id, now)
    token = await run_in_threadpool(
        identity.create_session,
        caller.user.id,
        "full",
        now=now,
        lifetime=_absolute(),
        address=_address(request),
        device=describe_device(request.headers.get("user-agent")),
    )
    response = render(
        request,
        "account/recovery_codes.html",
        {
            "codes": codes,
            "first_time": True,
            "principal": None,
            "continue_to": landing_page(caller.user.roles),
        },
    )
    response.headers["Cache-Control"] = "no-store"
    start_session_cookie(response, token)
    return response


# -- password reset -----------------------------------------------------------------------------------------


@router.get("/password-reset", response_class=HTMLResponse)
async def password_reset_request(request: Request) -> Response:
    """Ask for a reset link."""
    return render(request, "account/password_reset_request.html", {"errors": [], "email": ""})


@router.post("/password-reset", response_class=HTMLResponse, response_model=None)
async def password_reset_send(
    request: Request, notifications: NotificationsDep, email: Annotated[str, Form(max_length=254)] = ""
) -> Response:
    """E-mail a link if the account exists; the answer is the same either way."""
    if "@" not in email:
        return render(
            request,
            "account/password_reset_request.html",
            {
                "errors": [
                    {
                        "field": "email",
                        "message": "Enter an email address in the correct format, like name@example.org",
                    }
                ],
                "email": email,
            },
            status_code=422,
        )
    now = utcnow()
    user = await run_in_threadpool(identity.user_by_email, email)
    if user is not None and user.active and user.enrolled:
        token = await run_in_threadpool(
            identity.create_link,
            user.id,
            "password_reset",
            created_by="self",
            now=now,
            lifetime=signin.link_lifetime("password_reset"),
        )
        link = f"{gateway_settings().public_url}/password-reset/{token}"
        await send_account_email(notifications, user, "password_reset", link, f"password-reset:{token[:16]}")
    return render(
        request,
        "account/message.html",
        {
            "title": "Check your email",
            "paragraphs": [
                "If an account uses that address, we have sent it a link to choose a new password. "
                "The link works once, for 60 minutes.",
                "If nothing arrives within a few minutes, check your junk folder, "
                "or ask your partnership's administrator.",
            ],
            "link": ("/sign-in", "Back to sign in"),
        },
    )


@router.get("/password-reset/{token}", response_class=HTMLResponse)
async def password_reset_page(request: Request, token: str) -> Response:
    """Choose a new password."""
    if await run_in_threadpool(signin.usable_link, token, ("password_reset",), utcnow()) is None:
        return render(request, "account/message.html", LINK_NOT_USABLE, status_code=404)
    return render(request, "account/password_reset.html", {"errors": [], "token": token})


@router.post("/password-reset/{token}", response_class=HTMLResponse, response_model=None)
async def password_reset_submit(
    request: Request,
    notifications: NotificationsDep,
    token: str,
    password: Annotated[str, Form(max_length=1024)] = "",
    confirm_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Store the new password, end every session, and send the person to sign in with their code: a reset
    never skips the second factor."""
    now = utcnow()
    found = await run_in_threadpool(signin.usable_link, token, ("password_reset",), now)
    if found is None:
        return render(request, "account/message.html", LINK_NOT_USABLE, status_code=404)
    link, user = found
    errors = signin.problems_with_new_password(user, password, confirm_password)
    if errors:
        return render(
            request, "account/password_reset.html", {"errors": errors, "token": token}, status_code=422
        )
    if not await run_in_threadpool(identity.use_link, link.token_hash, now):
        return render(request, "account/message.html", LINK_NOT_USABLE, status_code=404)
    await run_in_threadpool(signin.set_new_password, user.id, password, now)
    await run_in_threadpool(identity.end_all_sessions, user.id, now)
    await audit_account_event(request, "reset_password", "allowed", user)
    await send_account_email(
        notifications, user, "password_changed", None, f"password-changed:{link.token_hash[:16]}"
    )
    response = RedirectResponse("/sign-in?reset=1", status_code=303)
    clear_session_cookie(response)
    return response


# -- one's own account --------------------------------------------------------------------------------------


ACCOUNT_NOTICES = {
    "changed": "Your password has been changed. You are signed out everywhere else.",
    "ended": "You have signed out of that device.",
}


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request, caller: Caller, changed: str = "", ended: str = "") -> Response:
    """Who you are signed in as, your recovery codes and where you are signed in."""
    notice = ACCOUNT_NOTICES["changed"] if changed else ACCOUNT_NOTICES["ended"] if ended else ""
    return await _account_page(request, caller, [], notice=notice)


async def _own_sessions(caller: Caller) -> list[dict[str, object]]:
    """The person's live sessions as their account page shows them (times in UK time)."""
    assert caller.user is not None and caller.session is not None
    idle = timedelta(minutes=gateway_settings().session_idle_minutes)
    sessions = await run_in_threadpool(
        identity.sessions_of, caller.user.id, caller.session.id_hash, utcnow(), idle
    )
    return _sessions_shown(sessions)


def _sessions_shown(sessions: list[identity.LiveSession]) -> list[dict[str, object]]:
    return [
        {
            "handle": str(s.handle) if s.handle else "",
            "device": s.device or "Unknown device",
            "address": s.address or "Unknown",
            "signed_in": in_words(s.created_at),
            "last_active": in_words(s.last_seen_at),
            "current": s.current,
        }
        for s in sessions
    ]


async def _other_session(caller: Caller, handle: str) -> dict[str, object] | None:
    """One of the person's other live sessions by its handle; None for anything else (the current one,
    an ended one, another person's: all look the same)."""
    return next((s for s in await _own_sessions(caller) if s["handle"] == handle and not s["current"]), None)


@router.get("/account/sessions/{handle}", response_class=HTMLResponse)
async def end_session_page(request: Request, caller: Caller, handle: UUID) -> Response:
    """Check before signing out of another device: which one, and the current password."""
    session = await _other_session(caller, str(handle))
    if session is None:
        raise HTTPException(404)
    return render(request, "account/end_session.html", {"nav": "account", "session": session, "errors": []})


@router.post("/account/sessions/{handle}", response_class=HTMLResponse, response_model=None)
async def end_session(
    request: Request,
    caller: Caller,
    handle: UUID,
    current_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Sign out of one other device, once the current password confirms it is the person."""
    assert caller.user is not None and caller.session is not None
    session = await _other_session(caller, str(handle))
    if session is None:
        raise HTTPException(404)
    if not await _password_confirmed(request, caller.user, current_password):
        errors = [{"field": "current_password", "message": CURRENT_PASSWORD_REFUSED}]
        return render(
            request,
            "account/end_session.html",
            {"nav": "account", "session": session, "errors": errors},
            status_code=422,
        )
    await run_in_threadpool(
        identity.end_session_by_handle, caller.user.id, handle, caller.session.id_hash, utcnow()
    )
    await audit_account_event(request, "end_session", "allowed", caller.user)
    return RedirectResponse("/account?ended=1", status_code=303)


async def _account_page(
    request: Request, caller: Caller, errors: list[dict[str, str]], notice: str = "", status_code: int = 200
) -> Response:
    user = caller.user
    assert user is not None and caller.session is not None
    idle = timedelta(minutes=gateway_settings().session_idle_minutes)
    facts = await run_in_threadpool(identity.account_overview, user, caller.session.id_hash, utcnow(), idle)
    return render(
        request,
        "account/account.html",
        {
            "nav": "account",
            "user": user,
            "partnership": facts.partnership,
            "agency": facts.agency,
            "roles": [GRANTABLE_ROLES.get(role, role) for role in sorted(user.roles)],
            "sessions": _sessions_shown(facts.sessions),
            "recovery_codes_left": facts.recovery_codes_left,
            "errors": errors,
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/account/password", response_class=HTMLResponse)
async def change_password_page(request: Request, caller: Caller) -> Response:
    """The form to change one's password."""
    return render(request, "account/change_password.html", {"nav": "account", "errors": []})


@router.post("/account/password", response_class=HTMLResponse, response_model=None)
async def change_password(
    request: Request,
    notifications: NotificationsDep,
    caller: Caller,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    confirm_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Change the password: the current one first, then the new one by the same rules as ever; every other
    session ends and the person is told by e-mail."""
    user = caller.user
    assert user is not None and caller.session is not None
    errors: list[dict[str, str]] = []
    if not await _password_confirmed(request, user, current_password):
        errors.append({"field": "current_password", "message": CURRENT_PASSWORD_REFUSED})
    else:
        errors = signin.problems_with_new_password(user, password, confirm_password)
    if errors:
        return render(
            request, "account/change_password.html", {"nav": "account", "errors": errors}, status_code=422
        )
    now = utcnow()
    await run_in_threadpool(signin.set_new_password, user.id, password, now)
    await run_in_threadpool(identity.end_other_sessions, user.id, caller.session.id_hash, now)
    await audit_account_event(request, "change_password", "allowed", user)
    await send_account_email(
        notifications,
        user,
        "password_changed",
        None,
        f"password-changed:{caller.session.id_hash[:16]}:{now:%Y%m%d%H%M%S}",
    )
    return RedirectResponse("/account?changed=1", status_code=303)


@router.post("/account/sign-out-everywhere", response_model=None)
async def sign_out_everywhere(request: Request, caller: Caller) -> Response:
    """End every session of this person, this one included."""
    assert caller.user is not None
    await run_in_threadpool(identity.end_all_sessions, caller.user.id, utcnow())
    await audit_account_event(request, "sign_out_everywhere", "allowed", caller.user)
    response = RedirectResponse("/signed-out?everywhere=1", status_code=303)
    clear_session_cookie(response)
    return response


async def _password_confirmed(request: Request, user: identity.UserAccount, password: str) -> bool:
    """The signed-in person's current password, checked as a sign-in is (throttled, counted as a failure)."""
    now = utcnow()
    key = identity.account_key(user.email)
    paused = await run_in_threadpool(signin.throttled, key, _address(request), now)
    ok = await run_in_threadpool(verify_password, user.password_hash, password, signin.password_pepper())
    if paused or not ok:
        await run_in_threadpool(identity.record_failure, key, _address(request), now)
        return False
    return True


CURRENT_PASSWORD_REFUSED = "Enter your current password (after several wrong attempts, wait a few minutes)"  # noqa: S105 - a message


@router.post("/account/recovery-codes", response_class=HTMLResponse, response_model=None)
async def new_recovery_codes(
    request: Request, caller: Caller, current_password: Annotated[str, Form(max_length=1024)] = ""
) -> Response:
    """Replace the recovery codes, once the current password confirms it is the person, and show the new
    ones once."""
    assert caller.user is not None
    if not await _password_confirmed(request, caller.user, current_password):
        return await _account_page(
            request,
            caller,
            [{"field": "current_password", "message": CURRENT_PASSWORD_REFUSED}],
            status_code=422,
        )
    codes = await run_in_threadpool(signin.replace_recovery_codes, caller.user, utcnow())
    await audit_account_event(request, "replace_recovery_codes", "allowed", caller.user)
    response = render(
        request,
        "account/recovery_codes.html",
        {"codes": codes, "first_time": False, "continue_to": "/account"},
    )
    response.headers["Cache-Control"] = "no-store"
    return response
