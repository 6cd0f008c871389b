"""`make chaos`: the whole system under a storm of commands and faults, then every promise checked.

    python -m tests.chaos.storm [--commands 5000] [--clients 6] [--service-kills 10] [--broker-restarts 3]
                                [--postgres-restarts 1] [--gateway-kills 2] [--seed N]

Clients drive reviews through the gateway (tests/chaos/workload.py) while a fault thread, at random points of
the stream, SIGKILLs each service process `--service-kills` times (starting it again at once), restarts the
broker, crashes and restarts PostgreSQL and SIGKILLs the gateway. When the stream has ended and the system
has settled, tests/chaos/checks.py prints its table; the exit status is 1 on any loss or duplicate.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.chaos.checks import Row, every_check, table
from tests.chaos.system import ChaosSystem
from tests.chaos.workload import PARTNERSHIPS, POLICE_LEADS, READERS, Budget, Client, Command, signed_in
from tests.support.system import SERVICES


@dataclass(order=True)
class Fault:
    """One fault, due when the stream has sent `at` of its commands."""

    at: int
    kind: str  # kill:<process> | broker | postgres
    done_at: float = 0.0
    seconds: float = 0.0


def schedule(options: argparse.Namespace, rng: random.Random) -> list[Fault]:
    """Every fault at a random point between 5% and 90% of the stream, in order."""
    total = options.commands
    kinds = [f"kill:{name}" for name in SERVICES for _ in range(options.service_kills)]
    kinds += ["broker"] * options.broker_restarts + ["postgres"] * options.postgres_restarts
    kinds += ["kill:gateway"] * options.gateway_kills
    return sorted(Fault(rng.randint(total // 20, total * 9 // 10), kind) for kind in kinds)


class Faults(threading.Thread):
    """Injects the scheduled faults as the stream reaches them; revives what died of itself."""

    def __init__(self, system: ChaosSystem, faults: list[Fault], budget: Budget) -> None:
        super().__init__(name="faults", daemon=True)
        self.system, self.faults, self.budget = system, faults, budget
        self.finished = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for fault in self.faults:
                while self.budget.sent < fault.at and not self.finished.is_set():
                    self.system.revive()
                    time.sleep(0.05)
                began = time.monotonic()
                if fault.kind == "broker":
                    self.system.restart_broker()
                elif fault.kind == "postgres":
                    self.system.restart_postgres()
                else:
                    self.system.kill(fault.kind.split(":", 1)[1])
                fault.done_at, fault.seconds = began, time.monotonic() - began
                print(
                    f"  fault at command {self.budget.sent}: {fault.kind} ({fault.seconds:.1f}s)", flush=True
                )
        except BaseException as exc:
            self.error = exc


def settle(system: ChaosSystem, timeout: float) -> float:
    """Wait until every process is up, every outbox published and every queue empty (three reads in a row,
    two seconds apart: quorum queues report their counts a little late). Seconds it took."""
    began = time.monotonic()
    for name in system.names:
        system.wait_up(name, timeout=120)
    quiet = 0
    while quiet < 3:
        if time.monotonic() - began > timeout:
            print(f"  not settled after {timeout:.0f}s: checking what there is", flush=True)
            break
        system.revive()
        unpublished = sum(
            int(system.sql(f"SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL")[0][0])
            for s in ("forms", "meetings", "actions", "notifications", "analytics", "chronology", "identity")
        )
        busy = sum(
            n for q, n in system.queue_depths().items() if n and q.startswith(("evt-", "caserev.retry"))
        )
        quiet = quiet + 1 if unpublished == 0 and busy == 0 else 0
        time.sleep(2)
    return time.monotonic() - began


def storm(options: argparse.Namespace) -> int:
    # Stopped from outside (SIGTERM, Ctrl-C): unwind so that every process, the broker and the database go.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(options.seed)
    workdir = Path(tempfile.mkdtemp(prefix="caserev_chaos_"))
    system = ChaosSystem(workdir)
    print(
        f"chaos: {options.commands} commands from {options.clients} clients; seed {options.seed};"
        f" logs in {workdir}"
    )
    try:
        began = time.monotonic()
        system.start()
        print(f"  system up in {time.monotonic() - began:.0f}s", flush=True)
        codes = list(PARTNERSHIPS)
        managers = {code: signed_in(system.env, PARTNERSHIPS[code][0]) for code in codes}
        readers = [signed_in(system.env, email) for email in READERS]
        # One session a person: a second sign-in within the same TOTP window is refused as a reused code.
        by_email = dict(zip(READERS, readers, strict=True))
        police_leads = {
            code: by_email.get(email) or signed_in(system.env, email) for code, email in POLICE_LEADS.items()
        }
        budget, log = Budget(options.commands), []
        log_lock_free: list[Command] = log  # list.append is atomic: clients share it
        clients = []
        for index in range(options.clients):
            code = codes[index % len(codes)]
            session = managers[code]
            clients.append(
                Client(
                    f"client-{index}",
                    _copy(session),
                    _copy(readers[index % len(readers)]),
                    _copy(police_leads[code]),
                    code,
                    budget,
                    log_lock_free,
                    seed=rng.randrange(1 << 30),
                    give_up_s=options.give_up_s,
                )
            )
        faults = Faults(system, schedule(options, rng), budget)
        stream_began = time.monotonic()
        faults.start()
        for client in clients:
            client.start()
        while any(c.is_alive() for c in clients):
            time.sleep(1)
            if int(time.monotonic() - stream_began) % 15 == 0:
                print(f"  {budget.sent}/{options.commands} commands sent", flush=True)
        stream_seconds = time.monotonic() - stream_began
        faults.finished.set()
        faults.join(300)
        print(f"  stream of {budget.sent} commands took {stream_seconds:.0f}s", flush=True)
        settled = settle(system, options.settle_s)
        print(f"  settled in {settled:.0f}s", flush=True)

        rows = [
            Row(
                "client threads ended without an exception",
                "0",
                f"{sum(1 for c in clients if c.error)}",
                not any(c.error for c in clients),
            ),
            Row(
                "faults injected (service and gateway SIGKILLs, broker restarts, PostgreSQL crashes)",
                f"{len(faults.faults)}",
                f"{sum(1 for f in faults.faults if f.done_at)}",
                faults.error is None and all(f.done_at for f in faults.faults),
            ),
            Row(
                "processes that died unasked (restarted)",
                "-",
                ", ".join(system.unplanned_exits) or "none",
                True,
            ),
            *every_check(system, log),
        ]
        for client in clients:
            if client.error:
                print(f"{client.name}: {client.error!r}", file=sys.stderr)
        if faults.error:
            print(f"faults: {faults.error!r}", file=sys.stderr)
        print()
        print(table(rows))
        failed = [r for r in rows if not r.ok]
        print(
            f"\n{'PASS' if not failed else 'FAIL'}: {len(rows) - len(failed)} of {len(rows)} checks hold; "
            f"{budget.sent} commands in {stream_seconds:.0f}s with {len(faults.faults)} faults"
        )
        return 1 if failed else 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        system.close()


def _copy(session):  # type: ignore[no-untyped-def]
    """Another HTTP client on the same signed-in session (a client of its own, as a second tab is)."""
    import httpx

    client = httpx.Client(base_url=session.base_url, timeout=15, follow_redirects=False)
    client.cookies = session.cookies
    client.headers["X-CSRF-Token"] = session.headers["X-CSRF-Token"]
    return client


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commands", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--service-kills", type=int, default=10, help="SIGKILLs of each service process")
    parser.add_argument("--broker-restarts", type=int, default=3)
    parser.add_argument("--postgres-restarts", type=int, default=1)
    parser.add_argument("--gateway-kills", type=int, default=2)
    parser.add_argument("--give-up-s", type=float, default=120, help="a client gives a command up after this")
    parser.add_argument("--settle-s", type=float, default=300, help="longest wait for the system to settle")
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(storm(options()))
