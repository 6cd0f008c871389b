"""What a notifications handler works in: the worker's transaction and the service's repository on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session, sessionmaker

from services.kernel.events import Envelope, EventData
from services.kernel.identity import Actor
from services.kernel.unit_of_work import IdempotentCommand, UnitOfWork
from services.notifications.repository import NotificationsRepository


class Unit:
    """A handler's unit of work: the kernel's (one transaction with its outbox, inbox and idempotency keys,
    committed by the entrypoint before it replies or acknowledges) and the repository on its session.

    `repository` makes the repository from the session: a unit test passes one that returns a fake.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        repository: Callable[[Session], NotificationsRepository] = NotificationsRepository,
    ) -> None:
        self._uow = uow
        self._make_repository = repository
        self._repository: NotificationsRepository | None = None

    @property
    def repository(self) -> NotificationsRepository:
        """The service's storage on this transaction (its session opens on first use)."""
        if self._repository is None:
            self._repository = self._make_repository(self._uow.session)
        return self._repository

    @property
    def session(self) -> Session:
        """The transaction's session, for the engine's set-based work (locks, upserts, SKIP LOCKED)."""
        return self._uow.session

    @property
    def sessions(self) -> sessionmaker[Session]:
        """New sessions, for work that commits in steps (the sender: `sending`, then `sent`)."""
        return self._uow.sessions

    def emit(self, payload: EventData, partnership_id: UUID | None, review_id: UUID | None = None) -> None:
        """Record an event in this transaction's outbox (the engine's `Emit`)."""
        self._uow.emit(payload, partnership_id=partnership_id, review_id=review_id)

    def first_delivery(self, envelope: Envelope) -> bool:
        """Record the event in this handler's inbox; False if it had it before (skip it)."""
        return self._uow.first_delivery(envelope)

    def idempotent(self, method: str, caller: Actor, key: str | None, request: Any) -> IdempotentCommand:
        """A command guarded by the caller's idempotency key: a repeat answers as the first did."""
        return self._uow.idempotent(method, caller, key, request)
