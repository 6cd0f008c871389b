"""RabbitMQ topology and confirmed, persistent publishing (kombu).

Every exchange and queue the code declares is declared here (nameko's own entrypoints and the gateway's
RPC client, gateway/rpc.py, aside): the topology `caserev migrate` sets up, the dead-letter queue an
operator reads, and a process's own subscription to events (the gateway's live count, over aio-pika).
Queues of event handlers are named as nameko names them, so that declaring them ahead of the first
publish (at migration time) and nameko's own declaration at start agree exactly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from kombu import Connection, Exchange, Queue

from services.kernel.config import get_settings

log = logging.getLogger(__name__)

RETRY_EXCHANGE = "caserev.retry"
RETRY_QUEUE = "caserev.retry"
DEAD_LETTER_QUEUE = "caserev.dead-letters"
RPC_EXCHANGE = "nameko-rpc"
# Queues of handlers since renamed or removed: deleted when the topology is declared, so that they stop
# collecting events nobody reads.
RETIRED_QUEUES = ("evt-forms-review_opened--notifications.tell_business_managers",)


def event_exchange(source_service: str) -> Exchange:
    """The topic exchange a service's events are published on, as nameko declares it."""
    return Exchange(f"{source_service}.events", type="topic", durable=True, delivery_mode=2)


def queue_arguments() -> dict[str, Any]:
    """Arguments of every durable work queue: quorum queues where enabled (replicated, safe on restart)."""
    return {"x-queue-type": "quorum"} if get_settings().quorum_queues else {}


def handler_queue(source_service: str, event_type: str, service_name: str, method_name: str) -> Queue:
    """The durable queue of one service-pool event handler, named as nameko names it."""
    return Queue(
        f"evt-{source_service}-{event_type}--{service_name}.{method_name}",
        exchange=event_exchange(source_service),
        routing_key=event_type,
        durable=True,
        auto_delete=False,
        queue_arguments=queue_arguments(),
    )


def retry_queue() -> Queue:
    """Where a failed event waits out its back-off; on expiry it returns to its own queue.

    Messages go in through a fanout exchange keeping their routing key (the handler queue's name),
    and are dead-lettered on expiry to the default exchange, which routes by queue name.
    """
    return Queue(
        RETRY_QUEUE,
        exchange=Exchange(RETRY_EXCHANGE, type="fanout", durable=True),
        durable=True,
        queue_arguments={"x-dead-letter-exchange": ""},
    )


def dead_letter_queue() -> Queue:
    """Messages that kept failing, kept for an operator to see and replay.

    A classic durable queue: listing takes messages without acknowledging and gives them back, which a
    quorum queue counts as a delivery (RabbitMQ 4 drops a message after 20 by default).
    """
    return Queue(DEAD_LETTER_QUEUE, durable=True)


def declare_topology(
    connection: Connection, sources: Iterable[str], handler_queues: Iterable[Queue]
) -> list[str]:
    """Declare, before anything is published so that no event is dropped: the retry and dead-letter queues,
    the event exchange of every source that publishes (each service, and the gateway's `identity`), and every
    handler queue (services/kernel/handler_queues.py finds them on the service classes). Returns the names
    of the queues declared."""
    declared = []
    with connection.channel() as channel:
        for queue in (retry_queue(), dead_letter_queue()):
            queue.bind(channel).declare()
            declared.append(queue.name)
        for retired in RETIRED_QUEUES:
            channel.queue_delete(retired)
        for source in sources:
            event_exchange(source).bind(channel).declare()
        for queue in handler_queues:
            queue.bind(channel).declare()
            declared.append(queue.name)
    return declared


def declare_outside_exchange(connection: Connection, exchange: Exchange, queue: Queue) -> None:
    """An exchange that an outside system publishes on (an agency's case system), bound to the queue of the
    service that reads it; idempotent. The queue is declared as the service's consumer declares it."""
    with connection.channel() as channel:
        exchange.bind(channel).declare()
        queue.bind(channel).declare()
        channel.queue_bind(queue.name, exchange.name, routing_key="")


def declare_dead_letter_queue(channel: Any) -> Queue:
    """The dead-letter queue bound to a channel, declared (as the topology declares it) so it can be read."""
    queue = dead_letter_queue().bind(channel)
    queue.declare()
    return queue


async def declare_live_relay(channel: Any, exchange_name: str) -> tuple[Any, Any]:
    """A transient topic exchange on which gateway processes relay live edits to each other (nothing on it is
    durable: what must last is in a service's store), and this process's exclusive, auto-deleted,
    server-named queue, which the caller binds per routing key. On an asyncio (aio-pika) channel."""
    exchange = await channel.declare_exchange(exchange_name, "topic", durable=False)
    queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
    return exchange, queue


async def declare_private_subscription(channel: Any, source_service: str, event_types: Iterable[str]) -> Any:
    """A process's own subscription to some of a service's events, on an asyncio (aio-pika) channel.

    The service's exchange as `event_exchange` declares it, and an exclusive, auto-deleted, server-named
    queue bound to each event type: it lives as long as the connection, so events published while it does
    not exist are not kept for it. Returns the queue.
    """
    exchange_of = event_exchange(source_service)
    exchange = await channel.declare_exchange(exchange_of.name, exchange_of.type, durable=exchange_of.durable)
    queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
    for event_type in event_types:
        await queue.bind(exchange, routing_key=event_type)
    return queue


class ConfirmedPublisher:
    """Publishes persistent messages and waits for the broker's confirm; one connection per process."""

    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._declared: set[str] = set()

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = Connection(
                self.amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=5
            )
            self._connection.ensure_connection(max_retries=1)
        return self._connection

    @contextmanager
    def producer(self) -> Iterator[Any]:
        """A producer on the process's connection; a broken connection is dropped for the next call."""
        with self._lock:
            try:
                connection = self._connect()
                yield connection.Producer()
            except Exception:
                self.close()
                raise

    def publish_event(self, producer: Any, envelope_json: dict[str, Any], source: str, name: str) -> None:
        """Publish one envelope on its source's exchange, persistent, confirmed by the broker."""
        exchange = event_exchange(source)
        if exchange.name not in self._declared:
            exchange.bind(producer.channel).declare()
            self._declared.add(exchange.name)
        producer.publish(
            envelope_json,
            exchange=exchange,
            routing_key=name,
            serializer="json",
            delivery_mode=2,
            message_id=str(envelope_json["event_id"]),
            type=envelope_json["type"],
            retry=False,
        )

    def publish_raw(
        self,
        body: bytes,
        *,
        exchange: str,
        routing_key: str,
        headers: dict[str, Any],
        properties: dict[str, Any],
        expiration: float | None = None,
    ) -> None:
        """Publish a message as it came (a retry, a dead letter, a replay), persistent and confirmed."""
        with self.producer() as producer:
            producer.publish(
                body,
                exchange=exchange,
                routing_key=routing_key,
                headers=headers,
                delivery_mode=2,
                content_type=properties.get("content_type", "application/json"),
                content_encoding=properties.get("content_encoding", "utf-8"),
                message_id=properties.get("message_id"),
                type=properties.get("type"),
                expiration=expiration,
                retry=False,
            )

    def close(self) -> None:
        """Drop the connection (it is opened again when next needed)."""
        if self._connection is not None:
            with suppress(Exception):  # closing a broken connection may fail; it is gone either way
                self._connection.release()
        self._connection = None
        self._declared.clear()


_publishers: dict[str, ConfirmedPublisher] = {}
_publishers_lock = threading.Lock()


def publisher_for(amqp_uri: str) -> ConfirmedPublisher:
    """The process's publisher for a broker URI."""
    with _publishers_lock:
        if amqp_uri not in _publishers:
            _publishers[amqp_uri] = ConfirmedPublisher(amqp_uri)
        return _publishers[amqp_uri]
