"""What others may know of the actions service: a review's actions, and the RPCs that answer them.

Lessons, recommendations and the monitored action plan arrive with later issues; today the service answers
which actions a review has (none until those issues).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel

from services.kernel.identity import Actor
from services.kernel.remote import RemoteService, found_by_id

SERVICE = "actions"

# An id that is not an id reads as "No such review", as the id of a review the caller may not see does.
ReviewId = Annotated[UUID, found_by_id("review")]

ActionStatus = Literal["open", "completed", "not_implemented"]


class ActionSummary(BaseModel):
    """One action of a review's action plan as a list shows it: when it is due and where it stands.

    `due_on` is None for an action with no date yet. No names, no evidence, nothing about the child.
    """

    id: UUID
    review_id: UUID
    due_on: date | None
    status: ActionStatus


class Actions(RemoteService):
    """Lessons, recommendations and the action plan of each review.

    The service implements each with the same signature (services/actions/service.py);
    tests/unit/test_contracts.py proves the two agree.
    """

    service = SERVICE

    async def actions_of_review(self, actor: Actor, review_id: ReviewId) -> list[ActionSummary]:
        """A review's actions, soonest due first; NotFound if the caller may not see the review."""
        raise NotImplementedError
