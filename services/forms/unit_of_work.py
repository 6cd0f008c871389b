"""One call's work in the forms service, as its handlers see it.

The kernel's unit of work holds the transaction: the service's changes, the events they cause (the
transactional outbox) and the answers remembered under idempotency keys commit together, or none does.
`FormsUnitOfWork` adds the forms repository over that same transaction; a unit test builds one with a fake
repository (`FormsUnitOfWork(uow, reviews=fake)`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.forms.models import ReviewRecord
from services.forms.repository import FormsRepository
from services.kernel.events import EventData
from services.kernel.identity import Actor
from services.kernel.unit_of_work import IdempotentCommand, UnitOfWork


class FormsUnitOfWork:
    """The kernel's unit of work (transaction, outbox, idempotency keys) and the forms repository in it."""

    def __init__(self, uow: UnitOfWork, reviews: FormsRepository | None = None) -> None:
        self._uow = uow
        self.reviews = reviews if reviews is not None else FormsRepository(uow)

    def idempotent(self, method: str, caller: Actor, key: str | None, request: Any) -> IdempotentCommand:
        """A command guarded by the caller's idempotency key: a repeat is `done`, with the first `result`."""
        return self._uow.idempotent(method, caller, key, request)

    def emit(self, events: Iterable[EventData], review: ReviewRecord, actor_id: str) -> None:
        """Publish the events of one review, by one actor, through the outbox: in this transaction."""
        for event in events:
            self._uow.emit(
                event, partnership_id=review.partnership_id, review_id=review.id, actor_id=actor_id
            )
