"""What others may know of the analytics service: the read models it answers with."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ValidationError

from services.kernel.identity import Actor
from services.kernel.remote import Refused, RemoteService

SERVICE = "analytics"


class ReviewCount(BaseModel):
    """How many reviews of a type are at a stage, in one partnership or summed over several.

    An aggregate only: no review ids, no titles. `partnership_id` is None when the count is summed
    over every partnership the caller may see.
    """

    partnership_id: UUID | None
    review_type: str
    stage: str
    count: int


class ActionCount(BaseModel):
    """How many actions of review action plans are in a state (open, overdue, completed, not implemented,
    closed), in one partnership or summed over several. An aggregate only: no ids, no words."""

    partnership_id: UUID | None
    state: str
    count: int


def _give_a_partnership_id(error: ValidationError) -> list[dict[str, str]]:
    return [{"field": "partnership_id", "message": "Give a partnership id"}]


# One partnership's figures, or None for figures summed over every partnership the caller may see. The
# service's method takes this very alias, so the contract test finds the two annotations equal.
PartnershipChoice = Annotated[UUID | None, Refused("The partnership", _give_a_partnership_id)]


class Analytics(RemoteService):
    """Read models built from every event: aggregated figures only, never a case's details.

    The service implements each with the same signature (services/analytics/service.py); the gateway calls
    them through `Analytics.client(rpc)`. tests/unit/test_contracts.py proves the two agree.
    """

    service = SERVICE

    async def review_counts(
        self, actor: Actor, partnership_id: PartnershipChoice = None
    ) -> list[ReviewCount]:
        """Reviews by type and stage, for one partnership or summed over all the caller may see.

        Forbidden to anyone who may not see those figures (policy.visible_partnerships); a partnership id
        that is not an id is refused as InvalidRequest naming `partnership_id`.
        """
        raise NotImplementedError

    async def action_counts(
        self, actor: Actor, partnership_id: PartnershipChoice = None
    ) -> list[ActionCount]:
        """Actions of review action plans by state, from the actions service's events, for one partnership or
        summed over all the caller may see (the same rule as review_counts)."""
        raise NotImplementedError
