"""Agencies' case systems' connections to the bus, for the partnership's administrator: issue one (its broker
password shown once), see them, revoke one. The chronology service makes and removes the broker users and
decides again who may (services/chronology/agency_systems.py); docs/agency-systems.md is for the agency."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import identity
from gateway.auth import Caller, Principal
from gateway.deps import ChronologyDep, in_words, render
from gateway.rpc import RemoteError
from services.chronology.contract import Chronology, IssueConnection, IssuedConnection

router = APIRouter()


async def _page(
    request: Request,
    caller: Principal,
    chronology: Chronology,
    *,
    values: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
    issued: IssuedConnection | None = None,
    banner: str = "",
    status_code: int = 200,
) -> Response:
    if caller.actor.partnership_id is None:
        raise HTTPException(404)
    agencies = await run_in_threadpool(identity.list_agencies, caller.actor.partnership_id)
    connections = await chronology.connections_of_partnership(caller.actor)
    rows: list[dict[str, Any]] = [
        {
            "connection": connection,
            "created": in_words(connection.created_at),
            "last_message": in_words(connection.last_message_at),
            "revoked": in_words(connection.revoked_at),
        }
        for connection in connections
    ]
    response = render(
        request,
        "admin/system_connections.html",
        {
            "nav": "admin",
            "rows": rows,
            "agencies": agencies,
            "values": values or {},
            "errors": errors or [],
            "issued": issued,
            "banner": banner,
        },
        status_code,
    )
    # The password is on this page once: no copy of it may stay in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/system-connections", response_class=HTMLResponse, include_in_schema=False)
async def connections_page(
    request: Request, caller: Caller, chronology: ChronologyDep, revoked: str = ""
) -> Response:
    """The partnership's agencies' system connections, and the form to issue one."""
    banner = "The connection was revoked: its system can no longer connect" if revoked else ""
    return await _page(request, caller, chronology, banner=banner)


@router.post(
    "/admin/system-connections", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
async def issue_connection(
    request: Request,
    caller: Caller,
    chronology: ChronologyDep,
    name: Annotated[str, Form(max_length=200)] = "",
    agency_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Issue an agency's system a broker user of its own; its password is shown on this answer only."""
    values = {"name": name, "agency_id": agency_id}
    errors = []
    if not name.strip() or len(name.strip()) > 100:
        errors.append(
            {"field": "name", "message": "Enter the name of the system, in 100 characters or fewer"}
        )
    try:
        agency = UUID(agency_id)
    except ValueError:
        agency = None
        errors.append({"field": "agency_id", "message": "Choose the agency whose system it is"})
    if errors or agency is None:
        return await _page(request, caller, chronology, values=values, errors=errors, status_code=422)
    try:
        issued = await chronology.issue_connection(caller.actor, IssueConnection(agency_id=agency, name=name))
    except RemoteError as error:
        if error.exc_type != "NotFound":
            raise
        errors = [{"field": "agency_id", "message": "Choose one of the partnership's agencies"}]
        return await _page(request, caller, chronology, values=values, errors=errors, status_code=422)
    return await _page(request, caller, chronology, issued=issued)


@router.post("/admin/system-connections/{connection_id}/revoke", response_model=None, include_in_schema=False)
async def revoke_connection(caller: Caller, connection_id: UUID, chronology: ChronologyDep) -> Response:
    """Revoke a connection: its broker user is closed and deleted."""
    await chronology.revoke_connection(caller.actor, connection_id)
    return RedirectResponse("/admin/system-connections?revoked=1", status_code=303)
