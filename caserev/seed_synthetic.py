"""`caserev seed-synthetic`: publish synthetic national data (caserev/synthetic.py) through the real bus.

The partnerships are registered in the gateway's `identity` schema with their region (as `caserev
add-partnership` does), so that a regional analyst's region holds them; then every event is published
persistent, in its envelope, and confirmed by the broker (publisher confirms, a window of them in flight).

The partnerships are the gateway's own (identity.partnership_changed goes out on `identity.events` as for any
partnership). Where the events of their agencies and reviews go (`route`, docs/operations.md "Synthetic
national data"):

* `analytics` (the default): straight to the analytics service's own handler queues, through the default
  exchange, whose routing key is a queue's name (as the retry queue sends a message back). Only the
  analytics service sees them: the notifications service would otherwise write to the synthetic agencies'
  leads and chase their returns, the chronology, meetings and actions services would keep rows for reviews
  that exist nowhere else, and nobody could open a synthetic review's page. An event that analytics does
  not apply is not published, and is counted as such.
* `exchanges`: on each source's own exchange, as the services' relays publish: every subscriber acts on it.
  For a throw-away system whose every service should see national traffic.
"""

from __future__ import annotations

import json
import socket
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, TextIO

import amqp
from kombu import Connection, Queue

from caserev.progress import ProgressBar
from caserev.synthetic import SEEDER, NationalSet, SyntheticPartnership, national_set
from services.kernel.broker import declare_topology, event_exchange
from services.kernel.config import OperatorSettings

Route = Literal["analytics", "exchanges"]
ROUTES: tuple[Route, ...] = ("analytics", "exchanges")


@dataclass(frozen=True)
class SeedReport:
    """What a seeding did: partnerships registered, events published, and the types not published (no
    handler of analytics applies them) with their counts."""

    partnerships: int
    published: int
    not_applied: dict[str, int] = field(default_factory=dict)
    first_day: date | None = None
    last_day: date | None = None


def register_partnerships(settings: OperatorSettings, partnerships: Sequence[SyntheticPartnership]) -> int:
    """Register the synthetic partnerships in identity with their regions, as `caserev add-partnership` does,
    and put the identity.partnership_changed of each new or changed one on the bus at once (they are real
    partnerships of the gateway: every subscriber may know them). Returns how many were new or changed."""
    from gateway import identity, identity_events

    changed = sum(
        identity.save_partnership(p.id, p.code, p.name, p.region, actor_id=SEEDER) for p in partnerships
    )
    for attempt in range(1, 4):  # a busy broker may keep a first connection waiting past its timeout
        try:
            identity_events.publish_pending(settings)
            break
        except Exception:
            if attempt == 3:
                raise
            time.sleep(2 * attempt)
    return changed


def analytics_queues() -> dict[str, list[str]]:
    """The analytics service's handler queues by the event type each applies (`forms.review_opened`)."""
    from services.analytics.service import AnalyticsService
    from services.kernel.handler_queues import event_handler_queues

    queues: dict[str, list[str]] = {}
    for queue in event_handler_queues(AnalyticsService):
        assert queue.exchange is not None and queue.name is not None
        source = queue.exchange.name.removesuffix(".events")
        queues.setdefault(f"{source}.{queue.routing_key}", []).append(queue.name)
    return queues


def _analytics_handler_queues() -> list[Queue]:
    from services.analytics.service import AnalyticsService
    from services.kernel.handler_queues import event_handler_queues

    return list(event_handler_queues(AnalyticsService))


def seed_synthetic(
    settings: OperatorSettings,
    *,
    years: int,
    partnerships: int,
    seed: int,
    until: date,
    route: Route = "analytics",
    progress: TextIO | None = None,
) -> SeedReport:
    """Register the partnerships, then publish every event of the national set (caserev/synthetic.py)."""
    if route not in ROUTES:
        raise ValueError(f"route must be one of {', '.join(ROUTES)}, not {route!r}")
    if settings.environment == "production":
        raise ValueError(
            "synthetic data does not belong in production (CASEREV_ENVIRONMENT=production): seed a demo,"
            " test or benchmark system"
        )
    national = national_set(years, partnerships, seed, until)
    register_partnerships(settings, national.partnerships)
    queues = analytics_queues() if route == "analytics" else {}
    messages, not_applied = _messages(national, route, queues)
    with Connection(settings.amqp_uri, connect_timeout=10) as connection:
        connection.ensure_connection(max_retries=3)
        # The exchanges of every source, and analytics' handler queues when publishing to them (the rest of
        # the topology is `caserev migrate`'s), declared as the kernel declares them, before any publish.
        sources = {type_.split(".", 1)[0] for type_, *_ in messages}
        declare_topology(connection, sources, _analytics_handler_queues() if route == "analytics" else [])
        bar = ProgressBar("seed-synthetic: events", progress)
        with ConfirmedWindow(connection) as publisher:
            for done, (event_type, event_id, body, exchange, routing_keys) in enumerate(messages, start=1):
                for routing_key in routing_keys:
                    publisher.publish(body, exchange, routing_key, event_id, event_type)
                bar.update(done, len(messages))
        bar.finish()
    return SeedReport(
        partnerships=len(national.partnerships),
        published=len(messages),
        not_applied=dict(not_applied),
        first_day=national.starts_on,
        last_day=national.until,
    )


Message = tuple[str, str, bytes, str, list[str]]


def _messages(
    national: NationalSet, route: Route, queues: dict[str, list[str]]
) -> tuple[list[Message], Counter[str]]:
    """Each event as it is published: (type, event id, JSON body, exchange, routing keys)."""
    messages: list[Message] = []
    not_applied: Counter[str] = Counter()
    for envelope in national.events():
        body = json.dumps(envelope.model_dump(mode="json")).encode()
        if route == "analytics":
            names = queues.get(envelope.type)
            if not names:
                not_applied[envelope.type] += 1
                continue
            messages.append((envelope.type, str(envelope.event_id), body, "", names))
        else:
            exchange = event_exchange(envelope.source).name
            messages.append((envelope.type, str(envelope.event_id), body, exchange, [envelope.name]))
    return messages, not_applied


class ConfirmedWindow:
    """Persistent publishing with publisher confirms, up to `window` messages in flight: the broker confirms
    each, `publish` waits for confirms whenever the window is full, and leaving the block waits for the last
    ones (a nack, or no confirm in `timeout` seconds, raises). Waiting for each confirm in turn gave ~300
    messages a second on a shared machine; a window keeps the guarantee at the broker's pace."""

    def __init__(self, connection: Connection, window: int = 500, timeout: float = 60.0) -> None:
        self.connection, self.window, self.timeout = connection, window, timeout
        self.channel = connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._acked)
        self.channel.events["basic_nack"].add(self._nacked)
        self.published = self.confirmed = 0
        self.refused = False

    def __enter__(self) -> ConfirmedWindow:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.wait_for_confirms()
        finally:
            self.channel.close()

    def _acked(self, delivery_tag: int, multiple: bool) -> None:
        self.confirmed = delivery_tag if multiple else max(self.confirmed, delivery_tag)

    def _nacked(self, delivery_tag: int, multiple: bool) -> None:
        self.refused = True

    def publish(
        self, body: bytes, exchange: str, routing_key: str, message_id: str, message_type: str
    ) -> None:
        """Publish one persistent message; wait for confirms first if `window` are in flight."""
        if self.published - self.confirmed >= self.window:
            self.wait_for_confirms(keep=self.window // 2)
        message = amqp.Message(
            body,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            message_id=message_id,
            type=message_type,
        )
        self.channel.basic_publish(message, exchange=exchange, routing_key=routing_key)
        self.published += 1

    def wait_for_confirms(self, keep: int = 0) -> None:
        """Wait until at most `keep` messages are unconfirmed."""
        deadline = time.monotonic() + self.timeout
        while self.published - self.confirmed > keep and not self.refused:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the broker confirmed {self.confirmed} of {self.published} messages")
            with suppress(socket.timeout):
                self.connection.drain_events(timeout=min(left, 1.0))
        if self.refused:
            raise RuntimeError("the broker refused (nacked) a message: stopped publishing")
