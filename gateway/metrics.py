"""The gateway's Prometheus metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from prometheus_client import Counter, Histogram

REQUESTS = Counter("caserev_gateway_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "caserev_gateway_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RPC_ERRORS = Counter("caserev_gateway_rpc_errors_total", "RPC calls that failed", ["service", "kind"])


async def record_request(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Count and time each request by its route template (never by its concrete path: ids are not labels)."""
    started = time.perf_counter()
    response = await call_next(request)
    route = getattr(request.scope.get("route"), "path", "unmatched")
    REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
    return response
