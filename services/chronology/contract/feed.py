"""Agencies' own case systems publishing chronology entries on the bus: the message, where it goes, and the
system connections a partnership's administrator issues (docs/agency-systems.md tells an agency's developers).

Each agency publishes on its own exchange, `caserev.agency.<agency id>`, with a RabbitMQ user of its own that
may write to that exchange only and read nothing. The chronology service trusts who sent a message only from
the message's `user_id` property, which the broker checks against the connection's user; it then checks the
body against `AgencyMessage`, that the agency was asked for a chronology of that review, and each entry by the
same rules as a file (sheet.check_entry). A refused message goes to the dead-letter queue with its reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.chronology.contract.entries import ChronologyEntry

# The queue the chronology service reads every agency's messages from (bound to each agency's exchange).
AGENCY_ENTRIES_QUEUE = "chronology.agency-entries"
# Entries in one message: a batch a system sends at once.
MAX_MESSAGE_ENTRIES = 5000


def agency_exchange(agency_id: UUID) -> str:
    """The exchange an agency's system publishes on."""
    return f"caserev.agency.{agency_id}"


class AgencyMessage(BaseModel):
    """The body of a message an agency's system publishes (JSON, UTF-8): entries for one review.

    Each entry is what a row of the template holds, with dates as typed ("22/05/2016", "May 2016",
    "about 2016") and people by their register names ("Child A"). The message's AMQP properties must carry
    `user_id` (the connection's user name: the broker refuses any other), a unique `message_id` (a repeat of
    an id already applied is ignored) and `content_type` "application/json"."""

    model_config = ConfigDict(extra="forbid")

    review_id: UUID = Field(description="The review the entries are for, as the business manager gave it")
    entries: Annotated[list[ChronologyEntry], Field(min_length=1, max_length=MAX_MESSAGE_ENTRIES)]


def agency_message_json_schema() -> dict[str, Any]:
    """The JSON Schema of an agency's message body, as docs/asyncapi.json publishes it."""
    schema = AgencyMessage.model_json_schema(mode="validation")
    schema["title"] = "AgencyChronologyEntries"
    return schema


ConnectionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class IssueConnection(BaseModel):
    """The partnership's administrator issues an agency's case system a connection to the bus."""

    model_config = ConfigDict(extra="forbid")

    agency_id: UUID
    name: ConnectionName = Field(title="Name", description='The system it is for, e.g. "Police case system"')


class SystemConnectionView(BaseModel):
    """A system connection as the administrator's list shows it (never its password)."""

    id: UUID
    agency_id: UUID
    agency_name: str
    name: str
    username: str
    exchange: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_message_at: datetime | None = None


class IssuedConnection(SystemConnectionView):
    """A connection just issued, with what its system needs to publish: shown once, never stored."""

    password: str
    host: str
    port: int
    virtual_host: str


class RefusedMessage(BaseModel):
    """A message from an agency's system that was refused, for the business manager of its review (the
    reason in plain words; nothing of the message's entries)."""

    id: UUID
    received_at: datetime
    agency_name: str
    connection_name: str
    message_id: str | None
    reason: str
