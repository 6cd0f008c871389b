"""CPU time spent by groups of processes over a phase, from /proc (Linux), to see where time goes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of one process so far (None when it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # fields from the third (state) on
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(fields[9])
    return inodes


# The AMQP port of the node the benchmark runs on (5672, or a private node's: --private-broker).
BROKER_PORT = [5672]


def broker_pids(port: int | None = None) -> list[int]:
    """The Erlang VM of the RabbitMQ node listening on `port` (shared with anything else using it).

    Other beam.smp processes (private nodes of chaos tests) are left out; if the owner of the port cannot
    be found (no permission to read other users' descriptors), every beam.smp process counts.
    """
    beams = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() == "beam.smp":
                    beams.append(int(entry))
            except OSError:
                continue
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port or BROKER_PORT[0])}
    for pid in beams:
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in sockets for fd in os.listdir(f"/proc/{pid}/fd")):
                return [pid]
        except OSError:
            continue
    return beams


class CpuMeter:
    """`start()` then `stop()` gives CPU seconds per group; groups name a callable listing their pids."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups
        self._before: dict[str, dict[int, float]] = {}

    def _sample(self) -> dict[str, dict[int, float]]:
        sample: dict[str, dict[int, float]] = {}
        for name, pids in self.groups.items():
            sample[name] = {pid: seconds for pid in pids() if (seconds := cpu_seconds(pid)) is not None}
        return sample

    def start(self) -> None:
        self._before = self._sample()

    def stop(self) -> dict[str, float]:
        """CPU seconds of each group since start (a process started meanwhile counts from its birth)."""
        after = self._sample()
        return {
            name: sum(seconds - self._before.get(name, {}).get(pid, 0.0) for pid, seconds in pids.items())
            for name, pids in after.items()
        }
