"""A review's lifecycle: saving a step's answers, completing the step, pausing the clock and ending the
pause."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from services.forms import clock, domain, policy, views
from services.forms.contract import EndPause, RecordPause, ReviewFile
from services.forms.handlers.access import readable_review
from services.forms.models import ReviewRecord
from services.forms.unit_of_work import FormsUnitOfWork
from services.kernel.calendar import today_in_england
from services.kernel.errors import NotFound
from services.kernel.identity import Actor


def save_step(
    uow: FormsUnitOfWork,
    caller: Actor,
    review_id: UUID,
    step: str,
    answers: dict[str, Any],
    version: int | None,
    idempotency_key: str | None = None,
) -> ReviewFile:
    """Save a step's answers as a draft, checked in full against its form. A repeated idempotency key
    answers with the review as it stands now and saves nothing: a repeat run late (the client gave up on
    the first try and tried again) would otherwise move the draft's version on under its author."""
    request = {"review_id": str(review_id), "step": step, "answers": answers, "version": version}
    command_once = uow.idempotent("save_step", caller, idempotency_key, request)
    record, shared_with = readable_review(uow.reviews, caller, review_id, lock=True)
    if command_once.done:
        return views.review_file(uow.reviews, caller, record, shared_with)
    save(uow, caller, record, step, answers, version)
    result = views.review_file(uow.reviews, caller, record, shared_with)
    command_once.remember({"id": str(record.id), "step": step})
    return result


def save(
    uow: FormsUnitOfWork, caller: Actor, record: ReviewRecord, step: str, answers: Any, version: int | None
) -> None:
    """Store a step's draft, if the rules let the caller save it (domain.save_step)."""
    saved, _ = domain.save_step(uow.reviews.state(record), step, answers, caller, version)
    uow.reviews.save_step(record, saved, caller.user_id, datetime.now(UTC))


def complete_step(
    uow: FormsUnitOfWork,
    caller: Actor,
    review_id: UUID,
    step: str,
    version: int | None,
    idempotency_key: str | None,
    completed_on: date | None,
) -> ReviewFile:
    """Complete a step from its saved answers; `completed_on` (the system only) records an earlier day.
    A repeated idempotency key answers with the review as it stands now."""
    earlier = None
    if completed_on is not None:
        policy.check_may_record_earlier(caller)
        earlier = domain.recorded_at(completed_on)
    request = {"review_id": str(review_id), "step": step, "version": version}
    command_once = uow.idempotent("complete_step", caller, idempotency_key, request)
    record, shared_with = readable_review(uow.reviews, caller, review_id, lock=True)
    if command_once.done:
        return views.review_file(uow.reviews, caller, record, shared_with)
    complete(uow, caller, record, step, version, now=earlier)
    result = views.review_file(uow.reviews, caller, record, shared_with)
    command_once.remember({"id": str(record.id), "step": step})
    return result


def complete(
    uow: FormsUnitOfWork,
    caller: Actor,
    record: ReviewRecord,
    step: str,
    version: int | None,
    *,
    actor_id: str | None = None,
    now: datetime | None = None,
) -> None:
    """Complete a step (domain.complete) and store it with the returns it asked for; emit its events.
    `actor_id`: who the events name, if not the caller (a referral completes as the system)."""
    returns = uow.reviews.returns(record.id)
    state = uow.reviews.state(record, returns=returns)
    now = now or datetime.now(UTC)
    by = actor_id or caller.user_id
    completion = domain.complete(state, step, caller, version, now, [row.agency_id for row in returns])
    uow.reviews.complete_step(record, completion, by)
    for agency_return in completion.returns:
        uow.reviews.add_return(agency_return, by, now)
    uow.reviews.flush()
    uow.emit(completion.events, record, by)


def record_pause(
    uow: FormsUnitOfWork, caller: Actor, review_id: UUID, pause: RecordPause, idempotency_key: str | None
) -> ReviewFile:
    """Pause the review's clock (domain.pause_clock), by the business manager; emits its events."""
    command_once = uow.idempotent("record_pause", caller, idempotency_key, pause.model_dump(mode="json"))
    record, shared_with = readable_review(uow.reviews, caller, review_id, lock=True)
    if command_once.done:
        return views.review_file(uow.reviews, caller, record, shared_with)
    policy.check_may_manage(caller, record.partnership_id)
    paused = domain.pause_clock(uow.reviews.state(record), pause, today_in_england())
    uow.reviews.add_pause(paused, caller.user_id, datetime.now(UTC))
    uow.reviews.changed(record)
    uow.emit(paused.events, record, caller.user_id)
    command_once.remember({"pause_id": str(paused.id)})
    return views.review_file(uow.reviews, caller, record, shared_with)


def end_pause(
    uow: FormsUnitOfWork, caller: Actor, review_id: UUID, pause_id: UUID, command: EndPause
) -> ReviewFile:
    """End an open pause (domain.end_pause), by the business manager; emits its events."""
    record, shared_with = readable_review(uow.reviews, caller, review_id, lock=True)
    policy.check_may_manage(caller, record.partnership_id)
    row = uow.reviews.pause(pause_id)
    if row is None or row.review_id != record.id:
        raise NotFound("No such pause")
    span = clock.PauseSpan(row.starts_on, row.ends_on)
    events = domain.end_pause(uow.reviews.state(record), row.id, span, command.ends_on, today_in_england())
    uow.reviews.end_pause(row, command.ends_on)
    uow.reviews.changed(record)
    uow.emit(events, record, caller.user_id)
    return views.review_file(uow.reviews, caller, record, shared_with)
