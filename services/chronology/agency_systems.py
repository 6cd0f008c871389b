"""The use cases of agencies' own case systems: system connections issued and revoked by the partnership's
administrator, and the messages those systems publish, applied through the same checks as a file.

A message is applied, or refused with a reason that is kept for the review's business manager and goes with
the message to the dead-letter queue. Nothing of a refused message is stored but the reason.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy import select

from services.chronology import handlers, policy
from services.chronology.broker_users import Broker, new_username
from services.chronology.contract.events import AgencyMessageRefused, EntriesPublished
from services.chronology.contract.feed import (
    AgencyMessage,
    IssueConnection,
    IssuedConnection,
    RefusedMessage,
    SystemConnectionView,
    agency_exchange,
)
from services.chronology.models import RefusedMessageRecord, SystemConnectionRecord, UploadRecord
from services.chronology.repository import ChronologyStore
from services.chronology.settings import chronology_settings
from services.kernel.calendar import today_in_england
from services.kernel.config import get_settings
from services.kernel.errors import Forbidden, InvalidRequest, NotFound
from services.kernel.identity import Actor, Role
from services.kernel.unit_of_work import UnitOfWork


class BrokerUsers(Protocol):
    """What issuing and revoking a connection needs of the broker (broker_users.Broker; a fake in tests)."""

    @property
    def virtual_host(self) -> str: ...

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    def declare_agency_exchange(self, agency_id: UUID) -> str: ...

    def create_publisher(self, username: str, agency_id: UUID) -> str: ...

    def remove_publisher(self, username: str) -> None: ...


def the_broker() -> Broker:
    """The broker this service runs on, with its management API (where agencies' users are made)."""
    return Broker(get_settings().amqp_uri, chronology_settings().broker_management_url)


def _now() -> datetime:
    return datetime.now(UTC)


def _check_administers(actor: Actor) -> UUID:
    if not actor.has_role(Role.PARTNERSHIP_ADMIN) or actor.partnership_id is None:
        raise Forbidden("Only the partnership's administrator can manage agencies' system connections")
    return actor.partnership_id


def _view(record: SystemConnectionRecord, agency_name: str) -> dict[str, Any]:
    return {
        "id": record.id,
        "agency_id": record.agency_id,
        "agency_name": agency_name,
        "name": record.name,
        "username": record.username,
        "exchange": agency_exchange(record.agency_id),
        "created_at": record.created_at,
        "revoked_at": record.revoked_at,
        "last_message_at": record.last_message_at,
    }


def issue_connection(
    uow: UnitOfWork, actor: Actor, command: IssueConnection, broker: BrokerUsers | None = None
) -> IssuedConnection:
    """A broker user for an agency of the administrator's partnership; its password is shown once."""
    broker = broker or the_broker()
    partnership_id = _check_administers(actor)
    store = ChronologyStore(uow.session)
    agency = store.agency(command.agency_id)
    if agency is None or agency.partnership_id != partnership_id:
        raise NotFound("No such agency")
    connection_id = uuid.uuid4()
    record = SystemConnectionRecord(
        id=connection_id,
        partnership_id=partnership_id,
        agency_id=agency.id,
        name=command.name,
        username=new_username(connection_id),
        created_by=actor.user_id,
        created_at=_now(),
    )
    uow.session.add(record)
    uow.session.flush()
    broker.declare_agency_exchange(agency.id)
    # Made last: if the broker refuses, the transaction rolls back and nothing is left half-made.
    password = broker.create_publisher(record.username, agency.id)
    settings = chronology_settings()
    return IssuedConnection(
        **_view(record, agency.name),
        password=password,
        host=settings.agency_amqp_host or broker.host,
        port=settings.agency_amqp_port or broker.port,
        virtual_host=broker.virtual_host,
    )


def revoke_connection(
    uow: UnitOfWork, actor: Actor, connection_id: UUID, broker: BrokerUsers | None = None
) -> SystemConnectionView:
    """The connection's user is closed and deleted: its system can no longer publish."""
    broker = broker or the_broker()
    partnership_id = _check_administers(actor)
    record = uow.session.get(SystemConnectionRecord, connection_id, with_for_update=True)
    if record is None or record.partnership_id != partnership_id:
        raise NotFound("No such connection")
    if record.revoked_at is None:
        broker.remove_publisher(record.username)
        record.revoked_at = _now()
    names = ChronologyStore(uow.session).agency_names([record.agency_id])
    return SystemConnectionView(**_view(record, names.get(record.agency_id, "An agency")))


def connections_of_partnership(uow: UnitOfWork, actor: Actor) -> list[SystemConnectionView]:
    """Every connection the administrator's partnership has issued, newest first."""
    partnership_id = _check_administers(actor)
    records = list(
        uow.session.scalars(
            select(SystemConnectionRecord)
            .where(SystemConnectionRecord.partnership_id == partnership_id)
            .order_by(SystemConnectionRecord.created_at.desc())
        )
    )
    names = ChronologyStore(uow.session).agency_names(list({r.agency_id for r in records}))
    return [SystemConnectionView(**_view(r, names.get(r.agency_id, "An agency"))) for r in records]


def refused_messages(uow: UnitOfWork, actor: Actor, review_id: UUID) -> list[RefusedMessage]:
    """Messages from agencies' systems refused for a review, newest first: for its business manager."""
    store = ChronologyStore(uow.session)
    review = store.review(review_id)
    policy.check_reads(actor, review_id, review.partnership_id if review else None)
    if not (actor.has_role(Role.BUSINESS_MANAGER) or actor.has_role(Role.SYSTEM)):
        raise Forbidden("Only the business manager sees messages refused from agencies' systems")
    records = list(
        uow.session.scalars(
            select(RefusedMessageRecord)
            .where(RefusedMessageRecord.review_id == review_id)
            .order_by(RefusedMessageRecord.received_at.desc())
            .limit(200)
        )
    )
    connections = {
        c.id: c
        for c in uow.session.scalars(
            select(SystemConnectionRecord).where(
                SystemConnectionRecord.id.in_([r.connection_id for r in records if r.connection_id])
            )
        )
    }
    names = store.agency_names(list({r.agency_id for r in records if r.agency_id}))
    return [
        RefusedMessage(
            id=r.id,
            received_at=r.received_at,
            agency_name=names.get(r.agency_id, "An agency") if r.agency_id else "Unknown sender",
            connection_name=connections[r.connection_id].name if r.connection_id in connections else "",
            message_id=r.message_id,
            reason=r.reason,
        )
        for r in records
    ]


# -- messages from agencies' systems -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of a message: applied (with how many entries), a repeat, or refused with the reason."""

    applied: int = 0
    repeat: bool = False
    refused: str | None = None


class Refusal(Exception):
    """A message refused, with the reason in plain words (for the dead-letter queue and the manager)."""

    def __init__(self, reason: str, review_id: UUID | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.review_id = review_id


def receive_message(uow: UnitOfWork, body: bytes, properties: Mapping[str, Any]) -> Outcome:
    """Apply a message an agency's system published, or refuse it (recording why) in the same transaction."""
    session = uow.session
    sender = properties.get("user_id")
    connection = (
        session.scalar(select(SystemConnectionRecord).where(SystemConnectionRecord.username == sender))
        if isinstance(sender, str) and sender
        else None
    )
    message_id = properties.get("message_id")
    message_id = str(message_id)[:200] if message_id else None
    try:
        return _apply(uow, connection, body, message_id)
    except Refusal as refusal:
        record = RefusedMessageRecord(
            id=uuid.uuid4(),
            received_at=_now(),
            connection_id=connection.id if connection else None,
            agency_id=connection.agency_id if connection else None,
            review_id=refusal.review_id,
            message_id=message_id,
            reason=refusal.reason,
        )
        session.add(record)
        if connection is not None:
            uow.emit(
                AgencyMessageRefused(
                    agency_id=connection.agency_id, review_id=refusal.review_id, refusal_id=record.id
                ),
                partnership_id=connection.partnership_id,
                review_id=refusal.review_id,
                actor_id=f"system:{connection.username}",
            )
        return Outcome(refused=refusal.reason)


def _apply(
    uow: UnitOfWork, connection: SystemConnectionRecord | None, body: bytes, message_id: str | None
) -> Outcome:
    if connection is None:
        raise Refusal(
            "the sender is not a system connection: publish with the user_id property set to your user"
        )
    if connection.revoked_at is not None:
        raise Refusal("the system connection was revoked")
    if not message_id:
        raise Refusal("the message has no message_id: give each message a unique one")
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refusal(
            "the body is not JSON in UTF-8: send the entries as docs/agency-systems.md shows"
        ) from None
    review_id = _review_id_of(document)
    try:
        message = AgencyMessage.model_validate(document, context={"today": today_in_england()})
    except ValidationError as error:
        raise Refusal("the message does not follow the schema: " + _problems(error), review_id) from None
    store = ChronologyStore(uow.session)
    review = store.review(message.review_id)
    if review is None or review.partnership_id != connection.partnership_id:
        raise Refusal("no such review for this agency", None)
    if connection.agency_id not in store.asked_agencies(review.id):
        raise Refusal("the agency has not been asked for a chronology of this review", review.id)
    if review.closed:
        raise Refusal("the review is closed: its chronology can no longer change", review.id)
    # A repeat of a message already applied (the system sent it again after a lost confirm) changes nothing.
    if not _first_time(uow, connection, message_id):
        return Outcome(repeat=True)
    people = store.people(review.id)
    try:
        checked = handlers.checked_rows(
            message.entries, handlers.people_of(people), handlers.born_on_of(people), today_in_england()
        )
    except InvalidRequest as refusal:
        raise Refusal(f"an entry is not right: {refusal.message}", review.id) from None
    upload = _system_upload(store, connection, review.id)
    store.stage(upload, [handlers.entry_fields(entry, ids) for entry, ids in checked])
    upload.entries += len(checked)
    upload.rows_read += len(checked)
    upload.touched_at = connection.last_message_at = _now()
    uow.emit(
        EntriesPublished(
            review_id=review.id, agency_id=connection.agency_id, upload_id=upload.id, entries=len(checked)
        ),
        partnership_id=review.partnership_id,
        review_id=review.id,
        actor_id=f"system:{connection.username}",
    )
    # Its entries are compared for likely duplicates and made searchable once this commits, when the service
    # hears EntriesPublished (handlers.settle_upload): the next message need not wait for that.
    return Outcome(applied=len(checked))


def _review_id_of(document: Any) -> UUID | None:
    try:
        return UUID(str(document.get("review_id"))) if isinstance(document, dict) else None
    except ValueError:
        return None


def _problems(error: ValidationError) -> str:
    shown = []
    for problem in error.errors()[:10]:
        where = ".".join(str(part) for part in problem["loc"])
        shown.append(f"{where}: {problem['msg']}" if where else problem["msg"])
    more = len(error.errors()) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _first_time(uow: UnitOfWork, connection: SystemConnectionRecord, message_id: str) -> bool:
    """Record the message in the inbox, keyed by its sender and id; False if it was applied before."""
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"agency-message:{connection.username}:{message_id}")
    return uow.first_receipt(key, "agency.entries")


def _system_upload(
    store: ChronologyStore, connection: SystemConnectionRecord, review_id: UUID
) -> UploadRecord:
    """The agency's feed from its system for the review: one current version that its messages add to."""
    current = store.current_upload(review_id, connection.agency_id, "system")
    if current is not None:
        return current
    now = _now()
    upload = UploadRecord(
        id=uuid.uuid4(),
        review_id=review_id,
        agency_id=connection.agency_id,
        source="system",
        filename=f"Published by {connection.name}",
        size_bytes=0,
        state="current",
        rows_expected=0,
        rows_read=0,
        entries=0,
        problems=[],
        warnings=[],
        uploaded_by=f"system:{connection.username}",
        uploaded_by_name=connection.name,
        uploaded_at=now,
        touched_at=now,
        imported_at=now,
        imported_by_name=connection.name,
    )
    store.add_upload(upload)
    return upload
