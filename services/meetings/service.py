"""The meetings service: rapid review meetings, panels, practitioner events and family contact."""

from __future__ import annotations

from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork
from services.meetings.contract import SERVICE
from services.meetings.models import Base


class MeetingsService(ServiceBase):
    """On the bus with its schema, outbox and metrics; its domain arrives with later issues."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]
