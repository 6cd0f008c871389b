"""Prometheus metrics every service exposes on its own port, and the nameko dependency serving them."""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

ENTRYPOINT_CALLS = Counter(
    "caserev_entrypoint_calls_total", "Entrypoint calls by outcome", ["service", "entrypoint", "outcome"]
)
ENTRYPOINT_LATENCY = Histogram(
    "caserev_entrypoint_seconds",
    "Entrypoint latency",
    ["service", "entrypoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PUBLISHED = Counter("caserev_outbox_published_total", "Events relayed from the outbox", ["service"])
OUTBOX_RELAY_ERRORS = Counter("caserev_outbox_relay_errors_total", "Failed outbox relay passes", ["service"])
INBOX_DUPLICATES = Counter(
    "caserev_inbox_duplicates_skipped_total", "Events seen before and skipped", ["service", "handler"]
)
EVENT_RETRIES = Counter(
    "caserev_event_retries_total", "Failed event deliveries retried", ["service", "queue"]
)
DEAD_LETTERS = Counter(
    "caserev_dead_letters_total", "Events sent to the dead-letter queue", ["service", "queue"]
)
UNSEALED_CALLS = Counter(
    "caserev_rpc_unsealed_calls_total",
    "RPC calls refused because the caller carried no valid seal (a wrong key, or someone forging callers)",
    ["service", "method"],
)


class CallbackGauges(Collector):
    """Gauges read at scrape time from a callback (outbox backlog, business figures)."""

    def __init__(self, name: str, help_text: str, labels: list[str], read: Callable[[], Iterable[Any]]):
        self.name, self.help_text, self.labels, self.read = name, help_text, labels, read

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.help_text, labels=self.labels)
        try:
            for label_values, value in self.read():
                family.add_metric(list(label_values), value)
        except Exception as exc:  # a scrape must not fail because the database is away
            log.warning("metric %s unavailable: %s", self.name, type(exc).__name__)
        yield family


def bind_exclusive(host: str, port: int) -> socket.socket:
    """Listen on host:port, failing loudly if another process holds it.

    eventlet.listen sets SO_REUSEPORT, so two processes would both bind and split requests; this
    socket sets only SO_REUSEADDR.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise RuntimeError(
                f"port {port} is already in use: is another process of this service running?"
            ) from exc
        raise
    sock.listen(64)
    return sock


class Metrics(DependencyProvider):
    """Serves /metrics on the service's own port and times every entrypoint of the service."""

    def __init__(self, port: int | None = None, host: str = "0.0.0.0") -> None:  # noqa: S104 - scraped by Prometheus
        self.port = port
        self.host = host
        self._started: dict[Any, float] = {}
        self._socket: socket.socket | None = None
        self._server: Any = None

    def setup(self) -> None:
        from services.kernel.config import metrics_port

        if self.port is None:
            self.port = metrics_port(self.container.service_name)

    def start(self) -> None:
        import eventlet.wsgi

        self._socket = bind_exclusive(self.host, self.port or 0)
        self.port = self._socket.getsockname()[1]
        app = make_wsgi_app(REGISTRY)
        self._server = self.container.spawn_managed_thread(
            lambda: eventlet.wsgi.server(self._socket, app, log_output=False), identifier="metrics-http"
        )
        log.info("metrics on port %s", self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.kill()  # its accept loop does not notice a closed socket
        if self._socket is not None:
            self._socket.close()

    def worker_setup(self, worker_ctx: Any) -> None:
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx, None)
        service, entrypoint = self.container.service_name, worker_ctx.entrypoint.method_name
        if started is not None:
            ENTRYPOINT_LATENCY.labels(service, entrypoint).observe(time.perf_counter() - started)
        ENTRYPOINT_CALLS.labels(service, entrypoint, "error" if exc_info else "ok").inc()
