"""Agency returns: asking for them, drafts, submission and locking, extensions, addenda, and how each
stands against its due date. Pure: no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from services.forms import clock, policy
from services.forms.contract import (
    AgencyReturnAnswers,
    ReturnAmended,
    ReturnExtended,
    ReturnRequested,
    ReturnSubmitted,
    plain_problems,
)
from services.forms.domain.state import ReviewState, StepRecord, plan
from services.kernel import calendar
from services.kernel.calendar import today_in_england
from services.kernel.errors import Conflict, InvalidRequest
from services.kernel.identity import Actor


@dataclass
class AgencyReturn:
    """An agency's rapid review return, as the rules see it."""

    id: UUID
    review_id: UUID
    partnership_id: UUID
    agency_id: UUID
    agency_name: str
    status: str  # requested, draft, submitted, nil
    due_on: date
    extended_to: date | None = None
    extension_reason: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    late_by_working_days: int = 0
    version: int = 0

    @property
    def effective_due(self) -> date:
        return self.extended_to or self.due_on

    @property
    def locked(self) -> bool:
        return self.status in ("submitted", "nil")

    @property
    def ownership(self) -> policy.ReturnOwnership:
        return policy.ReturnOwnership(self.review_id, self.partnership_id, self.agency_id)


# A review type with agencies' returns but no `returns` deadline gives them this many working days.
RETURNS_WITHOUT_A_DEADLINE_WORKING_DAYS = 10
# An agency asked after the others (found to have known the family later) has at least this long.
LATE_REQUEST_WORKING_DAYS = 5


def returns_due(state: ReviewState, today: date) -> date:
    """When the review's returns are due: its `returns` deadline, revised for pauses."""
    trigger = (
        state.date_of(state.rule("returns").trigger) if "returns" in state.definition.deadlines else None
    )
    if trigger is None:
        return calendar.add_working_days(today, RETURNS_WITHOUT_A_DEADLINE_WORKING_DAYS)
    return clock.revised_due(state.rule("returns"), trigger, state.pauses, today)


def request_returns(
    state: ReviewState, agencies: Iterable[tuple[UUID, str]], existing: Iterable[UUID], today: date
) -> list[AgencyReturn]:
    """A return for each invited agency not asked before, due on the review's returns deadline."""
    due = returns_due(state, today)
    asked = set(existing)
    return [
        AgencyReturn(uuid.uuid4(), state.id, state.partnership_id, agency_id, name, "requested", due)
        for agency_id, name in agencies
        if agency_id not in asked
    ]


def return_requested(agency_return: AgencyReturn) -> ReturnRequested:
    """The fact that tells the agency a return is asked of it, and by when."""
    return ReturnRequested(
        review_id=agency_return.review_id,
        return_id=agency_return.id,
        agency_id=agency_return.agency_id,
        due_on=agency_return.due_on,
    )


def ask_another_agency(
    state: ReviewState, agency: tuple[UUID, str], existing: Iterable[UUID], actor: Actor, today: date
) -> AgencyReturn:
    """A return asked of one more agency once the rapid review has begun (it came to light later that the
    agency knew the family), by the business manager; due with the others, or in LATE_REQUEST_WORKING_DAYS
    working days if that is later. Refused once the review is closed, before the returns were first asked
    for, or for an agency already asked."""
    policy.check_may_manage(actor, state.partnership_id)
    setup = next((s for s in state.definition.steps if s.form == "rapid_review_setup"), None)
    if setup is None or not state.steps.get(setup.code, StepRecord(setup.code)).completed:
        message = "Ask for returns in the rapid review's first step; this asks one more agency afterwards"
        raise InvalidRequest(message, problems=[{"field": "agency_id", "message": message}])
    if plan(state, today).closed:
        message = "The review is closed: no more returns can be asked for"
        raise InvalidRequest(message, problems=[{"field": "agency_id", "message": message}])
    if agency[0] in set(existing):
        message = f"{agency[1]} has already been asked for a return"
        raise InvalidRequest(message, problems=[{"field": "agency_id", "message": message}])
    due = max(returns_due(state, today), calendar.add_working_days(today, LATE_REQUEST_WORKING_DAYS))
    return AgencyReturn(uuid.uuid4(), state.id, state.partnership_id, agency[0], agency[1], "requested", due)


def _check_return_version(agency_return: AgencyReturn, version: int | None) -> None:
    if version is None or version != agency_return.version:
        raise Conflict(
            "This return was changed by someone else after you opened it: reload it to see their changes"
        )


def _check_unlocked(agency_return: AgencyReturn) -> None:
    if agency_return.locked:
        how = " as a nil return" if agency_return.status == "nil" else ""
        when = f" on {agency_return.submitted_at:%-d %B %Y at %H:%M}" if agency_return.submitted_at else ""
        raise Conflict(
            f"This return was already submitted{how}{when} and is locked: add an addendum to correct it"
        )


def save_return(
    agency_return: AgencyReturn, answers: Any, actor: Actor, version: int | None
) -> AgencyReturnAnswers:
    """Save a draft: every answer given must be valid, missing ones may wait."""
    policy.check_may_write_return(actor, agency_return.ownership)
    _check_unlocked(agency_return)
    _check_return_version(agency_return, version)
    try:
        draft = AgencyReturnAnswers.model_validate(answers)
    except ValidationError as exc:
        raise InvalidRequest("The return has problems", problems=plain_problems(exc)) from None
    agency_return.answers = draft.model_dump(mode="json")
    agency_return.status = "draft"
    agency_return.version += 1
    return draft


def submit_return(agency_return: AgencyReturn, actor: Actor, version: int | None, now: datetime) -> None:
    """Submit the saved return: complete, records secured, by the agency's lead. Locked from then on."""
    policy.check_may_submit_return(actor, agency_return.ownership)
    _check_unlocked(agency_return)
    _check_return_version(agency_return, version)
    answers = AgencyReturnAnswers.model_validate(agency_return.answers)
    missing = answers.missing_to_submit()
    if missing:
        raise InvalidRequest("The return is not complete", problems=missing)
    _lock(agency_return, "submitted", actor, now)


def nil_return(agency_return: AgencyReturn, actor: Actor, version: int | None, now: datetime) -> None:
    """Record that the agency had no involvement: one confirmed click, locked like a submitted return."""
    policy.check_may_submit_return(actor, agency_return.ownership)
    _check_unlocked(agency_return)
    _check_return_version(agency_return, version)
    _lock(agency_return, "nil", actor, now)


def _lock(agency_return: AgencyReturn, status: str, actor: Actor, now: datetime) -> None:
    agency_return.status = status
    agency_return.submitted_at = now
    agency_return.submitted_by = actor.user_id
    agency_return.late_by_working_days = max(
        0, calendar.working_days_between(agency_return.effective_due, today_in_england(now))
    )
    agency_return.version += 1


def extend_return(
    agency_return: AgencyReturn, actor: Actor, extended_to: date, today: date, reason: str | None = None
) -> date:
    """Give the agency until a later date, with a reason; returns the previous due date."""
    policy.check_may_extend_return(actor, agency_return.ownership)
    _check_unlocked(agency_return)
    previous = agency_return.effective_due
    if extended_to <= previous or extended_to < today:
        message = f"The new due date must be after {previous:%-d %B %Y} and not in the past"
        raise InvalidRequest(message, problems=[{"field": "extended_to", "message": message}])
    agency_return.extended_to = extended_to
    if reason is not None:
        agency_return.extension_reason = reason
    agency_return.version += 1
    return previous


def return_submitted(agency_return: AgencyReturn) -> ReturnSubmitted:
    """The fact that a return came in (submitted, or nil), and how late."""
    return ReturnSubmitted(
        review_id=agency_return.review_id,
        return_id=agency_return.id,
        agency_id=agency_return.agency_id,
        nil=agency_return.status == "nil",
        due_on=agency_return.effective_due,
        late_by_working_days=agency_return.late_by_working_days,
    )


def return_extended(agency_return: AgencyReturn, previous: date) -> ReturnExtended:
    """The fact that an agency was given more time."""
    assert agency_return.extended_to is not None, "extend_return sets it"
    return ReturnExtended(
        review_id=agency_return.review_id,
        return_id=agency_return.id,
        agency_id=agency_return.agency_id,
        previous_due_on=previous,
        due_on=agency_return.extended_to,
    )


def return_amended(agency_return: AgencyReturn, addendum_id: UUID) -> ReturnAmended:
    """The fact that a submitted return has a correction."""
    return ReturnAmended(
        review_id=agency_return.review_id,
        return_id=agency_return.id,
        agency_id=agency_return.agency_id,
        addendum_id=addendum_id,
    )


def check_may_amend(agency_return: AgencyReturn, actor: Actor) -> None:
    """An addendum is for a submitted return only, by the agency's own people."""
    policy.check_may_write_return(actor, agency_return.ownership)
    if not agency_return.locked:
        raise InvalidRequest(
            "The return is not submitted yet: change the draft instead",
            problems=[
                {"field": "text", "message": "The return is not submitted yet: change the draft instead"}
            ],
        )


def return_standing(agency_return: AgencyReturn, today: date) -> tuple[bool, int, int | None]:
    """(overdue, working days overdue, working days left) of a return not yet in."""
    if agency_return.locked:
        return False, 0, None
    due = agency_return.effective_due
    if today > due:
        return True, calendar.working_days_between(due, today), None
    return False, 0, calendar.working_days_between(today, due)
