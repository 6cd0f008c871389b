"""nameko entrypoints that commit before they acknowledge, with bounded retries and a dead-letter queue.

Use `rpc` and `event_handler` from here, never nameko's own: nameko acknowledges an event (or
replies to an RPC) before dependencies see the worker's result, acknowledges a failed event and
drops it, or with `requeue_on_error` retries it forever. Here a failed event is retried
`event_max_attempts` times with exponential back-off (through a TTL queue, not holding a worker),
then moved to `caserev.dead-letters` with the reason, where `caserev dead-letters` can replay it. A failure
of the database or the broker rather than of the message has its own, longer budget
(`event_max_transient_attempts`, waits capped at `event_retry_max_ms`), so that a restart of either does not
dead-letter what arrived meanwhile; and a reply or acknowledgement the broker cannot take (it is restarting)
is logged instead of killing the service, the message coming back when the consumer reconnects.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import sys
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import kombu.serialization
import psycopg2
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Connection
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.pools import producers
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_RETRY_POLICY,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    PERSISTENT,
)
from nameko.events import EventHandler as NamekoEventHandler
from nameko.exceptions import UnserializableValueError, serialize
from nameko.rpc import Rpc as NamekoRpc
from nameko.rpc import RpcConsumer, get_rpc_exchange
from nameko.timer import timer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError as SqlInterfaceError
from sqlalchemy.exc import OperationalError as SqlOperationalError

from services.kernel import caller_seal
from services.kernel.broker import DEAD_LETTER_QUEUE, RETRY_EXCHANGE, handler_queue, publisher_for
from services.kernel.config import get_settings
from services.kernel.errors import CaseReviewError, Forbidden
from services.kernel.identity import Actor
from services.kernel.metrics import DEAD_LETTERS, EVENT_RETRIES, UNSEALED_CALLS, UNSENT_REPLIES
from services.kernel.remote import IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_MAX, Marshal, typed
from services.kernel.unit_of_work import finish_units_of_work

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-caserev-attempts"
TRANSIENT_ATTEMPTS_HEADER = "x-caserev-transient-attempts"
# What a publish raises when the broker has gone away (restarted, unreachable).
BROKER_GONE = (KombuOperationalError, AmqpConnectionError, ConnectionError)


def is_transient(error: BaseException) -> bool:
    """Whether a failure is the infrastructure's (the database or the broker away or restarting), which
    trying again later mends, rather than the message's own."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(
        error,
        (
            SqlOperationalError,
            SqlInterfaceError,
            psycopg2.OperationalError,
            psycopg2.InterfaceError,
            *BROKER_GONE,
        ),
    )


class RpcReplies(RpcConsumer):
    """nameko's consumer of a service's RPC queue, replying through a producer pool found once.

    nameko 2.14's Responder builds a kombu Connection for every reply only to look its producer pool up, and
    serialises the result twice (once to check it can). Here the pool is found at start and the reply is
    serialised once; the reply is otherwise nameko's: persistent, confirmed, retried on a broken connection,
    an unserialisable result answered with UnserializableValueError.
    """

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        transport_options = {**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": True}
        connection = Connection(
            config[AMQP_URI_CONFIG_KEY],
            transport_options=transport_options,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        self._producers = producers[connection]
        self._exchange = get_rpc_exchange(config)

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> Any:
        error = serialize(exc_info[1]) if exc_info is not None else None
        serializer = kombu.serialization.registry.type_to_name[message.properties["content_type"]]
        try:
            reply = {"result": result, "error": error}
            content_type, encoding, body = kombu.serialization.dumps(reply, serializer)
        except Exception:
            exc_info = sys.exc_info()
            unserializable = {"result": None, "error": serialize(UnserializableValueError(result))}
            content_type, encoding, body = kombu.serialization.dumps(unserializable, serializer)
            result = None
        with self._producers.acquire(block=True) as producer:
            producer.publish(
                body,
                content_type=content_type,
                content_encoding=encoding,
                exchange=self._exchange,
                routing_key=message.properties["reply_to"],
                correlation_id=message.properties.get("correlation_id"),
                delivery_mode=PERSISTENT,
                retry=True,
                retry_policy=DEFAULT_RETRY_POLICY,
            )
        self.queue_consumer.ack_message(message)
        return result, exc_info


class Rpc(NamekoRpc):
    """An RPC whose unit of work commits before the reply is sent; domain errors are expected ones.

    Deny by default: the method's first parameter is `actor`, and a call runs only if that caller carries
    the gateway's seal for this very method (caller_seal.py); the method then gets the actor without it.
    Only a method declared `@rpc(public=True)` (nothing about any case) takes no caller.

    Use it as `@rpc` from this module: the method is wrapped with remote.typed, so it gets its arguments as
    its annotations (its contract's declaration) say, checked before any work, and answers JSON.
    """

    rpc_consumer = RpcReplies()

    def __init__(
        self, expected_exceptions: Any = CaseReviewError, public: bool = False, **kwargs: Any
    ) -> None:
        self.public = public
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def setup(self) -> None:
        self.check_takes_caller()
        self.check_annotated()
        self.check_command_has_unit_of_work()
        if not self.public:
            caller_seal.verify_key()  # a service without its verify key must not start
        super().setup()

    def check_takes_caller(self) -> None:
        """TypeError, at start, for a method that is not public and does not take `actor` first."""
        if self.public:
            return
        method = getattr(self.container.service_cls, self.method_name)
        if list(inspect.signature(method).parameters)[1:2] != ["actor"]:
            raise TypeError(
                f"{self.container.service_name}.{self.method_name} must take `actor` first, "
                "or be declared @rpc(public=True)"
            )

    def check_command_has_unit_of_work(self) -> None:
        """TypeError, at start, for an `@rpc(command=True)` in a service with no `uow` to keep its keys in."""
        method = getattr(self.container.service_cls, self.method_name)
        if getattr(method, "__once_per_key__", False) and not hasattr(self.container.service_cls, "uow"):
            raise TypeError(
                f"{self.container.service_name}.{self.method_name} is a command but its service has no `uow`"
            )

    def check_annotated(self) -> None:
        """TypeError, at start, for a method whose arguments or result are not all annotated (its types
        are how its arguments are checked and its answer written)."""
        method = getattr(self.container.service_cls, self.method_name)
        Marshal.of(getattr(method, "__wrapped_rpc__", method))

    def handle_message(self, body: Any, message: Any) -> None:
        if not self.public:
            body = self._with_unsealed_caller(body)
        super().handle_message(body, message)

    def _with_unsealed_caller(self, body: Any) -> Any:
        """The request with its caller's seal checked and taken off; Forbidden if it is not good."""
        args, kwargs = list(body.get("args") or []), dict(body.get("kwargs") or {})
        to = f"{self.container.service_name}.{self.method_name}"
        try:
            if args:
                args[0] = caller_seal.unseal(args[0], to)
            elif "actor" in kwargs:
                kwargs["actor"] = caller_seal.unseal(kwargs["actor"], to)
            else:
                raise caller_seal.UnsealedCaller("the call names no caller")
        except caller_seal.UnsealedCaller as refusal:
            UNSEALED_CALLS.labels(self.container.service_name, self.method_name).inc()
            log.warning("refused a call to %s: %s", to, refusal)
            raise Forbidden("The caller could not be confirmed") from None
        return {**body, "args": args, "kwargs": kwargs}

    def handle_result(self, message: Any, worker_ctx: Any, result: Any, exc_info: Any) -> Any:
        exc_info = finish_units_of_work(worker_ctx, exc_info)
        if exc_info is not None:
            result = None
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_GONE as exc:
            # nameko lets a reply that cannot be sent kill the whole service (seen in `make chaos` when the
            # broker restarts): the work is committed, the request stays unacknowledged and comes back when
            # the consumer reconnects, where its idempotency key answers it again. Nothing to do but say so.
            UNSENT_REPLIES.labels(self.container.service_name, self.method_name).inc()
            log.warning(
                "could not reply to %s (%s): the request will be delivered again", self.method_name, exc
            )
            return result, exc_info


class EventHandler(NamekoEventHandler):
    """A service-pool event handler on a durable (quorum) queue, committing before it acknowledges."""

    def setup(self) -> None:
        super().setup()
        # The same name nameko gives, with the queue arguments the topology declared ahead of time.
        self.queue = handler_queue(
            self.source_service, self.event_type, self.container.service_name, self.method_name
        )

    def handle_result(self, message: Any, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> Any:
        exc_info = finish_units_of_work(worker_ctx, exc_info)
        self.settle(message, exc_info)
        return result, exc_info

    def settle(self, message: Any, exc_info: Any) -> None:
        """After the worker's transaction: acknowledge the message if it committed, else retry it later or
        dead-letter it."""
        if exc_info is not None:
            try:
                self._retry_or_dead_letter(message, exc_info)
            except Exception as exc:
                # Could not park it anywhere (broker trouble): give it back rather than lose it.
                log.warning("could not retry or dead-letter (%s); requeueing", type(exc).__name__)
                with contextlib.suppress(*BROKER_GONE):
                    self.queue_consumer.requeue_message(message)
                return
        try:
            self.queue_consumer.ack_message(message)
        except BROKER_GONE as exc:
            # As for an RPC's reply: nameko would let this kill the service (`make chaos`, a broker restart).
            # The effect is committed with its inbox row; the redelivery after reconnecting is skipped.
            log.warning("could not acknowledge on %s (%s): it will come again", self.queue.name, exc)

    def _retry_or_dead_letter(self, message: Any, exc_info: Any) -> None:
        settings = get_settings()
        error = exc_info[1]
        headers = dict(message.headers or {})
        # A database or broker that is away is not the message's fault (`make chaos` dead-lettered events
        # delivered while PostgreSQL restarted): such failures have a budget of their own, long enough to
        # outlast a restart, and leave the message's own attempts alone.
        transient = is_transient(error)
        counter = TRANSIENT_ATTEMPTS_HEADER if transient else ATTEMPTS_HEADER
        limit = settings.event_max_transient_attempts if transient else settings.event_max_attempts
        attempts = int(headers.get(counter, 0)) + 1
        reason = f"{type(error).__name__}: {str(error)[:500]}"
        headers.update({counter: attempts, "x-caserev-queue": self.queue.name, "x-caserev-error": reason})
        service = self.container.service_name
        publisher = publisher_for(self.container.config.get("AMQP_URI", settings.amqp_uri))
        if attempts < limit:
            backoff = (
                min(settings.event_retry_base_ms * 2 ** (attempts - 1), settings.event_retry_max_ms) / 1000.0
            )
            publisher.publish_raw(
                message.body,
                exchange=RETRY_EXCHANGE,
                routing_key=self.queue.name,
                headers=headers,
                properties=message.properties,
                expiration=backoff,
            )
            EVENT_RETRIES.labels(service, self.queue.name).inc()
            log.info("event on %s failed (attempt %d), retrying in %.1fs", self.queue.name, attempts, backoff)
            return
        headers.update(
            {
                "x-caserev-failed-at": datetime.now(UTC).isoformat(),
                "x-caserev-original-exchange": message.delivery_info.get("exchange", ""),
                "x-caserev-original-routing-key": message.delivery_info.get("routing_key", ""),
            }
        )
        publisher.publish_raw(
            message.body,
            exchange="",
            routing_key=DEAD_LETTER_QUEUE,
            headers=headers,
            properties=message.properties,
        )
        DEAD_LETTERS.labels(service, self.queue.name).inc()
        log.error("event on %s failed %d times: moved to %s", self.queue.name, attempts, DEAD_LETTER_QUEUE)


def idempotency_key_of(worker_ctx: Any) -> str | None:
    """The client's idempotency key this call carries, if any (a string of at most 200 characters)."""
    key = worker_ctx.context_data.get(IDEMPOTENCY_KEY_HEADER.removeprefix("nameko."))
    return key if isinstance(key, str) and 0 < len(key) <= IDEMPOTENCY_KEY_MAX else None


def once_per_idempotency_key(entry: Callable[..., Any], method: str) -> Callable[..., Any]:
    """An RPC command run at most once per (method, caller, client's key): a call carrying a key already
    used answers the first call's answer without running again (a client retrying after a lost answer, or
    a request redelivered after a crash between commit and reply). The key is checked and the answer kept
    in the command's own transaction (UnitOfWork.idempotent), so both commit with its effect or neither
    does. A call with no key runs as any other."""

    @functools.wraps(entry)
    def once(self: Any, *args: Any, **kwargs: Any) -> Any:
        unit = self.uow
        key = idempotency_key_of(unit.worker_ctx)
        if key is None:
            return entry(self, *args, **kwargs)
        caller = Actor.model_validate(args[0] if args else kwargs["actor"])
        request = {"args": list(args[1:]), "kwargs": {k: v for k, v in kwargs.items() if k != "actor"}}
        command = unit.idempotent(method, caller, key, request)
        if command.done:
            return command.result
        answer = entry(self, *args, **kwargs)
        command.remember(answer)
        return answer

    once.__once_per_key__ = True  # type: ignore[attr-defined]
    return once


def rpc(method: Callable[..., Any] | None = None, *, public: bool = False, command: bool = False) -> Any:
    """Declare a service method an RPC: `@rpc`, or `@rpc(public=True)` for one that takes no caller.

    The method is wrapped with remote.typed (arguments checked and answer serialised by its annotations).
    `@rpc(command=True)` declares a command that changes something: it runs once per idempotency key the
    gateway passes on (once_per_idempotency_key), in a service whose unit of work is its `uow`.
    """

    def declare(function: Callable[..., Any]) -> Callable[..., Any]:
        entry = typed(function)
        if command:
            entry = once_per_idempotency_key(entry, function.__name__)
        return typing.cast(Callable[..., Any], Rpc.decorator(public=public)(entry))

    return declare(method) if method is not None else declare


event_handler = EventHandler.decorator

__all__ = ["event_handler", "rpc", "timer"]
