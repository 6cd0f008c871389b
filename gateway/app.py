"""The gateway: FastAPI app serving the web UI and the JSON API, calling the services over RPC."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import audit, identity_events, live, live_figures
from gateway.auth import (
    AccessDenied,
    SignInRequired,
    audit_entry_of,
    authenticate,
    enforce_policy,
    sign_in_location,
)
from gateway.deps import ERROR_RESPONSES, PAGE_NOT_FOUND, error_response, wants_json
from gateway.metrics import (
    ACCESS_DENIED,
    AUDIT_ENTRIES,
    AUDIT_FAILURES,
    RPC_ERRORS,
    RequestIds,
    RequestMetrics,
)
from gateway.report_sync import LiveSections
from gateway.route_index import skip_routers_that_cannot_match
from gateway.routes import (
    actions,
    admin,
    api_clients,
    chronology,
    dashboard,
    dashboards,
    demo,
    dpo,
    health,
    lifecycle,
    meetings,
    notifications,
    pages,
    report_accuracy,
    report_comments,
    report_publication,
    report_versions,
    reports,
    returns,
    reviews,
    signin,
    system_connections,
)
from gateway.rpc import RemoteError, RpcClient, RpcUnavailable
from gateway.secretbox import load_key
from gateway.security import BodyLimit, ClientAddress, SecurityHeaders
from gateway.well_formed import WellFormedRequests
from services.kernel import caller_seal
from services.kernel.config import gateway_settings
from services.kernel.errors import STATUS_BY_ERROR
from services.reports.contract import Reports

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = gateway_settings()
    # Fail at start, not at the first sign-in, if the gateway's keys are missing outside local development.
    load_key(settings)
    caller_seal.signing_key(settings)
    app.state.rpc = RpcClient(settings.amqp_uri, timeout=settings.rpc_timeout_s)
    try:
        await app.state.rpc.connect()
    except Exception as exc:  # the broker may come later; calls will retry the connection
        log.warning("message broker not reachable at start (%s)", type(exc).__name__)
    # People and agencies go to the services through the identity outbox; its relay retries on its own.
    identity_events.start_relay(settings)
    # The live unread count: the notifications service's events, to the browsers' event streams.
    app.state.live = live.LiveUnread(settings.amqp_uri)
    await app.state.live.start()
    # Live dashboards: the analytics service's figures_changed, to the open dashboard pages it touches.
    app.state.live_figures = live_figures.LiveFigures(settings.amqp_uri, app.state.live.stopping)
    app.state.live_figures.start()
    # Reports' sections edited live: this process's rooms, relayed to the other processes by the broker.
    app.state.live_reports = LiveSections(settings.amqp_uri, Reports.client(app.state.rpc))
    yield
    await app.state.live_reports.close()
    await app.state.live.stop()
    await app.state.live_figures.stop()
    await run_in_threadpool(identity_events.stop_relay)
    await app.state.rpc.close()


class AuditCaseData:
    """ASGI middleware: append the audit entry a request to case data owes, with its outcome, before the
    first byte of the answer goes. If the audit cannot be written, the answer is withheld: nothing is read or
    changed unrecorded (a write already made is recorded as the request's failure only in the logs, which
    never carry personal data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        withheld = False

        async def send_audited(message: Message) -> None:
            nonlocal withheld
            if withheld:
                return  # the rest of an answer that was replaced
            if message["type"] == "http.response.start":
                entry = audit_entry_of(request, message["status"])
                if entry is not None:
                    try:
                        await run_in_threadpool(audit.append, entry)
                        AUDIT_ENTRIES.labels(entry.outcome).inc()
                    except Exception as exc:
                        AUDIT_FAILURES.inc()
                        log.error("audit entry not written (%s): response withheld", type(exc).__name__)
                        withheld = True
                        unavailable = error_response(
                            request, 503, "Sorry, the service is unavailable", "Try again in a minute."
                        )
                        await unavailable(scope, receive, send)
                        return
            await send(message)

        await self.app(scope, receive, send_audited)


def create_app() -> FastAPI:
    """Build the application."""
    app = FastAPI(
        title="Case Review",
        version="0.1.0",
        description="Statutory safeguarding case reviews: rapid reviews, CSPRs, SARs and DHRs.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,
        redoc_url=None,
        # Deny by default: every route passes its policy (gateway/policy.py) before it runs; a page then
        # learns the unread count its header shows.
        dependencies=[Depends(enforce_policy), Depends(live.note_unread_count)],
    )
    # The last added runs first: security headers wrap everything, the body limit's 413 included.
    app.add_middleware(AuditCaseData)
    # Malformed input is refused before the audit would record it and before any route or service sees it.
    app.add_middleware(WellFormedRequests)
    app.add_middleware(RequestMetrics)
    app.add_middleware(BodyLimit)
    app.add_middleware(RequestIds)
    app.add_middleware(SecurityHeaders)
    # Outermost: every other part sees the client as the trusted proxies report it.
    app.add_middleware(ClientAddress)
    STATIC.joinpath("dist").mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        health,
        pages,
        signin,
        reviews,
        lifecycle,
        returns,
        chronology,
        meetings,
        actions,
        reports,
        report_versions,
        report_publication,
        report_accuracy,
        report_comments,
        notifications,
        dashboard,
        dashboards,
        admin,
        api_clients,
        system_connections,
        dpo,
        demo,
    ):
        app.include_router(module.router)
    skip_routers_that_cannot_match(app)

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        if wants_json(request):
            return JSONResponse(
                {"detail": "Sign in, or send an API client's bearer token (POST /api/oauth/token)"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="caserev"'},
            )
        return RedirectResponse(sign_in_location(exc.next_path, exc.expired), status_code=303)

    @app.exception_handler(AccessDenied)
    async def access_denied(request: Request, exc: AccessDenied) -> Response:
        ACCESS_DENIED.labels(exc.reason).inc()
        if exc.reason == "csrf":
            return error_response(
                request,
                403,
                "The form has expired",
                "For your security the form could not be sent. Go back, refresh the page and try again.",
            )
        return error_response(
            request, 403, "You cannot see this page", "Your account does not give you access to this page."
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if any(error["loc"][:1] == ("path",) for error in exc.errors()):
            # An impossible id in the address (not a UUID, say) names no page.
            return error_response(request, 404, "Page not found", PAGE_NOT_FOUND)
        problems = reviews.problems_of(ValidationError.from_exception_data("request", exc.errors()))  # type: ignore[arg-type]
        return error_response(
            request, 422, "There is a problem", "The request has problems: fix each one named", problems
        )

    @app.exception_handler(reviews.RequestProblems)
    async def request_problems(request: Request, exc: reviews.RequestProblems) -> Response:
        return error_response(
            request, 422, "There is a problem", "The request has problems: fix each one named", exc.problems
        )

    @app.exception_handler(RemoteError)
    async def remoteerror_response(request: Request, exc: RemoteError) -> Response:
        status = STATUS_BY_ERROR.get(exc.exc_type, 500)
        RPC_ERRORS.labels("remote", exc.exc_type).inc()
        if status == 500:
            log.error("service error %s", exc.exc_type)
            return error_response(
                request, 500, "Sorry, there is a problem with the service", "Try again later."
            )
        return error_response(request, status, "There is a problem", exc.message, exc.problems)

    @app.exception_handler(RpcUnavailable)
    async def unavailable(request: Request, exc: RpcUnavailable) -> Response:
        RPC_ERRORS.labels(exc.service, "unavailable").inc()
        return error_response(
            request,
            503,
            "Sorry, the service is unavailable",
            f"The {exc.service} service is not answering ({exc.reason}). Try again in a minute; "
            "if it goes on, tell your administrator.",
        )

    @app.exception_handler(StarletteHTTPException)
    async def httperror_response(request: Request, exc: StarletteHTTPException) -> Response:
        if getattr(request.state, "principal", None) is None:
            # An address no route matches never met the policy: find out who is asking, so the page
            # shows them signed in.
            request.state.principal, _ = await run_in_threadpool(authenticate, request, touch=False)
        if exc.status_code == 404:
            return error_response(request, 404, "Page not found", PAGE_NOT_FOUND)
        titles = {405: "Not allowed", 413: "Too large"}
        response = error_response(
            request, exc.status_code, titles.get(exc.status_code, "There is a problem"), str(exc.detail)
        )
        response.headers.update(exc.headers or {})  # 405's Allow, 401's WWW-Authenticate
        return response

    return app


app = create_app()
