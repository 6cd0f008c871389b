"""What one benchmark phase measured, the statistics of it, and the markdown table of a run."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 < fraction <= 1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Drain:
    """A backlog of `events` carried end to end: throughput over `seconds`."""

    events: int
    seconds: float
    notes: dict[str, float] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class Paced:
    """Events offered one by one at `rate` per second: per-event latency in seconds."""

    rate: float
    latencies: list[float]
    achieved_rate: float
    notes: dict[str, float] = field(default_factory=dict)

    @property
    def events(self) -> int:
        return len(self.latencies)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies, 0.99) * 1000


@dataclass
class Row:
    """One line of the table: a path with a number of competing consumers."""

    path: str
    consumers: int
    drain: Drain
    paced: Paced


def table(rows: list[Row]) -> str:
    """The markdown table: each system row is compared with the kombu row of the same consumer count."""
    baseline = {row.consumers: row for row in rows if row.path.startswith("kombu")}
    lines = [
        "| path | consumers | backlog events | events/s | paced events @ rate | median ms | p99 ms "
        "| events/s ÷ kombu | median ÷ kombu |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        base = baseline.get(row.consumers)
        if base is None or base is row:
            throughput_ratio = median_ratio = "1" if base is row else "n/a"
        else:
            throughput_ratio = f"{row.drain.per_second / base.drain.per_second:.2f}"
            median_ratio = f"{row.paced.median_ms / base.paced.median_ms:.1f}"
        lines.append(
            f"| {row.path} | {row.consumers} | {row.drain.events} | {row.drain.per_second:,.0f} "
            f"| {row.paced.events} @ {row.paced.rate:g}/s "
            f"| {row.paced.median_ms:.1f} | {row.paced.p99_ms:.1f} "
            f"| {throughput_ratio} | {median_ratio} |"
        )
    return "\n".join(lines)


def say(message: str) -> None:
    """A benchmark's progress, on stderr, so stdout holds only its figures."""
    print(message, file=sys.stderr, flush=True)


def uptime() -> str:
    """The machine's load, as `uptime` prints it: every run's figures say how busy the machine was."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{load:.2f}" for load in os.getloadavg())
