"""Events into what the service knows: people and agencies from identity, and whatever the rules name (the
due dates it moves and the messages it sends). Each event once: the inbox records it in the same
transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.contract import AgencyChanged, PersonChanged
from services.kernel.config import notification_settings
from services.kernel.events import Envelope
from services.notifications import engine
from services.notifications.rule_book import RULES
from services.notifications.unit_of_work import Unit


def learn_person(unit: Unit, envelope: Envelope) -> None:
    """Keep the latest of a person: whom to write to, in which roles (identity owns people)."""
    if unit.first_delivery(envelope):
        unit.repository.learn_person(envelope.payload(PersonChanged).model_dump())


def learn_agency(unit: Unit, envelope: Envelope) -> None:
    """Keep an agency's name, as messages about its returns say it."""
    if unit.first_delivery(envelope):
        unit.repository.learn_agency(envelope.payload(AgencyChanged).model_dump())


def take_event(unit: Unit, envelope: Envelope) -> None:
    """An event the rules name: the due dates it moves and the messages its rules send."""
    if unit.first_delivery(envelope):
        engine.handle_event(
            unit.session, RULES, envelope, datetime.now(UTC), unit.emit, notification_settings().public_url
        )
