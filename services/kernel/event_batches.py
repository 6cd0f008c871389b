"""An event handler that applies the messages already delivered to it together, in one transaction.

Each event applied in a transaction of its own pays for a worker, a connection checkout, a few round trips
and a commit with its WAL flush; a handler whose work is small (analytics') spends most of its time there.
`@batch_event_handler(source, event_type)` hands the service method a list of message bodies instead of one:
up to `event_batch_size` messages the broker has delivered (the consumer may hold `event_batch_prefetch`
unacknowledged), taken as soon as the messages read together have arrived, never waiting for more. The
guarantees are the single handler's:

* the method records every event in its inbox in the same transaction as the effect (exactly once);
* every message of a batch is acknowledged only after that transaction commits (a SIGKILL before the
  acknowledgements brings them back, and the inbox skips them);
* if the batch fails, its messages are applied again one at a time, each a batch of one in a worker of its
  own, so that only the message at fault is retried and, after its attempts, dead-lettered
  (EventHandler.settle);
  a failure of the database or the broker instead gives each message its own transient retry, as it would
  have alone, rather than trying each one against a database that is away.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import eventlet
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer

from services.kernel.config import get_settings
from services.kernel.entrypoints import EventHandler, is_transient
from services.kernel.metrics import EVENT_BATCH_FALLBACKS, EVENT_BATCH_SIZE
from services.kernel.unit_of_work import finish_units_of_work

log = logging.getLogger(__name__)


class BatchQueueConsumer(QueueConsumer):
    """nameko's queue consumer, on a connection of its own, whose consumers may each hold
    `event_batch_prefetch` messages rather than `max_workers` (a worker now takes many)."""

    @property
    def prefetch_count(self) -> int:
        return get_settings().event_batch_prefetch


class BatchEventHandler(EventHandler):
    """A service-pool event handler (EventHandler: durable queue, commit before acknowledgement, bounded
    retries) whose method takes a list of message bodies, applied in one transaction."""

    queue_consumer = BatchQueueConsumer()

    def setup(self) -> None:
        super().setup()
        self.batch_size = max(1, get_settings().event_batch_size)
        self._held: list[tuple[Any, Any]] = []
        self._taking = False

    def handle_message(self, body: Any, message: Any) -> None:
        # nameko calls this in a thread of its own for each message delivered; the messages of one read from
        # the socket all arrive before the first of their threads gives way.
        self._held.append((body, message))
        if len(self._held) >= self.batch_size:
            self._apply_held()
        elif not self._taking:
            self._taking = True
            self.container.spawn_managed_thread(self._apply_arrived, identifier=f"{self.method_name}-batch")

    def _apply_arrived(self) -> None:
        eventlet.sleep(0)  # let every message delivered with this one join it
        self._taking = False
        if self._held:
            self._apply_held()

    def _apply_held(self) -> None:
        held, self._held = self._held, []
        self.apply([body for body, _ in held], [message for _, message in held])

    def apply(self, bodies: list[Any], messages: list[Any]) -> None:
        """Run the method on these messages in one worker; settle them after its transaction."""
        EVENT_BATCH_SIZE.labels(self.container.service_name, self.method_name).observe(len(messages))
        try:
            self.container.spawn_worker(
                self,
                (bodies,),
                {},
                context_data=self.unpack_message_headers(messages[0]),
                handle_result=partial(self.handle_batch_result, bodies, messages),
            )
        except ContainerBeingKilled:
            for message in messages:
                self.queue_consumer.requeue_message(message)

    def handle_batch_result(
        self,
        bodies: list[Any],
        messages: list[Any],
        worker_ctx: Any,
        result: Any = None,
        exc_info: Any = None,
    ) -> Any:
        exc_info = finish_units_of_work(worker_ctx, exc_info)
        if exc_info is None or len(messages) == 1 or is_transient(exc_info[1]):
            for message in messages:
                self.settle(message, exc_info)
            return result, exc_info
        EVENT_BATCH_FALLBACKS.labels(self.container.service_name, self.method_name).inc()
        log.info(
            "a batch of %d on %s failed (%s): applying its events one at a time",
            len(messages),
            self.queue.name,
            type(exc_info[1]).__name__,
        )
        # From a thread of its own: a worker may not wait for the pool's free slots that it is holding.
        one_by_one: Callable[[], None] = partial(self._apply_one_by_one, bodies, messages)
        self.container.spawn_managed_thread(one_by_one, identifier=f"{self.method_name}-one-by-one")
        return result, exc_info

    def _apply_one_by_one(self, bodies: list[Any], messages: list[Any]) -> None:
        for body, message in zip(bodies, messages, strict=True):
            self.apply([body], [message])


batch_event_handler = BatchEventHandler.decorator

__all__ = ["BatchEventHandler", "batch_event_handler"]
