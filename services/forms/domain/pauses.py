"""Pausing a review's clock for a parallel process (a criminal investigation, an inquest...), and ending the
pause: when either is allowed, and the deadlines each moves. Pure: no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from services.forms import clock
from services.forms.contract import RecordPause, ReviewPaused, ReviewResumed
from services.forms.domain.state import ReviewState, plan
from services.forms.domain.steps import deadline_changes
from services.kernel.errors import InvalidRequest
from services.kernel.events import EventData


@dataclass
class Pause:
    """A pause of a review's clock as it is recorded, and the events it causes."""

    id: UUID
    review_id: UUID
    reason: str
    detail: str
    starts_on: date
    ends_on: date | None
    approved_by: str
    events: list[EventData] = field(default_factory=list)


def _refused(field_name: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, problems=[{"field": field_name, "message": message}])


def pause_clock(state: ReviewState, command: RecordPause, today: date) -> Pause:
    """Pause the review's clock: refused once the review is closed, or while another pause is open.
    Emits review_paused, and deadline_changed for every deadline it moves."""
    before = plan(state, today)
    if before.closed:
        raise _refused("reason", "The review is closed: its clock cannot be paused")
    if any(span.ends_on is None for span in state.pauses):
        raise _refused("reason", "The clock is already paused: end that pause first")
    pause = Pause(
        id=uuid.uuid4(),
        review_id=state.id,
        reason=command.reason,
        detail=command.detail,
        starts_on=command.starts_on,
        ends_on=command.ends_on,
        approved_by=command.approved_by,
    )
    state.pauses.append(clock.PauseSpan(pause.starts_on, pause.ends_on))
    after = plan(state, today)
    pause.events = [
        ReviewPaused(
            review_id=state.id,
            pause_id=pause.id,
            reason=pause.reason,
            starts_on=pause.starts_on,
            ends_on=pause.ends_on,
        ),
        *deadline_changes(state, before, after, "paused"),
    ]
    return pause


def end_pause(
    state: ReviewState, pause_id: UUID, pause: clock.PauseSpan, ends_on: date, today: date
) -> list[EventData]:
    """End an open pause (one of the state's) on a day between its start and today. Emits review_resumed,
    and deadline_changed for the deadlines it fixes."""
    if pause.ends_on is not None:
        raise _refused("ends_on", f"This pause already ended on {pause.ends_on:%-d %B %Y}")
    if ends_on < pause.starts_on or ends_on > today:
        raise _refused("ends_on", "The pause must end on or after the day it started, and not in the future")
    before = plan(state, today)
    ended = clock.PauseSpan(pause.starts_on, ends_on)
    state.pauses = [ended if span == pause else span for span in state.pauses]
    after = plan(state, today)
    return [
        ReviewResumed(review_id=state.id, pause_id=pause_id, ends_on=ends_on),
        *deadline_changes(state, before, after, "resumed"),
    ]
