"""`make bench-analytics`: the analytics service at England's scale. Prints markdown tables
(docs/performance.md explains them). Figures, never assertions.

On a throw-away database and a private RabbitMQ node of its own (tests/support/infra.py PrivateRabbit: the
machine's broker is shared with other work, whose queues would be in the figures), the whole system as
`make run` starts it (the demo included, for its national analyst to sign in as), then:

1. `caserev seed-synthetic --years 10 --partnerships 150` (caserev/synthetic.py): the events published per
   second, and how long analytics takes to apply them all as they arrive (its handler queues empty, its
   inbox still).
2. `caserev analytics rebuild`: every projection dropped and built again from the analytics service's own
   store of events; events applied per second = events in the store / the command's wall time.
3. Each dashboard (services/analytics/contract.py DashboardCode), --repeat times after --warmup: its query
   through the gateway as the national analyst (GET /api/dashboards/{code}, the JSON the pages draw: the
   HTTP request, the session and policy, the audit entry, the RPC to analytics, the figures, suppression),
   beside the same aggregate computed by one plain SQL query on the read model's tables in the same run
   (psycopg2, the same database): median and 95th percentile, and the ratio of the medians (aim: <= 2).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import platform
import re
import statistics
import sys
import time
import typing
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg2  # noqa: E402

from services.analytics.contract import DashboardCode  # noqa: E402
from tests.e2e.helpers import sign_in  # noqa: E402
from tests.perf.figures import percentile, say, uptime  # noqa: E402
from tests.support.infra import PrivateRabbit, database_dsn, free_port, isolated_database  # noqa: E402
from tests.support.system import SystemEnv, caserev, running_system, system_env  # noqa: E402

NATIONAL_ANALYST = "national.analyst@analysts.example"
DASHBOARDS: tuple[str, ...] = typing.get_args(DashboardCode)

# The same aggregates as each dashboard's figure tables (services/analytics/queries.py, national scope, no
# filter), by one plain SQL query on the read model's tables: the baseline the dashboard's answer is set
# against. Each row: (figure, row, column, value).
BASELINE_SQL: dict[str, str] = {
    "reviews": """
        SELECT 'opened', extract(year FROM on_date)::int::text, outcome, count(*)::float8
          FROM analytics.review_milestone WHERE milestone = 'opened' GROUP BY 2, 3
        UNION ALL
        SELECT 'by_stage', stage, review_type, count(*) FROM analytics.review_stage GROUP BY 2, 3
        UNION ALL
        SELECT 'funnel', CASE WHEN milestone IN ('notified', 'rapid_review') THEN milestone
                              WHEN milestone = 'decided' THEN 'local_review' ELSE 'published' END,
               'reviews', count(*)
          FROM analytics.review_milestone
         WHERE milestone IN ('notified', 'rapid_review')
            OR (milestone = 'decided' AND detail = 'local_review')
            OR (milestone = 'published' AND outcome = 'published')
         GROUP BY 2
        UNION ALL
        SELECT 'by_partnership', partnership_id::text, 'reviews', count(*) FROM analytics.review_stage
         GROUP BY 2
        UNION ALL
        SELECT 'by_partnership', partnership_id::text, 'open', count(*) FROM analytics.review_stage
         WHERE stage <> 'closed' GROUP BY 2
    """,
    "timeliness": """
        WITH met AS (
            SELECT s.label, m.met_on, m.due_on, m.late_by_working_days AS late
              FROM analytics.deadline_met m
              JOIN analytics.deadline_standing s ON s.review_id = m.review_id AND s.deadline = m.deadline
             WHERE s.statutory
        )
        SELECT 'outcomes', label,
               CASE WHEN late > 0 THEN 'late' WHEN met_on > due_on THEN 'paused' ELSE 'on_time' END,
               count(*)::float8
          FROM met GROUP BY 2, 3
        UNION ALL
        SELECT 'lateness', label, 'share_met', 100.0 * count(*) FILTER (WHERE late = 0) / nullif(count(*), 0)
          FROM met GROUP BY 2
        UNION ALL
        SELECT 'lateness', label, 'median_late',
               percentile_cont(0.5) WITHIN GROUP (ORDER BY late) FILTER (WHERE late > 0)
          FROM met GROUP BY 2
        UNION ALL
        SELECT 'lateness', label, 'worst_late', max(late) FILTER (WHERE late > 0) FROM met GROUP BY 2
        UNION ALL
        SELECT 'returns', coalesce(a.agency_type, 'not_known'),
               CASE WHEN s.return_id IS NULL THEN 'overdue' WHEN s.late_by_working_days > 0 THEN 'late'
                    ELSE 'on_time' END,
               count(*)
          FROM analytics.return_due d
          LEFT JOIN analytics.return_submitted s ON s.return_id = d.return_id
          LEFT JOIN analytics.agency a ON a.agency_id = d.agency_id
         WHERE s.return_id IS NOT NULL OR d.due_on < current_date
         GROUP BY 2, 3
    """,
    "learning": """
        SELECT 'panel', coalesce(detail, 'not_recorded'), outcome, count(*)::float8
          FROM analytics.review_milestone WHERE milestone = 'panel' GROUP BY 2, 3
        UNION ALL
        SELECT 'themes_by_year', t.theme, extract(year FROM l.recorded_on)::int::text, count(*)
          FROM analytics.lesson l CROSS JOIN unnest(l.themes) AS t(theme) GROUP BY 2, 3
        UNION ALL
        SELECT 'themes', t.theme, 'lessons', count(*)
          FROM analytics.lesson l CROSS JOIN unnest(l.themes) AS t(theme) GROUP BY 2
        UNION ALL
        SELECT 'themes', t.theme, 'reviews', count(DISTINCT l.review_id)
          FROM analytics.lesson l CROSS JOIN unnest(l.themes) AS t(theme) GROUP BY 2
    """,
    "children": """
        SELECT 'age', age_band, nature, count(*)::float8 FROM analytics.notified_child GROUP BY 2, 3
        UNION ALL
        SELECT 'sex', sex, 'children', count(*) FROM analytics.notified_child GROUP BY 2
        UNION ALL
        SELECT 'ethnicity', ethnicity, 'children', count(*) FROM analytics.notified_child GROUP BY 2
        UNION ALL
        SELECT 'disability', disability, 'children', count(*) FROM analytics.notified_child GROUP BY 2
        UNION ALL
        SELECT 'legal_status', s.status, 'children', count(*)
          FROM analytics.notified_child c
         CROSS JOIN unnest(CASE WHEN cardinality(c.legal_status) = 0 THEN ARRAY['none']::varchar[]
                                ELSE c.legal_status END) AS s(status)
         GROUP BY 2
    """,
    "actions": """
        SELECT 'state', state, 'actions', count(*)::float8 FROM analytics.action_state GROUP BY 2
        UNION ALL
        SELECT 'agency_type', coalesce(a.agency_type, 'partnership'), st.state, count(*)
          FROM analytics.action_state st
          LEFT JOIN analytics.action_plan p ON p.action_id = st.action_id
          LEFT JOIN analytics.agency a ON a.agency_id = p.owner_agency_id
         GROUP BY 2, 3
        UNION ALL
        SELECT 'theme', t.theme, st.state, count(*)
          FROM analytics.action_state st
          JOIN analytics.action_plan p ON p.action_id = st.action_id
         CROSS JOIN unnest(p.themes) AS t(theme)
         GROUP BY 2, 3
    """,
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", type=int, default=10, help="years of synthetic data (10)")
    parser.add_argument("--partnerships", type=int, default=150, help="synthetic partnerships (150)")
    parser.add_argument("--repeat", type=int, default=30, help="timed queries per dashboard and path (30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed queries first (3)")
    parser.add_argument(
        "--via",
        choices=["gateway", "rpc"],
        default="gateway",
        help="gateway: GET /api/dashboards/{code} (default); rpc: the analytics RPC `dashboard` through the"
        " gateway's asyncio RPC client (gateway/rpc.py), for a branch without the dashboards' JSON API",
    )
    parser.add_argument(
        "--apply-timeout", type=float, default=3600, help="seconds to wait for analytics to apply (3600)"
    )
    args = parser.parse_args(argv)
    if args.years < 1 or args.partnerships < 1 or args.repeat < 2 or args.warmup < 0:
        parser.error("--years, --partnerships >= 1, --repeat >= 2, --warmup >= 0")
    return args


class Database:
    """The run's database as the superuser: the read model's tables, and how far analytics has got."""

    def __init__(self, db_name: str) -> None:
        self.connection = psycopg2.connect(database_dsn(db_name))
        self.connection.autocommit = True

    def rows(self, query: str) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(query)
            return cursor.fetchall()

    def scalar(self, query: str) -> int:
        return int(self.rows(query)[0][0])

    def close(self) -> None:
        self.connection.close()


@contextmanager
def managed(rabbit: PrivateRabbit) -> Iterator[tuple[PrivateRabbit, str]]:
    """The private node with its management plugin on a free port of its own (the demo's chronology makes an
    agency system's broker user through it), started; and the plugin's URL."""
    port = free_port()
    (rabbit.base_dir / "enabled_plugins").write_text("[rabbitmq_management].\n")
    with open(rabbit.base_dir / "rabbitmq.conf", "a") as conf:
        conf.write(f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {port}\n")
    with rabbit:
        yield rabbit, f"http://127.0.0.1:{port}"


def analytics_backlog(system: SystemEnv) -> int:
    """Messages waiting in the analytics service's handler queues (ready, by a passive declare)."""
    from kombu import Connection

    from caserev.seed_synthetic import analytics_queues

    names = [name for queues in analytics_queues().values() for name in queues]
    with Connection(system.amqp_uri, connect_timeout=10) as connection:
        channel = connection.default_channel
        return sum(int(channel.queue_declare(name, passive=True).message_count) for name in names)


def wait_applied(system: SystemEnv, db: Database, timeout: float) -> float:
    """Wait until analytics' queues are empty and its inbox has not grown for 3 s; the seconds it took."""
    started = time.monotonic()
    last, still_since = -1, time.monotonic()
    while time.monotonic() - started < timeout:
        applied = db.scalar("SELECT count(*) FROM analytics.inbox")
        if applied != last:
            last, still_since = applied, time.monotonic()
        elif analytics_backlog(system) == 0 and time.monotonic() - still_since >= 3:
            return still_since - started
        time.sleep(1)
    raise SystemExit(f"bench-analytics: analytics did not apply the synthetic events in {timeout:.0f}s")


def timed(call: Callable[[], object], repeat: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def gateway_query(client: httpx.Client, code: str) -> Callable[[], object]:
    def call() -> object:
        response = client.get(f"/api/dashboards/{code}")
        if response.status_code != 200:
            raise SystemExit(f"GET /api/dashboards/{code}: {response.status_code} {response.text[:300]}")
        return response.json()

    return call


class RpcQueries:
    """The analytics RPC `dashboard` as the national analyst, through the gateway's own asyncio RPC client,
    the caller sealed with the run's key as the gateway seals it; one event loop for every call."""

    def __init__(self, system: SystemEnv) -> None:
        from gateway.rpc import RpcClient
        from services.analytics.contract import Analytics
        from services.kernel.identity import Actor, Role

        self.system = system
        self.runner = asyncio.Runner()
        self.client = RpcClient(system.amqp_uri, timeout=120)
        self.analytics = Analytics.client(self)
        self.actor = Actor(user_id=str(uuid.uuid4()), roles=frozenset({Role.NATIONAL_ANALYST}))

    async def call(self, service: str, method: str, *args: Any, timeout: float | None = None) -> Any:
        from services.kernel.identity import Actor

        if args and isinstance(args[0], Actor):
            args = (self.system.sealed(args[0].model_dump(mode="json"), f"{service}.{method}"), *args[1:])
        return await self.client.call(service, method, *args, timeout=timeout)

    def query(self, code: str) -> Callable[[], object]:
        return lambda: self.runner.run(self.analytics.dashboard(self.actor, code))  # type: ignore[arg-type]

    def close(self) -> None:
        self.runner.run(self.client.close())
        self.runner.close()


def ms(seconds: list[float]) -> tuple[float, float]:
    return statistics.median(seconds) * 1000, percentile(seconds, 0.95) * 1000


def report(
    args: argparse.Namespace, when: str, loads: tuple[str, str], figures: dict[str, float], rows: list[tuple]
) -> str:
    def load(text: str) -> str:
        return text.split("load average:")[-1].strip()

    lines = [
        f"## bench-analytics, {when}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Load average before: `{load(loads[0])}`, after: `{load(loads[1])}` (1, 5, 15 min).",
        "",
        f"Synthetic England: {args.years} years, {args.partnerships} partnerships "
        f"({figures['published']:,.0f} events drawn and published to analytics by `seed-synthetic` in "
        f"{figures['publish_seconds']:,.0f} s; {figures['applied']:,.0f} handler deliveries applied as they "
        f"arrived within {figures['apply_seconds']:,.0f} s of its start, {figures['apply_rate']:,.0f}/s).",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| events in analytics' store | {figures['stored']:,.0f} |",
        f"| `caserev analytics rebuild`: wall time (the command's own count) "
        f"| {figures['rebuild_seconds']:,.1f} s ({figures['rebuild_own_seconds']:,.1f} s) |",
        f"| events applied per second during the rebuild: by wall time (by the command's own time) "
        f"| {figures['rebuild_rate']:,.0f} ({figures['stored'] / figures['rebuild_own_seconds']:,.0f}) |",
        "",
        f"Each dashboard's query, national analyst, no filter: the first request (which computes it), then "
        f"{args.repeat} timed after {args.warmup} untimed, one after another (no event arrives meanwhile: "
        "these find the dashboard computed and kept), "
        + (
            "through the gateway (GET /api/dashboards/{code})."
            if args.via == "gateway"
            else "by the analytics RPC `dashboard` through the gateway's asyncio RPC client (gateway/rpc.py),"
            " not the gateway's JSON API."
        ),
        "",
        "| dashboard | first ms (computed) | median ms | p95 ms | one SQL query median ms | SQL p95 ms "
        "| median ÷ SQL | first ÷ SQL |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for code, first, gateway, baseline in rows:
        g_median, g_p95 = ms(gateway)
        if baseline:
            b_median, b_p95 = ms(baseline)
            lines.append(
                f"| {code} | {first * 1000:.1f} | {g_median:.1f} | {g_p95:.1f} | {b_median:.1f} "
                f"| {b_p95:.1f} | {g_median / b_median:.1f} | {first * 1000 / b_median:.1f} |"
            )
        else:
            lines.append(
                f"| {code} | {first * 1000:.1f} | {g_median:.1f} | {g_p95:.1f} | n/a | n/a | n/a | n/a |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.monotonic()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = uptime()
    say(f"bench-analytics {when}: {os.cpu_count()} cores; {load_before}")
    figures: dict[str, float] = {}
    rows: list[tuple] = []
    with isolated_database() as db_name, managed(PrivateRabbit()) as (rabbit, management_url):
        system = system_env(
            db_name,
            rabbit.amqp_uri,
            Path(f"/tmp/bench-analytics-{db_name}"),
            CASEREV_CHRONOLOGY_BROKER_MANAGEMENT_URL=management_url,
            CASEREV_CHRONOLOGY_AGENCY_AMQP_PORT=str(rabbit.port),
        )
        say("starting the system with its demo ...")
        with running_system(system, demo=True, timeout=600):
            db = Database(db_name)
            try:
                wait_applied(system, db, args.apply_timeout)
                before = db.scalar("SELECT count(*) FROM analytics.inbox")
                say(f"seeding {args.years} years of {args.partnerships} partnerships ...")
                seeding = time.monotonic()
                output = caserev(
                    system,
                    "seed-synthetic",
                    "--years",
                    str(args.years),
                    "--partnerships",
                    str(args.partnerships),
                    # Not the demo's seed: its national view's events would be the same ones, skipped.
                    "--seed",
                    "2",
                    timeout=args.apply_timeout,
                ).stdout
                say(output.strip())
                publish_seconds = time.monotonic() - seeding
                figures["apply_seconds"] = wait_applied(system, db, args.apply_timeout) + publish_seconds
                found = re.search(r"([\d,]+) events published", output)
                figures["published"] = float(found.group(1).replace(",", "")) if found else float("nan")
                figures["publish_seconds"] = publish_seconds
                figures["applied"] = db.scalar("SELECT count(*) FROM analytics.inbox") - before
                figures["apply_rate"] = figures["applied"] / figures["apply_seconds"]

                say("rebuilding every projection ...")
                rebuilding = time.monotonic()
                rebuilt = caserev(system, "analytics", "rebuild", timeout=args.apply_timeout).stdout.strip()
                say(rebuilt)
                figures["rebuild_seconds"] = time.monotonic() - rebuilding
                # The command's own count and rate (its wall time less the process's start).
                found = re.search(r"from ([\d,]+) events in ([\d.]+) s", rebuilt)
                figures["rebuild_own_seconds"] = float(found.group(2)) if found else float("nan")
                figures["stored"] = db.scalar(STORED_EVENTS)
                figures["rebuild_rate"] = figures["stored"] / figures["rebuild_seconds"]

                client = sign_in(system, NATIONAL_ANALYST, fresh=True).client
                client.timeout = httpx.Timeout(120)
                rpc = RpcQueries(system) if args.via == "rpc" else None
                for code in DASHBOARDS:
                    say(f"dashboard {code} ...")
                    query = rpc.query(code) if rpc else gateway_query(client, code)
                    # The first request computes the dashboard; the rest find it kept (no event came since).
                    first = timed(query, 1, 0)[0]
                    gateway = timed(query, args.repeat, args.warmup)
                    sql = BASELINE_SQL.get(code)
                    baseline = timed(functools.partial(db.rows, sql), args.repeat, args.warmup) if sql else []
                    rows.append((code, first, gateway, baseline))
                client.close()
                if rpc:
                    rpc.close()
            finally:
                db.close()
    print(report(args, when, (load_before, uptime()), figures, rows))
    print(f"\nWall time {time.monotonic() - started:.0f}s.")
    return 0


# The analytics service's own store of every event it applied: what a rebuild replays.
STORED_EVENTS = "SELECT count(*) FROM analytics.event"

if __name__ == "__main__":
    sys.exit(main())
