"""The rules of the action plan. Pure Python: no broker, no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.actions.contract import ActionStatus, ActionSummary


@dataclass(frozen=True)
class Action:
    """An action of a review's action plan, held by the review's partnership."""

    id: UUID
    review_id: UUID
    partnership_id: UUID
    due_on: date | None
    status: ActionStatus

    def summary(self) -> ActionSummary:
        """The action as the contract lists it."""
        return ActionSummary(id=self.id, review_id=self.review_id, due_on=self.due_on, status=self.status)


def holder(actions: Iterable[Action]) -> UUID | None:
    """The partnership holding the review, as its actions record it; None when it has none here yet."""
    return next((action.partnership_id for action in actions), None)


def in_order(actions: Iterable[Action]) -> list[Action]:
    """A review's actions as the sub-group monitors them: soonest due first, those with no date last."""
    return sorted(
        actions, key=lambda action: (action.due_on is None, action.due_on or date.max, str(action.id))
    )
