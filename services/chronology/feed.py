"""The entrypoint that reads what agencies' own systems publish (queue `chronology.agency-entries`).

Not nameko's `@consume`: that decodes each body before the service sees it, and a body that is not JSON
would stop its consumer. This one takes each message raw, one at a time, with the properties the broker
vouches for (`user_id`), runs the service's method in a worker, commits, and only then acknowledges. A
message the method refuses, or one that fails, goes to the dead-letter queue with the reason (without its
`user_id`, which only its sender may publish) before it is acknowledged: it is never lost and never stops the
queue.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import eventlet
from eventlet.event import Event
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import Entrypoint

from services.chronology.broker_users import feed_queue
from services.chronology.contract.feed import AGENCY_ENTRIES_QUEUE
from services.kernel.broker import DEAD_LETTER_QUEUE, publisher_for
from services.kernel.config import get_settings
from services.kernel.unit_of_work import finish_units_of_work

log = logging.getLogger(__name__)

RECONNECT_S = 2.0


class AgencyFeed(Entrypoint):
    """Messages from agencies' systems, each handed to the decorated method as (body bytes, properties); the
    method answers an outcome with `refused` set to the reason, or None, for a message it refused."""

    def setup(self) -> None:
        self.amqp_uri = self.container.config.get(AMQP_URI_CONFIG_KEY) or get_settings().amqp_uri
        self._stopping = False
        self._thread: Any = None

    def start(self) -> None:
        self._thread = self.container.spawn_managed_thread(self._consume, identifier="agency-feed")

    def stop(self) -> None:
        self._stopping = True
        if self._thread is not None:
            with eventlet.Timeout(5, False):
                self._thread.wait()

    def kill(self) -> None:
        self._stopping = True
        if self._thread is not None:
            self._thread.kill()

    def _consume(self) -> None:
        while not self._stopping:
            try:
                with (
                    Connection(self.amqp_uri, heartbeat=30, connect_timeout=10) as connection,
                    connection.Consumer([feed_queue()], on_message=self._on_message, prefetch_count=1),
                ):
                    while not self._stopping:
                        try:
                            connection.drain_events(timeout=1)
                        except TimeoutError:
                            connection.heartbeat_check()
            except (OSError, ConnectionError) as error:
                log.warning("agency feed: broker connection lost (%s); reconnecting", type(error).__name__)
                eventlet.sleep(RECONNECT_S)
            except Exception:
                log.exception("agency feed: reconnecting after an error")
                eventlet.sleep(RECONNECT_S)

    def _on_message(self, message: Any) -> None:
        properties = {
            "user_id": message.properties.get("user_id"),
            "message_id": message.properties.get("message_id"),
        }
        done: Event = Event()

        def handle_result(worker_ctx: Any, result: Any, exc_info: Any) -> Any:
            exc_info = finish_units_of_work(worker_ctx, exc_info)
            done.send((result, exc_info))
            return result, exc_info

        # The AMQP client hands over text when the publisher named a content encoding: bytes either way.
        body = message.body.encode("utf-8") if isinstance(message.body, str) else bytes(message.body)
        self.container.spawn_worker(self, (body, properties), {}, handle_result=handle_result)
        result, exc_info = done.wait()
        if exc_info is not None:
            error = exc_info[1]
            self._dead_letter(
                message, f"the message could not be applied ({type(error).__name__}); send it again"
            )
        elif getattr(result, "refused", None):
            self._dead_letter(message, str(result.refused))
        message.ack()

    def _dead_letter(self, message: Any, reason: str) -> None:
        headers = dict(message.headers or {})
        headers.update(
            {
                "x-caserev-queue": AGENCY_ENTRIES_QUEUE,
                "x-caserev-error": reason[:1000],
                "x-caserev-failed-at": datetime.now(UTC).isoformat(),
                "x-caserev-sender": str(message.properties.get("user_id") or ""),
                "x-caserev-original-exchange": message.delivery_info.get("exchange", ""),
            }
        )
        body = message.body.encode("utf-8") if isinstance(message.body, str) else bytes(message.body)
        publisher_for(self.amqp_uri).publish_raw(
            body,
            exchange="",
            routing_key=DEAD_LETTER_QUEUE,
            headers=headers,
            properties={
                "content_type": message.content_type or "application/octet-stream",
                "content_encoding": message.content_encoding or "binary",
                "message_id": message.properties.get("message_id"),
                "type": "agency.entries",
            },
        )
        # The reason may quote what the agency sent (a name): it goes to the dead-letter queue, not the log.
        log.warning("agency feed: a message was refused and dead-lettered")


receive_agency_entries = AgencyFeed.decorator
