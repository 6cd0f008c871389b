"""Account administration: a partnership administrator invites people, changes their name, agency and
roles, resets their security codes, deactivates them, and keeps the partnership's list of agencies.

No case data here. Every handler checks that the account or agency belongs to the administrator's own
partnership: another partnership's records answer "Page not found", as if they did not exist. The audit
entry of each change is written by the framework from the route's policy (gateway/policy.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException

from gateway import identity, signin
from gateway.auth import Caller, Principal
from gateway.credentials import hash_token
from gateway.deps import NotificationsDep, id_or_404, render
from gateway.identity import AGENCY_TYPES, Agency, UserAccount, utcnow
from gateway.routes.signin import send_account_email
from services.kernel.config import gateway_settings
from services.kernel.identity import GRANTABLE_ROLES, PARTNERSHIP_GRANTABLE_ROLES, Role
from services.notifications.contract import Notifications

router = APIRouter(include_in_schema=False)

DISPLAY_NAME_MAX = 120
AGENCY_NAME_MIN = 2
AGENCY_NAME_MAX = 200
# These roles act for one agency: without an agency they would see no agency's work at all.
ROLES_NEEDING_AGENCY = frozenset({Role.AGENCY_LEAD, Role.AGENCY_AUTHOR})
EMAIL_TAKEN = "An account already uses this email address"
OWN_ADMIN_ROLE = "You cannot remove your own administrator role: ask another administrator to do it"
OWN_NEW_ROLES = "You cannot give yourself a role you do not hold: ask another administrator to do it"
# The fields of an account's form, in page order: the error summary lists problems in this order.
ACCOUNT_FIELDS = ("display_name", "email", "agency_id", "roles")

Problems = list[dict[str, str]]

# The banner shown after a change, by the `done` key of the redirect.
DONE_MESSAGES = {
    "invited": "Invitation sent to {email}",
    "resent": "A new invitation was sent to {email}. Links sent before no longer work.",
    "reset": "Security codes reset for {name}. They have been signed out and emailed a link to set up an "
    "authenticator app again.",
    "deactivated": "{name}'s account has been deactivated. They have been signed out and told by email.",
    "updated": "Changes to {name}'s account saved",
}


# -- what the pages show ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountStatus:
    """Where an account stands, as the administrator reads it; `key` picks the tag's colour."""

    key: str
    words: str


def account_status(user: UserAccount) -> AccountStatus:
    """Invited until the person has set up their account; Active once they can sign in; a reset person
    must set up security codes again before they can."""
    if not user.active:
        return AccountStatus("deactivated", "Deactivated")
    if user.enrolled:
        return AccountStatus("active", "Active")
    if user.last_signed_in_at is None:
        return AccountStatus("invited", "Invited")
    return AccountStatus("reset", "Security codes reset")


def roles_in_words(roles: frozenset[str]) -> list[str]:
    """The roles as an administrator reads them, in the order of the list they choose from."""
    known = [words for role, words in GRANTABLE_ROLES.items() if role in roles]
    return known + sorted(role for role in roles if role not in GRANTABLE_ROLES)


@dataclass(frozen=True)
class AccountRow:
    """One account as the administrator's pages show it."""

    id: UUID
    display_name: str
    email: str
    agency: str
    roles: list[str]
    status: AccountStatus


def account_row(user: UserAccount, agencies: dict[UUID, Agency]) -> AccountRow:
    agency = agencies.get(user.agency_id) if user.agency_id else None
    return AccountRow(
        id=user.id,
        display_name=user.display_name,
        email=user.email,
        agency=agency.name if agency else "",
        roles=roles_in_words(user.roles),
        status=account_status(user),
    )


# -- checking what was typed --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountChoices:
    """An account's name, agency and roles as the administrator chose them, once checked."""

    display_name: str
    agency_id: UUID | None
    roles: frozenset[str]


def _single_line(value: str) -> bool:
    return not any(ord(ch) < 32 or ord(ch) == 127 for ch in value)


def problems_with_email(email: str) -> tuple[str, Problems]:
    """The address in its normal form, or what is wrong with it (whether it is taken is checked after)."""
    email = email.strip()
    if not email:
        return email, [{"field": "email", "message": "Enter an email address"}]
    try:
        normalised = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        return email, [
            {
                "field": "email",
                "message": "Enter an email address in the correct format, like name@example.org",
            }
        ]
    return normalised, []


def check_account_choices(
    display_name: str, agency_id: str, roles: list[str], agencies: list[Agency]
) -> tuple[AccountChoices, Problems]:
    """The choices, and one problem per field in page order (name, agency, roles)."""
    problems: Problems = []
    name = display_name.strip()
    if not name:
        problems.append({"field": "display_name", "message": "Enter the person's full name"})
    elif len(name) > DISPLAY_NAME_MAX:
        problems.append(
            {"field": "display_name", "message": f"Name must be {DISPLAY_NAME_MAX} characters or fewer"}
        )
    elif not _single_line(name):
        problems.append({"field": "display_name", "message": "Name must be a single line of text"})
    agency: UUID | None = None
    if agency_id:
        agency = next((a.id for a in agencies if str(a.id) == agency_id), None)
        if agency is None:
            problems.append({"field": "agency_id", "message": "Select one of the partnership's agencies"})
    chosen = frozenset(roles)
    if not chosen:
        problems.append({"field": "roles", "message": "Select at least one role"})
    elif not chosen <= PARTNERSHIP_GRANTABLE_ROLES.keys():
        problems.append({"field": "roles", "message": "Select roles from the list"})
    elif chosen & ROLES_NEEDING_AGENCY and agency is None and not agency_id:
        # Said at the agency, where the fix is; the roles are right as they are.
        problems.append(
            {
                "field": "agency_id",
                "message": "Select the agency this person works for: an agency safeguarding lead or agency "
                "author needs one",
            }
        )
    return AccountChoices(name, agency, chosen), in_page_order(problems)


def in_page_order(problems: Problems) -> Problems:
    """Problems in the order of the fields on the page."""
    return sorted(
        problems, key=lambda p: ACCOUNT_FIELDS.index(p["field"]) if p["field"] in ACCOUNT_FIELDS else 99
    )


# -- shared steps -------------------------------------------------------------------------------------------


def _partnership_of(caller: Principal) -> UUID:
    # The policy let a partnership administrator in; one attached to no partnership administers nothing.
    if caller.actor.partnership_id is None:
        raise HTTPException(404)
    return caller.actor.partnership_id


async def account_of_partnership(caller: Principal, user_id: str) -> UserAccount:
    """The account, if it belongs to the administrator's partnership; otherwise "Page not found"."""
    partnership_id = _partnership_of(caller)
    user = await run_in_threadpool(identity.user_by_id, id_or_404(user_id))
    if user is None or user.partnership_id != partnership_id:
        raise HTTPException(404)
    return user


async def send_link(notifications: Notifications, caller: Principal, user: UserAccount, purpose: str) -> None:
    """A new single-use link (earlier ones of the purpose lapse), e-mailed to the person."""
    token = await run_in_threadpool(
        identity.create_link,
        user.id,
        purpose,
        created_by=caller.actor.user_id,
        now=utcnow(),
        lifetime=signin.link_lifetime(purpose),
    )
    link = f"{gateway_settings().public_url}/invitations/{token}"
    # The key names the link without carrying any of its secret.
    await send_account_email(notifications, user, purpose, link, f"{purpose}:{hash_token(token)[:32]}")


def _page(request: Request, template: str, context: dict, status_code: int = 200) -> Response:
    response = render(request, template, {"nav": "admin", **context}, status_code)
    # People's names and addresses: not for a shared computer's cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _role_choices() -> list[tuple[str, str]]:
    return list(PARTNERSHIP_GRANTABLE_ROLES.items())


# -- users --------------------------------------------------------------------------------------------------


@router.get("/admin/users", response_class=HTMLResponse)
async def users(request: Request, caller: Caller) -> Response:
    """The partnership's accounts."""
    partnership_id = _partnership_of(caller)
    accounts = await run_in_threadpool(identity.list_users, partnership_id)
    agencies = {a.id: a for a in await run_in_threadpool(identity.list_agencies, partnership_id)}
    return _page(request, "admin/users.html", {"rows": [account_row(user, agencies) for user in accounts]})


async def _invite_page(
    request: Request, caller: Principal, values: dict, errors: Problems, status_code: int
) -> Response:
    agencies = await run_in_threadpool(identity.list_agencies, _partnership_of(caller))
    return _page(
        request,
        "admin/invite.html",
        {"values": values, "errors": errors, "agencies": agencies, "role_choices": _role_choices()},
        status_code,
    )


@router.get("/admin/users/invite", response_class=HTMLResponse)
async def invite_page(request: Request, caller: Caller) -> Response:
    """The form to invite a person."""
    return await _invite_page(request, caller, {"roles": []}, [], 200)


@router.post("/admin/users/invite", response_class=HTMLResponse, response_model=None)
async def invite(
    request: Request,
    caller: Caller,
    notifications: NotificationsDep,
    display_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    agency_id: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Create the account and e-mail its invitation; nothing is stored while anything is wrong. Sending the
    same address twice finds the first account and says so."""
    partnership_id = _partnership_of(caller)
    agencies = await run_in_threadpool(identity.list_agencies, partnership_id)
    values = {"display_name": display_name, "email": email, "agency_id": agency_id, "roles": roles or []}
    choices, errors = check_account_choices(display_name, agency_id, roles or [], agencies)
    address, email_errors = problems_with_email(email)
    if not email_errors and await run_in_threadpool(identity.user_by_email, address) is not None:
        email_errors = [{"field": "email", "message": EMAIL_TAKEN}]
    errors = in_page_order(errors + email_errors)
    if errors:
        return await _invite_page(request, caller, values, errors, 422)
    try:
        user_id = await run_in_threadpool(
            identity.create_user,
            email=address,
            display_name=choices.display_name,
            partnership_id=partnership_id,
            agency_id=choices.agency_id,
            roles=choices.roles,
            created_by=caller.actor.user_id,
        )
    except IntegrityError:
        # A second submission that raced the first past the check above: the unique address stops it.
        return await _invite_page(request, caller, values, [{"field": "email", "message": EMAIL_TAKEN}], 422)
    user = await run_in_threadpool(identity.user_by_id, user_id)
    assert user is not None
    await send_link(notifications, caller, user, "invitation")
    return RedirectResponse(f"/admin/users/{user_id}?done=invited", status_code=303)


async def _user_page(
    request: Request,
    caller: Principal,
    user: UserAccount,
    *,
    errors: Problems | None = None,
    values: dict | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    agencies = await run_in_threadpool(identity.list_agencies, _partnership_of(caller))
    row = account_row(user, {a.id: a for a in agencies})
    is_self = caller.user is not None and caller.user.id == user.id
    banner = DONE_MESSAGES.get(done, "").format(email=user.email, name=user.display_name)
    return _page(
        request,
        "admin/user.html",
        {
            "account": row,
            "values": values
            or {
                "display_name": user.display_name,
                "agency_id": str(user.agency_id) if user.agency_id else "",
                "roles": sorted(user.roles),
            },
            "errors": errors or [],
            "agencies": agencies,
            "role_choices": _role_choices(),
            "banner": banner,
            "can_resend": row.status.key == "invited",
            "can_reset": row.status.key in ("active", "reset"),
            "can_deactivate": user.active and not is_self,
            "is_self": is_self,
        },
        status_code,
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
async def user_page(request: Request, caller: Caller, user_id: str, done: str = "") -> Response:
    """One account: what it is, a form to change it, and the actions on it."""
    user = await account_of_partnership(caller, user_id)
    return await _user_page(request, caller, user, done=done)


@router.post("/admin/users/{user_id}", response_class=HTMLResponse, response_model=None)
async def update_user(
    request: Request,
    caller: Caller,
    user_id: str,
    display_name: Annotated[str, Form()] = "",
    agency_id: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Change the name, agency and roles (a person's new roles apply from their next request)."""
    user = await account_of_partnership(caller, user_id)
    agencies = await run_in_threadpool(identity.list_agencies, _partnership_of(caller))
    choices, errors = check_account_choices(display_name, agency_id, roles or [], agencies)
    is_self = caller.user is not None and caller.user.id == user.id
    if is_self and not any(e["field"] == "roles" for e in errors):
        if Role.PARTNERSHIP_ADMIN not in choices.roles:
            errors.append({"field": "roles", "message": OWN_ADMIN_ROLE})
        elif set(choices.roles) - set(user.roles):
            # Segregation of duties: an administrator reaches case data or the audit only if another
            # administrator gives them the role.
            errors.append({"field": "roles", "message": OWN_NEW_ROLES})
    if errors:
        values = {"display_name": display_name, "agency_id": agency_id, "roles": roles or []}
        return await _user_page(request, caller, user, errors=errors, values=values, status_code=422)
    await run_in_threadpool(
        identity.update_user,
        user.id,
        roles=choices.roles,
        agency_id=choices.agency_id,
        display_name=choices.display_name,
    )
    return RedirectResponse(f"/admin/users/{user.id}?done=updated", status_code=303)


@router.post("/admin/users/{user_id}/resend-invitation", response_class=HTMLResponse, response_model=None)
async def resend_invitation(
    request: Request, caller: Caller, notifications: NotificationsDep, user_id: str
) -> Response:
    """A new invitation link; the links sent before stop working."""
    user = await account_of_partnership(caller, user_id)
    if account_status(user).key != "invited":
        message = (
            f"{user.display_name} has already set up their account: there is no invitation to send again"
        )
        if not user.active:
            message = "This account is deactivated: it cannot be invited again"
        return await _user_page(
            request,
            caller,
            user,
            errors=[{"field": "resend-invitation", "message": message}],
            status_code=409,
        )
    await send_link(notifications, caller, user, "invitation")
    return RedirectResponse(f"/admin/users/{user.id}?done=resent", status_code=303)


@router.post("/admin/users/{user_id}/reset-second-factor", response_class=HTMLResponse, response_model=None)
async def reset_second_factor(
    request: Request, caller: Caller, notifications: NotificationsDep, user_id: str
) -> Response:
    """Forget the person's authenticator app and recovery codes, sign them out everywhere, and e-mail them
    a link to set up an app again (with their password)."""
    user = await account_of_partnership(caller, user_id)
    status = account_status(user).key
    if status not in ("active", "reset"):
        message = (
            "This account is deactivated: its security codes cannot be reset"
            if status == "deactivated"
            else f"{user.display_name} has not set up their account yet: resend the invitation instead"
        )
        return await _user_page(
            request,
            caller,
            user,
            errors=[{"field": "reset-second-factor", "message": message}],
            status_code=409,
        )
    await run_in_threadpool(identity.reset_second_factor, user.id, utcnow())
    await send_link(notifications, caller, user, "second_factor_reset")
    return RedirectResponse(f"/admin/users/{user.id}?done=reset", status_code=303)


@router.post("/admin/users/{user_id}/deactivate", response_class=HTMLResponse, response_model=None)
async def deactivate(
    request: Request, caller: Caller, notifications: NotificationsDep, user_id: str
) -> Response:
    """Deactivate the account: its sessions and unused links end, its history stays. Once is enough: a
    second request finds it deactivated and sends no second e-mail."""
    user = await account_of_partnership(caller, user_id)
    if caller.user is not None and caller.user.id == user.id:
        return await _user_page(
            request,
            caller,
            user,
            errors=[
                {
                    "field": "deactivate",
                    "message": "You cannot deactivate your own account: ask another administrator to do it",
                }
            ],
            status_code=409,
        )
    if user.active:
        now = utcnow()
        await run_in_threadpool(identity.deactivate_user, user.id, now)
        await send_account_email(
            notifications,
            user,
            "account_deactivated",
            None,
            f"account_deactivated:{user.id}:{now:%Y%m%d%H%M%S}",
        )
    return RedirectResponse(f"/admin/users/{user.id}?done=deactivated", status_code=303)


# -- agencies -----------------------------------------------------------------------------------------------


def check_agency(name: str, agency_type: str, agencies: list[Agency]) -> tuple[str, Problems]:
    """The agency's name as it will be stored, and one problem per field (name, type)."""
    problems: Problems = []
    name = " ".join(name.split())
    if not name:
        problems.append({"field": "name", "message": "Enter the agency's name"})
    elif len(name) < AGENCY_NAME_MIN:
        problems.append(
            {"field": "name", "message": f"Agency name must be {AGENCY_NAME_MIN} characters or more"}
        )
    elif len(name) > AGENCY_NAME_MAX:
        problems.append(
            {"field": "name", "message": f"Agency name must be {AGENCY_NAME_MAX} characters or fewer"}
        )
    elif any(a.name.casefold() == name.casefold() for a in agencies):
        problems.append({"field": "name", "message": "The partnership already has an agency with this name"})
    if agency_type not in AGENCY_TYPES:
        problems.append({"field": "agency_type", "message": "Select the type of agency"})
    return name, problems


async def _agencies_page(
    request: Request,
    caller: Principal,
    *,
    values: dict,
    errors: Problems,
    added: str = "",
    status_code: int = 200,
) -> Response:
    agencies = await run_in_threadpool(identity.list_agencies, _partnership_of(caller))
    added_agency = next((a for a in agencies if str(a.id) == added), None)
    return _page(
        request,
        "admin/agencies.html",
        {
            "agencies": agencies,
            "agency_types": list(AGENCY_TYPES.items()),
            "values": values,
            "errors": errors,
            "banner": f"{added_agency.name} added" if added_agency else "",
        },
        status_code,
    )


@router.get("/admin/agencies", response_class=HTMLResponse)
async def agencies_page(request: Request, caller: Caller, added: str = "") -> Response:
    """The partnership's agencies, and the form to add one."""
    return await _agencies_page(request, caller, values={}, errors=[], added=added)


@router.post("/admin/agencies", response_class=HTMLResponse, response_model=None)
async def add_agency(
    request: Request,
    caller: Caller,
    name: Annotated[str, Form()] = "",
    agency_type: Annotated[str, Form()] = "",
) -> Response:
    """Add an agency to the partnership (a name it already has is refused)."""
    partnership_id = _partnership_of(caller)
    existing = await run_in_threadpool(identity.list_agencies, partnership_id)
    clean_name, errors = check_agency(name, agency_type, existing)
    if errors:
        return await _agencies_page(
            request, caller, values={"name": name, "agency_type": agency_type}, errors=errors, status_code=422
        )
    agency = await run_in_threadpool(identity.create_agency, partnership_id, clean_name, agency_type)
    return RedirectResponse(f"/admin/agencies?added={agency.id}", status_code=303)
