"""The notifications service implements exactly what its contract declares (its `Notifications`), so the
gateway's typed client and the service agree on every call."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.kernel.entrypoints import Rpc
from services.notifications.contract import Notifications
from services.notifications.service import NotificationsService


def _rpc_methods(service_cls: type) -> dict[str, Callable[..., Any]]:
    """The service's RPC methods by name, as written (under the entrypoint's wrapper)."""
    found = {}
    for name in dir(service_cls):
        member = getattr(service_cls, name)
        if any(isinstance(entry, Rpc) for entry in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ())):
            found[name] = getattr(member, "__wrapped_rpc__", member)
    return found


def _shape(function: Callable[..., Any]) -> list[tuple[str, Any, Any, Any]]:
    """Each parameter's name, kind, default and resolved annotation (with its refusal), then the result's."""
    hints = typing.get_type_hints(function, include_extras=True)
    parameters = [p for p in inspect.signature(function).parameters.values() if p.name != "self"]
    return [(p.name, p.kind, p.default, hints[p.name]) for p in parameters] + [
        ("return", None, None, hints["return"])
    ]


def test_every_declared_rpc_is_a_service_rpc_and_every_service_rpc_is_declared():
    assert sorted(_rpc_methods(NotificationsService)) == sorted(Notifications.declared())


def test_each_rpc_has_its_declarations_signature():
    service = _rpc_methods(NotificationsService)
    for name, stub in Notifications.declared().items():
        assert _shape(service[name]) == _shape(stub), (
            f"NotificationsService.{name} differs from its declaration"
        )
