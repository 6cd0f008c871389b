"""What the reliability tests share: an isolated system with its processes, and ways to poke and read it.

The test process never imports eventlet: the services run as subprocesses started from the Procfile,
events are published with plain kombu (publisher confirms, mandatory), and effects are read with psycopg2
as the PostgreSQL superuser on the test's own database.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import psycopg2
from kombu import Connection, Exchange
from prometheus_client.parser import text_string_to_metric_families

from services.forms.contract import ReviewOpened
from services.kernel.events import Envelope
from tests.support.infra import PrivateRabbit, database_dsn
from tests.support.system import Process, SystemEnv, caserev

T = TypeVar("T")

HANDLER = "analytics.count_opened_review"
HANDLER_QUEUE = "evt-forms-review_opened--analytics.count_opened_review"
DEAD_LETTER_QUEUE = "caserev.dead-letters"
FORMS_EVENTS = Exchange("forms.events", type="topic", durable=True)


class Harness:
    """One isolated system (own database; own vhost or private broker) and the processes started on it."""

    def __init__(self, system: SystemEnv, rabbit: PrivateRabbit | None) -> None:
        self.system = system
        self.rabbit = rabbit
        self.started: list[Process] = []

    # -- processes ---------------------------------------------------------------------------------------

    def start(self, name: str, *, wait: bool = True) -> Process:
        """Start a Procfile process (a fresh one each call) and wait until its metrics port answers."""
        process = Process(self.system, name).start()
        self.started.append(process)
        if wait:
            try:
                process.wait_metrics(timeout=45)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{self.diagnostics()}") from None
        return process

    def stop_all(self) -> None:
        """Stop every process started (SIGTERM, all at once; SIGKILL whatever is still running after 15 s)."""

        def stop(process: Process) -> None:
            with contextlib.suppress(Exception):
                process.stop(timeout=15)
            with contextlib.suppress(Exception):
                process.kill()

        threads = [threading.Thread(target=stop, args=(p,)) for p in self.started if p.running]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    def diagnostics(self, lines: int = 30) -> str:
        """Log tails of every process started (and of the private broker), for failure messages."""
        parts = []
        for process in self.started:
            state = "running" if process.running else f"exited {process.popen and process.popen.returncode}"
            parts.append(f"--- {process.name} ({state}) last {lines} lines ---\n{process.log_tail(lines)}")
        if self.rabbit is not None:
            parts.append(f"--- private RabbitMQ ---\n{self.rabbit.log_tail(15)}")
        return "\n".join(parts) or "(no processes started)"

    def wait_for(self, condition: Callable[[], T], timeout: float, message: str, interval: float = 0.2) -> T:
        """Poll until `condition()` is truthy; fail with the last value and the processes' log tails."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = condition()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(
            f"timed out after {timeout}s waiting for {message}; last value: {last!r}\n{self.diagnostics()}"
        )

    # -- the broker ----------------------------------------------------------------------------------------

    @property
    def amqp_uri(self) -> str:
        return self.system.amqp_uri

    def ready(self, queue: str) -> int:
        """Messages ready in a queue (not those delivered and unacknowledged), by a passive declare.

        Read from the queue itself, so it is current; `rabbitmqctl list_queues` reports quorum queues'
        counts from metrics refreshed only every few seconds.
        """
        with Connection(self.amqp_uri, connect_timeout=10) as conn:
            return int(conn.default_channel.queue_declare(queue, passive=True).message_count)

    def settled_ready(self, queue: str, settle: float = 0.5, timeout: float = 10) -> int:
        """`ready(queue)` once two reads `settle` seconds apart agree (returns on a closed channel lag)."""
        deadline = time.monotonic() + timeout
        last = self.ready(queue)
        while True:
            time.sleep(settle)
            now = self.ready(queue)
            if now == last or time.monotonic() > deadline:
                return now
            last = now

    # -- the operator's command ------------------------------------------------------------------------------

    def caserev(self, *args: str) -> str:
        return caserev(self.system, *args).stdout

    # -- the database (as the superuser) ---------------------------------------------------------------------

    def sql(self, query: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement on the test's database as the postgres superuser; return its rows."""
        conn = psycopg2.connect(database_dsn(self.system.db_name), connect_timeout=10)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(query, tuple(params))
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def review_count(self, partnership_id: uuid.UUID, table: str = "analytics.review_stage") -> int:
        """analytics' count of reviews in a partnership (all types and stages)."""
        rows = self.sql(
            f"SELECT count(*) FROM {table} WHERE partnership_id = %s",
            (str(partnership_id),),
        )
        return int(rows[0][0])

    def inbox_rows(self, handler: str = HANDLER) -> int:
        return int(self.sql("SELECT count(*) FROM analytics.inbox WHERE handler = %s", (handler,))[0][0])

    # -- metrics ------------------------------------------------------------------------------------------

    def metric(self, process: str, sample: str, /, **labels: str) -> float:
        """Sum of a process's /metrics samples named `sample` whose labels include `labels` (0 if none)."""
        text = httpx.get(self.system.metrics_url(process), timeout=5).text
        total = 0.0
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                    total += s.value
        return total


def review_opened(
    partnership_id: uuid.UUID, review_type: str = "child_safeguarding", stage: str = "referral"
) -> dict:
    """A fresh `forms.review_opened` envelope as JSON, as the forms outbox would hold it."""
    review_id = uuid.uuid4()
    payload = ReviewOpened(
        review_id=review_id, review_type=review_type, stage=stage, opened_at=datetime.now(UTC)
    )
    return Envelope.wrap(payload, partnership_id=partnership_id, review_id=review_id).model_dump(mode="json")


@contextlib.contextmanager
def event_publisher(amqp_uri: str) -> Iterator[Callable[[dict], None]]:
    """Publish envelopes on `forms.events` as the relay does: persistent, confirmed, and mandatory.

    Mandatory makes an unroutable event (no handler queue bound yet) an error here instead of a silent
    drop. The exchange is not declared: `caserev migrate` must have done it.
    """
    with Connection(amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=10) as conn:
        producer = conn.Producer()

        def publish(envelope: dict) -> None:
            producer.publish(
                envelope,
                exchange=FORMS_EVENTS,
                routing_key=str(envelope["type"]).split(".", 1)[1],
                serializer="json",
                delivery_mode=2,
                mandatory=True,
                message_id=str(envelope["event_id"]),
                type=envelope["type"],
                declare=[],
                retry=False,
            )

        yield publish


def publish_events(amqp_uri: str, envelopes: Iterable[dict]) -> int:
    count = 0
    with event_publisher(amqp_uri) as publish:
        for envelope in envelopes:
            publish(envelope)
            count += 1
    return count
