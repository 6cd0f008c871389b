"""The actions service: lessons, recommendations and the action plan."""

from __future__ import annotations

from services.actions.contract import SERVICE
from services.actions.models import Base
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork


class ActionsService(ServiceBase):
    """On the bus with its schema, outbox and metrics; its domain arrives with later issues."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]
