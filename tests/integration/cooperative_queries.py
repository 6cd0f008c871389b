"""Run as a script (the pytest process must not monkey-patch): under eventlet, with the kernel's wait
callback, a query waiting on the database must not stall other green threads. Prints JSON."""

from __future__ import annotations

import sys

import eventlet

MODE = sys.argv[2]
# "nameko": patched as `nameko run` patches; "kernel": psycopg2 left out, then the kernel's Database
# setup makes it cooperative; "unpatched": psycopg2 left out and nothing done about it (must block).
eventlet.monkey_patch(psycopg=MODE == "nameko")

import json  # noqa: E402

import psycopg2  # noqa: E402

from services.kernel.db import make_psycopg2_cooperative  # noqa: E402


def main(dsn: str, mode: str) -> None:
    if mode == "kernel":
        make_psycopg2_cooperative()
    slow = psycopg2.connect(dsn)
    slow_pid = slow.get_backend_pid()
    observed: list[str] = []

    def sleeper() -> None:
        with slow.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1.5)")

    def observer() -> None:
        # Runs while the sleeper waits, if and only if the sleeper's wait yields to the hub.
        eventlet.sleep(0.3)
        with psycopg2.connect(dsn) as watcher, watcher.cursor() as cursor:
            cursor.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (slow_pid,))
            observed.append(cursor.fetchone()[0])

    pool = eventlet.GreenPool()
    pool.spawn(sleeper)
    pool.spawn(observer)
    pool.waitall()
    print(json.dumps({"state_of_slow_query_seen_by_other_green_thread": observed[0]}))


if __name__ == "__main__":
    main(sys.argv[1], MODE)
