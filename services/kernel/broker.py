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
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from kombu import Connection, Exchange, Producer, Queue

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


class Unconfirmed(Exception):
    """The broker did not confirm every message of a batch in time: none of them may be taken as delivered."""


class Refused(Exception):
    """The broker refused a message (a nack): it was not delivered."""


class ConfirmedPublisher:
    """Publishes persistent messages with the broker's confirms; one connection per process.

    The channel is in confirm mode (RabbitMQ's publisher confirms), but unlike kombu's `confirm_publish` it
    does not wait after each message: a batch is published, then its confirms are awaited together, so a
    batch costs one round trip instead of one per message. Only a message whose confirm arrived counts as
    delivered; a connection lost, or confirms not all in within `confirm_timeout`, raises and leaves the
    caller to publish the whole batch again.
    """

    def __init__(self, amqp_uri: str, *, confirm_timeout: float = 30.0) -> None:
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._declared: set[str] = set()
        self._next_tag = 1  # the broker numbers a confirm-mode channel's publishes from 1
        self._unconfirmed: set[int] = set()
        self._refused: set[int] = set()

    def _connect(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.amqp_uri, connect_timeout=5)
            connection.ensure_connection(max_retries=1)
            self._connection = connection
            channel = connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._producer = Producer(channel)
            self._next_tag = 1
        return self._producer

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._refused |= self._settle(delivery_tag, multiple)

    def _settle(self, delivery_tag: int, multiple: bool) -> set[int]:
        settled = {tag for tag in self._unconfirmed if tag <= delivery_tag} if multiple else {delivery_tag}
        self._unconfirmed -= settled
        return settled

    def _publish(self, producer: Producer, body: Any, **options: Any) -> int:
        producer.publish(body, delivery_mode=2, retry=False, **options)
        tag, self._next_tag = self._next_tag, self._next_tag + 1
        self._unconfirmed.add(tag)
        return tag

    def _await_confirms(self) -> set[int]:
        """Wait until every message published is confirmed; return the tags the broker refused."""
        deadline = time.monotonic() + self.confirm_timeout
        while self._unconfirmed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                missing = len(self._unconfirmed)
                raise Unconfirmed(f"{missing} messages not confirmed in {self.confirm_timeout}s")
            assert self._connection is not None
            try:
                self._connection.drain_events(timeout=remaining)
            except TimeoutError:
                continue  # the deadline decides
        refused, self._refused = self._refused, set()
        return refused

    @contextmanager
    def _channel(self) -> Iterator[Producer]:
        """The process's confirm-mode producer; a failure drops the connection for the next call."""
        with self._lock:
            try:
                yield self._connect()
            except Exception:
                self.close()
                raise

    def _exchange(self, producer: Producer, source: str) -> Exchange:
        exchange = event_exchange(source)
        if exchange.name not in self._declared:
            exchange.bind(producer.channel).declare()
            self._declared.add(exchange.name)
        return exchange

    def publish_events(self, envelopes: Sequence[dict[str, Any]]) -> list[bool]:
        """Publish each envelope on its source's exchange, persistent, then wait once for the confirms of all.

        Returns, in order, whether the broker confirmed each (False: it refused that one). Raises if the
        connection fails or the confirms do not all arrive in time: then none may be taken as published.
        """
        with self._channel() as producer:
            tags = []
            for envelope in envelopes:
                source, name = str(envelope["type"]).split(".", 1)
                tags.append(
                    self._publish(
                        producer,
                        envelope,
                        exchange=self._exchange(producer, source),
                        routing_key=name,
                        serializer="json",
                        message_id=str(envelope["event_id"]),
                        type=envelope["type"],
                    )
                )
            refused = self._await_confirms()
        return [tag not in refused for tag in tags]

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
        """Publish a message as it came (a retry, a dead letter, a replay), persistent; Refused on a nack."""
        with self._channel() as producer:
            self._publish(
                producer,
                body,
                exchange=exchange,
                routing_key=routing_key,
                headers=headers,
                content_type=properties.get("content_type", "application/json"),
                content_encoding=properties.get("content_encoding", "utf-8"),
                message_id=properties.get("message_id"),
                type=properties.get("type"),
                expiration=expiration,
            )
            if self._await_confirms():
                raise Refused(f"the broker refused a message for {exchange or routing_key}")

    def close(self) -> None:
        """Drop the connection (it is opened again when next needed); what was unconfirmed stays unknown."""
        if self._connection is not None:
            with suppress(Exception):  # closing a broken connection may fail; it is gone either way
                self._connection.release()
        self._connection = None
        self._producer = None
        self._declared.clear()
        self._unconfirmed.clear()
        self._refused.clear()


_publishers: dict[str, ConfirmedPublisher] = {}
_publishers_lock = threading.Lock()


def publisher_for(amqp_uri: str) -> ConfirmedPublisher:
    """The process's publisher for a broker URI."""
    with _publishers_lock:
        if amqp_uri not in _publishers:
            _publishers[amqp_uri] = ConfirmedPublisher(amqp_uri)
        return _publishers[amqp_uri]


def inspect_queue(channel: Any, name: str) -> tuple[int, int]:
    """(ready messages, consumers) of an existing queue, by a passive declare, which declares nothing and
    closes the channel with 404 NOT_FOUND if there is no such queue."""
    _, ready, consumers = channel.queue_declare(queue=name, passive=True)
    return int(ready), int(consumers)
