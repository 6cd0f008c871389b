"""The memory one chronology file's check takes, in a process of its own (`make bench-chronology` runs it).

    python tests/perf/chronology_memory.py FILE [--tracemalloc]

The file is checked as the gateway checks an upload: the gateway's own `CheckRun` (gateway/routes/
chronology.py) over the contract's streaming checker, entries gathered in chunks of 2,000 and each chunk
let go once handed on (here it is dropped, where the gateway stages it), problems and warnings kept. Prints
JSON: the process's peak resident set size (VmHWM of /proc/self/status) before the check, with the gateway's
modules imported, and after it; with --tracemalloc, the peak of Python's allocations during the check
(tracemalloc slows the check several times, so its seconds are not a speed).

Not getrusage's ru_maxrss: on Linux a child started by fork and exec reports its parent's peak there when
that is larger (the benchmark's own process is), whereas VmHWM is this program's alone.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gateway.routes.chronology import CheckRun  # noqa: E402
from services.chronology.contract import CheckContext, ChronologyEntry  # noqa: E402
from tests.perf.chronology_files import REGISTER  # noqa: E402


def max_rss_mb() -> float:
    """The peak resident set size of this process so far (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status: the memory figure needs Linux")


def context() -> CheckContext:
    """The review's facts as check_rules gives them: today, the child's birth, the register's spellings."""
    people = {
        spelling.casefold(): person.label for person in REGISTER for spelling in (person.label, person.name)
    }
    return CheckContext(today=date.today(), born_on=REGISTER[0].born_on, people=people)


def main() -> int:
    path = Path(sys.argv[1])
    traced = "--tracemalloc" in sys.argv[2:]
    staged = 0

    async def stage(entries: list[ChronologyEntry], rows_read: int) -> None:
        nonlocal staged
        staged += len(entries)

    # The gateway's event loop, to which the checking thread hands each chunk.
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    before = max_rss_mb()
    if traced:
        tracemalloc.start()
    run = CheckRun(stage, loop)
    started = time.perf_counter()
    run.run(path, path.name, context())
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1_048_576 if traced else None
    figures = {
        "file_mb": path.stat().st_size / 1_048_576,
        "entries": staged,
        "problems": len(run.problems),
        "warnings": len(run.warnings),
        "seconds": seconds,
        "max_rss_before_mb": before,
        "max_rss_mb": max_rss_mb(),
        "tracemalloc_peak_mb": peak,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
