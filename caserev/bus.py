"""The operator's tools call services as the gateway does, through their contracts' typed clients
(services/kernel/remote.py), but over nameko's own standalone RPC client: a plain nameko client on the same
wire, blocking, for a script.

    with forms_service(settings) as forms:
        review = run_at_once(forms.get_review_file(SYSTEM, review_id))  # services/kernel/remote.py
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from services.forms.contract import Forms
from services.kernel.caller_seal import seal
from services.kernel.config import OperatorSettings, Settings
from services.kernel.identity import Actor
from services.kernel.remote import RemoteService

__all__ = ["NamekoTransport", "forms_service", "service_client"]

Service = TypeVar("Service", bound=RemoteService)


class NamekoTransport:
    """A transport of typed calls over a `ClusterRpcProxy`: the caller (an Actor given first) is sealed for
    `service.method` with the operator's key, and the call blocks until the answer, so that it never
    suspends and `run_at_once(...)` gives its result without an event loop."""

    def __init__(self, proxy: Any, settings: Settings) -> None:
        self._proxy = proxy
        self._settings = settings

    async def call(self, service: str, method: str, *args: Any, timeout: float | None = None) -> Any:
        """`service.method(*args)`; `timeout` is the proxy's own, set when it was opened."""
        if args and isinstance(args[0], Actor):
            caller = seal(args[0].model_dump(mode="json"), f"{service}.{method}", settings=self._settings)
            args = (caller, *args[1:])
        # nameko's proxy names a service and its method as attributes: the typed client names both.
        return getattr(getattr(self._proxy, service), method)(*args)


@contextmanager
def forms_service(settings: OperatorSettings) -> Iterator[Forms]:
    """The forms service, typed as its contract, over one nameko connection for as long as it is open."""
    with service_client(settings, Forms) as forms:
        yield forms


@contextmanager
def service_client(settings: OperatorSettings, contract: type[Service]) -> Iterator[Service]:
    """A service, typed as its contract, over one nameko connection for as long as it is open."""
    from nameko.standalone.rpc import ClusterRpcProxy  # imports eventlet: only when a tool calls a service

    with ClusterRpcProxy({"AMQP_URI": settings.amqp_uri}, timeout=settings.rpc_timeout_s) as proxy:
        yield contract.client(NamekoTransport(proxy, settings))
