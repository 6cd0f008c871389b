"""API clients: an agency's own system calling the JSON API.

A partnership administrator issues a client (a client id and a secret, shown once) for one of the
partnership's agencies, and revokes it. The client exchanges its credentials for a short-lived bearer token
at the token endpoint (OAuth 2.0 client credentials grant, RFC 6749 section 4.4), and then acts as the
agency's system (role agency_system) on the routes whose policy admits API clients (gateway/policy.py).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import unquote_plus
from uuid import UUID

from fastapi import APIRouter, Form, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from gateway import identity
from gateway.auth import Caller, Principal
from gateway.credentials import hash_token, new_token, tokens_match
from gateway.deps import in_words, render
from gateway.identity import Agency, ApiClient, utcnow
from services.kernel.config import gateway_settings

router = APIRouter()

CLIENT_NAME_MAX = 120
# Longer than anything this gateway issues: refused without a look-up.
CREDENTIAL_MAX = 200
# Compared against when no client has the id sent, so that an unknown id takes as long as a wrong secret.
_NO_CLIENT_HASH = hash_token(new_token())
TOKEN_PARAMETERS = ("grant_type", "client_id", "client_secret", "scope")

Problems = list[dict[str, str]]


# -- the administrator's pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientRow:
    """One API client as the administrator's page shows it."""

    id: UUID
    name: str
    agency: str
    client_id: str
    created: str
    last_used: str
    revoked: str


def client_row(client: ApiClient, agencies: dict[UUID, Agency]) -> ClientRow:
    agency = agencies.get(client.agency_id)
    return ClientRow(
        id=client.id,
        name=client.name,
        agency=agency.name if agency else "",
        client_id=client.client_id,
        created=in_words(client.created_at),
        last_used=in_words(client.last_used_at),
        revoked=in_words(client.revoked_at),
    )


def check_client(name: str, agency_id: str, agencies: list[Agency]) -> tuple[str, UUID | None, Problems]:
    """The client's name and agency, and one problem per field (name, agency)."""
    problems: Problems = []
    name = " ".join(name.split())
    if not name:
        problems.append(
            {"field": "name", "message": "Enter a name for the system, like 'Police case system'"}
        )
    elif len(name) > CLIENT_NAME_MAX:
        problems.append({"field": "name", "message": f"Name must be {CLIENT_NAME_MAX} characters or fewer"})
    agency = next((a.id for a in agencies if str(a.id) == agency_id), None)
    if agency is None:
        problems.append({"field": "agency_id", "message": "Select the agency whose system this is"})
    return name, agency, problems


def _partnership_of(caller: Principal) -> UUID:
    if caller.actor.partnership_id is None:
        raise HTTPException(404)
    return caller.actor.partnership_id


async def _clients_page(
    request: Request,
    caller: Principal,
    *,
    values: dict | None = None,
    errors: Problems | None = None,
    issued: tuple[ApiClient, str] | None = None,
    revoked: str = "",
    status_code: int = 200,
) -> Response:
    partnership_id = _partnership_of(caller)
    agencies = await run_in_threadpool(identity.list_agencies, partnership_id)
    by_id = {a.id: a for a in agencies}
    rows = [client_row(c, by_id) for c in await run_in_threadpool(identity.list_api_clients, partnership_id)]
    revoked_row = next((r for r in rows if str(r.id) == revoked and r.revoked), None)
    response = render(
        request,
        "admin/api_clients.html",
        {
            "nav": "admin",
            "rows": rows,
            "agencies": agencies,
            "values": values or {},
            "errors": errors or [],
            "issued": {"name": issued[0].name, "client_id": issued[0].client_id, "secret": issued[1]}
            if issued
            else None,
            "banner": f"{revoked_row.name} revoked: its tokens no longer work" if revoked_row else "",
        },
        status_code,
    )
    # The secret is on this page once: no copy of it may stay in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/api-clients", response_class=HTMLResponse, include_in_schema=False)
async def clients_page(request: Request, caller: Caller, revoked: str = "") -> Response:
    """The partnership's API clients, and the form to issue one."""
    return await _clients_page(request, caller, revoked=revoked)


@router.post("/admin/api-clients", response_class=HTMLResponse, response_model=None, include_in_schema=False)
async def issue_client(
    request: Request,
    caller: Caller,
    name: Annotated[str, Form()] = "",
    agency_id: Annotated[str, Form()] = "",
) -> Response:
    """Issue a client for one of the partnership's agencies; its secret is shown on this answer only."""
    partnership_id = _partnership_of(caller)
    agencies = await run_in_threadpool(identity.list_agencies, partnership_id)
    clean_name, agency, errors = check_client(name, agency_id, agencies)
    if errors or agency is None:
        return await _clients_page(
            request, caller, values={"name": name, "agency_id": agency_id}, errors=errors, status_code=422
        )
    issued = await run_in_threadpool(
        identity.create_api_client,
        name=clean_name,
        partnership_id=partnership_id,
        agency_id=agency,
        created_by=caller.actor.user_id,
        now=utcnow(),
    )
    return await _clients_page(request, caller, issued=issued)


@router.post("/admin/api-clients/{client_id}/revoke", response_model=None, include_in_schema=False)
async def revoke_client(caller: Caller, client_id: str) -> Response:
    """Revoke a client of the partnership: its tokens stop working and it gets no new ones."""
    try:
        row_id = UUID(client_id)
    except ValueError:
        raise HTTPException(404) from None
    client = await run_in_threadpool(identity.get_api_client, row_id)
    if client is None or client.partnership_id != _partnership_of(caller):
        raise HTTPException(404)
    await run_in_threadpool(identity.revoke_api_client, client.id, utcnow())
    return RedirectResponse(f"/admin/api-clients?revoked={client.id}", status_code=303)


# -- the token endpoint -------------------------------------------------------------------------------------


class AccessToken(BaseModel):
    """A bearer token for the JSON API (RFC 6749 section 5.1): send it as `Authorization: Bearer <token>`."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (the scheme's name, not a secret)
    expires_in: int


class TokenError(BaseModel):
    """Why no token was issued (RFC 6749 section 5.2)."""

    error: Literal["invalid_request", "invalid_client", "unsupported_grant_type"]


class TokenRefused(Exception):
    """The token request fails with an RFC 6749 error code."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


NO_CACHE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _refusal(error: str) -> JSONResponse:
    if error == "invalid_client":
        headers = {**NO_CACHE, "WWW-Authenticate": 'Basic realm="caserev"'}
        return JSONResponse({"error": error}, status_code=401, headers=headers)
    return JSONResponse({"error": error}, status_code=400, headers=NO_CACHE)


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """The client id and secret of an `Authorization: Basic` header (RFC 6749 section 2.3.1: each is
    form-encoded before the pair is base64-encoded); None without such a header."""
    if authorization is None:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        client_id, colon, secret = decoded.partition(":")
        client_id, secret = unquote_plus(client_id, errors="strict"), unquote_plus(secret, errors="strict")
    except (binascii.Error, UnicodeDecodeError):
        raise TokenRefused("invalid_client") from None
    if not colon:
        raise TokenRefused("invalid_client")
    if "\x00" in client_id or "\x00" in secret:
        raise TokenRefused("invalid_request")  # a NUL is in no credential: refused before any lookup
    return client_id, secret


def client_credentials(
    authorization: str | None, client_id: str | None, client_secret: str | None
) -> tuple[str, str]:
    """The credentials the client authenticates with: HTTP Basic, or the form's fields; never both."""
    basic = basic_credentials(authorization)
    if basic is not None:
        if client_secret is not None or (client_id is not None and client_id != basic[0]):
            raise TokenRefused("invalid_request")
        return basic
    if not client_id or not client_secret:
        raise TokenRefused("invalid_client")
    return client_id, client_secret


def authenticated_client(client_id: str, secret: str) -> ApiClient:
    """The unrevoked client these credentials belong to; an unknown id and a wrong secret fail alike."""
    if len(client_id) > CREDENTIAL_MAX or len(secret) > CREDENTIAL_MAX:
        raise TokenRefused("invalid_client")
    found = identity.api_client_secret_hash(client_id)
    stored = found[1] if found else _NO_CLIENT_HASH
    if not tokens_match(hash_token(secret), stored) or found is None:
        raise TokenRefused("invalid_client")
    return found[0]


@router.post(
    "/api/oauth/token",
    tags=["auth"],
    summary="A bearer token for an API client (OAuth 2.0 client credentials grant)",
    response_model=AccessToken,
    responses={
        400: {"model": TokenError, "description": "invalid_request or unsupported_grant_type"},
        401: {"model": TokenError, "description": "invalid_client: unknown client, wrong secret or revoked"},
    },
)
async def token(
    request: Request,
    authorization: Annotated[
        str | None, Header(description="`Basic base64(client_id:client_secret)`")
    ] = None,
    grant_type: Annotated[str | None, Form(description="`client_credentials`")] = None,
    client_id: Annotated[str | None, Form(description="Instead of HTTP Basic: the client id")] = None,
    client_secret: Annotated[str | None, Form(description="Instead of HTTP Basic: the client secret")] = None,
    scope: Annotated[str | None, Form(description="Ignored: a token carries its agency's access")] = None,
) -> Response:
    """Send `grant_type=client_credentials` form-encoded, with the client's id and secret as HTTP Basic
    credentials (`Authorization: Basic base64(client_id:client_secret)`) or as the form fields `client_id`
    and `client_secret`. The token lasts `expires_in` seconds; ask for a new one when it runs out."""
    try:
        form = await request.form()
        if any(len(form.getlist(name)) > 1 for name in TOKEN_PARAMETERS):
            raise TokenRefused("invalid_request")  # RFC 6749 section 3.2: no parameter twice
        if not grant_type:
            raise TokenRefused("invalid_request")
        if grant_type != "client_credentials":
            raise TokenRefused("unsupported_grant_type")
        credentials = client_credentials(authorization, client_id, client_secret)
        client = await run_in_threadpool(authenticated_client, *credentials)
    except TokenRefused as refused:
        return _refusal(refused.error)
    lifetime = timedelta(minutes=gateway_settings().api_token_minutes)
    access_token = await run_in_threadpool(identity.issue_api_token, client.id, utcnow(), lifetime)
    answer = AccessToken(access_token=access_token, expires_in=int(lifetime.total_seconds()))
    return JSONResponse(answer.model_dump(), headers=NO_CACHE)
