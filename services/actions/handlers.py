"""The actions use cases. Each takes the worker's unit of work (one transaction, committed by the entrypoint
before it replies) and the actions (the table, unless a test hands in a fake)."""

from __future__ import annotations

from uuid import UUID

from services.actions import domain, policy
from services.actions.contract import ActionSummary
from services.actions.repository import ActionTable, ReviewActions
from services.kernel.identity import Actor
from services.kernel.unit_of_work import UnitOfWork


def actions_of_review(
    uow: UnitOfWork, actor: Actor, review_id: UUID, actions: ReviewActions | None = None
) -> list[ActionSummary]:
    """A review's actions, soonest due first: NotFound for a caller who could
    see the review in no partnership; empty for one whose partnership does not hold it (policy)."""
    # Before any read: refuse whom the review would not be shown to whichever partnership held it.
    policy.check_may_see_review(actor, review_id, holder=None)
    held = (ActionTable(uow.session) if actions is None else actions).of_review(review_id)
    if not policy.may_see_review(actor, review_id, domain.holder(held)):
        # Another partnership's review reads exactly as one with no actions here: its existence is not told.
        return []
    return [action.summary() for action in domain.in_order(held)]
