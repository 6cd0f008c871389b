"""What services may know of the gateway's identity: the events it publishes about people, agencies and
partnerships.

The gateway owns schema `identity` and publishes these through its outbox (gateway/identity_events.py), so
that services that write to people (notifications) keep their own copy of whom to write to. Pure pydantic,
no I/O, and nothing of the gateway but this module: a service imports it without importing the gateway.
The caller's identity that every RPC carries (Actor, Role) is the kernel's (services/kernel/identity.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from services.kernel.events import EventData

__all__ = ["AgencyChanged", "PartnershipChanged", "PersonChanged"]


class PersonChanged(EventData):
    """A person's account was created or changed (name, e-mail, roles, agency), or deactivated.

    The whole account as it now is, so that a consumer keeps the latest and can ignore older ones by
    `changed_at`. `email` is the address to write to (None: the account has none). It is sent only so
    that the notifications service can write to the person: log nothing of it.
    """

    event_type: ClassVar[str] = "identity.person_changed"

    user_id: UUID
    partnership_id: UUID | None
    agency_id: UUID | None
    display_name: str
    email: str | None
    roles: list[str]
    active: bool
    changed_at: datetime


class AgencyChanged(EventData):
    """An agency of a partnership was created or renamed: its name, as messages about its returns say it."""

    event_type: ClassVar[str] = "identity.agency_changed"

    agency_id: UUID
    partnership_id: UUID
    name: str
    agency_type: str
    changed_at: datetime


class PartnershipChanged(EventData):
    """A partnership was registered or changed: its code, name and region, as figures name it (analytics
    groups partnerships by region and shows their names)."""

    event_type: ClassVar[str] = "identity.partnership_changed"

    partnership_id: UUID
    code: str
    name: str
    region: str | None
    changed_at: datetime
