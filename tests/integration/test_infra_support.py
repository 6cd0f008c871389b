"""Tests for tests/support/infra.py: isolated vhosts/databases and private RabbitMQ/PostgreSQL servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
import kombu
import psycopg2
import pytest

from tests.support.infra import (
    DEFAULT_ADMIN_DSN,
    DEFAULT_MGMT,
    PrivatePostgres,
    PrivateRabbit,
    database_dsn,
    isolated_database,
    isolated_vhost,
    owner_mark,
    unique_name,
)

MAIN_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def _mgmt_get(path: str) -> httpx.Response:
    return httpx.get(f"{DEFAULT_MGMT}{path}", auth=("guest", "guest"), timeout=10)


def _live_pids() -> list[int]:
    """Processes that are alive (not zombies waiting to be reaped)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if stat[stat.rindex(")") + 2] not in "ZX":
                pids.append(int(entry))
    return pids


def _pids_named(name: str) -> set[int]:
    """Live processes whose command name is ``name``."""
    pids = set()
    for pid in _live_pids():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                pids.add(pid)
        except OSError:
            continue
    return pids


def _pids_mentioning(needle: str) -> set[int]:
    """Live processes whose command line or environment mentions ``needle`` (we run as root)."""
    pids = set()
    for pid in _live_pids():
        try:
            blob = Path(f"/proc/{pid}/cmdline").read_bytes() + Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if needle.encode() in blob and pid != os.getpid():
            pids.add(pid)
    return pids


def _assert_main_rabbit_alive() -> None:
    with kombu.Connection(MAIN_AMQP, connect_timeout=5) as conn:
        conn.connect()
    assert _mgmt_get("/api/overview").status_code == 200


def _queue_depth(uri: str, queue: str) -> int:
    with kombu.Connection(uri, connect_timeout=5) as conn:
        return int(conn.default_channel.queue_declare(queue, passive=True).message_count)


def _publish_persistent(uri: str, queue: str, body: dict[str, object]) -> None:
    """Publish a persistent message to a durable queue and wait for the broker's confirm."""
    with kombu.Connection(uri, connect_timeout=5, transport_options={"confirm_publish": True}) as conn:
        q = kombu.Queue(queue, durable=True, routing_key=queue)
        conn.Producer().publish(body, routing_key=queue, declare=[q], delivery_mode=2, retry=False)


def _get_one(uri: str, queue: str) -> object:
    with kombu.Connection(uri, connect_timeout=5) as conn:
        message = kombu.Queue(queue, durable=True)(conn.default_channel).get(no_ack=True)
        assert message is not None
        return message.payload


# -- isolated resources on the machine's shared services ------------------------------------------------


def test_isolated_vhost_is_created_usable_and_removed() -> None:
    with isolated_vhost() as uri:
        name = uri.rsplit("/", 1)[1]
        assert name.startswith("caserev_t_")
        assert len(name) == len("caserev_t_") + 8
        assert uri == f"amqp://guest:guest@127.0.0.1:5672/{quote(name, safe='')}"
        assert _mgmt_get(f"/api/vhosts/{name}").status_code == 200
        with kombu.Connection(uri, connect_timeout=5) as conn:
            conn.default_channel.queue_declare("probe", durable=False, auto_delete=False)
        queues = _mgmt_get(f"/api/queues/{name}").json()
        assert [q["name"] for q in queues] == ["probe"]
        assert "probe" not in {q["name"] for q in _mgmt_get("/api/queues/%2F").json()}
    assert _mgmt_get(f"/api/vhosts/{name}").status_code == 404


def test_a_killed_runs_vhost_is_swept_by_the_next_run_and_a_live_runs_is_not() -> None:
    with httpx.Client(base_url=DEFAULT_MGMT, auth=("guest", "guest"), timeout=30.0) as client:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead_mark = owner_mark(dead.pid)
        dead.wait()
        orphan, live = unique_name(), unique_name()
        for name, mark in ((orphan, dead_mark), (live, owner_mark())):
            assert client.put(f"/api/vhosts/{name}", json={"description": mark}).status_code in (201, 204)
        try:
            with isolated_vhost():
                pass
            assert client.get(f"/api/vhosts/{orphan}").status_code == 404, "the orphan was not swept"
            assert client.get(f"/api/vhosts/{live}").status_code == 200, "a live run's vhost was swept"
        finally:
            for name in (orphan, live):
                client.delete(f"/api/vhosts/{name}")


def test_isolated_database_is_created_and_dropped_even_with_open_connections() -> None:
    with isolated_database() as name:
        assert name.startswith("caserev_t_")
        assert len(name) == len("caserev_t_") + 8
        lingering = psycopg2.connect(database_dsn(name))
        with lingering.cursor() as cur:
            cur.execute("CREATE TABLE t (x int)")
            cur.execute("SELECT current_database()")
            assert cur.fetchone() == (name,)
        lingering.commit()
    with psycopg2.connect(DEFAULT_ADMIN_DSN) as admin, admin.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,))
        assert cur.fetchone() == (0,)
    admin.close()
    with pytest.raises(psycopg2.Error), lingering.cursor() as cur:  # its backend was terminated
        cur.execute("SELECT 1")
    lingering.close()


# -- private RabbitMQ node --------------------------------------------------------------------------------


@pytest.mark.slow
def test_private_rabbit_keeps_persistent_message_across_stop_start() -> None:
    epmd_before = _pids_named("epmd")
    with PrivateRabbit() as rabbit:
        assert rabbit.port != 5672
        assert rabbit.ping()
        assert _pids_mentioning(str(rabbit.base_dir))  # sanity: the check below can see the node
        _publish_persistent(rabbit.amqp_uri, "durable_q", {"n": 1})
        rabbit.stop()
        assert not rabbit.running
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", rabbit.port), timeout=2).close()
        _assert_main_rabbit_alive()
        rabbit.start()
        assert _queue_depth(rabbit.amqp_uri, "durable_q") == 1
        assert _get_one(rabbit.amqp_uri, "durable_q") == {"n": 1}
        base_dir = rabbit.base_dir
    assert not base_dir.exists()
    assert not _pids_mentioning(str(base_dir))
    assert epmd_before <= _pids_named("epmd")
    _assert_main_rabbit_alive()


@pytest.mark.slow
def test_private_rabbit_kill_and_restart_keeps_confirmed_message() -> None:
    main_beams = _pids_named("beam.smp")
    epmd_before = _pids_named("epmd")
    with PrivateRabbit() as rabbit:
        # The queue first, settled by a clean stop and start: RabbitMQ writes queue metadata to its store
        # asynchronously, so a queue declared shortly before SIGKILL may be lost (seen twice under CI load,
        # even after a one-second wait). The confirm covers the message, which is what this test is about.
        _publish_persistent(rabbit.amqp_uri, "durable_q", {"n": 0})
        assert _get_one(rabbit.amqp_uri, "durable_q") == {"n": 0}
        rabbit.stop()
        rabbit.start()
        _publish_persistent(rabbit.amqp_uri, "durable_q", {"n": 2})
        rabbit.kill()
        assert not rabbit.running
        assert not _pids_mentioning(str(rabbit.base_dir))
        assert epmd_before <= _pids_named("epmd")
        assert main_beams <= _pids_named("beam.smp")  # the machine's node is untouched
        _assert_main_rabbit_alive()
        rabbit.restart()
        assert _get_one(rabbit.amqp_uri, "durable_q") == {"n": 2}
        base_dir = rabbit.base_dir
    assert not base_dir.exists()
    assert not _pids_mentioning(str(base_dir))
    _assert_main_rabbit_alive()


# -- private PostgreSQL cluster ------------------------------------------------------------------------------


@pytest.mark.slow
def test_private_postgres_stop_makes_it_unreachable_and_restart_keeps_rows() -> None:
    with PrivatePostgres() as pg:
        assert pg.port != 5432
        assert _pids_mentioning(str(pg.base_dir))  # sanity: the check below can see the postmaster
        conn = psycopg2.connect(pg.dsn)
        with conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (42)")
        conn.close()
        pg.stop()
        assert not pg.running
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(pg.dsn, connect_timeout=2)
        pg.restart()
        conn = psycopg2.connect(pg.dsn)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT x FROM t")
            assert cur.fetchall() == [(42,)]
        conn.close()
        base_dir = pg.base_dir
    assert not base_dir.exists()
    assert not _pids_mentioning(str(base_dir))


@pytest.mark.slow
def test_private_postgres_kill_keeps_committed_row() -> None:
    with PrivatePostgres() as pg:
        conn = psycopg2.connect(pg.dsn)
        with conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (7)")
        pg.kill()
        with pytest.raises(psycopg2.Error), conn.cursor() as cur:
            cur.execute("SELECT 1")
        conn.close()
        pg.start()
        conn = psycopg2.connect(pg.dsn)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT x FROM t")
            assert cur.fetchall() == [(7,)]
        conn.close()
        base_dir = pg.base_dir
    assert not _pids_mentioning(str(base_dir))
    # The machine's cluster is untouched.
    psycopg2.connect(DEFAULT_ADMIN_DSN, connect_timeout=5).close()
