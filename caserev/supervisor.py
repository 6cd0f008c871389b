"""`caserev run`: migrate, start every process of deploy/Procfile, wait until healthy, load the demo,
print the address; stop everything on Ctrl-C, or when any process dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from caserev.topology import ROOT
from services.kernel.config import OperatorSettings

PROCFILE = ROOT / "deploy" / "Procfile"
COLOURS = ["36", "33", "32", "35", "34", "31", "96"]


@dataclass
class Process:
    """One line of the Procfile."""

    name: str
    command: str


def read_procfile(path: Path = PROCFILE) -> list[Process]:
    """The processes of a Procfile, in order."""
    processes = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes.append(Process(name.strip(), command.strip()))
    return processes


def _pump(name: str, colour: str, stream: object, log_dir: Path) -> None:
    prefix = f"\033[{colour}m{name:>13} |\033[0m " if sys.stdout.isatty() else f"{name:>13} | "
    with open(log_dir / f"{name}.log", "a", encoding="utf-8") as log:
        for line in stream:  # type: ignore[attr-defined]
            log.write(line)
            log.flush()
            sys.stdout.write(prefix + line)
            sys.stdout.flush()


def wait_healthy(
    url: str, children: list[tuple[Process, subprocess.Popen[str]]], timeout: float = 90.0
) -> dict:
    """Poll the gateway's /healthz until every part reports ok; fail at once if a process exits."""
    deadline = time.monotonic() + timeout
    last: dict = {}
    while time.monotonic() < deadline:
        for process, child in children:
            if child.poll() is not None:
                raise RuntimeError(
                    f"{process.name} exited with {child.returncode} while starting (its log is above)"
                )
        try:
            response = httpx.get(f"{url}/healthz", timeout=5)
            last = response.json()
            if response.status_code == 200:
                return last
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the system did not become healthy in {timeout:.0f}s; last report: {last}")


def run(settings: OperatorSettings, *, seed: bool = True) -> int:
    """Bring the whole system up in the foreground."""
    from caserev.operations import migrate

    log_dir = Path(os.environ.get("CASEREV_LOG_DIR", ROOT / "var" / "log"))
    log_dir.mkdir(parents=True, exist_ok=True)
    print("Migrating the database and declaring the broker's queues ...", flush=True)
    migrate(settings)

    children: list[tuple[Process, subprocess.Popen[str]]] = []
    stopping = threading.Event()

    def stop_all(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    # The Procfile's commands (nameko, uvicorn, caserev) come from the interpreter's own environment,
    # whether or not the virtualenv is activated.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    environment = {**os.environ, "PATH": path, "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1"}
    for index, process in enumerate(read_procfile()):
        child = subprocess.Popen(
            ["/bin/sh", "-c", process.command],
            cwd=ROOT,
            env={**environment, "CASEREV_PROCESS": process.name},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        children.append((process, child))
        threading.Thread(
            target=_pump,
            args=(process.name, COLOURS[index % len(COLOURS)], child.stdout, log_dir),
            daemon=True,
        ).start()

    exit_code = 0
    try:
        gateway = (
            f"http://{os.environ.get('GATEWAY_HOST', '127.0.0.1')}:{os.environ.get('GATEWAY_PORT', '8000')}"
        )
        wait_healthy(gateway, children)
        if seed:
            from caserev.demo import seed_demo

            seed_demo(settings)
        print(banner(gateway, seed, settings), flush=True)
        while not stopping.is_set():
            for process, child in children:
                if child.poll() is not None:
                    print(f"{process.name} exited with {child.returncode}: stopping everything", flush=True)
                    exit_code = 1
                    stopping.set()
            stopping.wait(0.5)
    except Exception as exc:
        print(f"caserev run: {exc}", file=sys.stderr, flush=True)
        exit_code = 1
    finally:
        _terminate(children)
    return exit_code


def _terminate(children: list[tuple[Process, subprocess.Popen[str]]]) -> None:
    for _, child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for _, child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)


def banner(gateway: str, seeded: bool, settings: OperatorSettings | None = None) -> str:
    """What a newcomer needs once the system is up."""
    lines = [
        "",
        "Case Review is running.",
        f"  Open {gateway}/",
        f"  Reviews:       {gateway}/reviews",
        f"  Caught e-mail: {gateway}/demo/mail",
        f"  Health:        {gateway}/healthz     Metrics: {gateway}/metrics",
        f"  API:           {gateway}/openapi.json",
    ]
    if seeded and settings is not None:
        from caserev.demo import sign_in_help

        lines.append(
            "  Demo: the synthetic Northbridge and Eastmoor partnerships, with people in every role."
        )
        lines.extend(sign_in_help(settings, gateway))
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)
