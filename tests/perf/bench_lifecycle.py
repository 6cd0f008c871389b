"""Benchmark of the statutory clock in "my reviews": what computing each review's plan (its steps, its
deadlines on the working-day calendar, pauses, red/amber/green) adds to the list of reviews.

The baseline is what the list did before the lifecycle, measured in the same run: a summary per review
(type and stage in words). The figure is the whole list the forms service builds, in memory, for
`--reviews` reviews (half in their rapid review with three returns asked, half in an LCSPR with a pause),
so storage is left out: the list's queries are batched (four queries for any number of reviews).

    python tests/perf/bench_lifecycle.py [--reviews 500] [--rounds 7]

Prints, as medians of the rounds, milliseconds per list and microseconds per review, and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from caserev import demo_lifecycle as demo  # noqa: E402
from services.forms import clock, domain  # noqa: E402
from services.forms.contract import ReviewSummary  # noqa: E402
from services.kernel.calendar import today_in_england  # noqa: E402
from services.kernel.identity import Actor  # noqa: E402

SYSTEM = Actor(user_id="bench", roles=frozenset({"system"}))
AGENCIES = [{"agency_id": str(uuid.uuid4()), "name": f"Agency {n}"} for n in range(3)]


def _walk(state: domain.ReviewState, steps: list[tuple[str, dict[str, Any], tuple[str, ...]]]) -> None:
    now = datetime.now(UTC)
    for code, answers, _roles in steps:
        if code == "rapid_review":
            answers = {**answers, "agencies": AGENCIES}
        saved, _ = domain.save_step(state, code, answers, SYSTEM, None)
        state.steps[code] = saved
        domain.complete_step(state, code, SYSTEM, saved.version, now)


def reviews(count: int) -> list[domain.ReviewState]:
    """`count` child reviews, half in their rapid review, half in a paused LCSPR."""
    definition = domain.review_type("child_safeguarding")
    rapid = demo.LIFECYCLES["NB-2026-014 infant, serious harm"]
    paused = demo.LIFECYCLES["NB-2025-031 toddler, neglect"]
    states = []
    for index in range(count):
        lifecycle = rapid if index % 2 == 0 else paused
        state = domain.ReviewState(uuid.uuid4(), uuid.uuid4(), definition, {}, {})
        _walk(state, list(lifecycle.steps))
        state.returns = domain.ReturnsProgress(requested=True)
        if lifecycle.pause:
            state.pauses = [clock.PauseSpan(date.fromisoformat(lifecycle.pause["starts_on"]), None)]
        states.append(state)
    return states


def baseline(states: list[domain.ReviewState]) -> list[dict[str, Any]]:
    """The list before the lifecycle: a summary per review."""
    now = datetime.now(UTC)
    return [
        ReviewSummary(
            id=state.id,
            partnership_id=state.partnership_id,
            review_type=state.definition.code,
            review_type_label=state.definition.label,
            title="NB-2026-000",
            stage="rapid_review",
            stage_label=state.definition.stage_label("rapid_review"),
            opened_at=now,
        ).model_dump(mode="json")
        for state in states
    ]


def with_clock(states: list[domain.ReviewState]) -> list[dict[str, Any]]:
    """The list now: the same summary, and each review's plan for its next deadline and red/amber/green."""
    today = today_in_england()
    entries = baseline(states)
    for entry, state in zip(entries, states, strict=True):
        current = domain.plan(state, today)
        entry["rag"], entry["paused"], entry["closed"] = current.rag, current.paused, current.closed
        entry["next"] = current.next_deadline.revised_due_on if current.next_deadline else None
    return entries


def timed(build: Any, states: list[domain.ReviewState], rounds: int) -> float:
    """Median seconds of `rounds` builds of the whole list."""
    build(states)  # warm caches (the calendar's holidays per year)
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        build(states)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    arguments = parser.parse_args()
    states = reviews(arguments.reviews)
    before = timed(baseline, states, arguments.rounds)
    after = timed(with_clock, states, arguments.rounds)
    count = arguments.reviews
    print(f"my reviews, {count} reviews, median of {arguments.rounds} rounds")
    print("| list | ms per list | µs per review |")
    print("|---|---|---|")
    print(f"| summaries only (baseline) | {before * 1000:.1f} | {before / count * 1e6:.0f} |")
    print(f"| with each review's clock | {after * 1000:.1f} | {after / count * 1e6:.0f} |")
    print(f"ratio (with clock / baseline): {after / before:.1f}")


if __name__ == "__main__":
    main()
