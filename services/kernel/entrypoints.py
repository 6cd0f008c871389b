"""nameko entrypoints that commit before they acknowledge, with bounded retries and a dead-letter queue.

Use `rpc` and `event_handler` from here, never nameko's own: nameko acknowledges an event (or
replies to an RPC) before dependencies see the worker's result, acknowledges a failed event and
drops it, or with `requeue_on_error` retries it forever. Here a failed event is retried
`event_max_attempts` times with exponential back-off (through a TTL queue, not holding a worker),
then moved to `caserev.dead-letters` with the reason, where `caserev dead-letters` can replay it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from nameko.events import EventHandler as NamekoEventHandler
from nameko.rpc import Rpc as NamekoRpc
from nameko.timer import timer

from services.kernel.broker import DEAD_LETTER_QUEUE, RETRY_EXCHANGE, handler_queue, publisher_for
from services.kernel.config import get_settings
from services.kernel.errors import CaseReviewError
from services.kernel.metrics import DEAD_LETTERS, EVENT_RETRIES
from services.kernel.unit_of_work import finish_units_of_work

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-caserev-attempts"


class Rpc(NamekoRpc):
    """An RPC whose unit of work commits before the reply is sent; domain errors are expected ones."""

    def __init__(self, expected_exceptions: Any = CaseReviewError, **kwargs: Any) -> None:
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def handle_result(self, message: Any, worker_ctx: Any, result: Any, exc_info: Any) -> Any:
        exc_info = finish_units_of_work(worker_ctx, exc_info)
        if exc_info is not None:
            result = None
        return super().handle_result(message, worker_ctx, result, exc_info)


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
        if exc_info is not None:
            try:
                self._retry_or_dead_letter(message, exc_info)
            except Exception as exc:
                # Could not park it anywhere (broker trouble): give it back rather than lose it.
                log.warning("could not retry or dead-letter (%s); requeueing", type(exc).__name__)
                self.queue_consumer.requeue_message(message)
                return result, exc_info
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def _retry_or_dead_letter(self, message: Any, exc_info: Any) -> None:
        settings = get_settings()
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        error = exc_info[1]
        reason = f"{type(error).__name__}: {str(error)[:500]}"
        headers = dict(message.headers or {})
        headers.update(
            {ATTEMPTS_HEADER: attempts, "x-caserev-queue": self.queue.name, "x-caserev-error": reason}
        )
        service = self.container.service_name
        publisher = publisher_for(self.container.config.get("AMQP_URI", settings.amqp_uri))
        if attempts < settings.event_max_attempts:
            backoff = settings.event_retry_base_ms * 2 ** (attempts - 1) / 1000.0
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


rpc = Rpc.decorator
event_handler = EventHandler.decorator

__all__ = ["event_handler", "rpc", "timer"]
