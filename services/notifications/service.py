"""The notifications service: everything sent to a person, in-app and by e-mail."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from services.forms.contract import PersonQuery, PersonRecord, ReviewOpened
from services.kernel.config import get_settings
from services.kernel.entrypoints import event_handler, rpc, timer
from services.kernel.errors import validated
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork
from services.notifications import domain, models, policy
from services.notifications.contract import SERVICE, AccountEmail, InAppNotification, PartnershipContact
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
        """Add or replace the contact for a partnership and role (until identity feeds it by events).

        The system, or an administrator of that partnership (policy.check_may_set_contact); else Forbidden.
        """
        caller = Actor.model_validate(actor)
        wanted = validated(PartnershipContact, contact, "The contact")
        policy.check_may_set_contact(caller, wanted.partnership_id)
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
        record.recorded_at = datetime.now(UTC)
        session.add(record)
        return str(record.id)

    @rpc
    def send_account_email(
        self, actor: dict[str, Any], message: dict[str, Any], idempotency_key: str | None = None
    ) -> str:
        """Queue an e-mail about a person's account (AccountEmail); returns the e-mail's id.

        Only the system may ask (policy.check_may_send_account_email): the gateway, for invitations,
        resets and security alerts. The domain writes the words; the `send_queued_email` timer sends it.
        Repeating an idempotency key returns the first e-mail's id and queues nothing more.
        """
        caller = Actor.model_validate(actor)
        policy.check_may_send_account_email(caller)
        command_once = self.uow.idempotent("send_account_email", caller, idempotency_key, message)
        if command_once.done:
            return str(command_once.result)
        wanted = validated(AccountEmail, message, "The e-mail")
        settings = get_settings()
        letter = domain.account_letter(
            wanted,
            public_url=settings.public_url,
            invitation_days=settings.invitation_days,
            password_reset_minutes=settings.password_reset_minutes,
        )
        now = datetime.now(UTC)
        email = EmailRecord(
            id=uuid.uuid4(),
            notification_id=None,
            partnership_id=wanted.partnership_id,
            to_address=str(wanted.to),
            subject=letter.subject,
            body=letter.body,
            status="queued",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
        self.uow.session.add(email)
        log.info("queued account e-mail %s (%s)", email.id, wanted.kind)
        result = str(email.id)
        command_once.remember(result)
        return result

    @rpc
    def records_about_person(self, actor: dict[str, Any], person: dict[str, Any]) -> list[dict[str, Any]]:
        """Data protection: every record addressed to a person's e-mail (PersonQuery), as PersonRecords.

        Contacts with that address, their in-app notifications, and e-mail sent to it, in the caller's
        partnership. Only its data protection officer, or the system, may ask
        (policy.data_protection_scope); e-mail kept for no partnership is found only by the system
        acting for no partnership. The service holds no user ids: a query by user id alone finds nothing.
        """
        caller = Actor.model_validate(actor)
        partnership_id = policy.data_protection_scope(caller)
        wanted = validated(PersonQuery, person, "The person")
        if wanted.email is None:
            return []
        session = self.uow.session
        contacts = models.contacts_with_address(session, wanted.email, partnership_id)
        records = [
            PersonRecord(
                service=SERVICE,
                record_type="contact",
                record_id=str(contact.id),
                partnership_id=contact.partnership_id,
                summary=f"Contact of the partnership in the role {contact.role}",
                recorded_at=contact.recorded_at,
            )
            for contact in contacts
        ]
        records += [
            PersonRecord(
                service=SERVICE,
                record_type="notification",
                record_id=str(notification.id),
                partnership_id=notification.partnership_id,
                summary=f"In-app notification: {notification.title}",
                recorded_at=notification.created_at,
            )
            for notification in models.notifications_of(session, [contact.id for contact in contacts])
        ]
        records += [
            PersonRecord(
                service=SERVICE,
                record_type="email",
                record_id=str(email.id),
                partnership_id=email.partnership_id,
                summary=f"E-mail ({email.status}): {email.subject}",
                recorded_at=email.created_at,
            )
            for email in models.emails_to(session, wanted.email, partnership_id)
        ]
        return [record.model_dump(mode="json") for record in records]

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
                    partnership_id=envelope.partnership_id,
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
