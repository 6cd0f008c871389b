"""The gateway's Prometheus metrics."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from prometheus_client import Counter, Histogram

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


async def with_request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Every request gets an id (the caller's X-Request-ID if well-formed): in the logs of the gateway and of
    every service it calls, and in the response."""
    given = request.headers.get("x-request-id", "")
    current = given if REQUEST_ID.match(given) else uuid.uuid4().hex
    token = request_id.set(current)
    try:
        response = await call_next(request)
    finally:
        request_id.reset(token)
    response.headers["X-Request-ID"] = current
    return response


async def record_request(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Count and time each request by its route template (never by its concrete path: ids are not labels)."""
    started = time.perf_counter()
    status = "500"  # an exception no handler caught becomes the server's 500 outside this middleware
    try:
        response = await call_next(request)
        status = str(response.status_code)
        return response
    finally:
        route = getattr(request.scope.get("route"), "path", "unmatched")
        REQUESTS.labels(request.method, route, status).inc()
        LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
