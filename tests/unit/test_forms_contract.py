"""The forms service answers exactly what its contract declares (services/forms/contract/rpc.py), and its
class holds entrypoints only."""

from __future__ import annotations

import inspect
import typing

from services.forms.contract.rpc import Forms
from services.forms.service import FormsService
from services.kernel.service_base import ServiceBase


def entrypoints() -> dict[str, typing.Any]:
    """The service's RPC methods, by name, as written (before the kernel's typed wrapper)."""
    return {
        name: member.__wrapped_rpc__
        for name in dir(FormsService)
        if hasattr(member := getattr(FormsService, name), "__wrapped_rpc__")
    }


def test_every_declared_rpc_is_a_method_of_the_service_with_the_same_signature():
    implemented = entrypoints()
    for name, stub in Forms.declared().items():
        assert name in implemented, f"forms declares {name} but FormsService has no @rpc {name}"
        declared, written = inspect.signature(stub), inspect.signature(implemented[name])
        assert [(p.name, p.kind, p.default) for p in declared.parameters.values()] == [
            (p.name, p.kind, p.default) for p in written.parameters.values()
        ], f"{name}: the parameters differ from the contract's"
        assert typing.get_type_hints(stub, include_extras=True) == typing.get_type_hints(
            implemented[name], include_extras=True
        ), f"{name}: the annotations differ from the contract's"


def test_every_rpc_of_the_service_is_declared_in_its_contract():
    undeclared = set(entrypoints()) - set(Forms.declared())
    assert not undeclared, f"declare these in services/forms/contract/rpc.py: {sorted(undeclared)}"


def test_the_service_class_holds_entrypoints_only():
    own = {name for name, member in vars(FormsService).items() if inspect.isfunction(member)}
    helpers = own - set(entrypoints()) - set(vars(ServiceBase))
    assert not helpers, f"move these out of FormsService into handlers/ or views.py: {sorted(helpers)}"
