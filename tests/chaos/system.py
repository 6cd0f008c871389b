"""The whole system for the chaos suite: every Procfile process, on a private broker node and a private
PostgreSQL cluster, with the faults the storm injects (SIGKILL a process, restart the broker or the
database) and the waiting it needs (a restarted process up again, everything settled afterwards).

Processes are started one by one from deploy/Procfile exactly as `caserev run` starts them (its supervisor
stops the whole system when any process dies, which is what a crash must not do here): `caserev migrate`
first, then every process, then `caserev seed-demo` for the people who sign in.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from pathlib import Path

import httpx
import psycopg2

from caserev.supervisor import read_procfile
from tests.support.infra import PrivatePostgres, PrivateRabbit
from tests.support.system import SERVICES, Process, SystemEnv, caserev, system_env

DB_NAME = "caserev_chaos"


class ChaosSystem:
    """A private broker, a private database cluster and every process of the Procfile, restartable."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        # The management plugin: agencies' systems get broker users of their own through it (the demo's do).
        self.rabbit = PrivateRabbit(management=True)
        self.postgres = PrivatePostgres()
        self.processes: dict[str, Process] = {}
        self.names = [p.name for p in read_procfile()]
        self.lock = threading.Lock()
        self.system: SystemEnv | None = None
        # Processes found dead that no fault of ours killed (each restarted, and reported).
        self.unplanned_exits: list[str] = []

    @property
    def env(self) -> SystemEnv:
        assert self.system is not None, "start() the chaos system first"
        return self.system

    # -- start and stop --------------------------------------------------------------------------------

    def start(self) -> None:
        self.rabbit.start()
        self.postgres.start()
        self.system = system_env(
            DB_NAME,
            self.rabbit.amqp_uri,
            self.workdir,
            CASEREV_DB_PORT=str(self.postgres.port),
            CASEREV_DB_ADMIN_URL=self.postgres.dsn,
            CASEREV_CHRONOLOGY_BROKER_MANAGEMENT_URL=self.rabbit.management_url,
        )
        caserev(self.env, "migrate", timeout=300)
        for name in self.names:
            self.processes[name] = Process(self.env, name).start()
        for name in self.names:
            self.wait_up(name, timeout=90)
        caserev(self.env, "seed-demo", timeout=300)

    def close(self) -> None:
        def stop(process: Process) -> None:
            with contextlib.suppress(Exception):
                process.stop(timeout=15)
            with contextlib.suppress(Exception):
                process.kill()

        threads = [threading.Thread(target=stop, args=(p,)) for p in self.processes.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.rabbit.close()
        self.postgres.close()

    # -- faults ----------------------------------------------------------------------------------------

    def kill(self, name: str) -> None:
        """SIGKILL a process (its whole process group, as a crash would) and start it again at once."""
        with self.lock:
            self.processes[name].kill()
            self.processes[name] = Process(self.env, name).start()

    def restart_broker(self) -> float:
        """Stop the broker node and start it again on the same data; seconds it was away."""
        began = time.monotonic()
        self.rabbit.stop()
        self.rabbit.start()
        return time.monotonic() - began

    def restart_postgres(self) -> float:
        """Crash the database (`pg_ctl stop -m immediate`, no checkpoint) and start it: crash recovery."""
        began = time.monotonic()
        self.postgres.kill()
        self.postgres.start()
        return time.monotonic() - began

    def revive(self) -> list[str]:
        """Start again any process that died of its own accord (a supervisor would); their names."""
        revived = []
        with self.lock:
            for name, process in list(self.processes.items()):
                if not process.running:
                    code = process.popen.returncode if process.popen else None
                    self.unplanned_exits.append(f"{name} (exit {code})")
                    self.processes[name] = Process(self.env, name).start()
                    revived.append(name)
        return revived

    # -- waiting ---------------------------------------------------------------------------------------

    def up(self, name: str) -> bool:
        """Whether a process answers: a service's metrics port, the gateway's /healthz, the SMTP port."""
        try:
            if name in (*SERVICES, "queues"):
                return httpx.get(self.env.metrics_url(name), timeout=5).status_code == 200
            if name == "gateway":
                return httpx.get(f"{self.env.gateway_url}/healthz", timeout=5).status_code == 200
            import socket

            with socket.create_connection(("127.0.0.1", int(self.env.env["CASEREV_SMTP_PORT"])), timeout=2):
                return True
        except (httpx.HTTPError, OSError):
            return False

    def wait_up(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.up(name):
                return
            if not self.processes[name].running:
                self.revive()
            time.sleep(0.3)
        raise AssertionError(f"{name} did not come up within {timeout}s:\n{self.processes[name].log_tail()}")

    # -- reading -----------------------------------------------------------------------------------------

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        """One statement on the system's database as the superuser."""
        conn = psycopg2.connect(self.postgres.dsn_for(DB_NAME), connect_timeout=10)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(query, params or None)  # no params: '%' is a plain character
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def queue_depths(self) -> dict[str, int]:
        """Every queue of the broker and its messages (ready and unacknowledged)."""
        result = self.rabbit.cli("rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name", "messages")
        depths = {}
        for line in result.stdout.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                depths[parts[0]] = int(parts[1])
        return depths

    def caserev(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return caserev(self.env, *args, check=check, timeout=300)
