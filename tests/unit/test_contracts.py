"""Each service implements exactly the RPCs its contract declares, with the same signatures, and its service
class holds entrypoints only.

A contract declares its service's RPCs as a `RemoteService` subclass (services/kernel/remote.py); callers
use `Contract.client(transport)`, typed by those declarations, and the service's `@rpc` methods are checked
and answered by their own annotations. So the two must agree to the letter: names, parameter kinds and
defaults, and the annotations (with their `Annotated` metadata, which says how bad arguments are refused).
"""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from caserev.topology import SERVICE_MODULES, service_classes
from services.kernel.entrypoints import Rpc, rpc
from services.kernel.identity import Actor
from services.kernel.remote import RemoteService
from services.kernel.service_base import ServiceBase

SERVICES = sorted(SERVICE_MODULES)
# What a service class may hold besides entrypoints: the hook remote.typed asks for (its contract's
# validation context). Everything else is a handler's, the domain's or storage's.
NOT_ENTRYPOINTS_ALLOWED = {"validation_context"}


def service_class(name: str) -> type:
    (found,) = [cls for cls in service_classes() if getattr(cls, "name", None) == name]
    return found


def contract_of(name: str) -> type[RemoteService]:
    """The RemoteService subclass that the service's contract declares for it."""
    module = importlib.import_module(f"services.{name}.contract")
    declarations = {
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, RemoteService)
        and value is not RemoteService
        and getattr(value, "service", None) == name
    }
    assert len(declarations) == 1, (
        f"services/{name}/contract must declare its RPCs as exactly one RemoteService subclass with "
        f"service = {name!r}; found {sorted(d.__name__ for d in declarations) or 'none'}"
    )
    return declarations.pop()


def rpc_entrypoints(cls: type) -> dict[str, Rpc]:
    """The service's `@rpc` methods (inherited ones too), by name, with their entrypoint."""
    found = {}
    for name in dir(cls):
        extensions = getattr(getattr(cls, name, None), ENTRYPOINT_EXTENSIONS_ATTR, ())
        rpcs = [extension for extension in extensions if isinstance(extension, Rpc)]
        if rpcs:
            found[name] = rpcs[0]
    return found


def implementation(method: Callable[..., Any]) -> Callable[..., Any]:
    """The method as written, under the kernel's checking wrapper."""
    return typing.cast(Callable[..., Any], getattr(method, "__wrapped_rpc__", method))


def shape(function: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    """Each parameter's name, kind and default (annotations are compared resolved, by get_type_hints)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def plain(function: Callable[..., Any]) -> str:
    """The parameters as a reader writes them: `self, actor, partnership_id=None`."""
    return ", ".join(
        str(p.replace(annotation=inspect.Parameter.empty))
        for p in inspect.signature(function).parameters.values()
    )


def disagreements(contract: type[RemoteService], cls: type) -> list[str]:
    """Where the service's RPCs differ from what its contract declares, one line each."""
    entrypoints = rpc_entrypoints(cls)
    problems = []
    for method, stub in sorted(contract.declared().items()):
        if method not in entrypoints:
            problems.append(f"{method}: declared in the contract but not an @rpc of {cls.__name__}")
            continue
        written = implementation(getattr(cls, method))
        if shape(written) != shape(stub):
            problems.append(
                f"{method}: parameters ({plain(written)}) differ from the declaration's ({plain(stub)})"
            )
        hints = typing.get_type_hints(written, include_extras=True)
        declared = typing.get_type_hints(stub, include_extras=True)
        for key in sorted(hints.keys() | declared.keys()):
            if hints.get(key) != declared.get(key):
                problems.append(
                    f"{method}: {key} is annotated {hints.get(key)!r} by the service, "
                    f"{declared.get(key)!r} by the contract (use the contract's own types and aliases)"
                )
        takes_caller = list(inspect.signature(stub).parameters)[1:2] == ["actor"]
        if entrypoints[method].public == takes_caller:
            problems.append(
                f"{method}: the declaration {'takes' if takes_caller else 'takes no'} caller, but the "
                f"service's @rpc is {'public' if entrypoints[method].public else 'not public'}"
            )
    return problems


def undeclared(contract: type[RemoteService], cls: type) -> list[str]:
    """The service's RPCs its contract does not declare."""
    return sorted(set(rpc_entrypoints(cls)) - set(contract.declared()))


def not_entrypoints(cls: type) -> list[str]:
    """The code a service class holds that is not an entrypoint (ServiceBase's own is the kernel's)."""
    others = []
    for klass in cls.__mro__:
        if issubclass(ServiceBase, klass):  # ServiceBase itself, and object
            continue
        for attribute, value in vars(klass).items():
            is_code = isinstance(value, (types.FunctionType, staticmethod, classmethod, property))
            entrypoint = getattr(value, ENTRYPOINT_EXTENSIONS_ATTR, None)
            if is_code and attribute not in NOT_ENTRYPOINTS_ALLOWED and not entrypoint:
                others.append(f"{klass.__name__}.{attribute}")
    return sorted(others)


@pytest.mark.parametrize("name", SERVICES)
def test_every_rpc_the_contract_declares_is_an_rpc_of_the_service_with_the_same_signature(name: str) -> None:
    contract, cls = contract_of(name), service_class(name)
    problems = disagreements(contract, cls)
    assert not problems, f"{cls.__name__} does not implement {contract.__name__} as declared:\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("name", SERVICES)
def test_every_rpc_of_the_service_is_declared_in_its_contract(name: str) -> None:
    contract, cls = contract_of(name), service_class(name)
    extra = undeclared(contract, cls)
    assert not extra, (
        f"{cls.__name__} answers {extra} but {contract.__name__} (services/{name}/contract) does not "
        "declare them: declare each as a typed async stub, so callers reach it through the typed client"
    )


@pytest.mark.parametrize("name", SERVICES)
def test_the_service_class_holds_entrypoints_only(name: str) -> None:
    cls = service_class(name)
    others = not_entrypoints(cls)
    assert not others, (
        f"{cls.__name__} holds more than entrypoints: {others}. Move the work to the service's handlers "
        "(use cases), domain (rules) or repository (storage); each entrypoint hands over in one line"
    )


@pytest.mark.parametrize("name", SERVICES)
def test_every_declared_rpc_says_what_it_does(name: str) -> None:
    contract = contract_of(name)
    silent = sorted(
        method for method, stub in contract.declared().items() if not (stub.__doc__ or "").strip()
    )
    assert not silent, (
        f"give these RPCs of {contract.__name__} a docstring (what it answers, who may ask): {silent}"
    )


class Example(RemoteService):
    service = "example"

    async def count(self, actor: Actor, partnership_id: int | None = None) -> list[int]:
        """A declared RPC."""
        raise NotImplementedError


class StrayingService(ServiceBase):
    """Renames a parameter, answers an RPC nobody declared, and keeps a helper: each must be caught."""

    name = "example"

    @rpc
    def count(self, actor: Actor, partnership: int | None = None) -> list[int]:
        return self._helper()

    @rpc
    def extra(self, actor: Actor) -> int:
        return 0

    def _helper(self) -> list[int]:
        return []


class KeepingService(ServiceBase):
    """Implements Example to the letter."""

    name = "example"

    @rpc
    def count(self, actor: Actor, partnership_id: int | None = None) -> list[int]:
        return []


def test_a_service_that_strays_from_its_contract_is_caught_and_one_that_keeps_to_it_is_not() -> None:
    problems = disagreements(Example, StrayingService)
    assert problems[0] == (
        "count: parameters (self, actor, partnership=None) differ from the declaration's "
        "(self, actor, partnership_id=None)"
    )
    assert undeclared(Example, StrayingService) == ["extra"]
    assert not_entrypoints(StrayingService) == ["StrayingService._helper"]
    assert (disagreements(Example, KeepingService), undeclared(Example, KeepingService)) == ([], [])
    assert not_entrypoints(KeepingService) == []
