"""`make bench-report`: reports written together. --editors simulated editors (20) type --rate characters
a second (5) each for --seconds (60) into one shared section of a rapid review report holding --pages pages
(100, of 500 words) of synthetic text over its 13 sections; beside it, the same editors on the same document
served by a bare pycrdt-websocket server (tests/perf/report_baseline.py) under the same uvicorn, in the same
run. Prints a markdown table (docs/performance.md explains it). Figures, never assertions.

The system is deploy/Procfile's processes (as `make run` starts them) on a throw-away database and a private
RabbitMQ node with its management plugin (as bench-analytics runs it; --shared-broker: a virtual host of the
machine's node instead), with the demo loaded (`caserev seed-demo`). The editors are Python websocket
clients of the Yjs sync protocol (tests/perf/report_editors.py), signed in through the sign-in form as four
of the demo's people who may change the section (the business manager, the independent reviewer, the
police's lead and author), their websockets dealt in turn (five each for 20 editors, as five tabs would be).
Each types into a paragraph of its own at the end of the same section, so that each keystroke goes to every
other editor.

Figures, for each server:

* edit → other editors: for every keystroke and every other editor, from just before it is sent to when the
  other editor has applied it (all on the benchmark's clock); p50 and p95.
* server CPU: CPU seconds of the server's processes over the typing (and until every keystroke has arrived),
  as a share of one core. The system: the gateway and the reports service (its PostgreSQL backends and the
  shared broker node are in the details); the baseline: its uvicorn.
* memory: resident set of the same processes at the end of the typing.
* load: an editor's connect and sync until the server's state is applied: the shared section, by the editors
  all at once (p50, p95); the whole document, every section at once by one reader with no room open (median of
  --loads). The system also draws the document's page (HTML, every section's text) for the details.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg2  # noqa: E402

from caserev.supervisor import read_procfile  # noqa: E402
from tests.e2e.helpers import SignedIn, sign_in  # noqa: E402
from tests.perf import cpu  # noqa: E402
from tests.perf.bench_analytics import managed  # noqa: E402
from tests.perf.cpu import CpuMeter, broker_pids, cpu_seconds  # noqa: E402
from tests.perf.figures import percentile, say, uptime  # noqa: E402
from tests.perf.report_editors import Arrivals, Editor, Server  # noqa: E402
from tests.support.infra import (  # noqa: E402
    PrivateRabbit,
    database_dsn,
    free_port,
    isolated_database,
    isolated_vhost,
)
from tests.support.system import BIN, Process, SystemEnv, caserev, processes, system_env, wait_for  # noqa: E402

if "eventlet" in sys.modules:  # the benchmark times with the standard library and asyncio only
    raise SystemExit("bench_report: an import pulled in eventlet; the benchmark process must not run it")

MANAGER = "business.manager@northbridge.example"
# The demo's people who may change a section assigned to the police in the infant's review.
EDITORS = (
    MANAGER,
    "reviewer@northbridge.example",
    "police.lead@northbridge.example",
    "police.author@northbridge.example",
)
POLICE = "Northbridge Police"
REVIEW = "NB-2026-014"
WORDS_PER_PAGE = 500
WORDS_PER_PARAGRAPH = 100
# Neutral words for synthetic text: nothing about any real case.
VOCABULARY = " ".join(
    (
        "agency meeting record referral visit plan review health school police practitioner family home",
        "information shared assessment decision contact support service worker manager report note timeline",
        "professional concern follow discussion outcome action agreed weekly monthly recorded attended",
        "the a of and to in on for with was were by at from after before during",
    )
).split()


def rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    """A process's resident set (or its peak, VmHWM) in MB, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def synthetic_sections(pages: int, sections: int) -> list[list[str]]:
    """`pages` pages of synthetic paragraphs, dealt in order over the sections."""
    chooser = random.Random(14)
    paragraphs = [
        " ".join(chooser.choice(VOCABULARY) for _ in range(WORDS_PER_PARAGRAPH)).capitalize() + "."
        for _ in range(max(1, pages * WORDS_PER_PAGE // WORDS_PER_PARAGRAPH))
    ]
    per = -(-len(paragraphs) // sections)
    return [paragraphs[index * per : (index + 1) * per] for index in range(sections)]


# -- what one server gave ------------------------------------------------------------------------------------


@dataclass
class Figures:
    name: str
    latencies: list[float] = field(default_factory=list)
    expected_arrivals: int = 0
    keystrokes: int = 0
    typing_seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    cpu_seconds_over: float = 0.0
    rss: dict[str, float] = field(default_factory=dict)
    peak_rss: dict[str, float] = field(default_factory=dict)
    section_loads: list[float] = field(default_factory=list)
    document_loads: list[float] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    server_groups: tuple[str, ...] = ()
    dropped: int = 0

    def server_cpu_percent(self) -> float:
        used = sum(self.cpu[name] for name in self.server_groups)
        return 100 * used / self.cpu_seconds_over if self.cpu_seconds_over else float("nan")

    def server_rss(self) -> float:
        return sum(self.rss[name] for name in self.server_groups)


# -- the measurement, the same for both servers --------------------------------------------------------------


async def load_document(server: Server, sections: list[str]) -> float:
    """One reader opens every section at once; seconds until the last is loaded."""
    readers = [Editor(server, section) for section in sections]
    began = time.monotonic()
    try:
        await asyncio.gather(*(reader.open() for reader in readers))
        return time.monotonic() - began
    finally:
        await asyncio.gather(*(reader.close() for reader in readers))


async def measure(
    args: argparse.Namespace,
    figures: Figures,
    servers: list[Server],
    sections: list[str],
    shared: str,
    meter: CpuMeter,
    memory: dict[str, list[int]],
) -> None:
    """Load the document, open the editors, type, wait for every keystroke to arrive everywhere."""
    for _ in range(args.loads):
        figures.document_loads.append(await load_document(servers[0], sections))
        await asyncio.sleep(1)  # every room closed again: the next load finds none open
    arrivals = Arrivals()
    editors = [Editor(servers[index % len(servers)], shared, arrivals) for index in range(args.editors)]
    try:
        figures.section_loads = list(await asyncio.gather(*(editor.open() for editor in editors)))
        for editor in editors:
            await editor.start_paragraph()
        for editor in editors:
            await editor.round_trip()
        await asyncio.sleep(2)  # every editor's paragraph has reached every other
        alphabet = "abcdefghij klmnopqrst uvwxyz."
        arrivals.recording = True
        process_before = time.process_time()
        meter.start()
        began = time.monotonic()
        until = began + args.seconds
        typed = await asyncio.gather(
            *(
                editor.type(args.rate, until, index / (args.rate * len(editors)), alphabet)
                for index, editor in enumerate(editors)
            )
        )
        figures.typing_seconds = time.monotonic() - began
        figures.keystrokes = sum(typed)
        figures.expected_arrivals = figures.keystrokes * (len(editors) - 1)
        for name, pids in memory.items():
            figures.rss[name] = sum(rss_mb(pid) for pid in pids)
        drain_began = last_change = time.monotonic()
        arrived = len(arrivals.latencies)
        while arrived < figures.expected_arrivals and time.monotonic() - last_change < 15:
            await asyncio.sleep(0.05)  # until all have arrived, or none has for 15 s (a connection dropped)
            if len(arrivals.latencies) != arrived:
                arrived, last_change = len(arrivals.latencies), time.monotonic()
        figures.dropped = sum(editor.dropped for editor in editors)
        figures.cpu_seconds_over = time.monotonic() - began
        figures.cpu = meter.stop()
        client_cpu = time.process_time() - process_before
        figures.latencies = arrivals.latencies
        figures.notes["p50 ms of each sixth of the typing"] = ", ".join(
            ms(statistics.median(part)) if part else "-"
            for part in sixths(arrivals.latencies, arrivals.sent_at, began, figures.typing_seconds)
        )
        figures.notes["last keystroke arrived everywhere after the typing stopped, s"] = (
            f"{time.monotonic() - drain_began:.2f}"
        )
        figures.notes["benchmark process (the editors) CPU, % of a core"] = (
            f"{100 * client_cpu / figures.cpu_seconds_over:.0f}"
        )
        saved = sum(editor.saved_messages for editor in editors)
        if saved and not figures.dropped:
            await asyncio.gather(*(editor.kept() for editor in editors))
            figures.notes["every keystroke kept by the reports service after the typing stopped, s"] = (
                f"{time.monotonic() - until:.2f}"
            )
            figures.notes["saved messages received per editor"] = f"{saved / len(editors):.0f}"
        for name, pids in memory.items():
            figures.peak_rss[name] = sum(rss_mb(pid, "VmHWM") for pid in pids)
    finally:
        await asyncio.gather(*(editor.close() for editor in editors))


def sixths(latencies: list[float], sent_at: list[float], began: float, seconds: float) -> list[list[float]]:
    """The latencies of keystrokes sent in each sixth of the typing, in order: whether a queue builds."""
    parts: list[list[float]] = [[] for _ in range(6)]
    for latency, sent in zip(latencies, sent_at, strict=True):
        parts[min(5, max(0, int(6 * (sent - began) / seconds)))].append(latency)
    return parts


async def seed(server: Server, sections: list[str], texts: list[list[str]], kept: bool) -> None:
    """Paste each section's text as one writer; wait until the server has it (the system: has kept it)."""
    for section, paragraphs in zip(sections, texts, strict=True):
        writer = Editor(server, section)
        try:
            await writer.open()
            await writer.paste(paragraphs)
            await writer.round_trip()
            if kept:
                await writer.kept()
        finally:
            await writer.close()


# -- the system ----------------------------------------------------------------------------------------------


class ReportSystem:
    """Every Procfile process on an isolated database and virtual host, the demo loaded, and a report."""

    def __init__(self, workdir: Path, private_broker: bool = True) -> None:
        self.workdir = workdir
        self.private_broker = private_broker
        self.stack = contextlib.ExitStack()
        self.system: SystemEnv
        self.running: dict[str, Process] = {}
        self.people: dict[str, SignedIn] = {}
        self.review = self.document = ""
        self.sections: list[str] = []

    def __enter__(self) -> ReportSystem:
        db_name = self.stack.enter_context(isolated_database())
        overrides = {"CASEREV_DEMO_NATIONAL_PARTNERSHIPS": "9"}
        if self.private_broker:
            # The demo's chronology makes an agency system's broker user through the management plugin.
            rabbit, management_url = self.stack.enter_context(managed(PrivateRabbit()))
            cpu.BROKER_PORT[0] = rabbit.port
            amqp_uri = rabbit.amqp_uri
            overrides["CASEREV_CHRONOLOGY_BROKER_MANAGEMENT_URL"] = management_url
            overrides["CASEREV_CHRONOLOGY_AGENCY_AMQP_PORT"] = str(rabbit.port)
        else:
            amqp_uri = self._vhost()
        self.system = system_env(db_name, amqp_uri, self.workdir, **overrides)
        started = time.monotonic()
        caserev(self.system, "migrate")
        names = [process.name for process in read_procfile()]
        self.running = self.stack.enter_context(processes(self.system, *names))
        wait_for(self._healthy, timeout=120, interval=0.5, message="the gateway to report every part healthy")
        caserev(self.system, "seed-demo", timeout=900)
        say(f"  system up and the demo loaded in {time.monotonic() - started:.0f}s")
        return self

    def _vhost(self) -> str:
        """A virtual host of the machine's broker (its management API is slow when the machine is busy)."""
        for attempt in range(5):
            try:
                return self.stack.enter_context(isolated_vhost())
            except httpx.HTTPError as exc:
                say(f"  no virtual host yet ({type(exc).__name__}), trying again")
                time.sleep(5 * (attempt + 1))
        return self.stack.enter_context(isolated_vhost())

    def __exit__(self, *exc: object) -> None:
        for person in self.people.values():
            person.client.close()
        self.stack.close()

    def _healthy(self) -> bool:
        try:
            return httpx.get(self.system.gateway_url + "/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def pid(self, name: str) -> list[int]:
        popen = self.running[name].popen
        return [popen.pid] if popen is not None and popen.poll() is None else []

    def postgres_pids(self) -> list[int]:
        with (
            contextlib.closing(psycopg2.connect(database_dsn(self.system.db_name))) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [int(pid) for (pid,) in cursor.fetchall()]

    def meter(self) -> CpuMeter:
        return CpuMeter(
            {
                "gateway": lambda: self.pid("gateway"),
                "reports": lambda: self.pid("reports"),
                "postgres": self.postgres_pids,
                "broker": broker_pids,
            }
        )

    def begin_report(self) -> None:
        """Sign the editors in; the manager begins the infant review's rapid review report and gives its first
        section to the police."""
        for email in EDITORS:
            self.people[email] = sign_in(self.system, email, fresh=True)
        manager = self.people[MANAGER]
        reviews = manager.client.get("/reviews").text
        found = re.search(rf'href="/reviews/([0-9a-f-]{{36}})"[^>]*>\s*{REVIEW}', reviews)
        if not found:
            raise RuntimeError(f"the demo's review {REVIEW} is not listed")
        self.review = found.group(1)
        begun = manager.post_form(
            f"/reviews/{self.review}/reports", {"kind": "rapid_review_report", "title": ""}
        )
        if begun.status_code != 303:
            raise RuntimeError(f"the report was not begun: {begun.status_code}")
        self.document = begun.headers["location"].rsplit("/", 1)[1]
        page = manager.client.get(self.page).text
        self.sections = re.findall(r'data-report-section="([0-9a-f-]{36})"', page)
        police = wait_for(
            lambda: re.search(rf'<option value="([0-9a-f-]{{36}})"[^>]*>\s*{POLICE}\s*<', self._page_text()),
            timeout=60,
            message="the reports service to know the demo's agencies",
        ).group(1)
        assigned = manager.post_form(
            f"{self.page}/sections/{self.sections[0]}/assignment", {"assigned_agency_id": police}
        )
        if assigned.status_code != 303:
            raise RuntimeError(f"the section was not assigned: {assigned.status_code}")

    def _page_text(self) -> str:
        return self.people[MANAGER].client.get(self.page).text

    @property
    def page(self) -> str:
        return f"/reviews/{self.review}/reports/{self.document}"

    def server(self, email: str) -> Server:
        person = self.people[email]
        cookie = "; ".join(f"{name}={value}" for name, value in person.client.cookies.items())
        base = self.system.gateway_url.replace("http://", "ws://")
        return Server(
            lambda section: f"{base}{self.page}/sections/{section}/sync",
            {"Cookie": cookie},
            self.system.gateway_url,
        )

    def page_loads(self, times: int) -> list[float]:
        took = []
        for _ in range(times):
            began = time.monotonic()
            response = self.people[MANAGER].client.get(self.page)
            took.append(time.monotonic() - began)
            if response.status_code != 200:
                raise RuntimeError(f"the document's page answered {response.status_code}")
        return took


# -- the baseline --------------------------------------------------------------------------------------------


class Baseline:
    """tests/perf/report_baseline.py under uvicorn, with the gateway's own options where they apply."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.log_path = workdir / "baseline.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Baseline:
        log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            [
                str(BIN / "python"),
                "-m",
                "uvicorn",
                "tests.perf.report_baseline:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-server-header",
                "--no-proxy-headers",
                "--timeout-keep-alive",
                "75",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for(self._listening, timeout=30, interval=0.2, message="the baseline server to listen")
        return self

    def _listening(self) -> bool:
        if self.popen is not None and self.popen.poll() is not None:
            raise RuntimeError(f"the baseline server exited:\n{self.log_path.read_text()[-2000:]}")
        try:
            with contextlib.closing(socket.create_connection(("127.0.0.1", self.port), 1)):
                return True
        except OSError:
            return False

    def __exit__(self, *exc: object) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.popen.kill()

    def pids(self) -> list[int]:
        return [self.popen.pid] if self.popen is not None and self.popen.poll() is None else []

    def server(self) -> Server:
        return Server(lambda section: f"ws://127.0.0.1:{self.port}/sections/{section}")


# -- the report ----------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{1000 * seconds:,.0f}" if seconds >= 0.1 else f"{1000 * seconds:,.1f}"


def report(
    args: argparse.Namespace, when: str, loads: tuple[str, str], system: Figures, base: Figures
) -> str:
    def load(text: str) -> str:
        return text.split("load average:")[-1].strip()

    def row(name: str, ours: float, theirs: float, shown=ms) -> str:  # type: ignore[no-untyped-def]
        ratio = f"{ours / theirs:.1f}" if theirs else "n/a"
        return f"| {name} | {shown(ours)} | {shown(theirs)} | {ratio} |"

    def p(values: list[float], fraction: float) -> float:
        return percentile(values, fraction) if values else float("nan")

    def arrived(figures: Figures) -> str:
        return f"{len(figures.latencies):,} of {figures.expected_arrivals:,}"

    def percent(value: float) -> str:
        return f"{value:.0f}"

    def megabytes(value: float) -> str:
        return f"{value:.0f}"

    lines = [
        f"## bench-report, {when}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Load average before: `{load(loads[0])}`, after: `{load(loads[1])}` (1, 5, 15 min).",
        "",
        f"{args.editors} editors typing {args.rate:g} characters a second each for {args.seconds:g} s "
        f"into one shared section of a {args.pages}-page report "
        f"(13 sections, {args.pages * WORDS_PER_PAGE:,} words).",
        "",
        "| figure | Case Review | bare pycrdt-websocket | Case Review ÷ baseline |",
        "|---|---:|---:|---:|",
        row("edit → other editors, p50 ms", p(system.latencies, 0.5), p(base.latencies, 0.5)),
        row("edit → other editors, p95 ms", p(system.latencies, 0.95), p(base.latencies, 0.95)),
        f"| keystrokes sent | {system.keystrokes:,} | {base.keystrokes:,} | |",
        f"| arrivals (keystrokes by other editors, received) | {arrived(system)} | {arrived(base)} | |",
        f"| editors' connections closed by the server | {system.dropped} | {base.dropped} | |",
        row(
            "server CPU, % of one core",
            system.server_cpu_percent(),
            base.server_cpu_percent(),
            percent,
        ),
        row("server memory (RSS) at the end, MB", system.server_rss(), base.server_rss(), megabytes),
        row(
            f"load the shared section, {args.editors} at once, p50 ms",
            p(system.section_loads, 0.5),
            p(base.section_loads, 0.5),
        ),
        row(
            f"load the shared section, {args.editors} at once, p95 ms",
            p(system.section_loads, 0.95),
            p(base.section_loads, 0.95),
        ),
        row(
            f"load the whole document (13 sections at once), median of {args.loads} ms",
            statistics.median(system.document_loads),
            statistics.median(base.document_loads),
        ),
        "",
        "Server: Case Review's gateway and reports service processes; the baseline's one uvicorn process. "
        "CPU over the typing and until the last keystroke had reached every editor.",
        "",
        "Details:",
        "",
    ]
    for figures in (system, base):
        cpu = "; ".join(
            f"{name} {100 * seconds / figures.cpu_seconds_over:.0f}" for name, seconds in figures.cpu.items()
        )
        memory = "; ".join(
            f"{name} {figures.rss[name]:.0f} (peak {figures.peak_rss.get(name, float('nan')):.0f})"
            for name in figures.rss
        )
        notes = "; ".join(f"{name} {value}" for name, value in figures.notes.items())
        lines += [
            f"- {figures.name}: typing {figures.typing_seconds:.1f} s, "
            f"{figures.keystrokes / max(figures.typing_seconds, 1e-9):.0f} keystrokes/s offered",
            f"  - CPU, % of one core: {cpu}",
            f"  - memory MB: {memory}",
            f"  - {notes}",
        ]
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--editors", type=int, default=20, help="simulated editors (20)")
    parser.add_argument("--rate", type=float, default=5.0, help="characters a second each editor types (5)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long they type (60)")
    parser.add_argument("--pages", type=int, default=100, help=f"pages of {WORDS_PER_PAGE} words (100)")
    parser.add_argument("--loads", type=int, default=5, help="loads of the whole document timed (5)")
    parser.add_argument(
        "--shared-broker",
        action="store_true",
        help="run on a virtual host of the machine's RabbitMQ, not on a private node of the benchmark's own",
    )
    args = parser.parse_args(argv)
    if args.editors < 2 or args.rate <= 0 or args.seconds <= 0 or args.pages < 1 or args.loads < 1:
        parser.error("--editors >= 2, --rate > 0, --seconds > 0, --pages >= 1, --loads >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.monotonic()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = uptime()
    say(f"bench-report {when}: {os.cpu_count()} cores; {load_before}")
    workdir = Path(tempfile.mkdtemp(prefix="caserev_bench_report_"))
    failed = True
    try:
        with (
            ReportSystem(workdir / "system", not args.shared_broker) as system,
            Baseline(workdir) as baseline,
        ):
            system.begin_report()
            texts = synthetic_sections(args.pages, len(system.sections))
            servers = [system.server(email) for email in EDITORS]
            say(f"  seeding {args.pages} pages over {len(system.sections)} sections")
            asyncio.run(seed(servers[0], system.sections, texts, kept=True))
            page_loads = system.page_loads(args.loads)
            base_sections = [f"section-{index}" for index in range(len(system.sections))]
            asyncio.run(seed(baseline.server(), base_sections, texts, kept=False))

            say("  baseline: loading and typing")
            base = Figures("bare pycrdt-websocket", server_groups=("uvicorn",))
            asyncio.run(
                measure(
                    args,
                    base,
                    [baseline.server()],
                    base_sections,
                    base_sections[0],
                    CpuMeter({"uvicorn": baseline.pids}),
                    {"uvicorn": baseline.pids()},
                )
            )
            say("  Case Review: loading and typing")
            ours = Figures("Case Review", server_groups=("gateway", "reports"))
            ours.notes["document page (HTML) median ms"] = ms(statistics.median(page_loads))
            asyncio.run(
                measure(
                    args,
                    ours,
                    servers,
                    system.sections,
                    system.sections[0],
                    system.meter(),
                    {"gateway": system.pid("gateway"), "reports": system.pid("reports")},
                )
            )
        load_after = uptime()
        print(report(args, when, (load_before, load_after), ours, base))
        print(f"\nWall time {time.monotonic() - started:.0f}s; own CPU {cpu_seconds(os.getpid()) or 0:.0f}s.")
        failed = False
    finally:
        if failed:
            say(f"  the processes' logs are in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
