"""`make bench-bus`: how fast, and how soon, an event travels from forms' outbox to its applied effect in
analytics, beside a bare kombu publisher and consumer on the same broker with the same persistence and
confirms. Prints a markdown table (docs/performance.md explains it). Figures, never assertions.

For each number of competing consumers (analytics processes; kombu consumer processes):

* throughput: a backlog of --events events, committed to forms' outbox in one transaction, carried
  until the last effect is applied. Timer: from the relay's first pass over the backlog
  (outbox.published_at) to the last handler transaction (inbox.received_at). The baseline publishes
  the same number of envelopes with the relay's confirm strategy (batches of the relay's size, each
  batch's confirms awaited together), timed from the first publish to the last receipt.
* latency: --paced-events reviews opened one by one through forms' RPC (the gateway's client), open loop
  at --rate per second; per event, from the transaction that wrote it to forms' outbox
  (outbox.created_at) to the handler transaction that applied it (inbox.received_at), both from
  PostgreSQL's clock. The baseline stamps time.time() on each message just before publishing it and
  takes time.time() when a consumer receives it.

The processes are deploy/Procfile's (as `make run` starts them) on a throw-away database and virtual host.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.kernel.config import get_settings  # noqa: E402
from tests.perf import cpu  # noqa: E402
from tests.perf.figures import Row, say, table, uptime  # noqa: E402
from tests.perf.kombu_baseline import KombuBaseline  # noqa: E402
from tests.perf.system_bus import RunningSystem, review_opened  # noqa: E402
from tests.support.infra import PrivateRabbit, isolated_vhost  # noqa: E402

if "eventlet" in sys.modules:  # the benchmark times with the standard library and asyncio only
    raise SystemExit("bench_bus: an import pulled in eventlet; the benchmark process must not run it")


def rabbit_vhost(rabbit: PrivateRabbit, name: str) -> str:
    """A virtual host of a private node, open to its guest user; its AMQP URI."""
    for args in (("add_vhost", name), ("set_permissions", "-p", name, "guest", ".*", ".*", ".*")):
        done = rabbit.cli("rabbitmqctl", *args)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr.strip()}")
    return rabbit.amqp_uri.rstrip("/") + "/" + name


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events", type=int, default=2000, metavar="N", help="backlog size for throughput (2000)"
    )
    parser.add_argument(
        "--paced-events",
        type=int,
        default=1000,
        metavar="M",
        help="events offered one by one for latency (1000)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=50.0,
        help="offered events per second for latency, well below capacity (50)",
    )
    parser.add_argument("--consumers", default="1,2", help="competing consumer processes to try (1,2)")
    parser.add_argument("--warmup", type=int, default=50, help="events sent before each measurement (50)")
    parser.add_argument(
        "--partnerships", type=int, default=20, help="partnerships the events spread over (20)"
    )
    parser.add_argument(
        "--private-broker",
        action="store_true",
        help="run on a RabbitMQ node of the benchmark's own instead of virtual hosts of the machine's",
    )
    args = parser.parse_args(argv)
    args.consumers = sorted({int(n) for n in args.consumers.split(",")})
    if args.events < 1 or args.paced_events < 2 or args.rate <= 0 or args.consumers[0] < 1:
        parser.error("--events >= 1, --paced-events >= 2, --rate > 0 and --consumers >= 1")
    return args


def report(args: argparse.Namespace, when: str, loads: tuple[str, str], rows: list[Row], checks: dict) -> str:
    """The markdown a run prints: the table, what it means, the details behind it, the checks."""

    def load(text: str) -> str:
        return text.split("load average:")[-1].strip()

    lines = [
        f"## bench-bus, {when}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Load average before: `{load(loads[0])}`, after: `{load(loads[1])}` (1, 5, 15 min).",
        "",
        table(rows),
        "",
        f"events/s: a backlog of {args.events} events carried end to end. "
        f"median, p99: {args.paced_events} events offered one by one at {args.rate:g}/s "
        "(system: outbox row's transaction → the handler's transaction applying it; "
        "kombu: just before publish → receipt). Ratios: against kombu with as many consumers. "
        f"Both wait for the broker's confirms a batch at a time (up to {get_settings().outbox_batch}, "
        "the relay's batch; one at a time when events come one at a time).",
    ]
    for row in rows:
        if row.paced.achieved_rate < 0.95 * args.rate:
            lines += [
                "",
                f"**{row.path}, {row.consumers} consumer(s) did not keep up with {args.rate:g}/s "
                f"(achieved {row.paced.achieved_rate:.0f}/s): its latency includes queueing. "
                "Try a lower --rate.**",
            ]
    lines += ["", "Details (CPU ms/event: CPU time of each part over the phase ÷ events):", ""]
    for row in rows:
        paced_notes = {"offered rate achieved /s": row.paced.achieved_rate, **row.paced.notes}
        lines += [
            f"- {row.path}, {row.consumers} consumer(s)",
            "  - backlog: " + "; ".join(f"{k} {v:,.1f}" for k, v in row.drain.notes.items()),
            "  - paced: " + "; ".join(f"{k} {v:,.1f}" for k, v in paced_notes.items()),
        ]
    lines += ["", "Checks (system): " + ", ".join(f"{name} {value}" for name, value in checks.items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.monotonic()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = uptime()
    say(f"bench-bus {when}: {os.cpu_count()} cores; {load_before}")
    partnerships = [uuid.uuid4() for _ in range(args.partnerships)]

    def envelopes(count: int) -> list[dict]:
        return [review_opened(partnerships[i % len(partnerships)], i) for i in range(count)]

    rows: list[Row] = []
    with contextlib.ExitStack() as stack:
        system_uri = kombu_uri = None
        if args.private_broker:  # the machine's node may be too busy to create virtual hosts in time
            rabbit = stack.enter_context(PrivateRabbit())
            cpu.BROKER_PORT[0] = rabbit.port
            system_uri, kombu_uri = rabbit.amqp_uri, rabbit_vhost(rabbit, "kombu")
        system = stack.enter_context(RunningSystem(partnerships, log=say, amqp_uri=system_uri))
        kombu_uri = kombu_uri or stack.enter_context(isolated_vhost())
        kombu = stack.enter_context(KombuBaseline(kombu_uri, confirm_batch=get_settings().outbox_batch))
        for consumers in args.consumers:
            while len(system.analytics) < consumers:
                system.add_analytics()
            say(f"system, {consumers} analytics process(es)")
            drain, paced = system.measure(envelopes(args.events), args.paced_events, args.rate, args.warmup)
            rows.append(Row("system (outbox → analytics inbox)", consumers, drain, paced))
            say(f"kombu, {consumers} consumer process(es)")
            drain, paced = kombu.measure(
                consumers,
                envelopes(args.events),
                envelopes(args.paced_events),
                args.rate,
                envelopes(args.warmup),
            )
            rows.append(Row("kombu baseline", consumers, drain, paced))
        checks = system.check()
    load_after = uptime()
    if "eventlet" in sys.modules:
        raise SystemExit("bench_bus: eventlet was imported during the run; the figures are not trustworthy")

    print(report(args, when, (load_before, load_after), rows, checks))
    print(f"\nWall time {time.monotonic() - started:.0f}s.")
    lost = checks["unpublished"] or checks["inbox events"] != checks["outbox events"]
    twice = checks["reviews counted"] != checks["inbox events"] or checks["dead letters"]
    if lost or twice:
        say("WARNING: the system did not apply every event exactly once: the figures above are suspect")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
