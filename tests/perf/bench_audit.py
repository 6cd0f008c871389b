"""Benchmark of the audit log: what the hash chain costs an audited request, and how fast it verifies.

Every read of case data appends one entry, under the head's row lock (the chain is a single line), so the
append rate caps the rate of audited requests. The baseline is a plain INSERT of the same row into a
table of the same shape without chain, lock or head, on the same database in the same run.

    python tests/perf/bench_audit.py [--entries 2000] [--threads 1 8] [--rounds 3]

Prints medians of the rounds: appends per second, median and p99 latency per append, and the ratio
against the baseline; then entries verified per second.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.perf.figures import percentile  # noqa: E402
from tests.support.infra import isolated_database  # noqa: E402
from tests.support.system import caserev, system_env  # noqa: E402

BASELINE_TABLE = """
CREATE TABLE audit_baseline (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL, user_id text NOT NULL,
    partnership_id uuid, review_id uuid, record_type text NOT NULL, record_id text, action text NOT NULL,
    outcome text NOT NULL, address text, request_id text
)
"""


def _entry(n: int) -> Any:
    # Imported here: the gateway's modules read their settings once, after main() has set them.
    from gateway.audit import AuditEntry

    return AuditEntry(
        user_id=f"user-{n % 50}",
        partnership_id=uuid.UUID(int=n % 7),
        review_id=uuid.UUID(int=n % 97),
        record_type="review",
        record_id=str(n),
        action="read",
        outcome="allowed",
        address="203.0.113.9",
        request_id=f"bench-{n}",
    )


def _timed(function: Callable[[int], object], count: int, threads: int) -> tuple[float, list[float]]:
    """Run `function(n)` for n in range(count) on `threads` threads: (seconds, per-call latencies)."""
    latencies: list[float] = []

    def one(n: int) -> None:
        started = time.perf_counter()
        function(n)
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started, latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with isolated_database() as db_name, tempfile.TemporaryDirectory() as workdir:
        system = system_env(db_name, "amqp://unused/", Path(workdir))
        caserev(system, "migrate", "--skip-broker")
        os.environ.update(
            CASEREV_DB_NAME=db_name,
            CASEREV_IDENTITY_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        )
        from gateway.audit import append, audit_engine, verify
        from services.kernel.db import create_schema_engine

        engine: Engine = audit_engine()
        owner = create_schema_engine("audit", pool_size=10)
        with owner.begin() as connection:
            connection.execute(text(BASELINE_TABLE))

        def baseline(n: int) -> None:
            entry = _entry(n)
            with owner.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO audit_baseline (at, user_id, partnership_id, review_id, record_type,"
                        " record_id, action, outcome, address, request_id) VALUES (now(), :u, :p, :r, :t,"
                        " :rid, :a, :o, :addr, :req)"
                    ),
                    {
                        "u": entry.user_id,
                        "p": entry.partnership_id,
                        "r": entry.review_id,
                        "t": entry.record_type,
                        "rid": entry.record_id,
                        "a": entry.action,
                        "o": entry.outcome,
                        "addr": entry.address,
                        "req": entry.request_id,
                    },
                )

        print(
            f"audit log benchmark: {args.entries} entries per round, {args.rounds} rounds, medians of rounds"
        )
        print(
            "| threads | chained appends/s | baseline inserts/s | ratio"
            " | chained median / p99 ms | baseline median / p99 ms |"
        )
        print("|---|---|---|---|---|---|")
        for threads in args.threads:
            chained_rates, base_rates, chained_lat, base_lat = [], [], [], []
            for _ in range(args.rounds):
                seconds, latencies = _timed(lambda n: append(_entry(n), engine), args.entries, threads)
                chained_rates.append(args.entries / seconds)
                chained_lat.append(latencies)
                seconds, latencies = _timed(baseline, args.entries, threads)
                base_rates.append(args.entries / seconds)
                base_lat.append(latencies)
            chained, base = statistics.median(chained_rates), statistics.median(base_rates)

            def ms(rounds: list[list[float]], fraction: float) -> float:
                return statistics.median(percentile(r, fraction) for r in rounds) * 1000

            print(
                f"| {threads} | {chained:,.0f} | {base:,.0f} | {chained / base:.2f} |"
                f" {ms(chained_lat, 0.5):.2f} / {ms(chained_lat, 0.99):.2f} |"
                f" {ms(base_lat, 0.5):.2f} / {ms(base_lat, 0.99):.2f} |"
            )
        rates = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            result = verify(engine)
            rates.append(result.checked / (time.perf_counter() - started))
            assert result.ok, result
        print(
            f"verify: {statistics.median(rates):,.0f} entries/s over {result.checked:,} entries"
            " (median of rounds)"
        )
        engine.dispose()
        owner.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
