"""Prometheus metrics every service exposes on its own port (served by metrics_endpoint.Metrics).

No nameko here: the gateway (asyncio, never eventlet) counts its outbox relay with these too."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

ENTRYPOINT_CALLS = Counter(
    "caserev_entrypoint_calls_total", "Entrypoint calls by outcome", ["service", "entrypoint", "outcome"]
)
ENTRYPOINT_LATENCY = Histogram(
    "caserev_entrypoint_seconds",
    "Entrypoint latency",
    ["service", "entrypoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PUBLISHED = Counter("caserev_outbox_published_total", "Events relayed from the outbox", ["service"])
OUTBOX_RELAY_ERRORS = Counter("caserev_outbox_relay_errors_total", "Failed outbox relay passes", ["service"])
INBOX_DUPLICATES = Counter(
    "caserev_inbox_duplicates_skipped_total", "Events seen before and skipped", ["service", "handler"]
)
EVENT_RETRIES = Counter(
    "caserev_event_retries_total", "Failed event deliveries retried", ["service", "queue"]
)
EVENT_BATCH_SIZE = Histogram(
    "caserev_event_batch_size",
    "Messages a batched event handler applied in one transaction",
    ["service", "entrypoint"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200),
)
EVENT_BATCH_FALLBACKS = Counter(
    "caserev_event_batch_fallbacks_total",
    "Batches that failed and were applied again one message at a time",
    ["service", "entrypoint"],
)
DEAD_LETTERS = Counter(
    "caserev_dead_letters_total", "Events sent to the dead-letter queue", ["service", "queue"]
)
UNSEALED_CALLS = Counter(
    "caserev_rpc_unsealed_calls_total",
    "RPC calls refused because the caller carried no valid seal (a wrong key, or someone forging callers)",
    ["service", "method"],
)
UNSENT_REPLIES = Counter(
    "caserev_rpc_unsent_replies_total",
    "RPC replies that could not be sent because the broker was away (the request is delivered again)",
    ["service", "method"],
)


class CallbackGauges(Collector):
    """Gauges read at scrape time from a callback (outbox backlog, business figures)."""

    def __init__(self, name: str, help_text: str, labels: list[str], read: Callable[[], Iterable[Any]]):
        self.name, self.help_text, self.labels, self.read = name, help_text, labels, read

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.help_text, labels=self.labels)
        try:
            for label_values, value in self.read():
                family.add_metric(list(label_values), value)
        except Exception as exc:  # a scrape must not fail because the database is away
            log.warning("metric %s unavailable: %s", self.name, type(exc).__name__)
        yield family
