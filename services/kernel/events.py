"""The one event envelope every service publishes, and the base type of every event payload."""

from __future__ import annotations

import builtins
import re
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

EVENT_TYPE = re.compile(r"^[a-z]+\.[a-z_]+$")


class EventData(BaseModel):
    """Base of every event payload in a contract module: identifiers and facts, no free text about a child."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    version: ClassVar[int] = 1


class Envelope(BaseModel):
    """What travels on the bus: `type` is `service.past_tense_fact`, `data` the payload of that type."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    partnership_id: UUID | None = None
    review_id: UUID | None = None
    actor_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _type_names_service_and_fact(cls, value: str) -> str:
        if not EVENT_TYPE.match(value):
            raise ValueError("event type must look like 'service.something_happened'")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _occurred_at_is_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone")
        return value.astimezone(UTC)

    @property
    def source(self) -> str:
        """The service that published the event (the exchange `<source>.events`)."""
        return self.type.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The fact's name, which is the routing key on the source's exchange."""
        return self.type.split(".", 1)[1]

    @classmethod
    def wrap(
        cls,
        payload: EventData,
        *,
        partnership_id: UUID | None = None,
        review_id: UUID | None = None,
        actor_id: str | None = None,
    ) -> Envelope:
        """Put a contract payload in an envelope."""
        return cls(
            type=payload.event_type,
            version=payload.version,
            partnership_id=partnership_id,
            review_id=review_id,
            actor_id=actor_id,
            data=payload.model_dump(mode="json"),
        )

    def payload(self, payload_type: builtins.type[EventData]) -> Any:
        """The data as the contract type it claims to be."""
        if payload_type.event_type != self.type:
            raise ValueError(f"envelope holds {self.type}, not {payload_type.event_type}")
        return payload_type.model_validate(self.data)
