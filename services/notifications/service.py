"""The notifications service's entrypoints: everything sent to a person, in-app and by e-mail.

Each entrypoint hands its typed arguments to a handler (handlers/) in a unit of work. Rules as data
(rules.yml, rules.py) turn events and approaching due dates into messages (engine/); a scheduler sends the
date rules' reminders on one process at a time; a sender delivers e-mail with retries and back-off, and
never sends one twice.
"""

from __future__ import annotations

from typing import Any

from services.kernel.config import notification_settings
from services.kernel.data_protection import PersonRecord
from services.kernel.entrypoints import event_handler, rpc, timer
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork
from services.notifications.contract import (
    SERVICE,
    AccountEmailArg,
    Delivery,
    DeliveryQueryArg,
    Inbox,
    MarkReadArg,
    PersonQueryArg,
    Preferences,
    RecordId,
    RuleSetting,
    SetPreferencesArg,
    SetRuleArg,
)
from services.notifications.figures import DeliveryFigures
from services.notifications.handlers import (
    account_email,
    centre,
    data_protection,
    deliveries,
    intake,
    rule_settings,
    scheduler,
    sender,
)
from services.notifications.models import Base
from services.notifications.rule_book import RULES, RulesReport
from services.notifications.unit_of_work import Unit


class NotificationsService(ServiceBase):
    """Turns events and due dates into messages, in-app and by e-mail, and delivers the e-mail."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]
    figures = DeliveryFigures()
    rules_report = RulesReport()

    # ------------------------------------------------------------------------------------- account e-mail

    @rpc
    def send_account_email(
        self, actor: Actor, message: AccountEmailArg, idempotency_key: str | None = None
    ) -> str:
        """Queue an e-mail about a person's account (the system only); returns the e-mail's id."""
        return account_email.send_account_email(Unit(self.uow), actor, message, idempotency_key)

    # ------------------------------------------------------------------------------------ data protection

    @rpc
    def records_about_person(self, actor: Actor, person: PersonQueryArg) -> list[PersonRecord]:
        """Data protection: every record about a person (the data protection officer, or the system)."""
        return data_protection.records_about_person(Unit(self.uow), actor, person)

    # ------------------------------------------------------------------------------ people, from identity

    @event_handler("identity", "person_changed")
    def learn_person(self, message: dict[str, Any]) -> None:
        """Keep the latest of a person: whom to write to, in which roles (identity owns people)."""
        intake.learn_person(Unit(self.uow), Envelope.model_validate(message))

    @event_handler("identity", "agency_changed")
    def learn_agency(self, message: dict[str, Any]) -> None:
        """Keep an agency's name, as messages about its returns say it."""
        intake.learn_agency(Unit(self.uow), Envelope.model_validate(message))

    # ------------------------------------------------------------------------------------- scheduling

    @timer(interval=notification_settings().schedule_interval_s)
    def run_schedule(self) -> None:
        """Reminders, chasers, escalations and digests that are due: one process at a time (advisory lock)."""
        scheduler.run_schedule(Unit(self.uow))

    @timer(interval=1)
    def send_queued_email(self) -> None:
        """Deliver queued e-mail, each step its own transaction, never one twice."""
        sender.send_queued_email(Unit(self.uow))

    # ---------------------------------------------------------------------------- the notification centre

    @rpc
    def inbox(self, actor: Actor, limit: int = 50) -> Inbox:
        """The caller's own messages, newest first, and how many are unread."""
        return centre.inbox(Unit(self.uow), actor, limit)

    @rpc
    def unread_count(self, actor: Actor) -> int:
        """How many of the caller's own messages are unread."""
        return centre.unread_count(Unit(self.uow), actor)

    @rpc
    def mark_read(self, actor: Actor, request: MarkReadArg) -> int:
        """Mark own messages read; others' ids are ignored. Returns the unread count after."""
        return centre.mark_read(Unit(self.uow), actor, request)

    @rpc
    def preferences(self, actor: Actor) -> Preferences:
        """The caller's choice per kind of message: immediate or the daily digest."""
        return centre.preferences(Unit(self.uow), actor)

    @rpc
    def set_preferences(self, actor: Actor, request: SetPreferencesArg) -> Preferences:
        """Choose immediate or digest per kind; statutory and urgent kinds stay immediate."""
        return centre.set_preferences(Unit(self.uow), actor, request)

    # ----------------------------------------------------------------------------- a partnership's rules

    @rpc
    def rules(self, actor: Actor, partnership_id: RecordId) -> list[RuleSetting]:
        """The partnership's rules as it has them, with what stops any from working."""
        return rule_settings.rules(Unit(self.uow), actor, partnership_id)

    @rpc
    def set_rule(self, actor: Actor, request: SetRuleArg) -> RuleSetting:
        """A partnership's own days for a rule, or switching it off; a statutory rule stays on."""
        return rule_settings.set_rule(Unit(self.uow), actor, request)

    # ------------------------------------------------------------------------------------ delivery log

    @rpc
    def delivery_log(self, actor: Actor, query: DeliveryQueryArg) -> list[Delivery]:
        """What was sent to whom about the partnership's reviews, newest first."""
        return deliveries.delivery_log(Unit(self.uow), actor, query)

    @rpc
    def send_again(self, actor: Actor, delivery_id: RecordId, idempotency_key: str | None = None) -> str:
        """Send a failed or uncertain e-mail again, as a new e-mail; returns its id."""
        return deliveries.send_again(Unit(self.uow), actor, delivery_id, idempotency_key)


def _subscribe(event_type: str) -> None:
    """Give the service a handler for an event its rules name: `on_<source>_<event>`, on its own queue."""
    source, name = event_type.split(".", 1)
    method = f"on_{source}_{name}"
    if hasattr(NotificationsService, method):
        return

    def handler(self: NotificationsService, message: dict[str, Any]) -> None:
        intake.take_event(Unit(self.uow), Envelope.model_validate(message))

    handler.__name__ = handler.__qualname__ = method
    handler.__doc__ = f"{event_type}: the due dates it moves and the messages the rules send for it."
    setattr(NotificationsService, method, event_handler(source, name)(handler))


for _event_type in RULES.events_handled():
    _subscribe(_event_type)
