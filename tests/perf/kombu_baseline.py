"""The baseline: a bare kombu publisher and competing consumers on the same broker, with the persistence
and confirms the system uses and nothing else (no database, no outbox, no inbox, no nameko).

Like the outbox relay (services/kernel/outbox.py) the publisher uses publisher confirms with the relay's
strategy: a channel in confirm mode, a batch of up to `confirm_batch` messages published, then their
confirms awaited together (one at a time when messages come one at a time, as the relay's passes do then);
it publishes persistent messages (`delivery_mode=2`) on a durable topic exchange to a durable quorum
queue. Like a nameko process each consumer takes `PREFETCH` messages at a time and acknowledges each
message after it has it. The body is the same event envelope. Each consumer
is its own OS process, as each analytics worker is.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from kombu import Connection, Exchange, Producer, Queue

from tests.perf.cpu import CpuMeter, broker_pids
from tests.perf.figures import Drain, Paced

EXCHANGE = Exchange("bench.events", type="topic", durable=True, delivery_mode=2)
QUEUE = Queue(
    "bench.review_opened",
    exchange=EXCHANGE,
    routing_key="review_opened",
    durable=True,
    auto_delete=False,
    queue_arguments={"x-queue-type": "quorum"},
)
# nameko's max_workers (deploy/nameko.yml), which is also the prefetch count of a nameko consumer.
PREFETCH = 10


def consume(uri: str, counter: Synchronized, stop: Any, results: Any) -> None:  # type: ignore[type-arg]
    """One consumer process: record (phase, sent, received) for every message, ack it, count it."""
    received: list[tuple[str, float, float]] = []

    def on_message(body: Any, message: Any) -> None:
        now = time.time()
        headers = message.headers
        received.append((headers["x-bench-phase"], float(headers["x-bench-sent"]), now))
        message.ack()
        with counter.get_lock():
            counter.value += 1

    with (
        Connection(uri, heartbeat=0) as connection,
        connection.Consumer(QUEUE, callbacks=[on_message], accept=["json"], prefetch_count=PREFETCH),
    ):
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):  # nothing arrived within 0.1 s
                connection.drain_events(timeout=0.1)
    results.put(received)


class KombuBaseline:
    """Publisher in this process, consumers in their own processes, on one virtual host."""

    def __init__(self, uri: str, confirm_batch: int = 200) -> None:
        self.uri = uri
        self.confirm_batch = confirm_batch
        self.context = multiprocessing.get_context("spawn")
        self.counter: Synchronized = self.context.Value("l", 0)  # type: ignore[type-arg]
        self.published = 0
        self.connection = Connection(uri, heartbeat=0)
        self.producer: Any = None
        self._unconfirmed: set[int] = set()
        self._stop: Any = None
        self._results: Any = None
        self._consumers: list[Any] = []

    def __enter__(self) -> KombuBaseline:
        self.connection.ensure_connection(max_retries=3)
        QUEUE.bind(self.connection.default_channel).declare()
        channel = self.connection.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._acked)
        channel.events["basic_nack"].add(self._refused)
        self.producer = Producer(channel)
        return self

    def _acked(self, tag: int, multiple: bool) -> None:
        if multiple:
            self._unconfirmed = {waiting for waiting in self._unconfirmed if waiting > tag}
        else:
            self._unconfirmed.discard(tag)

    def _refused(self, tag: int, multiple: bool) -> None:
        raise RuntimeError(f"the broker refused baseline message {tag}")

    def __exit__(self, *exc: object) -> None:
        if self._consumers:
            self.stop_consumers()
        self.connection.release()

    # -- consumers ------------------------------------------------------------------------------------

    def start_consumers(self, count: int, timeout: float = 60) -> None:
        self._stop = self.context.Event()
        self._results = self.context.Queue()
        self._consumers = [
            self.context.Process(
                target=consume, args=(self.uri, self.counter, self._stop, self._results), daemon=True
            )
            for _ in range(count)
        ]
        for process in self._consumers:
            process.start()
        deadline = time.monotonic() + timeout
        while self.consumer_count() < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} kombu consumers did not start within {timeout}s")
            time.sleep(0.1)

    def stop_consumers(self) -> list[tuple[str, float, float]]:
        self._stop.set()
        received: list[tuple[str, float, float]] = []
        for _ in self._consumers:
            received.extend(self._results.get(timeout=60))
        for process in self._consumers:
            process.join(30)
        self._consumers = []
        return received

    def cpu_meter(self) -> CpuMeter:
        """CPU of the publisher (this process), the consumers, and the (shared) broker node."""
        return CpuMeter(
            {
                "publisher": lambda: [os.getpid()],
                "consumers": lambda: [p.pid for p in self._consumers if p.pid],
                "broker (shared node)": broker_pids,
            }
        )

    def consumer_count(self) -> int:
        with self.connection.channel() as channel:
            return int(channel.queue_declare(queue=QUEUE.name, passive=True).consumer_count)

    def wait_received(self, total: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.counter.value < total:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"kombu consumers had {self.counter.value} of {total} messages after {timeout}s"
                )
            time.sleep(0.02)

    # -- publishing -----------------------------------------------------------------------------------

    def publish(self, envelope: dict[str, Any], phase: str) -> float:
        """Publish one envelope, persistent, not waiting for its confirm; return the time stamped on it."""
        sent = time.time()
        self.producer.publish(
            envelope,
            exchange=EXCHANGE,
            routing_key="review_opened",
            serializer="json",
            delivery_mode=2,
            message_id=str(envelope["event_id"]),
            type=envelope["type"],
            headers={"x-bench-phase": phase, "x-bench-sent": sent},
            retry=False,
        )
        self.published += 1
        self._unconfirmed.add(self.published)  # a confirm-mode channel numbers its publishes from 1
        return sent

    def confirm(self) -> None:
        """Wait until the broker has confirmed everything published."""
        while self._unconfirmed:
            self.connection.drain_events(timeout=30)

    def publish_confirmed(self, envelopes: list[dict[str, Any]], phase: str) -> None:
        """Publish in batches of `confirm_batch`, waiting once for each batch's confirms (as the relay)."""
        for start in range(0, len(envelopes), self.confirm_batch):
            for envelope in envelopes[start : start + self.confirm_batch]:
                self.publish(envelope, phase)
            self.confirm()

    def measure(
        self,
        consumers: int,
        backlog: list[dict[str, Any]],
        paced: list[dict[str, Any]],
        rate: float,
        warmup: list[dict[str, Any]],
    ) -> tuple[Drain, Paced]:
        """Warm up, then a burst of `backlog` published in confirmed batches, then `paced` at `rate`."""
        self.start_consumers(consumers)
        try:
            for envelope in warmup:
                self.publish_confirmed([envelope], "warmup")
            self.wait_received(self.published, 60)

            cpu = self.cpu_meter()
            cpu.start()
            started = time.time()
            self.publish_confirmed(backlog, "drain")
            publisher_seconds = time.time() - started
            self.wait_received(self.published, 120 + len(backlog) / 50)
            drain_cpu = cpu.stop()

            cpu.start()
            first = time.monotonic()
            sent_at: list[float] = []
            for index, envelope in enumerate(paced):
                delay = first + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                sent_at.append(self.publish(envelope, "paced"))
                self.confirm()  # one at a time: each relay pass carries one event at this rate
            self.wait_received(self.published, 120 + len(paced) / 50)
            paced_cpu = cpu.stop()
        finally:
            received = self.stop_consumers()
        drained = [recv for phase, _, recv in received if phase == "drain"]
        latencies = [recv - sent for phase, sent, recv in received if phase == "paced"]
        drain = Drain(
            len(drained),
            max(drained) - started,
            notes={
                "publisher alone, events/s": len(backlog) / publisher_seconds,
                **{f"CPU ms/event {name}": 1000 * s / len(backlog) for name, s in drain_cpu.items()},
            },
        )
        achieved = (len(sent_at) - 1) / (sent_at[-1] - sent_at[0]) if len(sent_at) > 1 else float("nan")
        notes = {f"CPU ms/event {name}": 1000 * s / len(paced) for name, s in paced_cpu.items()}
        return drain, Paced(rate, latencies, achieved, notes)
