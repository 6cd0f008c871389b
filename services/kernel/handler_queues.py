"""The handler queues of the services that run, found on their classes, and their topology declared.

Kept apart from broker.py, which the entrypoints publish through and the asyncio gateway imports: finding
handlers needs the entrypoints (and so nameko), which neither may pull in.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from kombu import Connection, Queue

from services.kernel.broker import declare_topology, handler_queue
from services.kernel.entrypoints import EventHandler


def event_handler_queues(service_cls: Any) -> list[Queue]:
    """Every event-handler queue a nameko service class will consume from."""
    queues = []
    for method_name, method in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventHandler):
                queues.append(
                    handler_queue(
                        entrypoint.source_service, entrypoint.event_type, service_cls.name, method_name
                    )
                )
    return queues


def declare_service_topology(
    connection: Connection, service_classes: Iterable[Any], other_sources: Iterable[str] = ()
) -> list[str]:
    """Declare the exchanges and handler queues of these service classes, and the exchanges of sources that
    publish without a service class (the gateway's `identity`). Returns the names of the queues declared."""
    classes = list(service_classes)
    return declare_topology(
        connection,
        [*(service_cls.name for service_cls in classes), *other_sources],
        [queue for service_cls in classes for queue in event_handler_queues(service_cls)],
    )
