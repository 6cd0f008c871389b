"""The notifications service: everything sent to a person, in-app and by e-mail.

Rules as data (rules.yml, services/notifications/rules.py) turn events and approaching due dates into
messages; the engine (engine.py) writes them; a scheduler sends the date rules' reminders on one process
at a time; a sender delivers e-mail with retries and back-off, and never sends one twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from nameko.extensions import DependencyProvider
from sqlalchemy import select

from gateway.contract import AgencyChanged, PersonChanged
from services.kernel.config import notification_settings
from services.kernel.data_protection import PersonQuery, person_record
from services.kernel.entrypoints import event_handler, rpc, timer
from services.kernel.errors import InvalidRequest, NotFound, validated
from services.kernel.events import Envelope, EventData
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork
from services.notifications import domain, engine, models, policy
from services.notifications.contract import (
    SERVICE,
    AccountEmail,
    Delivery,
    DeliveryAttempt,
    DeliveryQuery,
    InAppNotification,
    Inbox,
    KindChoice,
    MarkRead,
    NotificationsRead,
    Preferences,
    RuleSetting,
    SetPreferences,
    SetRule,
)
from services.notifications.figures import DeliveryFigures
from services.notifications.models import (
    Base,
    DeliveryEventRecord,
    EmailRecord,
    NotificationRecord,
    PreferenceRecord,
    RuleSettingRecord,
)
from services.notifications.rules import Rule, RuleBook, load_rules
from services.notifications.smtp import send_email

log = logging.getLogger(__name__)

SEND_BATCH = 20


def rule_book() -> RuleBook:
    """The deployment's rules (CASEREV_NOTIFICATION_RULES, else the shipped file)."""
    configured = notification_settings().notification_rules
    return load_rules(Path(configured) if configured else None)


RULES = rule_book()


class RulesReport(DependencyProvider):
    """Says, when the service starts, which rules are not active and why (the settings page says it too)."""

    def setup(self) -> None:
        for problem in RULES.problems:
            log.warning("notification rule not active: %s", problem)


def _setting_of(rule: Rule, record: RuleSettingRecord | None) -> RuleSetting:
    figures = engine.effective(rule, record)
    return RuleSetting(
        code=rule.code,
        label=rule.label,
        trigger=rule.trigger(figures.days),
        recipients=rule.recipients_in_words(),
        statutory=rule.statutory,
        enabled=figures.enabled,
        days=figures.days,
        default_days=rule.days,
        min_days=rule.bounds[0] if rule.bounds else None,
        max_days=rule.bounds[1] if rule.bounds else None,
        problem=rule.problem_in_words,
    )


class NotificationsService(ServiceBase):
    """Turns events and due dates into messages, in-app and by e-mail, and delivers the e-mail."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]
    figures = DeliveryFigures()
    rules_report = RulesReport()

    def _emit(self) -> engine.Emit:
        def emit(payload: EventData, partnership_id: UUID | None, review_id: UUID | None) -> None:
            self.uow.emit(payload, partnership_id=partnership_id, review_id=review_id)

        return emit

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
        settings = notification_settings()
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
        """Data protection: every record about a person (PersonQuery: user id or e-mail), as PersonRecords.

        The person as identity published them, their in-app notifications, and e-mail sent to their
        address (and to contacts of old with it), in the caller's partnership. Only its data protection
        officer, or the system, may ask (policy.data_protection_scope); e-mail kept for no partnership is
        found only by the system acting for no partnership.
        """
        caller = Actor.model_validate(actor)
        partnership_id = policy.data_protection_scope(caller)
        wanted = validated(PersonQuery, person, "The person")
        session = self.uow.session
        people = models.people_matching(session, wanted.user_id, wanted.email, partnership_id)
        contacts = models.contacts_with_address(session, wanted.email, partnership_id) if wanted.email else []
        records = [
            person_record(
                SERVICE,
                "person",
                found.user_id,
                partnership_id=found.partnership_id,
                summary=f"Person written to, in the roles {', '.join(found.roles) or 'none'}",
                recorded_at=found.changed_at,
            )
            for found in people
        ]
        records += [
            person_record(
                SERVICE,
                "contact",
                contact.id,
                partnership_id=contact.partnership_id,
                summary=f"Contact of the partnership in the role {contact.role}",
                recorded_at=contact.recorded_at,
            )
            for contact in contacts
        ]
        records += [
            person_record(
                SERVICE,
                "notification",
                notification.id,
                partnership_id=notification.partnership_id,
                summary=f"In-app notification: {notification.title}",
                recorded_at=notification.created_at,
            )
            for notification in models.notifications_of(
                session, [contact.id for contact in contacts], [found.user_id for found in people]
            )
        ]
        addresses = {found.email for found in people if found.email} | (
            {wanted.email} if wanted.email else set()
        )
        records += [
            person_record(
                SERVICE,
                "email",
                email.id,
                partnership_id=email.partnership_id,
                summary=f"E-mail ({email.status}): {email.subject}",
                recorded_at=email.created_at,
            )
            for address in sorted(addresses)
            for email in models.emails_to(session, address, partnership_id)
        ]
        return [record.model_dump(mode="json") for record in records]

    # ------------------------------------------------------------------------------ people, from identity

    @event_handler("identity", "person_changed")
    def learn_person(self, message: dict[str, Any]) -> None:
        """Keep the latest of a person: whom to write to, in which roles (identity owns people)."""
        envelope = Envelope.model_validate(message)
        if not self.uow.first_delivery(envelope):
            return
        person = envelope.payload(PersonChanged)
        engine.learn_person(self.uow.session, person.model_dump())

    @event_handler("identity", "agency_changed")
    def learn_agency(self, message: dict[str, Any]) -> None:
        """Keep an agency's name, as messages about its returns say it."""
        envelope = Envelope.model_validate(message)
        if not self.uow.first_delivery(envelope):
            return
        engine.learn_agency(self.uow.session, envelope.payload(AgencyChanged).model_dump())

    def on_event(self, message: dict[str, Any]) -> None:
        """Any event the rules name: the due dates it moves and the messages its rules send."""
        envelope = Envelope.model_validate(message)
        if not self.uow.first_delivery(envelope):
            return
        engine.handle_event(
            self.uow.session,
            RULES,
            envelope,
            datetime.now(UTC),
            self._emit(),
            notification_settings().public_url,
        )

    # ------------------------------------------------------------------------------------- scheduling

    @timer(interval=notification_settings().schedule_interval_s)
    def run_schedule(self) -> None:
        """Reminders, chasers, escalations and digests that are due: one process at a time (advisory lock)."""
        settings = notification_settings()
        result = engine.run_schedule(
            self.uow.session,
            RULES,
            datetime.now(UTC),
            self._emit(),
            settings.public_url,
            settings.digest_hour,
        )
        if result.reminders or result.digests:
            log.info("schedule pass: %d reminders, %d digests", result.reminders, result.digests)

    @timer(interval=1)
    def send_queued_email(self) -> None:
        """Deliver queued e-mail: claim (SKIP LOCKED, committed as `sending`), send, record; each step its
        own transaction, so a stop between sending and recording leaves `sending`, which becomes
        `uncertain` and is never sent again by itself."""
        settings = notification_settings()
        sessions = self.uow.sessions
        now = datetime.now(UTC)
        with sessions.begin() as session:
            stalled = engine.mark_stalled(session, now, settings.sending_lease_s)
            claimed = engine.claim(session, now, SEND_BATCH)
        if stalled:
            log.warning("%d e-mails were left sending by a stopped sender: marked uncertain", stalled)
        for email in claimed:
            try:
                send_email(
                    settings,
                    to=email.to,
                    subject=email.subject,
                    body=email.body,
                    message_key=str(email.id),
                    attachment_name=email.attachment_name,
                    attachment=email.attachment,
                )
            except Exception as exc:
                with sessions.begin() as session:
                    status = engine.record_failure(session, email.id, datetime.now(UTC), exc)
                log.warning("e-mail %s not sent (%s): %s", email.id, status, type(exc).__name__)
                continue
            with sessions.begin() as session:
                engine.record_sent(session, email.id, datetime.now(UTC))

    # ---------------------------------------------------------------------------- the notification centre

    @rpc
    def inbox(self, actor: dict[str, Any], limit: int = 50) -> dict[str, Any]:
        """The caller's own messages, newest first, and how many are unread (Inbox)."""
        user_id = policy.person_of(Actor.model_validate(actor))
        session = self.uow.session
        rows = session.scalars(
            select(NotificationRecord)
            .where(NotificationRecord.user_id == user_id)
            .order_by(NotificationRecord.created_at.desc(), NotificationRecord.id)
            .limit(max(1, min(int(limit), 200)))
        )
        items = [
            InAppNotification(
                id=row.id,
                partnership_id=row.partnership_id,
                review_id=row.review_id,
                kind=row.kind,
                title=row.title,
                body=row.body,
                link=row.link,
                urgent=row.urgent,
                created_at=row.created_at,
                read=row.read_at is not None,
            )
            for row in rows
        ]
        return Inbox(unread=engine.unread_count(session, user_id), items=items).model_dump(mode="json")

    @rpc
    def unread_count(self, actor: dict[str, Any]) -> int:
        """How many of the caller's own messages are unread."""
        return engine.unread_count(self.uow.session, policy.person_of(Actor.model_validate(actor)))

    @rpc
    def mark_read(self, actor: dict[str, Any], request: dict[str, Any]) -> int:
        """Mark own messages read (MarkRead); others' ids are ignored. Returns the unread count after."""
        caller = Actor.model_validate(actor)
        user_id = policy.person_of(caller)
        wanted = validated(MarkRead, request, "The request")
        session = self.uow.session
        changed = engine.mark_read(session, user_id, wanted.ids, wanted.all, datetime.now(UTC))
        unread = engine.unread_count(session, user_id)
        if changed:
            self.uow.emit(
                NotificationsRead(user_id=user_id, unread=unread), partnership_id=caller.partnership_id
            )
        return unread

    @rpc
    def preferences(self, actor: dict[str, Any]) -> dict[str, Any]:
        """The caller's choice per kind of message: immediate or the daily digest (Preferences)."""
        user_id = policy.person_of(Actor.model_validate(actor))
        return self._preferences(user_id).model_dump(mode="json")

    def _preferences(self, user_id: UUID) -> Preferences:
        chosen = {
            row.kind: row.timing
            for row in self.uow.session.scalars(
                select(PreferenceRecord).where(PreferenceRecord.user_id == user_id)
            )
        }
        choices = [
            KindChoice(
                kind=kind,
                label=label,
                fixed=fixed,
                timing="immediate" if fixed else chosen.get(kind, "immediate"),  # type: ignore[arg-type]
            )
            for kind, (label, fixed) in RULES.kinds().items()
            if any(rule.kind == kind and rule.active for rule in RULES.rules)
        ]
        return Preferences(digest_hour=notification_settings().digest_hour, choices=choices)

    @rpc
    def set_preferences(self, actor: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """Choose immediate or digest per kind (SetPreferences); statutory and urgent kinds stay immediate."""
        user_id = policy.person_of(Actor.model_validate(actor))
        wanted = validated(SetPreferences, request, "Your choices")
        kinds = RULES.kinds()
        problems = []
        for kind, timing in wanted.timings.items():
            if kind not in kinds:
                problems.append({"field": kind, "message": "There is no such kind of message"})
            elif kinds[kind][1] and timing != "immediate":
                problems.append(
                    {"field": kind, "message": f"{kinds[kind][0]}: always sent at once (statutory or urgent)"}
                )
        if problems:
            raise InvalidRequest("Your choices have problems", problems=problems)
        session = self.uow.session
        for kind, timing in wanted.timings.items():
            record = session.get(PreferenceRecord, (user_id, kind)) or PreferenceRecord(
                user_id=user_id, kind=kind
            )
            record.timing = timing
            session.add(record)
        session.flush()
        return self._preferences(user_id).model_dump(mode="json")

    # ----------------------------------------------------------------------------- a partnership's rules

    @rpc
    def rules(self, actor: dict[str, Any], partnership_id: str) -> list[dict[str, Any]]:
        """The partnership's rules as it has them (RuleSetting), with what stops any from working."""
        partnership = _uuid_or_404(partnership_id)
        policy.check_may_read_rules(Actor.model_validate(actor), partnership)
        settings = engine.settings_of(self.uow.session, partnership)
        return [_setting_of(rule, settings.get(rule.code)).model_dump(mode="json") for rule in RULES.rules]

    @rpc
    def set_rule(self, actor: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """A partnership's own days for a rule, or switching it off (SetRule); a statutory rule stays on."""
        caller = Actor.model_validate(actor)
        wanted = validated(SetRule, request, "The rule")
        policy.check_may_set_rules(caller, wanted.partnership_id)
        rule = RULES.rule(wanted.code)
        if rule is None:
            raise InvalidRequest(
                "The rule has problems", problems=[{"field": "code", "message": "No such rule"}]
            )
        problems = []
        if rule.statutory and not wanted.enabled:
            problems.append({"field": "enabled", "message": "A statutory alert cannot be switched off"})
        if wanted.days is not None:
            if rule.bounds is None:
                problems.append({"field": "days", "message": "This rule has no days to set"})
            elif not rule.bounds[0] <= wanted.days <= rule.bounds[1]:
                low, high = rule.bounds
                problems.append(
                    {"field": "days", "message": f"Enter a number of working days from {low} to {high}"}
                )
        if problems:
            raise InvalidRequest("The rule has problems", problems=problems)
        session = self.uow.session
        record = session.get(RuleSettingRecord, (wanted.partnership_id, rule.code)) or RuleSettingRecord(
            partnership_id=wanted.partnership_id, rule=rule.code
        )
        record.enabled, record.days = wanted.enabled, wanted.days
        record.updated_at, record.updated_by = datetime.now(UTC), caller.user_id
        session.add(record)
        log.info("rule %s set for partnership %s", rule.code, wanted.partnership_id)
        return _setting_of(rule, record).model_dump(mode="json")

    # ------------------------------------------------------------------------------------ delivery log

    @rpc
    def delivery_log(self, actor: dict[str, Any], query: dict[str, Any]) -> list[dict[str, Any]]:
        """What was sent to whom about the partnership's reviews, newest first (Delivery)."""
        wanted = validated(DeliveryQuery, query, "The query")
        policy.check_may_see_deliveries(Actor.model_validate(actor), wanted.partnership_id)
        session = self.uow.session
        # Account e-mail (no rule) is the person's own business, not a review's.
        emails = select(EmailRecord).where(
            EmailRecord.partnership_id == wanted.partnership_id, EmailRecord.rule.is_not(None)
        )
        if wanted.review_id is not None:
            emails = emails.where(EmailRecord.review_id == wanted.review_id)
        rows = session.scalars(emails.order_by(EmailRecord.created_at.desc()).limit(wanted.limit)).all()
        history: dict[UUID, list[DeliveryAttempt]] = {}
        if rows:
            for event in session.scalars(
                select(DeliveryEventRecord)
                .where(DeliveryEventRecord.email_id.in_([row.id for row in rows]))
                .order_by(DeliveryEventRecord.id)
            ):
                history.setdefault(event.email_id, []).append(
                    DeliveryAttempt(at=event.at, status=event.status, detail=event.detail)
                )
        return [
            Delivery(
                id=row.id,
                review_id=row.review_id,
                rule=row.rule or "",
                kind=row.rule or "",
                title=row.subject,
                channel="email",
                recipient=row.recipient or "",
                address=row.to_address or None,
                status=row.status,  # type: ignore[arg-type]
                attempts=row.attempts,
                last_error=row.last_error,
                created_at=row.created_at,
                sent_at=row.sent_at,
                next_attempt_at=row.next_attempt_at if row.status == "queued" else None,
                history=history.get(row.id, []),
            ).model_dump(mode="json")
            for row in rows
        ]

    @rpc
    def send_again(self, actor: dict[str, Any], delivery_id: str, idempotency_key: str | None = None) -> str:
        """Send a failed or uncertain e-mail again, as a new e-mail; returns its id."""
        caller = Actor.model_validate(actor)
        session = self.uow.session
        email = session.get(EmailRecord, _uuid_or_404(delivery_id))
        if email is None or email.rule is None or email.partnership_id != caller.partnership_id:
            raise NotFound("No such message")
        policy.check_may_see_deliveries(caller, email.partnership_id)
        command_once = self.uow.idempotent("send_again", caller, idempotency_key, delivery_id)
        if command_once.done:
            return str(command_once.result)
        if email.status not in ("failed", "uncertain"):
            raise InvalidRequest(
                "This message cannot be sent again",
                problems=[
                    {"field": "delivery_id", "message": "Only a failed or uncertain e-mail can be sent again"}
                ],
            )
        now = datetime.now(UTC)
        again = engine.send_again(session, email, now, "the business manager")
        engine.add_delivery_event(session, email.id, now, "sent_again", f"a copy was queued ({again.id})")
        result = str(again.id)
        command_once.remember(result)
        return result


def _uuid_or_404(value: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound("No such record") from None


def _subscribe(event_type: str) -> None:
    """Give the service a handler for an event its rules name: `on_<source>_<event>`, on its own queue."""
    source, name = event_type.split(".", 1)
    method = f"on_{source}_{name}"
    if hasattr(NotificationsService, method):
        return

    def handler(self: NotificationsService, message: dict[str, Any]) -> None:
        self.on_event(message)

    handler.__name__ = handler.__qualname__ = method
    handler.__doc__ = f"{event_type}: the due dates it moves and the messages the rules send for it."
    setattr(NotificationsService, method, event_handler(source, name)(handler))


for _event_type in RULES.events_handled():
    _subscribe(_event_type)
