"""The caller's identity, carried by every RPC so that each service can check its own rules."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Actor(BaseModel):
    """Who is asking: a user (or an agency's system), their partnership, agency, roles and reviews."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    partnership_id: UUID | None = None
    agency_id: UUID | None = None
    roles: frozenset[str] = Field(default_factory=frozenset)
    reviews: frozenset[UUID] = Field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        """True if the actor holds any of the roles."""
        return bool(self.roles.intersection(roles))
