"""An asyncio client of nameko's RPC wire protocol, over aio-pika.

One connection and one exclusive reply queue per gateway process; each call carries a correlation id
and an expiration, so that a request the gateway gave up on is dropped by the broker instead of being
run later. Remote errors come back by name and are raised as `RemoteError`.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import typing
import uuid
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from pydantic import BaseModel, ValidationError

from services.kernel import caller_seal
from services.kernel.broker import RPC_EXCHANGE
from services.kernel.identity import Actor
from services.kernel.logs import request_id
from services.kernel.remote import IDEMPOTENCY_KEY_HEADER, Marshal

log = logging.getLogger(__name__)

Command = TypeVar("Command", bound=BaseModel)


# What a client may give as its Idempotency-Key: printable ASCII, room for a UUID and then some. A key with a
# suffix (`#2`) below stays within the services' limit of 200.
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,190}$")


class CommandKey:
    """The client's Idempotency-Key of the request being served, passed on with each RPC it makes.

    A request that calls the same method more than once (a page that adds several things) sends `key`, then
    `key#2`, `key#3`: the same request sent again makes the same calls in the same order, so each call meets
    its first answer and none collides with another's."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._calls: dict[str, int] = {}

    def for_call(self, service: str, method: str) -> str:
        """The key to send with this call of `service.method`."""
        name = f"{service}.{method}"
        self._calls[name] = self._calls.get(name, 0) + 1
        count = self._calls[name]
        return self.key if count == 1 else f"{self.key}#{count}"


command_key: contextvars.ContextVar[CommandKey | None] = contextvars.ContextVar("command_key", default=None)


class RpcUnavailable(Exception):
    """The broker cannot be reached, or the service did not answer in time."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class RemoteError(Exception):
    """A service answered with an error."""

    def __init__(self, exc_type: str, message: str, args: list[Any]) -> None:
        super().__init__(f"{exc_type}: {message}")
        self.exc_type = exc_type
        self.message = message
        self.remote_args = args

    @property
    def problems(self) -> list[dict[str, Any]]:
        """Field problems a service's InvalidRequest carries."""
        if len(self.remote_args) > 1 and isinstance(self.remote_args[1], list):
            return [p for p in self.remote_args[1] if isinstance(p, dict)]
        return []


class RpcClient:
    """Calls `service.method(*args, **kwargs)` on nameko services."""

    def __init__(self, amqp_uri: str, *, timeout: float = 10.0) -> None:
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._reply_to = f"rpc.reply-gateway-{uuid.uuid4()}"
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        """True while the broker connection is open."""
        return self._connection is not None and not self._connection.is_closed

    async def connect(self) -> None:
        """Open the connection and the reply queue (idempotent)."""
        async with self._lock:
            if self._exchange is not None:
                return
            connection = await aio_pika.connect_robust(self.amqp_uri, timeout=5)
            channel = await connection.channel()
            exchange = await channel.declare_exchange(RPC_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
            queue = await channel.declare_queue(self._reply_to, exclusive=True, auto_delete=True)
            await queue.bind(exchange, routing_key=self._reply_to)
            await queue.consume(self._on_reply, no_ack=True)
            self._connection, self._exchange = connection, exchange

    async def close(self) -> None:
        """Close the connection; calls in flight fail."""
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._exchange = None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(RpcUnavailable("broker", "the gateway is shutting down"))
        self._pending.clear()

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is None or future.done():
            return  # a reply to a call that already timed out
        try:
            body = json.loads(message.body)
        except ValueError:
            future.set_exception(RpcUnavailable("broker", "a reply that was not JSON"))
            return
        error = body.get("error")
        if error:
            args = error.get("exc_args") or []
            # The kernel's errors carry (message, problems); others have only their text.
            text = args[0] if args and isinstance(args[0], str) else str(error.get("value", ""))
            future.set_exception(RemoteError(error.get("exc_type", "Error"), text, args))
        else:
            future.set_result(body.get("result"))

    async def call(
        self, service: str, method: str, *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> Any:
        """Call a remote method and wait for its result (raises RemoteError or RpcUnavailable).

        An Actor given first is sent sealed for this method (services/kernel/caller_seal.py).
        """
        timeout = timeout or self.timeout
        if args and isinstance(args[0], Actor):
            args = (caller_seal.seal(args[0].model_dump(mode="json"), f"{service}.{method}"), *args[1:])
        try:
            await self.connect()
        except Exception as exc:
            raise RpcUnavailable(service, f"cannot reach the message broker ({type(exc).__name__})") from exc
        assert self._exchange is not None
        correlation_id = uuid.uuid4().hex
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        headers: dict[str, Any] = {"nameko.call_id_stack": [f"gateway.{request_id.get() or correlation_id}"]}
        client_key = command_key.get()
        if client_key is not None:
            headers[IDEMPOTENCY_KEY_HEADER] = client_key.for_call(service, method)
        message = aio_pika.Message(
            json.dumps({"args": list(args), "kwargs": kwargs}, default=str).encode(),
            content_type="application/json",
            content_encoding="utf-8",
            correlation_id=correlation_id,
            reply_to=self._reply_to,
            expiration=timeout,
            headers=headers,
        )
        try:
            await self._exchange.publish(message, routing_key=f"{service}.{method}")
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise RpcUnavailable(service, f"no answer within {timeout:g}s") from None
        except aio_pika.exceptions.AMQPError as exc:
            raise RpcUnavailable(service, f"the message broker failed ({type(exc).__name__})") from exc
        finally:
            self._pending.pop(correlation_id, None)


def command_for(declared: Callable[..., Any], model: type[Command], values: Mapping[str, Any]) -> Command:
    """What a page read, as the command `model` that a contract's RPC (`declared`, say `Forms.extend_return`)
    takes. Values that do not fit raise the RemoteError the service would answer for them: InvalidRequest in
    the words the declaration gives (its `Refused`), so that a route handles both alike."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise _refused_as_declared(declared, model, exc) from None


def _refused_as_declared(
    declared: Callable[..., Any], model: type[BaseModel], error: ValidationError
) -> RemoteError:
    marshal = Marshal.of(declared)
    hints = typing.get_type_hints(declared, include_extras=True)
    argument = next(name for name in marshal.refusals if _declared_type(hints[name]) is model)
    refused = marshal.refused(argument, error)  # in the very words the service would answer
    return RemoteError("InvalidRequest", refused.message, [refused.message, refused.problems])


def _declared_type(hint: Any) -> Any:
    return typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint
