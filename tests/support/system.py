"""Start Case Review's processes for tests exactly as `make run` does (the Procfile's commands), but on an
isolated database, virtual host, maildir and free ports, so that suites can run side by side."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from caserev.supervisor import read_procfile
from services.kernel import caller_seal
from services.kernel.config import Settings
from tests.support.infra import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVICES = ("forms", "meetings", "actions", "notifications", "analytics", "chronology", "reports")


@dataclass
class SystemEnv:
    """Where one test system lives."""

    db_name: str
    amqp_uri: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.env['GATEWAY_PORT']}"

    @property
    def maildir(self) -> Path:
        return Path(self.env["CASEREV_MAILDIR"])

    def sealed(self, actor: dict, to: str) -> dict:
        """`actor` sealed for the method `to` with this system's caller key, as the gateway sends it."""
        return caller_seal.seal(
            actor, to, settings=Settings(caller_signing_key=self.env["CASEREV_CALLER_SIGNING_KEY"])
        )

    def metrics_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.env[f'{service.upper()}_METRICS_PORT']}/metrics"


def system_env(db_name: str, amqp_uri: str, workdir: Path, **overrides: str) -> SystemEnv:
    """Environment variables for every process of one isolated system."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        # The code under test is this checkout's, even where the virtualenv's editable install points at
        # another (a git worktree sharing one .venv): console scripts would otherwise import from there.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "CASEREV_DB_NAME": db_name,
        "AMQP_URI": amqp_uri,
        "CASEREV_MAILDIR": str(workdir / "mail"),
        "CASEREV_LOG_DIR": str(workdir / "log"),
        "CASEREV_SMTP_PORT": str(free_port()),
        "GATEWAY_PORT": str(free_port()),
        "PYTHONWARNINGS": "ignore",
        "PYTHONUNBUFFERED": "1",
        "CASEREV_OUTBOX_SWEEP_S": "0.5",
        # The demo's synthetic England, small (about 4,000 events, not 16,000); every region holds some.
        "CASEREV_DEMO_NATIONAL_YEARS": "1",
        "CASEREV_DEMO_NATIONAL_PARTNERSHIPS": "12",
        # Each system has its own gateway key and demo credentials, never the developer's own.
        "CASEREV_IDENTITY_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "CASEREV_DEMO_CREDENTIALS_FILE": str(workdir / "demo-credentials.json"),
        "CASEREV_CALLER_SIGNING_KEY": caller_seal.new_key_pair()[0],
    }
    env["CASEREV_PUBLIC_URL"] = f"http://127.0.0.1:{env['GATEWAY_PORT']}"
    for service in (*SERVICES, "queues"):
        env[f"{service.upper()}_METRICS_PORT"] = str(free_port())
    env.update(overrides)
    return SystemEnv(db_name, amqp_uri, workdir, env)


def caserev(
    system: SystemEnv, *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the operator's command against the test system; raises with its output if it fails (unless
    `check` is False, for tests of its refusals)."""
    result = subprocess.run(
        [str(BIN / "caserev"), *args],
        env=system.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"caserev {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


class Process:
    """One Procfile process of a test system."""

    def __init__(self, system: SystemEnv, name: str) -> None:
        commands = {p.name: p.command for p in read_procfile()}
        self.system, self.name, self.command = system, name, commands[name]
        self.log_path = system.workdir / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it for its lifetime
        self.popen = subprocess.Popen(
            ["/bin/sh", "-c", self.command],
            cwd=ROOT,
            env={**self.system.env, "CASEREV_PROCESS": self.name},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean-up runs."""
        if self.running:
            assert self.popen is not None
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM and wait (SIGKILL after `timeout`)."""
        if self.running:
            assert self.popen is not None
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_metrics(self, timeout: float = 30) -> None:
        """Wait until the service's metrics port answers (its container has started)."""
        url = self.system.metrics_url(self.name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise AssertionError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not start within {timeout}s:\n{self.log_tail()}")


@contextmanager
def processes(system: SystemEnv, *names: str) -> Iterator[dict[str, Process]]:
    """Start some Procfile processes; stop them all afterwards."""
    started = {name: Process(system, name).start() for name in names}
    try:
        for name, process in started.items():
            if name in SERVICES:
                process.wait_metrics()
        yield started
    finally:
        for process in started.values():
            process.stop()


def wait_for(condition, timeout: float = 30, interval: float = 0.2, message: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll `condition()` until it returns something truthy; fail with `message` after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}; last value: {last!r}")


@contextmanager
def running_system(system: SystemEnv, *, demo: bool = False, timeout: float = 120) -> Iterator[SystemEnv]:
    """The whole system as `make run` starts it (`caserev run`), until the block ends."""
    log_path = system.workdir / "caserev-run.log"
    log = open(log_path, "ab")  # noqa: SIM115
    args = [str(BIN / "caserev"), "run"] + ([] if demo else ["--no-demo"])
    popen = subprocess.Popen(
        args, cwd=ROOT, env=system.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:

        def ready() -> bool:
            if popen.poll() is not None:
                raise AssertionError(
                    f"caserev run exited {popen.returncode}:\n{log_path.read_text()[-4000:]}"
                )
            return "Case Review is running." in log_path.read_text(errors="replace")

        wait_for(ready, timeout=timeout, interval=0.5, message="caserev run to report the system running")
        yield system
    finally:
        if popen.poll() is None:
            os.killpg(popen.pid, signal.SIGTERM)
            try:
                popen.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(popen.pid, signal.SIGKILL)
        log.close()
