"""Data protection across the services: whom a subject access or erasure search looks for, and the records
each service answers with, so that the gateway lists them together (gateway/routes/dpo.py).

Every service that holds records about people answers `records_about_person(actor, person)`: the person is
a `PersonQuery`, the answer a list of `PersonRecord`s made by `person_record`. Pure pydantic, no I/O.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

__all__ = ["PersonQuery", "PersonRecord", "person_record"]


class PersonQuery(BaseModel):
    """Data protection: whom to look for (subject access, erasure). At least one field is given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user_id: str | None = Field(default=None, min_length=1, max_length=100)
    email: EmailStr | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> PersonQuery:
        if self.user_id is None and self.email is None:
            raise ValueError("Give a user id or an e-mail address")
        return self


class PersonRecord(BaseModel):
    """Data protection: one record a service holds that refers to a person, described without case details.

    Every service answers `records_about_person` with these, so the gateway can list them together.
    """

    service: str
    record_type: str
    record_id: str
    partnership_id: UUID | None
    summary: str
    # When the record was made or last changed; None where the service did not record it.
    recorded_at: datetime | None


def person_record(
    service: str,
    record_type: str,
    record_id: UUID | str,
    partnership_id: UUID | None,
    summary: str,
    recorded_at: datetime | None,
) -> PersonRecord:
    """One record of `service` about a person: its type, its id (a UUID or a composite key, as text), the
    partnership it belongs to, what it is in words without case details, and when it was made or changed."""
    return PersonRecord(
        service=service,
        record_type=record_type,
        record_id=str(record_id),
        partnership_id=partnership_id,
        summary=summary,
        recorded_at=recorded_at,
    )
