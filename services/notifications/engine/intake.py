"""The intake of events on one session: the people and agencies identity publishes, the due dates an event
opens, moves, pauses or closes (the rules' tracks), and the messages its rules send.

Events of one review reach the service on different queues, so they may come out of order: each change
says when it happened, and an older one never overwrites a newer.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.kernel.events import Envelope
from services.notifications import domain, models
from services.notifications.engine.messages import Directory, Emit, Occasion, send
from services.notifications.models import AgencyRecord, DueItemRecord, PersonRecord
from services.notifications.rules import RuleBook, Track, TrackEffect

log = logging.getLogger(__name__)


def learn_person(session: Session, person: Mapping[str, Any]) -> None:
    """Keep the latest of a person (an older event arriving late changes nothing)."""
    values = dict(person)
    statement = insert(PersonRecord).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[PersonRecord.user_id],
            set_={key: statement.excluded[key] for key in values if key != "user_id"},
            where=PersonRecord.changed_at <= statement.excluded.changed_at,
        )
    )


def learn_agency(session: Session, agency: Mapping[str, Any]) -> None:
    """Keep the latest name of an agency (an older event arriving late changes nothing)."""
    values = {key: agency[key] for key in ("agency_id", "partnership_id", "name", "changed_at")}
    statement = insert(AgencyRecord).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[AgencyRecord.agency_id],
            set_={key: statement.excluded[key] for key in values if key != "agency_id"},
            where=AgencyRecord.changed_at <= statement.excluded.changed_at,
        )
    )


def _uuid(value: Any) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _named(value: Any) -> tuple[UUID, ...]:
    values = value if isinstance(value, (list, tuple)) else [value]
    return tuple(found for found in (_uuid(v) for v in values) if found is not None)


def track_event(session: Session, track: Track, envelope: Envelope) -> None:
    """Apply an event to the tracked due date it is about.

    Events of one review reach the service on different queues, so they may come out of order: a change
    applies only if it happened after the last one applied, and a close leaves the date closed even if
    the event that opened it comes later.
    """
    if envelope.partnership_id is None:
        return
    data = envelope.data
    if envelope.type in track.closed_by_review and envelope.review_id is not None:
        session.execute(
            update(DueItemRecord)
            .where(DueItemRecord.review_id == envelope.review_id, DueItemRecord.track == track.code)
            .values(state="closed", updated_at=envelope.occurred_at)
        )
    spec = track.events.get(envelope.type)
    if spec is None or not track.counts(data):
        return
    effect = spec.effect_of(data)
    if effect is None:
        return
    subjects = data.get(spec.subjects) if spec.subjects else [data.get(track.subject)]
    for subject in subjects if isinstance(subjects, list) else []:
        if subject is not None:
            _track_subject(session, track, envelope, spec, effect, subject)


def _track_subject(
    session: Session, track: Track, envelope: Envelope, spec: TrackEffect, effect: str, subject: Any
) -> None:
    """Apply one event's effect to one tracked due date (created when the event opens it)."""
    assert envelope.partnership_id is not None
    data = envelope.data
    item = session.scalars(
        select(DueItemRecord)
        .where(
            DueItemRecord.review_id == envelope.review_id,
            DueItemRecord.track == track.code,
            DueItemRecord.subject == str(subject),
        )
        .with_for_update()
    ).first()
    if item is None:
        item = DueItemRecord(
            id=uuid.uuid4(),
            partnership_id=envelope.partnership_id,
            review_id=envelope.review_id,
            track=track.code,
            subject=str(subject),
            state="open",
            updated_at=envelope.occurred_at,
        )
        session.add(item)
    elif item.updated_at > envelope.occurred_at or item.state == "closed":
        return  # a later change, or the close, was applied already
    if spec.due and _date(data.get(spec.due)) is not None:
        item.due_on = _date(data.get(spec.due))
    if spec.agency:
        item.agency_id = _uuid(data.get(spec.agency))
    if spec.user:
        item.user_id = _uuid(data.get(spec.user))
    if spec.label:
        item.label = str(data.get(spec.label) or "")[:200]
    item.state = {"open": "open", "move": item.state, "pause": "paused", "close": "closed"}[effect]
    item.updated_at = envelope.occurred_at


def handle_event(
    session: Session, book: RuleBook, envelope: Envelope, now: datetime, emit: Emit, public_url: str
) -> int:
    """An event: the due dates it moves, and the messages its rules send. Returns the messages written."""
    for track in book.tracks.values():
        if not track.problems:
            track_event(session, track, envelope)
    rules = book.event_rules(envelope.type)
    if not rules:
        return 0
    if envelope.partnership_id is None:
        log.warning("event %s names no partnership: nobody to tell", envelope.event_id)
        return 0
    settings = models.rule_settings(session, envelope.partnership_id)
    directory = Directory(session)
    agency_id = _uuid(envelope.data.get("agency_id"))
    context: dict[str, Any] = {
        **{key: _date(value) if key.endswith("_on") else value for key, value in envelope.data.items()},
        "review_id": envelope.review_id,
        "agency": directory.agency_name(agency_id),
    }
    written = 0
    for rule in rules:
        if not domain.effective(rule, settings.get(rule.code)).enabled:
            continue
        named = tuple(
            user for who in rule.to if who.startswith("user:") for user in _named(envelope.data.get(who[5:]))
        )
        occasion = Occasion(
            envelope.partnership_id,
            envelope.review_id,
            agency_id,
            named,
            context,
            envelope.event_id,
            envelope.type,
        )
        written += send(session, rule, occasion, now, emit, public_url, directory)
    return written
