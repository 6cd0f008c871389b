"""What others may know of the notifications service: contacts it writes to, and what it sent."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field

SERVICE = "notifications"


class PartnershipContact(BaseModel):
    """A person the service writes to for a partnership in a role (business_manager, executive, ...)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    partnership_id: UUID
    role: str = Field(pattern=r"^[a-z_]{3,40}$")
    display_name: str = Field(min_length=1, max_length=120)
    email: EmailStr


class InAppNotification(BaseModel):
    """A message in a person's notification centre."""

    id: UUID
    partnership_id: UUID
    review_id: UUID | None
    kind: str
    title: str
    body: str
    read: bool
