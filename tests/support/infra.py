"""Isolated and private infrastructure for integration, end-to-end and chaos tests.

Two kinds of isolation are offered:

* :func:`isolated_vhost` and :func:`isolated_database` carve a throw-away virtual host and database out
  of the machine's shared RabbitMQ and PostgreSQL.  They are cheap and are what ordinary integration
  tests use.
* :class:`PrivateRabbit` and :class:`PrivatePostgres` run a private broker node or database cluster on
  free ports in a temporary directory.  Tests that stop, kill or restart the broker or the database use
  these, so the machine's shared services are never stopped or disturbed.

When the tests run as root the private servers run as the ``rabbitmq`` and ``postgres`` OS users (via
``runuser``), exactly like the packaged services; otherwise they run as the current user.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import amqp
import httpx
import psycopg2
from psycopg2 import sql

__all__ = [
    "PrivatePostgres",
    "PrivateRabbit",
    "database_dsn",
    "free_port",
    "isolated_database",
    "isolated_vhost",
    "owner_mark",
    "sweep_orphan_vhosts",
    "unique_name",
]

NAME_PREFIX = "caserev_t_"
DEFAULT_AMQP_BASE = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_MGMT = "http://127.0.0.1:15672"
DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"

RABBITMQ_LIB_BIN = Path("/usr/lib/rabbitmq/bin")
RABBITMQ_HOME = "/var/lib/rabbitmq"


class InfraError(RuntimeError):
    """A private server or isolated resource could not be set up or torn down."""


# --------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------


def unique_name(prefix: str = NAME_PREFIX) -> str:
    """Return ``prefix`` followed by 8 random hex digits, e.g. ``caserev_t_1f2e3d4c``."""
    return f"{prefix}{secrets.token_hex(4)}"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free a moment ago, found by binding port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Return ``count`` distinct free ports (all sockets are held open together so they differ)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Return whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _run_as_prefix(user: str) -> list[str]:
    """Return the command prefix that runs a command as ``user`` (empty when that is not possible)."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", user, "--"]


def _chown_tree(path: Path, user: str) -> None:
    """Give ``path`` and everything under it to ``user`` (only when running as root)."""
    if os.geteuid() != 0:
        return
    for root, dirs, files in os.walk(path):
        shutil.chown(root, user, user)
        for name in (*dirs, *files):
            shutil.chown(os.path.join(root, name), user, user)


def _tail(paths: Sequence[Path], lines: int = 40) -> str:
    """Return the last ``lines`` lines of each existing file in ``paths``, labelled."""
    chunks: list[str] = []
    for path in paths:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        tail = "\n".join(text.splitlines()[-lines:])
        chunks.append(f"--- {path} (last {lines} lines) ---\n{tail}")
    return "\n".join(chunks) if chunks else "(no log output)"


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """Return ``(state, ppid, pgid)`` of a live process, or ``None`` if it is gone or a zombie."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    state, ppid, pgid = fields[0], int(fields[1]), int(fields[2])
    if state in ("Z", "X"):
        return None
    return state, ppid, pgid


def _proc_comm(pid: int) -> str:
    """Return the short command name of a process ('' when it is gone)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _all_pids() -> list[int]:
    """Return the ids of all processes visible in /proc."""
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _process_tree(pgid: int, extra_roots: Sequence[int] = ()) -> set[int]:
    """Return the members of process group ``pgid`` plus all descendants of them and of ``extra_roots``.

    ``epmd`` is never included: it is shared by every Erlang node on the machine.
    """
    stats = {pid: stat for pid in _all_pids() if (stat := _proc_stat(pid)) is not None}
    found = {pid for pid, (_, _, group) in stats.items() if group == pgid}
    found.update(pid for pid in extra_roots if pid in stats)
    changed = True
    while changed:
        children = {pid for pid, (_, ppid, _) in stats.items() if ppid in found and pid not in found}
        found |= children
        changed = bool(children)
    return {pid for pid in found if _proc_comm(pid) != "epmd"}


def _pids_mentioning(needle: str) -> set[int]:
    """Live processes (not ``epmd``) whose command line or environment mentions ``needle``: what a node left
    behind outside its process group (a helper that started a session of its own)."""
    found = set()
    for pid in _all_pids():
        try:
            blob = Path(f"/proc/{pid}/cmdline").read_bytes() + Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if needle.encode() in blob and pid != os.getpid() and _proc_comm(pid) != "epmd":
            found.add(pid)
    return found


def _wait_gone(pids: set[int], timeout: float) -> set[int]:
    """Wait until none of ``pids`` is alive; return those still alive after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if _proc_stat(pid) is not None}
        if alive:
            time.sleep(0.05)
    return alive


# --------------------------------------------------------------------------------------------------
# isolation inside the machine's shared services
# --------------------------------------------------------------------------------------------------


OWNER_MARK = "caserev test run: pid {pid} started {started}"


def process_started(pid: int) -> str | None:
    """When a process started, in clock ticks since boot (field 22 of /proc/PID/stat), or None if it is gone.
    With the pid it names one process, even after the pid is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def owner_mark(pid: int | None = None) -> str:
    """The description an isolated vhost carries: the process that made it, so a later run can tell an
    orphan (its maker gone) from one in use."""
    pid = os.getpid() if pid is None else pid
    return OWNER_MARK.format(pid=pid, started=process_started(pid))


def orphaned(description: str) -> bool:
    """Whether a vhost described so was made by a test run whose process is gone."""
    words = description.split()
    if not description.startswith(OWNER_MARK.split("{", 1)[0]) or len(words) < 2:
        return False
    try:
        pid = int(words[words.index("pid") + 1])
    except (ValueError, IndexError):
        return False
    return owner_mark(pid) != description


def sweep_orphan_vhosts(client: httpx.Client) -> list[str]:
    """Delete the isolated vhosts of test runs that were killed before they could (a time-out, SIGKILL, a
    crashed CI job). Each holds a hundred quorum queues, and a node carrying dozens of them answers its
    management API slowly or not at all, so every later run would hang. Returns the names deleted."""
    response = client.get("/api/vhosts", params={"columns": "name,description"})
    response.raise_for_status()
    swept = []
    for vhost in response.json():
        name = vhost.get("name", "")
        if name.startswith(NAME_PREFIX) and orphaned(vhost.get("description") or ""):
            gone = client.delete(f"/api/vhosts/{quote(name, safe='')}")
            if gone.status_code in (204, 404):
                swept.append(name)
    return swept


@contextlib.contextmanager
def isolated_vhost(amqp_base: str = DEFAULT_AMQP_BASE, mgmt: str = DEFAULT_MGMT) -> Iterator[str]:
    """Create a fresh virtual host ``caserev_t_<8 hex>`` and yield an AMQP URI for it.

    The vhost is created through the management HTTP API (with the credentials of ``amqp_base``), marked
    with the process that made it, the AMQP user is given full permissions on it, and the vhost is deleted
    on exit. Orphans of killed runs are deleted first (:func:`sweep_orphan_vhosts`).
    """
    parts = urlsplit(amqp_base)
    user = unquote(parts.username or "guest")
    password = unquote(parts.password or "guest")
    name = unique_name()
    quoted = quote(name, safe="")
    uri = urlunsplit((parts.scheme, parts.netloc, "/" + quoted, parts.query, parts.fragment))
    with httpx.Client(base_url=mgmt, auth=(user, password), timeout=30.0) as client:
        sweep_orphan_vhosts(client)
        response = client.put(f"/api/vhosts/{quoted}", json={"description": owner_mark()})
        response.raise_for_status()
        try:
            response = client.put(
                f"/api/permissions/{quoted}/{quote(user, safe='')}",
                json={"configure": ".*", "write": ".*", "read": ".*"},
            )
            response.raise_for_status()
            yield uri
        finally:
            response = client.delete(f"/api/vhosts/{quoted}")
            if response.status_code not in (204, 404):
                response.raise_for_status()


def database_dsn(name: str, admin_dsn: str = DEFAULT_ADMIN_DSN) -> str:
    """Return ``admin_dsn`` (a ``postgresql://`` URL) with its database replaced by ``name``."""
    parts = urlsplit(admin_dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(name, safe=""), parts.query, parts.fragment))


@contextlib.contextmanager
def isolated_database(admin_dsn: str = DEFAULT_ADMIN_DSN) -> Iterator[str]:
    """Create a fresh database ``caserev_t_<8 hex>`` and yield its name; drop it on exit.

    On exit every backend still connected to it is terminated before ``DROP DATABASE``.  Use
    :func:`database_dsn` to turn the name into a connection URL.
    """
    name = unique_name()
    _admin_execute(admin_dsn, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        _admin_execute(
            admin_dsn,
            sql.SQL("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {}").format(
                sql.Literal(name)
            ),
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
        )


def _admin_execute(admin_dsn: str, *statements: sql.Composable) -> None:
    """Run ``statements`` in autocommit mode (CREATE/DROP DATABASE cannot run in a transaction)."""
    conn = psycopg2.connect(admin_dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------------
# private RabbitMQ node
# --------------------------------------------------------------------------------------------------


class PrivateRabbit:
    """A private RabbitMQ node on free ports with its data in a temporary directory.

    For tests that stop, kill or restart the broker.  Debian's ``rabbitmq-server`` starts a second node
    next to the machine's one when it is given its own node name, ports, data and log directories, an
    empty plugins file (the machine's ``enabled_plugins`` would start the management plugin on port
    15672, which the main node already holds) and its own ``rabbitmq.conf`` (the machine's one pins the
    AMQP listener to 5672).  The node registers with the machine's ``epmd``, which is never touched.

    Usage::

        with PrivateRabbit() as rabbit:       # started
            publish(rabbit.amqp_uri)
            rabbit.stop()                     # or rabbit.kill()
            rabbit.start()                    # same data directory: durable state survives
    """

    def __init__(
        self, *, start_timeout: float = 60.0, user: str = "rabbitmq", management: bool = False
    ) -> None:
        """Allocate ports and prepare the temporary directory; the node is not started yet. With
        `management`, the node runs the management plugin on a port of its own (`management_url`)."""
        self.start_timeout = start_timeout
        self.user = user
        self.port, self.dist_port, self.management_port = _free_ports(3)
        self.management = management
        self.nodename = f"caserevtest{self.port}@localhost"
        self.base_dir = Path(tempfile.mkdtemp(prefix="caserev_rabbit_"))
        self.mnesia_dir = self.base_dir / "mnesia"
        self.log_dir = self.base_dir / "log"
        self.console_log = self.base_dir / "console.log"
        self.pid_file = self.base_dir / "rabbitmq.pid"
        self.mnesia_dir.mkdir()
        self.log_dir.mkdir()
        (self.base_dir / "enabled_plugins").write_text("[rabbitmq_management].\n" if management else "[].\n")
        (self.base_dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users.guest = true\n"
            + (
                f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.management_port}\n"
                if management
                else ""
            )
        )
        (self.base_dir / "advanced.config").write_text("[].\n")
        (self.base_dir / "rabbitmq-env.conf").write_text("")
        self.base_dir.chmod(0o755)
        _chown_tree(self.base_dir, user)
        self._proc: subprocess.Popen[bytes] | None = None
        self._console: int | None = None
        self._closed = False
        self.last_start_seconds: float | None = None
        self.last_stop_seconds: float | None = None
        atexit.register(self.close)

    # -- properties ---------------------------------------------------------------------------------

    @property
    def amqp_uri(self) -> str:
        """AMQP URI of the node's default virtual host ``/``."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def management_url(self) -> str:
        """The management API's address (only when the node was made with `management=True`)."""
        return f"http://127.0.0.1:{self.management_port}"

    @property
    def log_file(self) -> Path:
        """The node's main log file."""
        return self.log_dir / f"{self.nodename}.log"

    @property
    def running(self) -> bool:
        """Whether the node's server process is alive (it may still be booting)."""
        return self._proc is not None and self._proc.poll() is None

    def env(self) -> dict[str, str]:
        """Environment for ``rabbitmq-server`` and the CLI tools that points them at this node only."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.pop("NOTIFY_SOCKET", None)  # under systemd the script would exec erl without signal handling
        base = self.base_dir
        env.update(
            {
                "HOME": RABBITMQ_HOME if os.geteuid() == 0 else env.get("HOME", str(base)),
                "RABBITMQ_NODENAME": self.nodename,
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "RABBITMQ_NODE_PORT": str(self.port),
                "RABBITMQ_DIST_PORT": str(self.dist_port),
                "RABBITMQ_MNESIA_BASE": str(self.mnesia_dir),
                "RABBITMQ_LOG_BASE": str(self.log_dir),
                "RABBITMQ_PID_FILE": str(self.pid_file),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
                "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
                "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
                "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
                "ERL_EPMD_ADDRESS": "127.0.0.1",
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            }
        )
        return env

    # -- CLI ------------------------------------------------------------------------------------------

    def cli(self, tool: str, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run ``tool`` (``rabbitmqctl``, ``rabbitmq-diagnostics``...) with ``-n NODE`` against this node."""
        cmd = [*_run_as_prefix(self.user), str(RABBITMQ_LIB_BIN / tool), "-n", self.nodename, *args]
        return subprocess.run(
            cmd,
            env=self.env(),
            cwd=self.base_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ping(self) -> bool:
        """Whether the Erlang node answers ``rabbitmq-diagnostics ping`` (true before AMQP is ready)."""
        try:
            return self.cli("rabbitmq-diagnostics", "-q", "ping", timeout=15).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def amqp_ready(self) -> bool:
        """Whether an AMQP client can connect and log in."""
        if not _port_open(self.port):
            return False
        conn = amqp.Connection(
            host=f"127.0.0.1:{self.port}", userid="guest", password="guest", connect_timeout=2
        )
        try:
            conn.connect()
            return True
        except Exception:
            return False
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    def log_tail(self, lines: int = 40) -> str:
        """The tails of the console output and the node log, for error messages."""
        return _tail([self.console_log, self.log_file], lines)

    # -- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the node in the foreground (own process group) and wait until AMQP logins succeed.

        Raises :class:`InfraError` with the tail of the logs when the node exits or is not ready within
        ``start_timeout`` seconds.
        """
        self._check_open()
        if self.running:
            return
        if _port_open(self.port):
            raise InfraError(f"port {self.port} for private RabbitMQ {self.nodename} is already in use")
        began = time.monotonic()
        self._console = os.open(self.console_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        cmd = [*_run_as_prefix(self.user), str(RABBITMQ_LIB_BIN / "rabbitmq-server")]
        self._proc = subprocess.Popen(
            cmd,
            env=self.env(),
            cwd=self.base_dir,
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = began + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._reap()
                raise InfraError(
                    f"private RabbitMQ {self.nodename} exited with code {code} while starting\n"
                    + self.log_tail()
                )
            if self.amqp_ready():
                self.last_start_seconds = time.monotonic() - began
                return
            time.sleep(0.1)
        tail = self.log_tail()
        self.kill()
        raise InfraError(
            f"private RabbitMQ {self.nodename} not ready within {self.start_timeout:.0f}s\n{tail}"
        )

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the node gracefully with ``rabbitmqctl stop`` and wait for it to exit (kill if it won't)."""
        if not self.running:
            self._reap()
            return
        assert self._proc is not None
        began = time.monotonic()
        try:
            self.cli("rabbitmqctl", "stop", timeout=timeout)
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        leftovers = _process_tree(self._proc.pid, self._beam_pids())
        if _wait_gone(leftovers, timeout):
            self.kill()
            return
        self.last_stop_seconds = time.monotonic() - began
        self._reap()

    def kill(self) -> None:
        """SIGKILL the node's process group and descendants (never ``epmd``); wait until all are gone."""
        if self._proc is None:
            return
        victims = _process_tree(self._proc.pid, self._beam_pids()) | _pids_mentioning(str(self.base_dir))
        for _ in range(3):
            for pid in victims:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=10)
            victims = _wait_gone(
                victims | _process_tree(self._proc.pid) | _pids_mentioning(str(self.base_dir)), 10
            )
            if not victims:
                break
        if victims:
            raise InfraError(f"could not kill private RabbitMQ {self.nodename}: pids {sorted(victims)}")
        self._reap()

    def restart(self) -> None:
        """Stop the node if it runs and start it again on the same data directory."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Kill the node if it still runs and remove the temporary directory (idempotent)."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        try:
            if self.running:
                self.kill()
            self._reap()
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PrivateRabbit:
        """Start the node."""
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Shut the node down and remove its directory."""
        self.close()

    # -- internals -------------------------------------------------------------------------------------

    def _beam_pids(self) -> list[int]:
        """The Erlang VM's OS pid from the pid file, if there is one."""
        try:
            return [int(self.pid_file.read_text().strip())]
        except (OSError, ValueError):
            return []

    def _reap(self) -> None:
        """Forget the finished server process and close the console log."""
        if self._proc is not None and self._proc.poll() is not None:
            self._proc = None
        if self._proc is None and self._console is not None:
            os.close(self._console)
            self._console = None
        if self._proc is None:
            with contextlib.suppress(OSError):
                self.pid_file.unlink()

    def _check_open(self) -> None:
        """Refuse to act once :meth:`close` has run."""
        if self._closed:
            raise InfraError("this PrivateRabbit has been closed")


# --------------------------------------------------------------------------------------------------
# private PostgreSQL cluster
# --------------------------------------------------------------------------------------------------


def postgres_bin_dir() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has ``initdb`` and ``pg_ctl``."""
    candidates = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    candidates = [c for c in candidates if (c / "pg_ctl").exists()]
    if not candidates:
        raise InfraError("no PostgreSQL server binaries found under /usr/lib/postgresql/*/bin")
    return max(candidates, key=lambda c: int(c.parent.name) if c.parent.name.isdigit() else 0)


class PrivatePostgres:
    """A private PostgreSQL cluster on a free port with its data in a temporary directory.

    For tests that stop, kill or restart the database.  The cluster is created with ``initdb`` (trust
    authentication, superuser ``postgres``) on first start, listens on 127.0.0.1 and on a Unix socket in
    its own directory, and is driven with ``pg_ctl``.

    Usage::

        with PrivatePostgres() as pg:          # started
            psycopg2.connect(pg.dsn)
            pg.kill()                          # crash: ``pg_ctl stop -m immediate``
            pg.start()                         # crash recovery; committed rows survive
    """

    def __init__(self, *, start_timeout: float = 60.0, user: str = "postgres") -> None:
        """Allocate a port and prepare the temporary directory; ``initdb`` runs on the first start."""
        self.start_timeout = start_timeout
        self.user = user
        self.bin_dir = postgres_bin_dir()
        self.port = free_port()
        self.base_dir = Path(tempfile.mkdtemp(prefix="caserev_pg_"))
        self.data_dir = self.base_dir / "data"
        self.socket_dir = self.base_dir / "sock"
        self.log_file = self.base_dir / "postgres.log"
        self.socket_dir.mkdir()
        self.base_dir.chmod(0o755)
        _chown_tree(self.base_dir, user)
        self._closed = False
        self.last_start_seconds: float | None = None
        self.last_stop_seconds: float | None = None
        self.initdb_seconds: float | None = None
        atexit.register(self.close)

    @property
    def dsn(self) -> str:
        """Connection URL of the ``postgres`` database as the ``postgres`` superuser over TCP."""
        return self.dsn_for("postgres")

    def dsn_for(self, dbname: str) -> str:
        """Connection URL of database ``dbname`` on this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{quote(dbname, safe='')}"

    @property
    def running(self) -> bool:
        """Whether ``pg_ctl status`` reports a running server."""
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        return self._pg_ctl("status", check=False).returncode == 0

    def log_tail(self, lines: int = 40) -> str:
        """The tail of the server log, for error messages."""
        return _tail([self.log_file], lines)

    def _run(
        self, *args: str, check: bool = True, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """Run a command as the cluster's OS user, raising :class:`InfraError` on failure if ``check``."""
        cmd = [*_run_as_prefix(self.user), *args]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        result = subprocess.run(
            cmd, env=env, cwd=self.base_dir, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise InfraError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}\n"
                + self.log_tail()
            )
        return result

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``pg_ctl -D DATA_DIR *args``."""
        return self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args, check=check)

    def initdb(self) -> None:
        """Create the cluster (idempotent)."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        began = time.monotonic()
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        self.initdb_seconds = time.monotonic() - began

    def start(self) -> None:
        """Start the server (running ``initdb`` first if needed) and wait until it accepts connections."""
        if self._closed:
            raise InfraError("this PrivatePostgres has been closed")
        self.initdb()
        if self.running:
            return
        if _port_open(self.port):
            raise InfraError(f"port {self.port} for private PostgreSQL is already in use")
        began = time.monotonic()
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
        timeout = str(int(self.start_timeout))
        log = str(self.log_file)
        result = self._pg_ctl("-o", options, "-l", log, "-w", "-t", timeout, "start", check=False)
        if result.returncode != 0:
            raise InfraError(
                f"private PostgreSQL on port {self.port} did not start ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}\n{self.log_tail()}"
            )
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                psycopg2.connect(self.dsn, connect_timeout=2).close()
                break
            except psycopg2.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise InfraError(f"private PostgreSQL not accepting connections: {exc}") from exc
                time.sleep(0.1)
        self.last_start_seconds = time.monotonic() - began

    def stop(self) -> None:
        """Stop the server cleanly (``pg_ctl stop -m fast``: disconnect clients, checkpoint)."""
        if not self.running:
            return
        began = time.monotonic()
        self._pg_ctl("-w", "-m", "fast", "stop")
        self.last_stop_seconds = time.monotonic() - began

    def kill(self) -> None:
        """Crash the server (``pg_ctl stop -m immediate``: no checkpoint, recovery on next start)."""
        if not self.running:
            return
        self._pg_ctl("-w", "-m", "immediate", "stop")

    def restart(self) -> None:
        """Stop the server if it runs and start it again on the same data directory."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server (immediately) and remove the temporary directory (idempotent)."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        try:
            self.kill()
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        """Start the server."""
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Shut the server down and remove its directory."""
        self.close()
