"""The rules of the analytics read models. Pure Python: no broker, no database.

A review is counted at one stage: the stage the latest event placed it at. Events arrive out of order
(competing workers, retries, a replay from the dead letters), so "latest" is when the event occurred, not
when it arrived: the event that occurred last wins whatever order they arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.analytics.contract import ReviewCount
from services.forms.contract import ReviewOpened, ReviewRestated, StageChanged
from services.kernel.events import Envelope

# The facts that say where a review is: opened (its first stage), moved on, restated (after an upgrade).
Placing = ReviewOpened | StageChanged | ReviewRestated


@dataclass(frozen=True)
class Placement:
    """Where one event places a review: its partnership, type and stage, as of when the event occurred."""

    review_id: UUID
    partnership_id: UUID
    review_type: str
    stage: str
    as_of: datetime

    def supersedes(self, held: Placement | None) -> bool:
        """Whether this placement replaces the one held: it occurred later (or nothing is held yet)."""
        return held is None or held.as_of < self.as_of


def placement(envelope: Envelope, fact: Placing) -> Placement | None:
    """Where the event places its review; None for an event that names no partnership (counted nowhere)."""
    if envelope.partnership_id is None:
        return None
    return Placement(
        review_id=fact.review_id,
        partnership_id=envelope.partnership_id,
        review_type=fact.review_type,
        stage=fact.stage,
        as_of=envelope.occurred_at,
    )


@dataclass(frozen=True)
class StageCount:
    """How many reviews of a type are at a stage (in whatever partnerships were asked about)."""

    review_type: str
    stage: str
    count: int


def review_counts(partnership_id: UUID | None, counts: Iterable[StageCount]) -> list[ReviewCount]:
    """The counts as the contract answers them: for one partnership, or summed (`partnership_id` None)."""
    return [
        ReviewCount(partnership_id=partnership_id, review_type=c.review_type, stage=c.stage, count=c.count)
        for c in counts
    ]
