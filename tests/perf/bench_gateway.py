"""`make bench-gateway`: what the gateway costs a request, beside baselines measured in the same run.
Prints a markdown table (docs/performance.md explains it). Figures, never assertions.

Each signed in as Northbridge's business manager (a session cookie), at each concurrency (1 and 16
clients, each sending its next request when its last is answered):

* a page and a JSON call that make no RPC (the account page; who is signed in), beside a bare FastAPI app
  answering the same HTML and JSON on the same uvicorn settings;
* a call that makes exactly one RPC to a trivial read (`GET /api/review-types`: forms' `review_types`),
  beside the same method called raw through the gateway's own asyncio RPC client (gateway/rpc.py);
* a read with its audit entry (`GET /api/reviews/{id}`), beside the same read without it.

The system runs as `make run` starts it (`caserev run`, with its demo) on a throw-away database and virtual
host; the gateway measured is the gateway's application (tests/perf/gateway_bench_app.py says what it adds)
served by uvicorn as deploy/Procfile serves it, in a process of its own, as is the bare app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from gateway.rpc import RpcClient  # noqa: E402
from tests.e2e.helpers import DEMO, sign_in  # noqa: E402
from tests.perf.figures import percentile, say  # noqa: E402
from tests.support.infra import PrivateRabbit, free_port, isolated_database, isolated_vhost  # noqa: E402
from tests.support.system import BIN, SystemEnv, running_system, system_env, wait_for  # noqa: E402

NORTHBRIDGE = DEMO.partnership("NBSCP")
# deploy/Procfile's gateway command, but for the application.
UVICORN_FLAGS = [
    "--no-server-header",
    "--no-proxy-headers",
    "--timeout-keep-alive",
    "75",
    "--log-config",
    "deploy/gateway-logging.yml",
]


@dataclass
class Load:
    """`requests` answered by `concurrency` clients in `seconds`, with each request's latency."""

    requests: int
    concurrency: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies, 0.99) * 1000


async def load(call: Callable[[], Awaitable[None]], requests: int, concurrency: int, warmup: int) -> Load:
    """`requests` calls by `concurrency` closed-loop clients, after `warmup` calls not counted."""
    for _ in range(warmup):
        await call()
    latencies: list[float] = []
    remaining = requests

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return Load(requests, concurrency, time.perf_counter() - started, latencies)


def http_call(client: httpx.AsyncClient, path: str, accept: str) -> Callable[[], Awaitable[None]]:
    async def call() -> None:
        response = await client.get(path, headers={"accept": accept})
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:200]}")

    return call


@contextmanager
def profiled(pid: int, output: Path | None) -> Iterator[None]:
    """py-spy sampling a process while the block runs (its collapsed stacks to `output`), if asked."""
    if output is None:
        yield
        return
    py_spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("--profile needs py-spy (pip install py-spy)")
    command = [py_spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw"]
    recorder = subprocess.Popen(
        [*command, "--output", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(60)
        say(f"  profile of the gateway: {output}")


@contextmanager
def uvicorn(system: SystemEnv, application: str, name: str, **env: str) -> Iterator[tuple[str, int]]:
    """An application served as deploy/Procfile serves the gateway, in its own process; its URL and pid."""
    port = free_port()
    log = open(system.workdir / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it for its lifetime
    popen = subprocess.Popen(
        [str(BIN / "uvicorn"), application, "--host", "127.0.0.1", "--port", str(port), *UVICORN_FLAGS],
        cwd=ROOT,
        env={**system.env, **env, "CASEREV_PROCESS": name},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if popen.poll() is not None:
            raise RuntimeError(f"{name} exited {popen.returncode}; see {system.workdir / f'{name}.log'}")
        try:
            return httpx.get(url + "/nowhere", timeout=2).status_code > 0
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, timeout=60, message=f"{name} to answer")
        yield url, popen.pid
    finally:
        popen.terminate()
        try:
            popen.wait(20)
        except subprocess.TimeoutExpired:
            popen.kill()
        log.close()


@dataclass
class Pair:
    """One line of the table: what the gateway does, beside its baseline, at one concurrency."""

    what: str
    baseline: str
    concurrency: int
    system: list[Load]
    base: list[Load]
    aim: float


def median_of(loads: list[Load], measure: str) -> float:
    return statistics.median(getattr(load, measure) for load in loads)


def table(pairs: list[Pair]) -> str:
    lines = [
        "| call | clients | req/s | p50 ms | p99 ms | baseline | req/s | p50 ms | p99 ms "
        "| req/s ÷ baseline | aim |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for pair in pairs:
        ratio = median_of(pair.system, "per_second") / median_of(pair.base, "per_second")
        lines.append(
            f"| {pair.what} | {pair.concurrency} "
            f"| {median_of(pair.system, 'per_second'):,.0f} | {median_of(pair.system, 'p50_ms'):.1f} "
            f"| {median_of(pair.system, 'p99_ms'):.1f} | {pair.baseline} "
            f"| {median_of(pair.base, 'per_second'):,.0f} | {median_of(pair.base, 'p50_ms'):.1f} "
            f"| {median_of(pair.base, 'p99_ms'):.1f} | **{ratio:.2f}** | ≥ {pair.aim:g} |"
        )
    return "\n".join(lines)


async def measure(
    args: argparse.Namespace, system: SystemEnv, gateway: str, bare: str, cookie: dict[str, str], review: str
) -> list[Pair]:
    html, json_ = "text/html", "application/json"
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    rpc = RpcClient(system.amqp_uri, timeout=30)
    await rpc.connect()

    async def raw_review_types() -> None:
        await rpc.call("forms", "review_types")

    pairs: list[Pair] = []
    try:
        async with (
            httpx.AsyncClient(base_url=gateway, cookies=cookie, timeout=60, limits=limits) as on_gateway,
            httpx.AsyncClient(base_url=bare, timeout=60, limits=limits) as on_bare,
        ):
            page, me = http_call(on_gateway, "/account", html), http_call(on_gateway, "/api/bench/me", json_)
            cases = [
                ("account page, no RPC", "bare FastAPI page", page,
                 http_call(on_bare, "/account", html), 0.5),
                ("JSON, no RPC (`/api/bench/me`)", "bare FastAPI JSON", me,
                 http_call(on_bare, "/api/bench/me", json_), 0.5),
                ("one RPC (`/api/review-types`)", "raw RPC, gateway/rpc.py",
                 http_call(on_gateway, "/api/review-types", json_), raw_review_types, 0.6),
                ("read with its audit entry (`/api/reviews/{id}`)", "the same read unaudited",
                 http_call(on_gateway, f"/api/reviews/{review}", json_),
                 http_call(on_gateway, f"/api/bench/reviews/{review}", json_), 0.8),
            ]  # fmt: skip
            for concurrency in args.concurrency:
                for what, baseline, system_call, base_call, aim in cases:
                    pair = Pair(what, baseline, concurrency, [], [], aim)
                    requests = args.requests * (4 if concurrency > 1 else 1)
                    for round_ in range(args.rounds):  # alternate which goes first
                        order = [(pair.system, system_call), (pair.base, base_call)]
                        for loads, call in order if round_ % 2 == 0 else reversed(order):
                            loads.append(await load(call, requests, concurrency, args.warmup))
                    say(
                        f"  {what} x{concurrency}: {median_of(pair.system, 'per_second'):,.0f}/s "
                        f"against {median_of(pair.base, 'per_second'):,.0f}/s"
                    )
                    pairs.append(pair)
    finally:
        await rpc.close()
    return pairs


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requests", type=int, default=300, help="requests per measurement, 1 client (300; 4x with more)"
    )
    parser.add_argument("--warmup", type=int, default=20, help="requests before each measurement (20)")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each, medians reported (3)")
    parser.add_argument("--concurrency", default="1,16", help="clients at once (1,16)")
    parser.add_argument("--profile", type=Path, help="write py-spy's samples of the gateway to this file")
    parser.add_argument(
        "--private-broker",
        action="store_true",
        help="run on a RabbitMQ node of the benchmark's own instead of a virtual host of the machine's",
    )
    args = parser.parse_args(argv)
    args.concurrency = [int(n) for n in args.concurrency.split(",")]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.monotonic()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = os.getloadavg()
    say(f"bench-gateway {when}: {os.cpu_count()} cores; load average {load_before}")
    workdir = Path(tempfile.mkdtemp(prefix="caserev_bench_gateway_"))
    with contextlib.ExitStack() as stack:
        db_name = stack.enter_context(isolated_database())
        if args.private_broker:  # the machine's node may be too busy to create virtual hosts in time
            amqp_uri = stack.enter_context(PrivateRabbit()).amqp_uri
        else:
            amqp_uri = stack.enter_context(isolated_vhost())
        overrides = {}
        if args.private_broker:  # no management API there: the demo's agency system is left unconnected
            overrides["CASEREV_CHRONOLOGY_BROKER_MANAGEMENT_URL"] = "http://127.0.0.1:1"
        system = system_env(db_name, amqp_uri, workdir, **overrides)
        with running_system(system, demo=True):
            say("  system running")
            manager = sign_in(system, NORTHBRIDGE.manager_email, fresh=True)
            cookie = dict(manager.client.cookies.items())
            reviews = manager.client.get("/api/reviews")
            review = reviews.json()[0]["id"]
            with uvicorn(system, "tests.perf.gateway_bench_app:app", "bench-gateway") as (gateway, pid):
                page = httpx.get(gateway + "/account", cookies=cookie, headers={"accept": "text/html"})
                if page.status_code != 200:
                    raise RuntimeError(f"the account page answered {page.status_code}")
                (workdir / "page.html").write_text(page.text)
                bare_app = "tests.perf.gateway_bench_app:bare"
                bare_env = {"BENCH_BARE_PAGE": str(workdir / "page.html")}
                with (
                    uvicorn(system, bare_app, "bench-bare", **bare_env) as (bare, _),
                    profiled(pid, args.profile),
                ):
                    pairs = asyncio.run(measure(args, system, gateway, bare, cookie, review))
    shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()
    print(f"## bench-gateway, {when}\n")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Load average before: {', '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {', '.join(f'{x:.2f}' for x in load_after)} (1, 5, 15 min).\n"
    )
    print(table(pairs))
    print(
        f"\nMedians of {args.rounds} measurements of {args.requests} requests at 1 client, "
        f"{args.requests * 4} at more (after {args.warmup} not counted), system and baseline alternating."
    )
    print(f"\nWall time {time.monotonic() - started:.0f}s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
