"""The nameko dependency serving a service's Prometheus metrics on its own port, timing its entrypoints."""

from __future__ import annotations

import errno
import logging
import socket
import time
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY, make_wsgi_app

from services.kernel.config import metrics_port
from services.kernel.metrics import ENTRYPOINT_CALLS, ENTRYPOINT_LATENCY

log = logging.getLogger(__name__)


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
