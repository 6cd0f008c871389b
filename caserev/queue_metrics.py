"""`caserev queue-metrics`: how far behind each event handler is, for Prometheus, read from the broker.

A process of its own (deploy/Procfile's `queues`), because the figures matter most when a consumer is
stopped, and a stopped service serves no metrics. On each scrape, for every handler queue of every service
and for the dead-letter queue, it reports:

* `caserev_queue_messages_ready` and `caserev_queue_consumers`, from a passive queue declare (cheap, works
  on quorum queues, needs no management plugin);
* `caserev_queue_oldest_message_age_seconds`: how long ago the event at the head of the queue occurred (its
  envelope's `occurred_at`). RabbitMQ keeps no head timestamp for quorum queues, so the head message is
  taken without acknowledging and given straight back (`basic.reject` with requeue: a quorum queue delivers
  returned messages first, so the order holds; its redelivery is harmless, since every handler keeps an
  inbox). Messages already handed to a consumer are not ready and not looked at: the age is of the oldest
  event still waiting for a worker.

docs/operations.md describes the alerts on these (deploy/prometheus-rules.yml).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kombu import Connection
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.kernel.broker import DEAD_LETTER_QUEUE, inspect_queue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueFigures:
    """One queue as the broker has it now."""

    queue: str
    service: str
    ready: int
    consumers: int
    oldest_age_s: float


def handler_queues() -> list[tuple[str, str]]:
    """(queue, consuming service) of every event handler of every service, and the dead-letter queue."""
    from caserev.topology import SERVICE_MODULES, service_classes
    from services.kernel.handler_queues import event_handler_queues

    classes = zip(SERVICE_MODULES, service_classes(), strict=True)
    queues = [(queue.name, service) for service, cls in classes for queue in event_handler_queues(cls)]
    return [*sorted(queues), (DEAD_LETTER_QUEUE, "")]


def occurred_at(message: Any) -> float | None:
    """When the event in a message occurred (epoch seconds): its envelope's `occurred_at`, else the
    message's AMQP timestamp; None when it carries neither."""
    try:
        body = json.loads(message.body)
        return datetime.fromisoformat(str(body["occurred_at"])).astimezone(UTC).timestamp()
    except (ValueError, KeyError, TypeError):
        stamp = (message.properties or {}).get("timestamp")
        if isinstance(stamp, datetime):
            return stamp.timestamp()
        return float(stamp) if isinstance(stamp, int | float) else None


def read_queues(amqp_uri: str, queues: Iterable[tuple[str, str]]) -> Iterator[QueueFigures]:
    """Each queue's ready messages, consumers and age of its oldest waiting event; a queue that does not
    exist is left out (a passive declare of it closes the channel, so another is opened)."""
    with Connection(amqp_uri, connect_timeout=5) as connection:
        channel = connection.channel()
        for queue, service in queues:
            try:
                ready, consumers = inspect_queue(channel, queue)
            except Exception as exc:  # the broker closed the channel: 404 NOT_FOUND
                log.warning("queue %s not found (%s)", queue, type(exc).__name__)
                channel = connection.channel()
                continue
            age = 0.0
            if ready:
                head = channel.basic_get(queue=queue, no_ack=False)
                if head is not None:
                    channel.basic_reject(head.delivery_tag, requeue=True)
                    when = occurred_at(head)
                    age = max(0.0, time.time() - when) if when is not None else 0.0
            yield QueueFigures(queue, service, int(ready), int(consumers), age)
        channel.close()


class QueueCollector(Collector):
    """Reads the broker on every scrape; says `caserev_queue_broker_up 0` when it cannot."""

    def __init__(self, amqp_uri: str, queues: list[tuple[str, str]]) -> None:
        self.amqp_uri, self.queues = amqp_uri, queues

    def collect(self) -> Iterator[GaugeMetricFamily]:
        labels = ["queue", "service"]
        ready = GaugeMetricFamily(
            "caserev_queue_messages_ready", "Messages waiting in a handler queue for a worker", labels=labels
        )
        consumers = GaugeMetricFamily(
            "caserev_queue_consumers", "Consumers (service processes) reading a handler queue", labels=labels
        )
        age = GaugeMetricFamily(
            "caserev_queue_oldest_message_age_seconds",
            "How long ago the event at the head of a handler queue occurred (0: nothing waits)",
            labels=labels,
        )
        up = GaugeMetricFamily("caserev_queue_broker_up", "1 if the broker answered this scrape")
        try:
            for figures in read_queues(self.amqp_uri, self.queues):
                ready.add_metric([figures.queue, figures.service], figures.ready)
                consumers.add_metric([figures.queue, figures.service], figures.consumers)
                age.add_metric([figures.queue, figures.service], figures.oldest_age_s)
            up.add_metric([], 1)
        except Exception as exc:
            log.warning("could not read the broker's queues (%s)", type(exc).__name__)
            up.add_metric([], 0)
        yield from (ready, consumers, age, up)


def serve(amqp_uri: str, host: str, port: int) -> None:
    """Serve /metrics until stopped; fail loudly if the port is taken."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from prometheus_client import CollectorRegistry, make_wsgi_app

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    registry = CollectorRegistry()
    registry.register(QueueCollector(amqp_uri, handler_queues()))
    server = make_server(host, port, make_wsgi_app(registry), handler_class=Quiet)
    print(f"queue metrics on http://{host}:{port}/metrics", flush=True)
    server.serve_forever()
