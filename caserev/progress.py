"""A progress bar on a terminal's standard error: the operator's long commands (a rebuild) say how far they
are, redrawn at most ten times a second; on a stream that is not a terminal, a line per tenth of the way."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class ProgressBar:
    """`update(done, total)` as work goes; `finish()` ends the line."""

    def __init__(self, label: str, stream: TextIO | None = None, *, every_s: float = 0.1) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.every_s = every_s
        self.started = time.perf_counter()
        self._drawn_at = 0.0
        self._tenth = -1
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self, done: int, total: int) -> str:
        """The bar as text: label, bar, done of total, percent, rate."""
        share = done / total if total else 1.0
        filled = int(share * WIDTH)
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        return (
            f"{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {done:,}/{total:,} "
            f"{share:4.0%} {done / elapsed:,.0f}/s"
        )

    def update(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self._tty:
            if now - self._drawn_at >= self.every_s or done >= total:
                self.stream.write("\r" + self.line(done, total))
                self.stream.flush()
                self._drawn_at = now
            return
        tenth = int(10 * done / total) if total else 10
        if tenth != self._tenth:
            self._tenth = tenth
            self.stream.write(self.line(done, total) + "\n")
            self.stream.flush()

    def finish(self) -> None:
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()
