"""Benchmark of the notifications scheduler's pass on real PostgreSQL (the engine the timer calls).

`--returns` open agency returns across `--partnerships` partnerships (each with a business manager, an
agency lead per agency and a safeguarding partner), all overdue. Two figures, medians of `--rounds`:

- the *busy* pass: the first pass of a day, which writes each return's chaser (in-app, e-mail, the
  notification_created event, and the `reminder_sent` key), per pass and per message;
- the *quiet* pass: every later pass that day (the timer runs every 30 s), which finds each occurrence
  already sent. It is what the scheduler costs most of the time; the baseline is a quiet pass with no
  open return at all, measured in the same run.

    python tests/perf/bench_schedule.py [--returns 2000] [--partnerships 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from services.forms.contract import ReturnRequested  # noqa: E402
from services.kernel.calendar import add_working_days  # noqa: E402
from services.kernel.events import Envelope, EventData  # noqa: E402
from services.notifications import engine  # noqa: E402
from services.notifications.rules import load_rules  # noqa: E402
from tests.support.infra import database_dsn, isolated_database  # noqa: E402
from tests.support.system import system_env  # noqa: E402

LONDON = ZoneInfo("Europe/London")
BOOK = load_rules()
URL = "https://caserev.test"
REQUESTED_ON = date(2027, 3, 1)  # a Monday
DUE = add_working_days(REQUESTED_ON, 10)


def emit(payload: EventData, partnership_id: object, review_id: object) -> None:
    """The benchmark does not publish: the outbox row is the service's, not the engine's."""


def seed(sessions: sessionmaker[Session], returns: int, partnerships: int) -> None:
    now = datetime.combine(REQUESTED_ON, clock_time(9), tzinfo=LONDON)
    with sessions.begin() as session:
        for p in range(partnerships):
            partnership = uuid.uuid5(uuid.NAMESPACE_URL, f"bench:partnership:{p}")
            agencies = [uuid.uuid5(partnership, f"agency:{a}") for a in range(3)]
            people = [("Manager", ["business_manager"], None), ("Partner", ["safeguarding_partner"], None)]
            people += [(f"Lead {a}", ["agency_lead"], agency) for a, agency in enumerate(agencies)]
            for name, roles, agency in people:
                engine.learn_person(
                    session,
                    {
                        "user_id": uuid.uuid5(partnership, name),
                        "partnership_id": partnership,
                        "agency_id": agency,
                        "display_name": f"{name} Bench-{p}",
                        "email": f"{name.replace(' ', '.').lower()}.{p}@bench.example",
                        "roles": roles,
                        "active": True,
                        "changed_at": now,
                    },
                )
            for a, agency in enumerate(agencies):
                engine.learn_agency(
                    session,
                    {
                        "agency_id": agency,
                        "partnership_id": partnership,
                        "name": f"Agency {a}",
                        "changed_at": now,
                    },
                )
    with sessions.begin() as session:
        for index in range(returns):
            p = index % partnerships
            partnership = uuid.uuid5(uuid.NAMESPACE_URL, f"bench:partnership:{p}")
            agency = uuid.uuid5(partnership, f"agency:{index % 3}")
            payload = ReturnRequested(
                review_id=uuid.uuid4(), return_id=uuid.uuid4(), agency_id=agency, due_on=DUE
            )
            envelope = Envelope.wrap(payload, partnership_id=partnership, review_id=payload.review_id)
            for track in BOOK.tracks.values():
                if not track.problems:
                    engine.track_event(session, track, envelope)


def one_pass(sessions: sessionmaker[Session], day: date) -> tuple[float, int]:
    now = datetime.combine(day, clock_time(10), tzinfo=LONDON).astimezone(UTC)
    started = time.perf_counter()
    with sessions.begin() as session:
        result = engine.run_schedule(session, BOOK, now, emit, URL, digest_hour=23)
    return time.perf_counter() - started, result.reminders


def measure(dsn: str, returns: int, partnerships: int, rounds: int) -> dict[str, float]:
    db = create_engine(dsn.replace("postgresql://", "postgresql+psycopg2://"))
    sessions = sessionmaker(db, expire_on_commit=False)
    empty_quiet = [one_pass(sessions, DUE + timedelta(days=1))[0] for _ in range(rounds)]
    seed(sessions, returns, partnerships)
    busy, quiet, written = [], [], 0
    day = DUE
    for _ in range(rounds):
        day = add_working_days(day, 1)  # a new working day: each return's chaser is due again
        seconds, written = one_pass(sessions, day)
        busy.append(seconds)
        quiet.append(statistics.median(one_pass(sessions, day)[0] for _ in range(3)))
    db.dispose()
    return {
        "busy_ms": statistics.median(busy) * 1000,
        "busy_us_per_message": statistics.median(busy) * 1e6 / max(written, 1),
        "messages": float(written),
        "quiet_ms": statistics.median(quiet) * 1000,
        "baseline_ms": statistics.median(empty_quiet) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--returns", type=int, default=2000)
    parser.add_argument("--partnerships", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with isolated_database() as db_name, tempfile.TemporaryDirectory() as workdir:
        env = system_env(db_name, "amqp://unused/", Path(workdir)).env
        subprocess.run(
            [str(Path(sys.executable).parent / "caserev"), "migrate", "--skip-broker"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        figures = measure(database_dsn(db_name), args.returns, args.partnerships, args.rounds)
    print(
        f"Scheduler pass, {args.returns} open overdue returns in {args.partnerships} partnerships "
        f"(medians of {args.rounds} rounds)"
    )
    print("| pass | ms | note |")
    print("|---|---|---|")
    print(f"| quiet, no open return (baseline) | {figures['baseline_ms']:.1f} | |")
    print(
        f"| quiet, everything already sent | {figures['quiet_ms']:.1f} | "
        f"{figures['quiet_ms'] / figures['baseline_ms']:.1f}x the baseline |"
    )
    print(
        f"| busy, a chaser for each return | {figures['busy_ms']:.1f} | {figures['messages']:.0f} messages, "
        f"{figures['busy_us_per_message']:.0f} us each |"
    )


if __name__ == "__main__":
    main()
