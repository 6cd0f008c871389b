"""What others may know of the notifications service: contacts it writes to, and what it sent."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

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


AccountEmailKind = Literal[
    "invitation",
    "password_reset",
    "second_factor_reset",
    "code_reused",
    "password_changed",
    "account_deactivated",
]


class AccountEmail(BaseModel):
    """Command: e-mail a person about their account (the gateway, as the system, asks for it).

    The service writes the words for the kind; nothing about any case goes in. `link`, when given, must
    be a page of this Case Review (it starts with the configured public address). `partnership_id` is
    the account's partnership, kept with the e-mail so that the partnership's data protection officer
    finds it; leave it out for an account of no partnership.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    to: EmailStr
    display_name: str = Field(min_length=1, max_length=120)
    kind: AccountEmailKind
    link: str | None = Field(default=None, max_length=2000)
    partnership_id: UUID | None = None

    @field_validator("display_name", "link")
    @classmethod
    def _single_line(cls, value: str | None) -> str | None:
        if value is not None and any(ord(ch) < 32 for ch in value):
            raise ValueError("Must be a single line of text")
        return value
