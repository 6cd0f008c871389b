"""The gateway: FastAPI app serving the web UI and the JSON API, calling the services over RPC."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.deps import TEMPLATES
from gateway.metrics import RPC_ERRORS, record_request, with_request_id
from gateway.routes import dashboard, demo, health, reviews
from gateway.rpc import RemoteError, RpcClient, RpcUnavailable
from gateway.security import BodyLimit, security_headers
from services.kernel.config import get_settings
from services.kernel.errors import STATUS_BY_ERROR

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
PAGE_NOT_FOUND = (
    "If you typed the web address, check it is correct. "
    "If you pasted the web address, check you copied the entire address."
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    app.state.rpc = RpcClient(settings.amqp_uri, timeout=settings.rpc_timeout_s)
    try:
        await app.state.rpc.connect()
    except Exception as exc:  # the broker may come later; calls will retry the connection
        log.warning("message broker not reachable at start (%s)", type(exc).__name__)
    yield
    await app.state.rpc.close()


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error(request: Request, status: int, title: str, detail: str, problems: list | None = None) -> Response:
    if _wants_json(request):
        body: dict = {"detail": detail}
        if problems:
            body["problems"] = problems
        return JSONResponse(body, status_code=status)
    return TEMPLATES.TemplateResponse(
        request, "error.html", {"status_code": status, "title": title, "detail": detail}, status_code=status
    )


def create_app() -> FastAPI:
    """Build the application."""
    app = FastAPI(
        title="Case Review",
        version="0.1.0",
        description="Statutory safeguarding case reviews: rapid reviews, CSPRs, SARs and DHRs.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.middleware("http")(record_request)
    app.middleware("http")(with_request_id)
    app.middleware("http")(security_headers)
    app.add_middleware(BodyLimit)
    STATIC.joinpath("dist").mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (health, reviews, dashboard, demo):
        app.include_router(module.router)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, "home.html", {"nav": "home"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = reviews.problems_of(ValidationError.from_exception_data("request", exc.errors()))  # type: ignore[arg-type]
        return _error(
            request, 422, "There is a problem", "The request has problems: fix each one named", problems
        )

    @app.exception_handler(reviews.RequestProblems)
    async def request_problems(request: Request, exc: reviews.RequestProblems) -> Response:
        return _error(
            request, 422, "There is a problem", "The request has problems: fix each one named", exc.problems
        )

    @app.exception_handler(RemoteError)
    async def remote_error(request: Request, exc: RemoteError) -> Response:
        status = STATUS_BY_ERROR.get(exc.exc_type, 500)
        RPC_ERRORS.labels("remote", exc.exc_type).inc()
        if status == 500:
            log.error("service error %s", exc.exc_type)
            return _error(request, 500, "Sorry, there is a problem with the service", "Try again later.")
        return _error(request, status, "There is a problem", exc.message, exc.problems)

    @app.exception_handler(RpcUnavailable)
    async def unavailable(request: Request, exc: RpcUnavailable) -> Response:
        RPC_ERRORS.labels(exc.service, "unavailable").inc()
        return _error(
            request,
            503,
            "Sorry, the service is unavailable",
            f"The {exc.service} service is not answering ({exc.reason}). Try again in a minute; "
            "if it goes on, tell your administrator.",
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _error(request, 404, "Page not found", PAGE_NOT_FOUND)
        titles = {405: "Not allowed", 413: "Too large"}
        return _error(
            request, exc.status_code, titles.get(exc.status_code, "There is a problem"), str(exc.detail)
        )

    return app


app = create_app()
