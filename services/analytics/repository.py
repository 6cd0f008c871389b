"""The seam between the handlers and storage: where reviews are placed, and their counts.

Handlers speak to `ReviewStages`; `ReviewStagesTable` keeps them in the schema through models.py, and a
unit test hands the handler a fake instead. The table calls models' functions through the module at call
time, so a test may also replace one of them.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from sqlalchemy.orm import Session

from services.analytics import models
from services.analytics.domain import ActionState, Placement, StageCount


class ReviewStages(Protocol):
    """Where each review is, and how many are at each stage."""

    def place(self, placement: Placement) -> None:
        """Hold the placement unless a later one is held (domain.Placement.supersedes)."""

    def counts_in(self, partnership_id: UUID) -> list[StageCount]:
        """One partnership's reviews by type and stage."""
        ...

    def counts_summed(self, partnerships: frozenset[UUID] | None) -> list[StageCount]:
        """Reviews by type and stage summed over these partnerships (None: every partnership)."""
        ...


class ReviewStagesTable:
    """ReviewStages in the table `analytics.review_stage`, in the worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def place(self, placement: Placement) -> None:
        models.place_review(
            self.session,
            placement.review_id,
            placement.partnership_id,
            placement.review_type,
            placement.stage,
            placement.as_of,
        )

    def counts_in(self, partnership_id: UUID) -> list[StageCount]:
        return [StageCount(*row) for row in models.counts_of(self.session, partnership_id)]

    def counts_summed(self, partnerships: frozenset[UUID] | None) -> list[StageCount]:
        return [StageCount(*row) for row in models.summed_counts(self.session, partnerships)]


class ActionStates(Protocol):
    """Where each action stands, and how many are in each state."""

    def place(self, state: ActionState) -> None:
        """Hold the state unless a later one is held."""

    def counts(self, partnerships: frozenset[UUID] | None) -> list[tuple[str, int]]:
        """Actions by state over these partnerships (None: every partnership)."""
        ...


class ActionStatesTable:
    """ActionStates in the table `analytics.action_state`, in the worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def place(self, state: ActionState) -> None:
        models.place_action(self.session, state.action_id, state.partnership_id, state.state, state.as_of)

    def counts(self, partnerships: frozenset[UUID] | None) -> list[tuple[str, int]]:
        return models.action_counts(self.session, partnerships)
