"""The notifications service: everything sent to a person, in-app and by e-mail."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from services.forms.contract import ReviewOpened
from services.kernel.config import get_settings
from services.kernel.entrypoints import event_handler, rpc, timer
from services.kernel.errors import Forbidden, validated
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork
from services.notifications import domain
from services.notifications.contract import SERVICE, InAppNotification, PartnershipContact
from services.notifications.models import Base, ContactRecord, EmailRecord, NotificationRecord
from services.notifications.smtp import send_email

log = logging.getLogger(__name__)

SEND_BATCH = 20


class NotificationsService(ServiceBase):
    """Turns events into in-app notifications and e-mails, and delivers the e-mails."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]

    @rpc
    def set_contact(self, actor: dict[str, Any], contact: dict[str, Any]) -> str:
        """Add or replace the contact for a partnership and role (until identity feeds it by events)."""
        caller = Actor.model_validate(actor)
        if not caller.has_role("system", "partnership_admin"):
            raise Forbidden("Only an administrator can set contacts")
        wanted = validated(PartnershipContact, contact, "The contact")
        session = self.uow.session
        existing = session.scalars(
            select(ContactRecord).where(
                ContactRecord.partnership_id == wanted.partnership_id,
                ContactRecord.role == wanted.role,
                ContactRecord.email == wanted.email,
            )
        ).first()
        record = existing or ContactRecord(id=uuid.uuid4())
        record.partnership_id, record.role = wanted.partnership_id, wanted.role
        record.display_name, record.email = wanted.display_name, wanted.email
        session.add(record)
        return str(record.id)

    @event_handler("forms", "review_opened")
    def tell_business_managers(self, message: dict[str, Any]) -> None:
        """A review opened: an in-app notification and an e-mail for each business manager."""
        envelope = Envelope.model_validate(message)
        if not self.uow.first_delivery(envelope):
            return
        opened = envelope.payload(ReviewOpened)
        if envelope.partnership_id is None:
            log.warning("event %s names no partnership: nobody to tell", envelope.event_id)
            return
        session = self.uow.session
        contacts = {
            contact.id: contact
            for contact in session.scalars(
                select(ContactRecord).where(
                    ContactRecord.partnership_id == envelope.partnership_id,
                    ContactRecord.role == "business_manager",
                )
            )
        }
        if not contacts:
            log.warning("no business manager to tell of event %s", envelope.event_id)
        now = datetime.now(UTC)
        for outgoing in domain.review_opened_messages(
            opened.review_id,
            envelope.partnership_id,
            opened.review_type,
            list(contacts),
            get_settings().public_url,
        ):
            notification = NotificationRecord(
                id=uuid.uuid4(),
                contact_id=outgoing.contact_id,
                partnership_id=envelope.partnership_id,
                review_id=opened.review_id,
                event_id=envelope.event_id,
                kind=outgoing.kind,
                title=outgoing.title,
                body=outgoing.body,
                created_at=now,
            )
            session.add(notification)
            session.add(
                EmailRecord(
                    id=uuid.uuid4(),
                    notification_id=notification.id,
                    to_address=contacts[outgoing.contact_id].email,
                    subject=outgoing.title,
                    body=outgoing.body,
                    status="queued",
                    attempts=0,
                    created_at=now,
                    next_attempt_at=now,
                )
            )

    @timer(interval=1)
    def send_queued_email(self) -> None:
        """Deliver queued e-mail; rows are claimed with SKIP LOCKED, so each is sent by one process."""
        session = self.uow.session
        now = datetime.now(UTC)
        due = session.scalars(
            select(EmailRecord)
            .where(EmailRecord.status == "queued", EmailRecord.next_attempt_at <= now)
            .order_by(EmailRecord.created_at)
            .limit(SEND_BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        settings = get_settings()
        for email in due:
            email.attempts += 1
            try:
                send_email(
                    settings,
                    to=email.to_address,
                    subject=email.subject,
                    body=email.body,
                    message_key=str(email.id),
                )
            except Exception as exc:
                email.last_error = f"{type(exc).__name__}: {str(exc)[:200]}"
                retry_at = domain.next_attempt(email.attempts, now)
                if retry_at is None:
                    email.status = "failed"
                else:
                    email.next_attempt_at = retry_at
                log.warning(
                    "e-mail %s not sent (attempt %d): %s", email.id, email.attempts, type(exc).__name__
                )
                continue
            email.status, email.sent_at, email.last_error = "sent", datetime.now(UTC), None

    @rpc
    def notifications_for(self, actor: dict[str, Any], email: str) -> list[dict[str, Any]]:
        """The in-app notifications of the contact with this e-mail, newest first (own only)."""
        caller = Actor.model_validate(actor)
        session = self.uow.session
        contact_ids = list(
            session.scalars(
                select(ContactRecord.id).where(
                    ContactRecord.email == email, ContactRecord.partnership_id == caller.partnership_id
                )
            )
        )
        rows = session.scalars(
            select(NotificationRecord)
            .where(NotificationRecord.contact_id.in_(contact_ids))
            .order_by(NotificationRecord.created_at.desc())
            .limit(100)
        )
        return [
            InAppNotification(
                id=row.id,
                partnership_id=row.partnership_id,
                review_id=row.review_id,
                kind=row.kind,
                title=row.title,
                body=row.body,
                read=row.read_at is not None,
            ).model_dump(mode="json")
            for row in rows
        ]
