"""Typed calls across the bus: a service's contract declares its RPCs, and both ends keep to the declaration.

A contract declares its service's RPCs as a subclass of `Remote` with one `async def` stub per RPC, typed:
the caller (`actor: Actor`) first unless the RPC is public, then its arguments (pydantic models or plain
types), and its result. The service implements each as a plain method with the same signature, decorated
with the kernel's `rpc`. Across the hop:

- the caller's client (`Forms.client(transport)`, typed as the contract class, so mypy checks each call)
  turns the arguments into JSON by their annotations and the answer back into the declared result type;
- the service's entrypoint checks the arguments against the method's annotations before any work, and
  turns the method's result into JSON by its return annotation, so no method body validates or dumps.

The wire stays nameko's (`{"args": [...], "kwargs": {...}}` on `nameko-rpc`, routing key
`service.method`), so a plain nameko client still works.

The kernel's `rpc` entrypoint (entrypoints.py) wraps every service method with `typed`; a contract test
(tests/unit/test_contracts.py) proves each service implements exactly what its contract declares.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Protocol, TypeVar, get_args, get_origin
from uuid import UUID

from pydantic import BeforeValidator, TypeAdapter, ValidationError

from services.kernel.errors import InvalidRequest, NotFound
from services.kernel.identity import Actor

R = TypeVar("R", bound="Remote")
T = TypeVar("T")

Problems = Callable[[ValidationError], list[dict[str, str]]]

# The header (nameko strips its `nameko.` prefix into the worker's context data) in which the gateway passes
# on a client's Idempotency-Key with each RPC of that request (entrypoints.once_per_idempotency_key).
IDEMPOTENCY_KEY_HEADER = "nameko.caserev_idempotency_key"
IDEMPOTENCY_KEY_MAX = 200


def generic_problems(error: ValidationError) -> list[dict[str, str]]:
    """One problem per field in the validator's own words (never the value given)."""
    return [
        {
            "field": ".".join(str(part) for part in item["loc"]) or "request",
            "message": str(item["msg"]).removeprefix("Value error, "),
        }
        for item in error.errors()
    ]


@dataclass(frozen=True)
class Refused:
    """Annotation metadata: how an argument that does not validate is refused (`Annotated[T, Refused(...)]`).

    `what` starts the message ("The share has problems"); `problems` words each field's problem (a
    service's forms have their own plain words). Without it: "The request has problems", generic words.
    """

    what: str = "The request"
    problems: Problems | None = None


def found_by_id(what: str) -> BeforeValidator:
    """Annotation metadata for an id argument: one that is not an id at all reads as "No such <what>",
    exactly as an id of nothing does, so a caller learns nothing from the difference."""

    def parsed(value: Any) -> Any:
        if isinstance(value, UUID):
            return value
        try:
            return UUID(str(value))
        except ValueError:
            raise NotFound(f"No such {what}") from None

    return BeforeValidator(parsed)


class Transport(Protocol):
    """What a typed client sends through: the gateway's asyncio RPC client, or any with this call.

    `timeout` (seconds) is the transport's own; None means its default.
    """

    def call(self, service: str, method: str, *args: Any, timeout: float | None = None) -> Awaitable[Any]: ...


class Remote:
    """Base of a contract's RPC declarations. Subclass it, set `service`, declare `async def` stubs."""

    service: ClassVar[str]

    def __init__(self, transport: Transport, timeout: float | None = None) -> None:
        self._transport = transport
        self._timeout = timeout

    @classmethod
    def client(cls: type[R], transport: Transport, *, timeout: float | None = None) -> R:
        """A client of the service through `transport`, typed as this contract (`timeout`: each call's)."""
        return typing.cast(R, _client_class(typing.cast(Hashable, cls))(transport, timeout))

    @classmethod
    def declared(cls) -> dict[str, Callable[..., Any]]:
        """The RPCs this contract declares, by name."""
        return {
            name: member
            for klass in reversed(cls.__mro__)
            if issubclass(klass, Remote) and klass is not Remote
            for name, member in vars(klass).items()
            if not name.startswith("_") and inspect.iscoroutinefunction(member)
        }


@functools.cache
def _client_class(contract: Any) -> type[Remote]:
    methods = {
        name: _client_method(contract.service, name, stub) for name, stub in contract.declared().items()
    }
    return type(f"{contract.__name__}Client", (contract,), methods)


def _client_method(service: str, name: str, stub: Callable[..., Any]) -> Callable[..., Any]:
    marshal = Marshal.of(stub)

    @functools.wraps(stub)
    async def call(self: Remote, *args: Any, **kwargs: Any) -> Any:
        sent_args, _ = marshal.outgoing(args, kwargs)
        options = {} if self._timeout is None else {"timeout": self._timeout}
        answer = await self._transport.call(service, name, *sent_args, **options)
        return marshal.result.validate_python(answer)

    return call


class Marshal:
    """A method's arguments and result as its annotations say: checked on the way in, JSON on the way out."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.name = function.__name__
        self.signature = inspect.signature(function)
        hints = typing.get_type_hints(function, include_extras=True)
        self.parameters = [p for p in self.signature.parameters.values() if p.name != "self"]
        missing = [p.name for p in self.parameters if p.name not in hints] + (
            [] if "return" in hints else ["return"]
        )
        if missing:
            raise TypeError(f"{function.__qualname__} must annotate {', '.join(missing)}")
        self.adapters = {p.name: TypeAdapter(hints[p.name]) for p in self.parameters}
        # The caller travels as it is: the transport seals it for this very method.
        self.callers = {p.name for p in self.parameters if hints[p.name] is Actor}
        self.refusals = {p.name: _refusal(hints[p.name]) for p in self.parameters}
        self.result: TypeAdapter[Any] = TypeAdapter(hints["return"])

    @staticmethod
    @functools.cache
    def of(function: Callable[..., Any]) -> Marshal:
        return Marshal(function)

    def incoming(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], context: dict[str, Any] | None = None
    ) -> inspect.BoundArguments:
        """The arguments as their declared types; InvalidRequest naming each field that is not right.

        `context` reaches the contract's validators (pydantic's validation context): what only the service
        knows, such as the review types it offers."""
        try:
            bound = self.signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise InvalidRequest(f"The call to {self.name} does not fit its declaration: {exc}") from None
        for name, value in list(bound.arguments.items()):
            if name == "self":
                continue
            try:
                bound.arguments[name] = self.adapters[name].validate_python(value, context=context)
            except ValidationError as exc:
                raise self.refused(name, exc) from None
        return bound

    def refused(self, argument: str, error: ValidationError) -> InvalidRequest:
        """How a value of `argument` that does not validate is refused: in its `Refused` words, a problem
        of the whole value named by the argument."""
        refusal = self.refusals[argument]
        words = refusal.problems or generic_problems
        problems = [_under(argument, problem) for problem in words(error)]
        return InvalidRequest(f"{refusal.what} has problems", problems=problems)

    def outgoing(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """The arguments as JSON by their declared types; the caller (an Actor) as it is, for the seal."""
        bound = self.signature.bind(None, *args, **kwargs)
        # Positionally, up to the last argument given: a default before it is sent as the declaration
        # says (so a later keyword is never dropped); the defaults after it are the service's to apply.
        given = [p.name in bound.arguments for p in self.parameters]
        last = max((i for i, is_given in enumerate(given) if is_given), default=-1)
        sent = []
        for parameter in self.parameters[: last + 1]:
            value = bound.arguments.get(parameter.name, parameter.default)
            sent.append(
                value
                if parameter.name in self.callers
                else self.adapters[parameter.name].dump_python(value, mode="json")
            )
        return sent, {}

    def answer(self, value: Any) -> Any:
        """The result as JSON by the return annotation; an answer given before passes as it was sent."""
        if isinstance(value, AnsweredBefore):
            return value.sent
        return self.result.dump_python(self.result.validate_python(value), mode="json")


@dataclass(frozen=True)
class AnsweredBefore:
    """The JSON a command answered the first time (a repeated idempotency key): sent again unchanged."""

    sent: Any


def answered_before(sent: Any) -> Any:
    """What a method returns to repeat its first answer (typed Any so it stands for any declared result)."""
    return AnsweredBefore(sent)


class RemoteService(Remote):
    """What every service answers: its contract subclasses this."""

    async def health(self) -> dict[str, Any]:
        """Whether the service reaches its own schema, and its outbox backlog (public: no caller)."""
        raise NotImplementedError


def run_at_once(call: Awaitable[T]) -> T:
    """The result of a call through a transport that answers without waiting (a blocking transport in a
    script, such as the demo's seeding): no event loop is needed for a coroutine that never suspends."""
    coroutine = typing.cast(Any, call)
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return typing.cast(T, finished.value)
    coroutine.close()
    raise RuntimeError("the transport suspended: use an event loop for an asynchronous transport")


def _refusal(hint: Any) -> Refused:
    if get_origin(hint) is Annotated:
        for extra in get_args(hint)[1:]:
            if isinstance(extra, Refused):
                return extra
    return Refused()


def _under(name: str, problem: dict[str, str]) -> dict[str, str]:
    """A problem of a whole-command argument keeps its field's name; a plain argument is named itself."""
    return problem if problem.get("field") not in (None, "", "request") else {**problem, "field": name}


def _validation_context(service: Any) -> dict[str, Any] | None:
    """The service's `validation_context()` (a static method a service may declare), or None."""
    provider = getattr(type(service), "validation_context", None)
    return provider() if callable(provider) else None


def typed(function: Callable[..., Any]) -> Callable[..., Any]:
    """The service method, checking its arguments against its annotations and answering in JSON.

    A service class may declare `validation_context = staticmethod(...)` returning what its contract's
    validators need to know (pydantic's validation context)."""

    @functools.wraps(function)
    def entry(self: Any, *args: Any, **kwargs: Any) -> Any:
        marshal = Marshal.of(function)
        bound = marshal.incoming(args, kwargs, _validation_context(self))
        bound.arguments["self"] = self
        return marshal.answer(function(*bound.args, **bound.kwargs))

    entry.__wrapped_rpc__ = function  # type: ignore[attr-defined]
    return entry
