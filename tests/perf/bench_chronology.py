"""`make bench-chronology`: how fast agencies' chronologies are checked, staged, imported and read, beside
PostgreSQL's own COPY and plain SQL on the same database in the same run. Prints one markdown table, then
the details behind it (docs/performance.md, "Chronologies", explains them). Figures, never assertions.

1. Import. --rows entries (100,000) from --agencies agencies (12), one synthetic CSV file each
   (tests/perf/chronology_files.py). Per agency, what the gateway does with an upload: check_rules, the
   file's line count, start_upload, the gateway's own CheckRun over the contract's streaming checker (in a
   worker thread, chunks of 2,000 staged through the typed `stage_entries` RPC on the real broker), then
   finish_check and import_upload; the agencies one after another; then the first merged page read by the
   business manager. Each of --runs runs (5) on a fresh review, timed from the first agency's check_rules
   to that first page. Baseline: COPY of the same rows (the entry table's columns, read back from it) from
   an in-memory CSV (psycopg2 copy_expert) into a bare table (no key, no index, no generated column); and,
   to show what the table itself costs, into a copy of the entry table with its keys, indexes and
   generated full-text column.
2. Memory. The largest file, and one file as large as an upload may be (20 MB), each checked by CheckRun in
   a process of its own (tests/perf/chronology_memory.py): peak RSS (VmHWM) with the gateway's modules
   loaded, before and after the check; tracemalloc's peak during the check, in a second process.
3. Reading. The last run's review (a demo review of Northbridge, so its business manager signs in and
   reads it): the first page (50 entries), a filtered page (an agency, free text, a date range), the page
   after following --deep-pages (100) next links, and page 1,001 (its cursor built from SQL): --requests
   (20) requests each through the gateway's HTML page, the same through the service's RPC, and the page's
   own query in plain SQL; medians.
4. Agencies' own systems on the bus. The same rows, each agency's published by its own system with a
   connection of its own (issued by the partnership's administrator through the service), as
   docs/examples/publish_chronology_entries.py does (its broker user and exchange, persistent, confirmed), in
   messages of --per-message entries (2,000), one system after another, into a fresh review; timed from the
   first publish until the review's feeds hold every entry. --bus-runs runs (1), after the pages were read.

    python tests/perf/bench_chronology.py [--rows 100000] [--agencies 12] [--runs 5] [--requests 20]
        [--deep-pages 100] [--bus-runs 1] [--per-message 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import anyio  # noqa: E402
import psycopg2  # noqa: E402

from tests.e2e.helpers import DEMO, sign_in  # noqa: E402
from tests.perf.chronology_files import (  # noqa: E402
    REGISTER,
    SEARCHED_WORD,
    AgencyFile,
    message_entries,
    write_files,
)
from tests.perf.cpu import CpuMeter, broker_pids  # noqa: E402
from tests.perf.figures import say  # noqa: E402
from tests.support.infra import database_dsn, isolated_database, isolated_vhost  # noqa: E402
from tests.support.system import SystemEnv, running_system, system_env  # noqa: E402

# How long the benchmark waits for the service to settle a run's versions in the background.
SETTLE_TIMEOUT_S = 3600

if "eventlet" in sys.modules:  # the benchmark times with the standard library and asyncio only
    raise SystemExit("bench_chronology: an import pulled in eventlet; the benchmark process must not run it")

T = TypeVar("T")
NORTHBRIDGE = DEMO.partnership("NBSCP")
# The demo's four Northbridge agencies, then eight more the benchmark adds to the partnership.
DEMO_AGENCIES = (
    ("Northbridge Police", "police"),
    ("Northbridge Health ICB", "health"),
    ("Northbridge Children's Services", "childrens_social_care"),
    ("Northbridge Schools", "education"),
)
MORE_AGENCIES = (
    ("Northbridge Probation Service", "probation"),
    ("Northbridge Youth Justice Service", "youth_justice"),
    ("Northbridge Homes", "housing"),
    ("Northbridge Women's Aid", "voluntary_sector"),
    ("Northbridge Ambulance Service", "other"),
    ("Northbridge Community Health Trust", "health"),
    ("Northbridge Early Help", "childrens_social_care"),
    ("Northbridge College", "education"),
)
# The entry table's columns as the service writes them (seq and the full-text column are the database's).
COLUMNS = (
    "id, upload_id, review_id, agency_id, row, date_typed, starts_on, ends_on, precision, approximate, "
    "at_time, sort_at, sort_rank, ended_typed, ended_on, source_record, practitioner_role, event, action, "
    "no_action_reason, significance, agency_suggests_episode, people, extra"
)
FILTER_FROM, FILTER_TO = date(2020, 1, 1), date(2021, 12, 31)
FILTERED_AGENCY = "Northbridge Health ICB"
PAGE = 50


def load_average() -> str:
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="entries over all agencies (100000)")
    parser.add_argument("--agencies", type=int, default=12, choices=range(1, 13), metavar="1..12")
    parser.add_argument("--runs", type=int, default=5, help="imports, each on a fresh review (5)")
    parser.add_argument("--requests", type=int, default=20, help="requests per page read (20)")
    parser.add_argument("--deep-pages", type=int, default=100, help="next links followed (100)")
    parser.add_argument("--bus-runs", type=int, default=1, help="publications by agencies' systems (1)")
    parser.add_argument("--per-message", type=int, default=2000, help="entries in a message (2000)")
    args = parser.parse_args(argv)
    if min(args.runs, args.requests, args.deep_pages, args.bus_runs) < 1 or args.rows < args.agencies:
        parser.error("--rows >= --agencies, and --runs, --requests, --deep-pages, --bus-runs >= 1")
    if not 1 <= args.per_message <= 5000:
        parser.error("--per-message from 1 to 5000 (a message's limit)")
    return args


# -- the system's processes --------------------------------------------------------------------------------


def process_pids(db_name: str, name: str) -> list[int]:
    """The pids of one Procfile process of this system, found by the environment `caserev run` gives it."""
    wanted = {f"CASEREV_PROCESS={name}".encode(), f"CASEREV_DB_NAME={db_name}".encode()}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = set(Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"))
        except OSError:
            continue
        if wanted <= environ:
            found.append(int(entry))
    return found


class Database:
    """The system's database as the superuser: the baselines, the sizes, the plans."""

    def __init__(self, db_name: str) -> None:
        self.connection = psycopg2.connect(database_dsn(db_name))
        self.connection.autocommit = True

    def rows(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def each(self, statements: list[str], params: Any = ()) -> None:
        for sql in statements:
            self.rows(sql, params)

    def execute(self, sql: str, params: Any = ()) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)

    def scalar(self, sql: str, params: Any = ()) -> Any:
        return self.rows(sql, params)[0][0]

    def backends(self) -> list[int]:
        return [
            int(pid)
            for (pid,) in self.rows(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]

    def unsettled(self, review_id: uuid.UUID) -> int:
        """Current versions of the review still to be made searchable and compared for likely duplicates."""
        return int(
            self.scalar(
                "SELECT count(*) FROM chronology.upload AS u WHERE u.review_id = %s AND u.state = 'current'"
                " AND EXISTS (SELECT FROM chronology.entry AS e"
                " WHERE e.upload_id = u.id AND e.search IS NULL)",
                (str(review_id),),
            )
        )

    def duplicates(self, review_id: uuid.UUID) -> int:
        return int(
            self.scalar("SELECT count(*) FROM chronology.duplicate WHERE review_id = %s", (str(review_id),))
        )

    def entries_csv(self, review_id: uuid.UUID) -> bytes:
        """The review's stored entries (the service's columns), as COPY writes CSV."""
        buffer = io.BytesIO()
        with self.connection.cursor() as cursor:
            cursor.copy_expert(
                cursor.mogrify(
                    f"COPY (SELECT {COLUMNS} FROM chronology.entry WHERE review_id = %s ORDER BY seq)"
                    " TO STDOUT WITH (FORMAT csv)",
                    (str(review_id),),
                ).decode(),
                buffer,
            )
        return buffer.getvalue()

    def copy_into(self, table: str, shape: str, body: bytes) -> float:
        """Seconds to COPY the CSV into a new table of `shape` (its creation is not timed), committed."""
        self.execute(f"DROP TABLE IF EXISTS public.{table}")
        self.execute(f"CREATE TABLE public.{table} {shape}")
        self.execute("CHECKPOINT")  # each copy starts with the same clean buffers
        self.connection.autocommit = False
        try:
            started = time.perf_counter()
            with self.connection.cursor() as cursor:
                cursor.copy_expert(
                    f"COPY public.{table} ({COLUMNS}) FROM STDIN WITH (FORMAT csv)", io.BytesIO(body)
                )
            self.connection.commit()
            return time.perf_counter() - started
        finally:
            self.connection.autocommit = True

    def close(self) -> None:
        self.connection.close()


# -- 1. import ---------------------------------------------------------------------------------------------


@dataclass
class ImportRun:
    """One import of every agency's file into a fresh review, and where its time went."""

    review_id: uuid.UUID
    rows: int
    seconds: float = 0.0
    check: float = 0.0  # the line count and CheckRun's own work (the checker), staging left out
    stage: float = 0.0  # check_rules, start_upload and every stage_entries call, as the checker waits
    finish: float = 0.0
    imported: float = 0.0
    slowest_import: float = 0.0  # the longest import_upload (the gateway waits rpc_timeout_s, 10 s, for it)
    first_page: float = 0.0
    warnings: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    copy_bare: float = 0.0
    copy_shaped: float = 0.0
    entries_before: int = 0
    duplicates: int = 0  # likely duplicates the service flagged after the imports, in the background
    # From the first page until every version is searchable and compared for duplicates (in the background).
    settled: float = 0.0

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds


class Bench:
    """The benchmark's side of the system: its RPC clients, the demo's business manager, the agencies."""

    def __init__(self, system: SystemEnv, db: Database, files: list[AgencyFile], folder: Path) -> None:
        from services.kernel.identity import Actor, Role

        self.system, self.db, self.files, self.folder = system, db, files, folder
        self.manager = Actor(
            user_id=str(uuid.uuid5(DEMO.namespace, "user:" + NORTHBRIDGE.manager_email)),
            partnership_id=NORTHBRIDGE.id,
            roles=frozenset({Role.BUSINESS_MANAGER}),
        )
        self.agency_ids: dict[str, uuid.UUID] = {}
        self.chronology: Any = None
        self.forms: Any = None

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """`work` on an event loop of its own, with the typed clients of the services on one RPC client (the
        gateway's), as the gateway calls them."""
        from gateway.rpc import RpcClient
        from services.chronology.contract import Chronology
        from services.forms.contract import Forms

        async def connected() -> T:
            rpc = RpcClient(self.system.amqp_uri, timeout=300)
            self.chronology, self.forms = Chronology.client(rpc), Forms.client(rpc)
            try:
                return await work()
            finally:
                await rpc.close()

        return anyio.run(connected)

    def add_agencies(self) -> None:
        """The agencies of the files in the demo's partnership: the demo's own, the rest added as an
        administrator adds them (the gateway publishes each to the services)."""
        from gateway import identity

        types = dict(MORE_AGENCIES)
        for file in self.files:
            if file.agency_name in types:
                agency = identity.create_agency(
                    NORTHBRIDGE.id, file.agency_name, file.agency_type, actor_id="bench"
                )
                self.agency_ids[file.agency_name] = agency.id
            else:
                self.agency_ids[file.agency_name] = uuid.uuid5(
                    DEMO.namespace, f"agency:NBSCP:{file.agency_name}"
                )

    def files_of(self, number: int) -> list[AgencyFile]:
        """The files of run `number`: the first run's are the ones written first; each later run's are written
        from another seed, so that no run reads what an earlier one left in PostgreSQL's buffers."""
        if number == 1:
            return self.files
        agencies = [(file.agency_name, file.agency_type) for file in self.files]
        rows = sum(file.rows for file in self.files)
        return write_files(self.folder / f"run-{number:02d}", agencies, rows, seed=2026 + number)

    def author(self, agency_name: str, review_id: uuid.UUID) -> Any:
        from services.kernel.identity import Actor, Role

        agency_id = self.agency_ids[agency_name]
        return Actor(
            user_id=str(uuid.uuid5(DEMO.namespace, f"bench-author:{agency_id}")),
            partnership_id=NORTHBRIDGE.id,
            agency_id=agency_id,
            roles=frozenset({Role.AGENCY_AUTHOR}),
            reviews=frozenset({review_id}),
        )

    def cpu_meter(self) -> CpuMeter:
        """CPU of this process (the checker, or the agencies' publishers), the chronology service, this
        database's backends and the (shared) broker."""
        return CpuMeter(
            {
                "this process": lambda: [os.getpid()],
                "chronology": lambda: process_pids(self.system.db_name, "chronology"),
                "postgres": self.db.backends,
                "broker (shared node)": broker_pids,
            }
        )

    async def retried(self, call: Callable[[], Awaitable[T]], timeout: float = 60) -> T:
        """A call answered once the service has heard of what it needs (a review, an agency) from the bus."""
        from gateway.rpc import RemoteError

        deadline = time.monotonic() + timeout
        while True:
            try:
                return await call()
            except RemoteError as error:
                if error.exc_type != "NotFound" or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def fresh_review(self, number: int) -> uuid.UUID:
        """A review opened by the business manager, every agency asked, the register filled."""
        from services.chronology.contract import AddPerson
        from services.forms.contract import OpenReview

        review = await self.forms.open_review(
            self.manager,
            OpenReview(
                review_type="child_safeguarding",
                partnership_id=NORTHBRIDGE.id,
                title=f"BENCH-{number:02d} chronology benchmark {uuid.uuid4().hex[:6]}",
            ),
        )
        for file in self.files:
            agency_id = self.agency_ids[file.agency_name]
            await self.retried(partial(self.chronology.ask_agency, self.manager, review.id, agency_id))
        for person in REGISTER:
            await self.chronology.add_person(
                self.manager,
                AddPerson(
                    review_id=review.id,
                    label=person.label,
                    name=person.name,
                    role_in_family=person.role_in_family,
                    born_on=person.born_on,
                    subject=person.subject,
                ),
            )
        return review.id

    async def upload(self, file: AgencyFile, review_id: uuid.UUID, run: ImportRun) -> None:
        """One agency's file, as the gateway's upload route and `_check_in_background` take it."""
        from gateway.routes.chronology import CheckRun, rows_in
        from services.chronology.contract import CheckContext, StartUpload
        from services.kernel.calendar import today_in_england

        author = self.author(file.agency_name, review_id)
        started = time.perf_counter()
        rules = await self.chronology.check_rules(author, review_id)
        run.stage += time.perf_counter() - started
        started = time.perf_counter()
        expected = await anyio.to_thread.run_sync(rows_in, file.path)
        run.check += time.perf_counter() - started
        started = time.perf_counter()
        upload = await self.chronology.start_upload(
            author,
            StartUpload(
                review_id=review_id,
                filename=file.path.name,
                size_bytes=file.size_bytes,
                rows_expected=expected,
            ),
        )
        run.stage += time.perf_counter() - started
        context = CheckContext(
            today=today_in_england(),
            born_on=rules.born_on,
            people=rules.spellings,
            extra_columns=tuple(rules.extra_columns),
            max_bytes=rules.max_bytes,
            max_rows=rules.max_rows,
        )

        async def stage(entries: list[Any], rows_read: int) -> None:
            await self.chronology.stage_entries(author, upload.id, entries, rows_read)

        check_run = CheckRun(stage, asyncio.get_running_loop())
        started = time.perf_counter()
        await anyio.to_thread.run_sync(check_run.run, file.path, file.path.name, context)
        # The checker reads the next chunk while one is staged: what it spent waiting for the service counts
        # as staging, the rest as checking.
        run.check += time.perf_counter() - started - check_run.waited
        run.stage += check_run.waited
        if check_run.problems:
            raise RuntimeError(f"{file.path.name}: {check_run.problems[:3]}")
        run.warnings += len(check_run.warnings)
        started = time.perf_counter()
        await self.chronology.finish_check(
            author, upload.id, check_run.problems, check_run.warnings, check_run.rows_read
        )
        run.finish += time.perf_counter() - started
        started = time.perf_counter()
        imported = await self.chronology.import_upload(author, upload.id)
        took = time.perf_counter() - started
        run.imported += took
        run.slowest_import = max(run.slowest_import, took)
        if imported.state != "current" or imported.entries != file.rows:
            raise RuntimeError(
                f"{file.path.name}: imported {imported.entries} of {file.rows} ({imported.state})"
            )

    async def import_run(self, number: int) -> ImportRun:
        from services.chronology.contract import ChronologyQuery

        review_id = await self.fresh_review(number)
        files = self.files_of(number)
        run = ImportRun(review_id, sum(file.rows for file in files))
        run.entries_before = int(self.db.scalar("SELECT count(*) FROM chronology.entry"))
        cpu = self.cpu_meter()
        cpu.start()
        started = time.perf_counter()
        for file in files:
            await self.upload(file, review_id, run)
        began = time.perf_counter()
        page = await self.chronology.chronology_of_review(self.manager, review_id, ChronologyQuery())
        run.first_page = time.perf_counter() - began
        run.seconds = time.perf_counter() - started
        if page.total != run.rows or len(page.entries) != PAGE:
            raise RuntimeError(f"the merged chronology has {page.total} entries, not {run.rows}")
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while self.db.unsettled(review_id):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the versions were not settled within {SETTLE_TIMEOUT_S} s")
            await asyncio.sleep(0.1)  # the RPC client's heartbeats go on meanwhile
        run.settled = time.perf_counter() - started - run.seconds
        run.cpu = cpu.stop()
        run.duplicates = self.db.duplicates(review_id)
        return run

    async def imports(self, runs: int) -> list[ImportRun]:
        done = []
        try:
            for number in range(1, runs + 1):
                say(f"import run {number} of {runs}: {load_average()} load")
                run = await self.import_run(number)
                say(
                    f"  {run.seconds:.1f}s ({run.per_second:,.0f} rows/s): check {run.check:.1f}s, "
                    f"stage {run.stage:.1f}s, finish {run.finish:.2f}s, import {run.imported:.2f}s, "
                    f"first page {run.first_page * 1000:.0f} ms; settled {run.settled:.1f}s later, "
                    f"{self.db.duplicates(run.review_id):,} duplicates flagged"
                )
                body = self.db.entries_csv(run.review_id)
                run.copy_bare = self.db.copy_into(
                    "bench_copy_bare", f"AS SELECT {COLUMNS} FROM chronology.entry WITH NO DATA", body
                )
                run.copy_shaped = self.db.copy_into(
                    "bench_copy_shaped", "(LIKE chronology.entry INCLUDING ALL)", body
                )
                say(
                    f"  COPY: bare {run.rows / run.copy_bare:,.0f} rows/s, "
                    f"shaped as the entry table {run.rows / run.copy_shaped:,.0f} rows/s"
                )
                done.append(run)
        finally:
            self.db.execute("DROP TABLE IF EXISTS public.bench_copy_bare, public.bench_copy_shaped")
        return done


# -- 2. memory ---------------------------------------------------------------------------------------------


def memory_of_check(path: Path) -> dict[str, Any]:
    """chronology_memory.py in a process of its own: once for RSS, once under tracemalloc."""
    script = ROOT / "tests" / "perf" / "chronology_memory.py"
    figures: dict[str, Any] = {}
    for extra in ([], ["--tracemalloc"]):
        result = subprocess.run(
            [sys.executable, str(script), str(path), *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        measured = json.loads(result.stdout.strip().splitlines()[-1])
        if extra:
            figures["tracemalloc_peak_mb"] = measured["tracemalloc_peak_mb"]
        else:
            figures.update(measured)
    return figures


# -- 3. reading --------------------------------------------------------------------------------------------

PAGE_SQL = (
    "SELECT e.* FROM chronology.entry e WHERE e.review_id = %(review)s AND e.upload_id IN"
    " (SELECT u.id FROM chronology.upload u WHERE u.review_id = %(review)s AND u.state = 'current')"
    " {filters} ORDER BY e.sort_at, e.sort_rank, e.seq LIMIT %(limit)s"
)
FILTERS_SQL = (
    "AND e.agency_id = %(agency)s AND coalesce(e.ended_on, e.ends_on) >= %(from)s"
    " AND e.starts_on <= %(to)s AND e.search @@ websearch_to_tsquery('english', %(q)s)"
)
AFTER_SQL = "AND (e.sort_at, e.sort_rank, e.seq) > (%(sort_at)s, %(sort_rank)s, %(seq)s)"


def count_sql(filters: str) -> str:
    """The count the service makes of a page's query (the same conditions, no order, no limit)."""
    return PAGE_SQL.format(filters=filters).replace("SELECT e.*", "SELECT count(*)").split(" ORDER BY")[0]


@dataclass
class PageRead:
    """One page of the merged chronology read three ways."""

    name: str
    path: str  # the gateway's address
    query: Any  # the ChronologyQuery
    sql: str
    params: dict[str, Any]
    gateway_ms: float = 0.0
    rpc_ms: float = 0.0
    sql_ms: float = 0.0
    entries: int = 0
    matching: int = 0
    count_ms: float = 0.0  # the page's counts in plain SQL, as the service makes them


def timed_ms(call: Callable[[], Any], times: int) -> float:
    """The median of `times` calls, in ms, after two not counted."""
    for _ in range(2):
        call()
    took = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        took.append((time.perf_counter() - started) * 1000)
    return median(took)


def get_page(client: Any, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")


def follow_next(client: Any, path: str, pages: int) -> str:
    """The address of the page reached by following the gateway's "Next page" link `pages` times."""
    for _ in range(pages):
        response = client.get(path)
        response.raise_for_status()
        found = re.search(r'href="([^"]+)" rel="next"', response.text)
        if not found:
            raise RuntimeError(f"no next page after {path}")
        path = html.unescape(found.group(1))
    return path


def reads(
    bench: Bench, review_id: uuid.UUID, requests: int, deep_pages: int
) -> tuple[list[PageRead], list[str]]:
    """The pages through the gateway, through the RPC and in plain SQL; and the plans of their queries."""
    from services.chronology.contract import ChronologyQuery
    from services.chronology.domain import Place

    db = bench.db
    # What autovacuum does on a default PostgreSQL within a minute of a large import (this machine's has it
    # off); until then the planner knows nothing of the new entries and each page sorts the whole review.
    db.execute("ANALYZE chronology.entry")
    db.execute("ANALYZE chronology.upload")
    # The health agency's entries are the ones that mention bruising (tests/perf/chronology_files.py).
    health = bench.agency_ids.get(FILTERED_AGENCY) or bench.agency_ids[bench.files[0].agency_name]
    base = f"/reviews/{review_id}/chronology"
    params = {"review": str(review_id), "limit": PAGE + 1}
    filtered = {"agency": str(health), "from": FILTER_FROM, "to": FILTER_TO, "q": SEARCHED_WORD}
    pages = [
        PageRead("first page", base, ChronologyQuery(), PAGE_SQL.format(filters=""), params),
        PageRead(
            f"filtered: the health agency, q={SEARCHED_WORD}, {FILTER_FROM:%Y} to {FILTER_TO:%Y}",
            f"{base}?agency={health}&q={SEARCHED_WORD}&from={FILTER_FROM}&to={FILTER_TO}",
            ChronologyQuery(agency_id=health, text=SEARCHED_WORD, from_on=FILTER_FROM, to_on=FILTER_TO),
            PAGE_SQL.format(filters=FILTERS_SQL),
            params | filtered,
        ),
    ]
    signed_in = sign_in(bench.system, NORTHBRIDGE.manager_email, fresh=True)
    client = signed_in.client
    say(f"following {deep_pages} next links through the gateway")
    deep_path = follow_next(client, base, deep_pages)
    deep_after = re.search(r"after=([^&]+)", deep_path)
    assert deep_after is not None
    place = Place.from_cursor(deep_after.group(1))
    assert place is not None
    pages.append(
        PageRead(
            f"page {deep_pages + 1}, by {deep_pages} next links",
            deep_path,
            ChronologyQuery(after=deep_after.group(1)),
            PAGE_SQL.format(filters=AFTER_SQL),
            params | {"sort_at": place.sort_at, "sort_rank": place.sort_rank, "seq": place.seq},
        )
    )
    total = int(db.scalar("SELECT count(*) FROM chronology.entry WHERE review_id = %s", (str(review_id),)))
    far = min(1000, (total - 1) // PAGE)
    if far > deep_pages:
        sort_at, sort_rank, seq = db.rows(
            "SELECT sort_at, sort_rank, seq FROM chronology.entry WHERE review_id = %s"
            " ORDER BY sort_at, sort_rank, seq OFFSET %s LIMIT 1",
            (str(review_id), far * PAGE - 1),
        )[0]
        seen_until = db.scalar(
            "SELECT max(coalesce(ended_on, ends_on)) FROM (SELECT ended_on, ends_on FROM chronology.entry"
            " WHERE review_id = %s ORDER BY sort_at, sort_rank, seq LIMIT %s) AS read_before",
            (str(review_id), far * PAGE),
        )
        cursor = Place(sort_at, sort_rank, seq, seen_until).cursor()
        pages.append(
            PageRead(
                f"page {far + 1}, cursor built",
                f"{base}?after={cursor}",
                ChronologyQuery(after=cursor),
                PAGE_SQL.format(filters=AFTER_SQL),
                params | {"sort_at": sort_at, "sort_rank": sort_rank, "seq": seq},
            )
        )

    async def rpc_reads() -> None:
        for page in pages:
            answer = await bench.chronology.chronology_of_review(bench.manager, review_id, page.query)
            page.entries, page.matching = len(answer.entries), answer.matching
            took = []
            for index in range(requests + 2):
                started = time.perf_counter()
                await bench.chronology.chronology_of_review(bench.manager, review_id, page.query)
                if index >= 2:
                    took.append((time.perf_counter() - started) * 1000)
            page.rpc_ms = median(took)

    for page in pages:
        say(f"reading {page.name}")
        page.gateway_ms = timed_ms(partial(get_page, client, page.path), requests)
        page.sql_ms = timed_ms(partial(db.rows, page.sql, page.params), requests)
        # A filtered page counts its matching entries and all of them; a page without a filter, all of them.
        statements = [count_sql(FILTERS_SQL), count_sql("")] if page.query.text else [count_sql("")]
        page.count_ms = timed_ms(partial(db.each, statements, page.params), requests)
    bench.run(rpc_reads)
    client.close()

    plans = []
    counts = {
        "count of every current entry (the page's `total`)": count_sql(""),
        "count of the filtered entries (the page's `matching`)": count_sql(FILTERS_SQL),
    }
    explained = {page.name: (page.sql, page.params) for page in pages}
    explained |= {name: (sql, pages[1].params) for name, sql in counts.items()}
    for name, (sql, values) in explained.items():
        plan = [line for (line,) in db.rows("EXPLAIN (ANALYZE, BUFFERS) " + sql, values)]
        plans.append(f"{name}:\n    " + "\n    ".join(plan))
    return pages, plans


# -- 4. agencies' systems on the bus ------------------------------------------------------------------------


@dataclass
class BusRun:
    """Every agency's entries published by its own system into a fresh review, until all were applied."""

    review_id: uuid.UUID
    rows: int
    messages: int
    published: float = 0.0  # the first publish to the broker's confirm of the last message
    seconds: float = 0.0  # the first publish to the last message's entries applied
    settled: float = 0.0  # from then until every entry is searchable and compared for duplicates
    cpu: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds


def publish(issued: Any, messages: list[tuple[str, bytes]]) -> None:
    """Messages published as an agency's system does (docs/examples/publish_chronology_entries.py): its own
    user and exchange, persistent, `user_id` and `message_id` set, each confirmed by the broker."""
    from kombu import Connection

    with Connection(
        hostname=issued.host,
        port=issued.port,
        virtual_host=issued.virtual_host,
        userid=issued.username,
        password=issued.password,
        transport_options={"confirm_publish": True},
        connect_timeout=10,
    ) as connection:
        producer = connection.Producer()
        for message_id, body in messages:
            producer.publish(
                body,
                exchange=issued.exchange,
                routing_key="",
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=message_id,
                user_id=issued.username,
                declare=[],
                retry=False,
            )


class AgencySystems:
    """Each agency's case system with a connection of its own, publishing the agency's file as entries."""

    def __init__(self, bench: Bench, per_message: int) -> None:
        self.bench, self.per_message = bench, per_message
        self.issued: dict[str, Any] = {}
        self.entries: dict[str, list[dict[str, Any]]] = {}

    async def connect(self) -> None:
        """A connection for each agency's system, issued by the partnership's administrator."""
        from services.chronology.contract import IssueConnection
        from services.kernel.identity import Actor, Role

        admin = Actor(
            user_id=str(uuid.uuid5(DEMO.namespace, "bench-administrator")),
            partnership_id=NORTHBRIDGE.id,
            roles=frozenset({Role.PARTNERSHIP_ADMIN}),
        )
        for file in self.bench.files:
            if file.agency_name not in self.issued:
                command = IssueConnection(
                    agency_id=self.bench.agency_ids[file.agency_name], name=f"{file.agency_name} case system"
                )
                self.issued[file.agency_name] = await self.bench.chronology.issue_connection(admin, command)

    def messages(self, review_id: uuid.UUID) -> list[tuple[Any, list[tuple[str, bytes]]]]:
        batches = []
        for name, entries in self.entries.items():
            bodies = [
                (
                    str(uuid.uuid4()),
                    json.dumps(
                        {"review_id": str(review_id), "entries": entries[i : i + self.per_message]}
                    ).encode(),
                )
                for i in range(0, len(entries), self.per_message)
            ]
            batches.append((self.issued[name], bodies))
        return batches

    def publish_and_wait(self, review_id: uuid.UUID, run: BusRun, timeout: float) -> None:
        """Publish every agency's messages (one system after another, in a thread) while watching the review's
        feeds fill; until every entry is applied."""
        db = self.bench.db
        batches = self.messages(review_id)
        run.messages = sum(len(bodies) for _, bodies in batches)
        failed: list[BaseException] = []

        def publish_all() -> None:
            try:
                for issued, bodies in batches:
                    publish(issued, bodies)
                run.published = time.perf_counter() - started
            except BaseException as error:  # told to the waiting loop
                failed.append(error)

        started = time.perf_counter()
        publisher = threading.Thread(target=publish_all, daemon=True)
        publisher.start()
        while True:
            applied = int(
                db.scalar(
                    "SELECT coalesce(sum(entries), 0) FROM chronology.upload"
                    " WHERE review_id = %s AND source = 'system' AND state = 'current'",
                    (str(review_id),),
                )
            )
            if applied >= run.rows:
                run.seconds = time.perf_counter() - started
                break
            refused = db.rows(
                "SELECT reason FROM chronology.refused_message WHERE review_id = %s LIMIT 1",
                (str(review_id),),
            )
            if refused or failed or time.perf_counter() - started > timeout:
                why = refused[0][0] if refused else repr(failed[0]) if failed else "timed out"
                raise RuntimeError(f"the agencies' messages were not all applied ({applied}): {why}")
            time.sleep(0.05)
        publisher.join()

    async def run(self, number: int) -> BusRun:
        from services.chronology.contract import ChronologyQuery

        bench = self.bench
        review_id = await bench.fresh_review(number)
        await self.connect()
        self.entries = {file.agency_name: message_entries(file) for file in bench.files_of(number)}
        run = BusRun(review_id, sum(len(entries) for entries in self.entries.values()), 0)
        cpu = bench.cpu_meter()
        cpu.start()
        await anyio.to_thread.run_sync(self.publish_and_wait, review_id, run, 600 + run.rows / 50)
        applied = time.perf_counter()
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while bench.db.unsettled(review_id):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the systems' entries were not settled within {SETTLE_TIMEOUT_S} s")
            await asyncio.sleep(0.1)
        run.settled = time.perf_counter() - applied
        run.cpu = cpu.stop()
        page = await bench.chronology.chronology_of_review(bench.manager, review_id, ChronologyQuery())
        if page.total != run.rows:
            raise RuntimeError(f"the merged chronology has {page.total} entries, not {run.rows}")
        run.duplicates = bench.db.duplicates(review_id)
        return run

    async def runs(self, count: int, first_number: int) -> list[BusRun]:
        done = []
        for number in range(first_number, first_number + count):
            say(f"agencies' systems, run {number - first_number + 1} of {count}: {load_average()} load")
            run = await self.run(number)
            say(
                f"  {run.seconds:.1f}s ({run.per_second:,.0f} entries/s), published in {run.published:.1f}s, "
                f"settled {run.settled:.1f}s later"
            )
            done.append(run)
        return done


# -- the report --------------------------------------------------------------------------------------------


@dataclass
class Setting:
    """Where and when a run was made."""

    when: str
    loads: tuple[str, str]
    db_version: str
    autovacuum: str


def memory_rows(name: str, file: AgencyFile, memory: dict[str, Any]) -> list[str]:
    grew = memory["max_rss_mb"] - memory["max_rss_before_mb"]
    return [
        f"| peak memory checking {name} ({file.rows:,} rows, {file.size_bytes / 1_048_576:.1f} MB): peak RSS "
        f"of the checking process | {memory['max_rss_mb']:.0f} MB | that process before the check: "
        f"{memory['max_rss_before_mb']:.0f} MB | +{grew:.0f} MB | < 300 MB |",
        f"| — Python's allocations during that check, peak (tracemalloc) "
        f"| {memory['tracemalloc_peak_mb']:.1f} MB | | | |",
    ]


def report(
    args: argparse.Namespace,
    setting: Setting,
    files: list[AgencyFile],
    runs: list[ImportRun],
    memory: list[tuple[str, AgencyFile, dict[str, Any]]],
    pages: list[PageRead],
    plans: list[str],
    bus: list[BusRun],
) -> str:
    rows = runs[0].rows
    total = median([run.seconds for run in runs])
    bare = median([run.copy_bare for run in runs])
    shaped = median([run.copy_shaped for run in runs])
    ours, copy = rows / total, rows / bare
    share = {
        "check: the checker, in the gateway's CheckRun": median([run.check for run in runs]),
        "stage: check_rules, start_upload, stage_entries": median([run.stage for run in runs]),
        "finish_check": median([run.finish for run in runs]),
        "import_upload": median([run.imported for run in runs]),
        "first merged page (RPC)": median([run.first_page for run in runs]),
    }
    settled = median([run.settled for run in runs])
    n = len(runs)
    lines = [
        f"## bench-chronology, {setting.when}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {setting.db_version} (autovacuum {setting.autovacuum}). Load average before: "
        f"{setting.loads[0]}; after: {setting.loads[1]} (1, 5, 15 min).",
        "",
        "| measure | ours | baseline, same run | ratio | aim |",
        "|---|---:|---:|---:|---|",
        f"| check + stage + import + first page: {rows:,} rows from {len(files)} agencies, "
        f"median of {n} runs "
        f"| {ours:,.0f} rows/s ({total:.1f} s) | COPY into a bare table: {copy:,.0f} rows/s ({bare:.2f} s) "
        f"| {ours / copy:.3f} of COPY's rate | ≥ 0.5 |",
    ]
    for name, seconds in share.items():
        lines.append(f"| — {name} | {seconds:.2f} s ({100 * seconds / total:.0f}%) | | | |")
    lines.append(
        f"| then, in the background: every version searchable and compared for likely duplicates "
        f"| {settled:.1f} s after the first page ({rows / (total + settled):,.0f} rows/s from the start) "
        f"| | {rows / (total + settled) / copy:.3f} of COPY's rate | |"
    )
    lines.append(
        "| COPY into a copy of the entry table (keys, indexes; its tsvector filled later, as the service's) "
        f"| | {rows / shaped:,.0f} rows/s ({shaped:.2f} s) | {ours / (rows / shaped):.2f} of its rate | |"
    )
    for name, file, figures in memory:
        lines += memory_rows(name, file, figures)
    for page in pages:
        lines.append(
            f"| {page.name} ({page.entries} entries), the gateway's page, median of {args.requests} "
            f"| {page.gateway_ms:.1f} ms (the RPC alone {page.rpc_ms:.1f} ms) "
            f"| the page's query in SQL: {page.sql_ms:.1f} ms "
            f"| {page.gateway_ms / page.sql_ms:.0f} times its time | |"
        )
    bus_seconds = median([run.seconds for run in bus])
    lines.append(
        f"| agencies' systems on the bus: {bus[0].rows:,} entries from {len(files)} systems in messages of "
        f"{args.per_message:,}, median of {len(bus)} runs | {bus[0].rows / bus_seconds:,.0f} entries/s "
        f"({bus_seconds:.1f} s) | COPY into a bare table: {copy:,.0f} rows/s "
        f"| {bus[0].rows / bus_seconds / copy:.3f} of COPY's rate | |"
    )
    lines += [
        "",
        f"Files: {len(files)} CSV files, {sum(f.rows for f in files):,} rows, "
        f"{sum(f.size_bytes for f in files) / 1_048_576:.1f} MB. The filtered page matches "
        f"{pages[1].matching:,} entries. The pages were read after `ANALYZE` of the chronology's tables; the "
        "first merged page of each import run was read before (no statistics of the new entries yet).",
        "",
        "The service counts the entries of every page (`total`, and `matching` when filtered); "
        "the same counts in SQL:",
        "",
    ]
    lines += [f"- {page.name}: {page.count_ms:.1f} ms" for page in pages]
    lines += [
        "",
        "Each import run (seconds; CPU seconds of each part over the run):",
        "",
        "| run | entries in the table before | total | check | stage | finish | import (slowest) "
        "| first page ms | settled s later | warnings | duplicates flagged | CPU s | COPY bare s "
        "| COPY shaped s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for number, run in enumerate(runs, start=1):
        cpu = ", ".join(f"{name} {seconds:.1f}" for name, seconds in run.cpu.items())
        lines.append(
            f"| {number} | {run.entries_before:,} | {run.seconds:.1f} | {run.check:.1f} | {run.stage:.1f} "
            f"| {run.finish:.2f} | {run.imported:.1f} ({run.slowest_import:.1f}) "
            f"| {run.first_page * 1000:.0f} | {run.settled:.1f} | {run.warnings:,} "
            f"| {run.duplicates:,} | {cpu} | {run.copy_bare:.2f} | {run.copy_shaped:.2f} |"
        )
    lines += [
        "",
        "Each run of the agencies' systems (seconds; CPU seconds of each part over the run):",
        "",
        "| run | messages | all confirmed | all applied | entries/s | settled s later | duplicates flagged "
        "| CPU s |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for number, bus_run in enumerate(bus, start=1):
        cpu = ", ".join(f"{name} {seconds:.1f}" for name, seconds in bus_run.cpu.items())
        lines.append(
            f"| {number} | {bus_run.messages} | {bus_run.published:.1f} | {bus_run.seconds:.1f} "
            f"| {bus_run.per_second:,.0f} | {bus_run.settled:.1f} | {bus_run.duplicates:,} | {cpu} |"
        )
    lines += ["", "Plans of the last review's queries (EXPLAIN ANALYZE, BUFFERS):", "", "```"]
    lines += plans
    lines += ["```"]
    return "\n".join(lines)


def file_at_the_limit(folder: Path, like: AgencyFile) -> AgencyFile:
    """One agency's file as large as an upload may be (sheet.MAX_BYTES), of rows like the others'."""
    from services.chronology.contract.sheet import MAX_BYTES

    rows = int(MAX_BYTES / (like.size_bytes / like.rows) * 0.98)
    while True:
        (file,) = write_files(folder, [(like.agency_name, like.agency_type)], rows)
        if file.size_bytes <= MAX_BYTES:
            return file
        rows = int(rows * 0.97)


@contextlib.contextmanager
def kept_on_failure(workdir: Path) -> Iterator[None]:
    """The files and the system's logs: removed after a run that succeeded, kept after one that failed."""
    try:
        yield
    except BaseException:
        say(f"the files and the system's logs are kept in {workdir}")
        raise
    shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.monotonic()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = load_average()
    say(f"bench-chronology {when}: {os.cpu_count()} cores; load {load_before}")
    workdir = tempfile.mkdtemp(prefix="caserev_chronology_bench_")
    with isolated_database() as db_name, isolated_vhost() as amqp_uri, kept_on_failure(Path(workdir)):
        system = system_env(db_name, amqp_uri, Path(workdir) / "system")
        # The gateway's modules this process uses (the checker, identity) read the system's settings.
        os.environ.update(system.env)
        agencies = [*DEMO_AGENCIES, *MORE_AGENCIES][: args.agencies]
        files = write_files(Path(workdir) / "files" / "run-01", agencies, args.rows)
        say(f"wrote {len(files)} files, {sum(f.size_bytes for f in files) / 1_048_576:.1f} MB")
        largest = max(files, key=lambda file: file.size_bytes)
        limit = file_at_the_limit(Path(workdir) / "limit", largest)
        memory = [
            ("the largest file", largest, memory_of_check(largest.path)),
            ("a file at the upload limit", limit, memory_of_check(limit.path)),
        ]
        say(f"memory: {memory}")
        with running_system(system, demo=True, timeout=240):
            db = Database(db_name)
            setting = Setting(
                when,
                (load_before, ""),
                str(db.scalar("SHOW server_version")).split()[0],
                str(db.scalar("SHOW autovacuum")),
            )
            bench = Bench(system, db, files, Path(workdir) / "files")
            bench.add_agencies()
            runs = bench.run(lambda: bench.imports(args.runs))
            pages, plans = reads(bench, runs[-1].review_id, args.requests, args.deep_pages)
            systems = AgencySystems(bench, args.per_message)
            bus = bench.run(lambda: systems.runs(args.bus_runs, first_number=args.runs + 1))
            db.close()
    setting.loads = (load_before, load_average())
    print(report(args, setting, files, runs, memory, pages, plans, bus))
    print(f"\nWall time {time.monotonic() - started:.0f}s.")
    if "eventlet" in sys.modules:
        raise SystemExit("bench_chronology: eventlet was imported during the run; the figures are suspect")
    return 0


if __name__ == "__main__":
    sys.exit(main())
