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

from services.actions.contract import (
    ActionAssigned,
    ActionCompleted,
    ActionNotImplemented,
    ActionOverdue,
    ActionReopened,
    ActionSignedOff,
)
from services.analytics.contract import ActionCount, ReviewCount
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


# The state each of the actions service's events leaves an action in (an update that is not one of these
# leaves it where it was). Overdue comes from the service's timer; a later completion supersedes it.
ACTION_STATES = {
    ActionAssigned.event_type: "open",
    ActionReopened.event_type: "open",
    ActionOverdue.event_type: "overdue",
    ActionCompleted.event_type: "completed",
    ActionNotImplemented.event_type: "not_implemented",
    ActionSignedOff.event_type: "closed",
}
ACTION_STATE_ORDER = ("open", "overdue", "completed", "not_implemented", "closed")


@dataclass(frozen=True)
class ActionState:
    """The state one event leaves an action in, as of when the event occurred (the latest wins)."""

    action_id: UUID
    partnership_id: UUID
    state: str
    as_of: datetime


def action_state(envelope: Envelope) -> ActionState | None:
    """The state an actions event leaves its action in; None for one that names no partnership or action."""
    state = ACTION_STATES.get(envelope.type)
    action_id = envelope.data.get("action_id")
    if state is None or envelope.partnership_id is None or not action_id:
        return None
    return ActionState(UUID(str(action_id)), envelope.partnership_id, state, envelope.occurred_at)


def action_counts(partnership_id: UUID | None, counts: Iterable[tuple[str, int]]) -> list[ActionCount]:
    """The counts in the order of an action's life."""
    held = dict(counts)
    return [
        ActionCount(partnership_id=partnership_id, state=state, count=held.get(state, 0))
        for state in ACTION_STATE_ORDER
    ]
