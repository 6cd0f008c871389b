"""The gateway's Prometheus metrics."""

from __future__ import annotations

import re
import time
import uuid

from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.rpc import IDEMPOTENCY_KEY, CommandKey, command_key
from services.kernel.logs import request_id

REQUESTS = Counter("caserev_gateway_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "caserev_gateway_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RPC_ERRORS = Counter("caserev_gateway_rpc_errors_total", "RPC calls that failed", ["service", "kind"])
SIGN_INS = Counter(
    "caserev_gateway_sign_ins_total",
    "Sign-in attempts: succeeded, refused, or refused as a reused code",
    ["outcome"],
)
AUDIT_ENTRIES = Counter("caserev_gateway_audit_entries_total", "Audit entries written", ["outcome"])
AUDIT_FAILURES = Counter("caserev_gateway_audit_failures_total", "Audit entries that could not be written")
ACCESS_DENIED = Counter("caserev_gateway_access_denied_total", "Requests refused by policy", ["reason"])


REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIds:
    """ASGI middleware: every request gets an id (the caller's X-Request-ID if well-formed), in the logs of
    the gateway and of every service it calls, and in the response; a command's Idempotency-Key (if
    well-formed) goes with every RPC it makes (gateway.rpc.CommandKey).

    This and the gateway's other middlewares are plain ASGI: Starlette's BaseHTTPMiddleware
    (`@app.middleware`) costs about a quarter of a millisecond of CPU a request for each one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get("x-request-id", "")
        current = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        client_key = headers.get("idempotency-key", "")
        # Only a command carries its key on to the services; a read has nothing to do twice.
        keyed = scope["method"] not in ("GET", "HEAD", "OPTIONS") and IDEMPOTENCY_KEY.match(client_key)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = current
            await send(message)

        token = request_id.set(current)
        key_token = command_key.set(CommandKey(client_key) if keyed else None)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            command_key.reset(key_token)
            request_id.reset(token)


class RequestMetrics:
    """ASGI middleware: count and time each request by its route template (never by its concrete path: ids
    are not labels), until its answer starts (a stream of events is timed to its first byte)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        recorded = False

        def record(status: str) -> None:
            nonlocal recorded
            recorded = True
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], route, status).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)

        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.start" and not recorded:
                record(str(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_recorded)
        finally:
            if not recorded:  # an exception no handler caught: the server's 500, outside this middleware
                record("500")
