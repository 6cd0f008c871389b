"""The seam between the handlers and storage: a review's actions.

Handlers speak to `ReviewActions`; `ActionTable` keeps them in the schema through models.py, and a unit test
hands the handler a fake instead.
"""

from __future__ import annotations

from typing import Protocol, cast
from uuid import UUID

from sqlalchemy.orm import Session

from services.actions import models
from services.actions.contract import ActionStatus
from services.actions.domain import Action


class ReviewActions(Protocol):
    """The actions of reviews."""

    def of_review(self, review_id: UUID) -> list[Action]:
        """Every action of one review, in no particular order."""
        ...


class ActionTable:
    """ReviewActions in the table `actions.action`, in the worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of_review(self, review_id: UUID) -> list[Action]:
        return [
            Action(
                id=record.id,
                review_id=record.review_id,
                partnership_id=record.partnership_id,
                due_on=record.due_on,
                status=cast(ActionStatus, record.status),
            )
            for record in models.actions_of(self.session, review_id)
        ]
