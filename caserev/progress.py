"""A progress bar on stderr for the operator's long commands: redrawn in place on a terminal, a line every
tenth of the way otherwise (a log keeps a few lines, not thousands)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """`bar.advance(n)` as work is done, `bar.finish()` at the end:
    "label [#####.....] 50% 1,000/2,000 300/s"."""

    WIDTH = 30

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total, self.label = max(total, 0), label
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._tenths_shown = -1
        self._live = bool(getattr(self.stream, "isatty", lambda: False)())

    def advance(self, count: int = 1) -> None:
        """Count `count` more done; redraw at most ten times a second."""
        self.done += count
        now = time.monotonic()
        if self._live:
            if now - self._drawn_at >= 0.1 or self.done >= self.total:
                self._drawn_at = now
                self.stream.write("\r" + self.line())
                self.stream.flush()
        elif self.total and self.done * 10 // self.total > self._tenths_shown:
            self._tenths_shown = self.done * 10 // self.total
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        """The bar as text."""
        share = self.done / self.total if self.total else 1.0
        filled = int(self.WIDTH * min(share, 1.0))
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        return (
            f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} "
            f"{self.done:,}/{self.total:,} {rate:,.0f}/s"
        )

    def finish(self) -> None:
        """The last state, and a new line."""
        if self._live:
            self.stream.write("\r" + self.line() + "\n")
        elif self._tenths_shown < 10:
            self.stream.write(self.line() + "\n")
        self.stream.flush()
