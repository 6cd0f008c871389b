"""The analytics use cases: the intake of forms' events, and the counts query.

Each takes the worker's unit of work (one transaction, committed by the entrypoint before it acknowledges
or replies) and the review stages (the table, unless a test hands in a fake).
"""

from __future__ import annotations

from uuid import UUID

from services.analytics import domain, policy
from services.analytics.contract import ActionCount, ReviewCount
from services.analytics.repository import ActionStates, ActionStatesTable, ReviewStages, ReviewStagesTable
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.unit_of_work import UnitOfWork


def place_review(
    uow: UnitOfWork, envelope: Envelope, fact: type[domain.Placing], stages: ReviewStages | None = None
) -> None:
    """A forms event placed a review at a stage: hold it, once per event, unless a later one is held."""
    placement = domain.placement(envelope, envelope.payload(fact))
    if placement is None or not uow.first_delivery(envelope):
        return
    _or_table(uow, stages).place(placement)


def review_counts(
    uow: UnitOfWork, actor: Actor, partnership_id: UUID | None, stages: ReviewStages | None = None
) -> list[ReviewCount]:
    """Reviews by type and stage for one partnership, or summed over those the actor may see (policy)."""
    partnerships = policy.visible_partnerships(actor, partnership_id)
    stages = _or_table(uow, stages)
    if partnership_id is not None:
        counts = stages.counts_in(partnership_id)
    elif partnerships is not None and not partnerships:
        counts = []  # a region of no partnerships has nothing to sum
    else:
        counts = stages.counts_summed(partnerships)
    return domain.review_counts(partnership_id, counts)


def place_action(uow: UnitOfWork, envelope: Envelope, states: ActionStates | None = None) -> None:
    """An actions event moved an action to a state: hold it, once per event, unless a later one is held."""
    state = domain.action_state(envelope)
    if state is None or not uow.first_delivery(envelope):
        return
    (ActionStatesTable(uow.session) if states is None else states).place(state)


def action_counts(
    uow: UnitOfWork, actor: Actor, partnership_id: UUID | None, states: ActionStates | None = None
) -> list[ActionCount]:
    """Actions by state for one partnership, or summed over those the actor may see (policy)."""
    partnerships = policy.visible_partnerships(actor, partnership_id)
    if partnerships is not None and not partnerships:
        return domain.action_counts(partnership_id, [])
    table = ActionStatesTable(uow.session) if states is None else states
    return domain.action_counts(partnership_id, table.counts(partnerships))


def _or_table(uow: UnitOfWork, stages: ReviewStages | None) -> ReviewStages:
    return ReviewStagesTable(uow.session) if stages is None else stages
