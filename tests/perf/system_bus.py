"""The system's path for events: forms' outbox -> relay (confirmed, persistent) -> RabbitMQ -> analytics'
`count_opened_review` -> its effect and inbox row, committed together.

The processes are the Procfile's own (`make run` starts the same commands) on a throw-away database and
virtual host. Every timestamp used comes from PostgreSQL's clock, so the two ends are comparable:

* `forms.outbox.created_at`   now() of the transaction that wrote the event (forms' RPC, or the bench)
* `forms.outbox.published_at` now() of the relay pass that published it
* `analytics.inbox.received_at` now() of the handler's transaction that applied it

`now()` is the start of a transaction; each commit follows a few milliseconds later.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg2
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families
from psycopg2.extras import Json, execute_values

from gateway.rpc import RpcClient
from services.forms.contract import ReviewOpened
from services.forms.definitions import review_types
from services.kernel.broker import DEAD_LETTER_QUEUE, handler_queue
from services.kernel.events import Envelope
from tests.perf.cpu import CpuMeter, broker_pids
from tests.perf.figures import Drain, Paced
from tests.support.infra import database_dsn, free_port, isolated_database, isolated_vhost
from tests.support.system import Process, SystemEnv, caserev, system_env

HANDLER_QUEUE = handler_queue("forms", "review_opened", "analytics", "count_opened_review").name
RPC_QUEUE = "rpc-forms"  # nameko's queue of a service's RPC entrypoints
ACTOR = {"user_id": "bench", "roles": ["system"]}
REVIEW_TYPES = review_types()
REVIEW_TYPE_CODES = sorted(REVIEW_TYPES)


def review_opened(partnership_id: uuid.UUID, index: int) -> dict[str, Any]:
    """A `forms.review_opened` envelope as forms writes it to its outbox."""
    review_type = REVIEW_TYPES[REVIEW_TYPE_CODES[index % len(REVIEW_TYPE_CODES)]]
    review_id = uuid.uuid4()
    payload = ReviewOpened(
        review_id=review_id,
        review_type=review_type.code,
        stage=review_type.first_stage,
        opened_at=datetime.now(UTC),
    )
    envelope = Envelope.wrap(payload, partnership_id=partnership_id, review_id=review_id, actor_id="bench")
    return envelope.model_dump(mode="json")


class RunningSystem:
    """forms and N analytics processes on an isolated database and virtual host."""

    def __init__(self, partnerships: list[uuid.UUID], log=print, amqp_uri: str | None = None) -> None:  # type: ignore[no-untyped-def]
        self.partnerships = partnerships
        self.amqp_uri = amqp_uri  # a broker of the benchmark's own, or None for a vhost of the machine's
        self.log = log
        self.stack = contextlib.ExitStack()
        self.workdir = Path(tempfile.mkdtemp(prefix="caserev_bench_"))
        self.processes: list[Process] = []
        self.analytics: list[Process] = []
        self.system: SystemEnv
        self.db: Any = None

    # -- life cycle -----------------------------------------------------------------------------------

    def __enter__(self) -> RunningSystem:
        db_name = self.stack.enter_context(isolated_database())
        amqp_uri = self.amqp_uri or self.stack.enter_context(isolated_vhost())
        self.stack.callback(self._stop_all)
        self.system = system_env(db_name, amqp_uri, self.workdir)
        started = time.monotonic()
        caserev(self.system, "migrate")
        self.log(f"  migrated in {time.monotonic() - started:.1f}s")
        self.db = psycopg2.connect(database_dsn(db_name))
        self.db.autocommit = True
        self.stack.callback(self.db.close)
        forms = Process(self.system, "forms").start()
        self.processes.append(forms)
        forms.wait_metrics(60)
        self.wait_consumers(RPC_QUEUE, 1)
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stack.close()
        if exc_type is None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            self.log(f"  the processes' logs are in {self.workdir}")

    def _stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def add_analytics(self) -> None:
        """Start one more analytics process; it competes with the others for the handler's queue."""
        env = self.system
        if self.analytics:  # each process its own metrics port and log, as separate containers would have
            workdir = self.workdir / f"analytics-{len(self.analytics) + 1}"
            workdir.mkdir()
            env = SystemEnv(
                env.db_name,
                env.amqp_uri,
                workdir,
                {
                    **env.env,
                    "ANALYTICS_METRICS_PORT": str(free_port()),
                    "CASEREV_LOG_DIR": str(workdir / "log"),
                },
            )
        process = Process(env, "analytics").start()
        self.processes.append(process)
        self.analytics.append(process)
        process.wait_metrics(60)
        self.wait_consumers(HANDLER_QUEUE, len(self.analytics))

    # -- broker and database --------------------------------------------------------------------------

    def queue_counts(self, queue: str) -> tuple[int, int]:
        """(messages ready, consumers) of a queue of the system's virtual host."""
        with (
            Connection(self.system.amqp_uri, connect_timeout=10) as connection,
            connection.channel() as channel,
        ):
            declared = channel.queue_declare(queue=queue, passive=True)
            return int(declared.message_count), int(declared.consumer_count)

    def wait_consumers(self, queue: str, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.queue_counts(queue)[1] < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{queue} did not get {count} consumers within {timeout}s")
            time.sleep(0.2)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self.db.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()

    def last_outbox_id(self) -> int:
        return int(self.query("SELECT coalesce(max(id), 0) FROM forms.outbox")[0][0])

    def wait_applied(self, after_id: int, expected: int, timeout: float) -> None:
        """Wait until analytics has applied every event written to forms' outbox after `after_id`."""
        deadline = time.monotonic() + timeout
        while True:
            applied = self.query(
                "SELECT count(*) FROM forms.outbox o JOIN analytics.inbox i USING (event_id) WHERE o.id > %s",
                after_id,
            )[0][0]
            if applied >= expected:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"analytics applied {applied} of {expected} events within {timeout}s")
            time.sleep(0.1)

    def timings(self, after_id: int) -> list[tuple[float, float, float]]:
        """(created_at, published_at, received_at) in epoch seconds of each event after `after_id`."""
        return [
            (float(c), float(p), float(r))
            for c, p, r in self.query(
                "SELECT extract(epoch FROM o.created_at), extract(epoch FROM o.published_at),"
                " extract(epoch FROM i.received_at)"
                " FROM forms.outbox o JOIN analytics.inbox i USING (event_id) WHERE o.id > %s",
                after_id,
            )
        ]

    def handler_seconds(self) -> tuple[float, float]:
        """(sum of seconds, count) of count_opened_review workers over every analytics process."""
        total = count = 0.0
        for process in self.analytics:
            text = httpx.get(process.system.metrics_url("analytics"), timeout=10).text
            for family in text_string_to_metric_families(text):
                if family.name != "caserev_entrypoint_seconds":
                    continue
                for sample in family.samples:
                    if sample.labels.get("entrypoint") != "count_opened_review":
                        continue
                    if sample.name.endswith("_sum"):
                        total += sample.value
                    elif sample.name.endswith("_count"):
                        count += sample.value
        return total, count

    def cpu_meter(self) -> CpuMeter:
        """CPU of this system's processes, its database backends, and the (shared) broker node."""

        def postgres() -> list[int]:
            return [
                int(pid)
                for (pid,) in self.query(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ]

        return CpuMeter(
            {
                "forms": lambda: [self.processes[0].popen.pid] if self.processes[0].popen else [],
                "analytics": lambda: [p.popen.pid for p in self.analytics if p.popen],
                "postgres": postgres,
                "broker (shared node)": broker_pids,
            }
        )

    def duplicates_skipped(self) -> float:
        skipped = 0.0
        for process in self.analytics:
            text = httpx.get(process.system.metrics_url("analytics"), timeout=10).text
            for family in text_string_to_metric_families(text):
                if family.name == "caserev_inbox_duplicates_skipped":
                    skipped += sum(s.value for s in family.samples if s.name.endswith("_total"))
        return skipped

    # -- load -----------------------------------------------------------------------------------------

    def offer(self, count: int, rate: float, first_index: int = 0) -> None:
        """Open `count` reviews through forms' RPC, open loop at `rate` per second, as the gateway would."""

        async def run() -> None:
            client = RpcClient(self.system.amqp_uri, timeout=60)
            await client.connect()
            try:
                loop = asyncio.get_running_loop()
                start = loop.time()
                calls = []
                for index in range(count):
                    delay = start + index / rate - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    number = first_index + index
                    command = {
                        "review_type": REVIEW_TYPE_CODES[number % len(REVIEW_TYPE_CODES)],
                        "partnership_id": str(self.partnerships[number % len(self.partnerships)]),
                        "title": f"Benchmark review {number}",
                    }
                    sealed = self.system.sealed(ACTOR, "forms.open_review")
                    calls.append(asyncio.create_task(client.call("forms", "open_review", sealed, command)))
                results = await asyncio.gather(*calls, return_exceptions=True)
            finally:
                await client.close()
            failures = [result for result in results if isinstance(result, BaseException)]
            if failures:
                raise RuntimeError(
                    f"{len(failures)} of {count} open_review calls failed, e.g. {failures[0]!r}"
                )

        asyncio.run(run())

    def load_backlog(self, envelopes: list[dict[str, Any]]) -> None:
        """Commit the envelopes to forms' outbox in one transaction; the relay finds them next sweep."""
        with self.db.cursor() as cursor:
            cursor.execute("BEGIN")
            execute_values(
                cursor,
                "INSERT INTO forms.outbox (event_id, event_type, envelope) VALUES %s",
                [(envelope["event_id"], envelope["type"], Json(envelope)) for envelope in envelopes],
                page_size=1000,
            )
            cursor.execute("COMMIT")

    # -- measurements ---------------------------------------------------------------------------------

    def measure(
        self, backlog: list[dict[str, Any]], paced: int, rate: float, warmup: int
    ) -> tuple[Drain, Paced]:
        """Warm up through RPC; drain a committed backlog; then open reviews one by one at `rate`."""
        after = self.last_outbox_id()
        self.offer(warmup, rate, first_index=10**6)
        self.wait_applied(after, warmup, 60)

        # Throughput: a backlog committed at once, carried end to end.
        after = self.last_outbox_id()
        handler_before = self.handler_seconds()
        self.load_backlog(backlog)
        cpu = self.cpu_meter()
        cpu.start()  # the relay finds the backlog at its next sweep, up to outbox_sweep_s later
        self.wait_applied(after, len(backlog), 120 + len(backlog) / 20)
        used = cpu.stop()
        handler_after = self.handler_seconds()
        rows = self.timings(after)
        first_pass = min(published for _, published, _ in rows)
        last_pass = max(published for _, published, _ in rows)
        last_effect = max(received for _, _, received in rows)
        before_last_pass = sum(1 for _, published, _ in rows if published < last_pass)
        notes = {
            "events per relay pass": len(rows) / len({published for _, published, _ in rows}),
            "relay alone, events/s": before_last_pass / (last_pass - first_pass)
            if last_pass > first_pass
            else float("nan"),
            "handler worker mean ms": 1000
            * (handler_after[0] - handler_before[0])
            / max(1.0, handler_after[1] - handler_before[1]),
            **{f"CPU ms/event {name}": 1000 * seconds / len(rows) for name, seconds in used.items()},
        }
        drain = Drain(len(rows), last_effect - first_pass, notes)

        # Latency: one review per RPC, each its own transaction, as the gateway would send them.
        after = self.last_outbox_id()
        handler_before = self.handler_seconds()
        cpu = self.cpu_meter()
        cpu.start()
        self.offer(paced, rate)
        self.wait_applied(after, paced, 120 + paced / 20)
        used = cpu.stop()
        handler_after = self.handler_seconds()
        rows = self.timings(after)
        created = sorted(c for c, _, _ in rows)
        achieved = (len(created) - 1) / (created[-1] - created[0]) if len(created) > 1 else float("nan")
        notes = {
            "events per relay pass": len(rows) / len({published for _, published, _ in rows}),
            "median ms commit to relay pass": 1000 * statistics.median(p - c for c, p, _ in rows),
            "median ms relay pass to handler": 1000 * statistics.median(r - p for _, p, r in rows),
            "handler worker mean ms": 1000
            * (handler_after[0] - handler_before[0])
            / max(1.0, handler_after[1] - handler_before[1]),
            **{f"CPU ms/event {name}": 1000 * seconds / len(rows) for name, seconds in used.items()},
        }
        return drain, Paced(rate, [r - c for c, _, r in rows], achieved, notes)

    def check(self) -> dict[str, Any]:
        """Nothing lost, nothing applied twice, nothing dead-lettered."""
        outbox, unpublished, republished, inbox, counted = self.query(
            "SELECT (SELECT count(*) FROM forms.outbox),"
            " (SELECT count(*) FROM forms.outbox WHERE published_at IS NULL),"
            " (SELECT count(*) FROM forms.outbox WHERE attempts > 1), (SELECT count(*) FROM analytics.inbox),"
            " (SELECT count(*) FROM analytics.review_stage)"
        )[0]
        return {
            "outbox events": int(outbox),
            "unpublished": int(unpublished),
            "published more than once": int(republished),
            "inbox events": int(inbox),
            "reviews counted": int(counted),
            "duplicates skipped": int(self.duplicates_skipped()),
            "dead letters": self.queue_counts(DEAD_LETTER_QUEUE)[0],
        }
