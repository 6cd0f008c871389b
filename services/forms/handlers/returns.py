"""Agency returns: asking one more agency, the returns an agency or a partnership sees, drafting,
submitting (or a nil return), extending and amending a return."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from services.forms import domain, policy, views
from services.forms.contract import (
    AddAddendum,
    AskAgency,
    ExtendReturn,
    ReturnSummary,
    ReturnView,
    ReviewFile,
)
from services.forms.handlers.access import readable_return, readable_review
from services.forms.models import agency_return_of
from services.forms.unit_of_work import FormsUnitOfWork
from services.kernel.calendar import today_in_england
from services.kernel.events import EventData
from services.kernel.identity import Actor


def ask_agency(
    uow: FormsUnitOfWork, caller: Actor, review_id: UUID, command: AskAgency, idempotency_key: str | None
) -> ReviewFile:
    """Ask one more agency for a return once the rapid review has begun (domain.ask_another_agency)."""
    request = {"id": str(review_id), **command.model_dump(mode="json")}
    command_once = uow.idempotent("ask_agency", caller, idempotency_key, request)
    record, shared_with = readable_review(uow.reviews, caller, review_id, lock=True)
    if command_once.done:
        return views.review_file(uow.reviews, caller, record, shared_with)
    policy.check_may_manage(caller, record.partnership_id)
    returns = uow.reviews.returns(record.id)
    agency_return = domain.ask_another_agency(
        uow.reviews.state(record, returns=returns),
        (command.agency.agency_id, command.agency.name),
        [row.agency_id for row in returns],
        caller,
        today_in_england(),
    )
    uow.reviews.add_return(agency_return, caller.user_id, datetime.now(UTC))
    uow.reviews.changed(record)
    uow.emit([domain.return_requested(agency_return)], record, caller.user_id)
    command_once.remember({"return_id": str(agency_return.id)})
    return views.review_file(uow.reviews, caller, record, shared_with)


def list_returns(uow: FormsUnitOfWork, caller: Actor) -> list[ReturnSummary]:
    """The returns asked of the caller's agency, soonest due first; none for anyone not of an agency."""
    mine = policy.agency_of(caller)
    if mine is None:
        return []
    rows = [
        row
        for row in uow.reviews.returns_of_agency(*mine)
        if policy.may_read_return(caller, agency_return_of(row).ownership)
    ]
    titles = {}
    for row in rows:
        review = uow.reviews.review(row.review_id)
        titles[row.review_id] = review.title if review is not None else ""
    today = today_in_england()
    return [views.return_summary(row, titles[row.review_id], today) for row in rows]


def partnership_returns(uow: FormsUnitOfWork, caller: Actor) -> list[ReturnSummary]:
    """Every agency's return across the caller's own partnership's open reviews: overdue first, then by
    due date (the extended date where there is one). Shared and closed reviews are left out."""
    partnership_id = policy.returns_partnership(caller)
    found = [
        (row, review)
        for row, review in uow.reviews.returns_of_partnership(partnership_id)
        if policy.may_read_return(caller, agency_return_of(row).ownership)
    ]
    reviews = list({review.id: review for _, review in found}.values())
    states = uow.reviews.states(reviews)
    today = today_in_england()
    open_reviews = {review.id for review in reviews if not domain.plan(states[review.id], today).closed}
    summaries = [
        views.return_summary(row, review.title, today) for row, review in found if review.id in open_reviews
    ]
    summaries.sort(key=lambda r: (not r.overdue, r.extended_to or r.due_on, r.review_title, r.agency_name))
    return summaries


def get_return(uow: FormsUnitOfWork, caller: Actor, return_id: UUID) -> ReturnView:
    return views.return_view(uow.reviews, caller, *readable_return(uow.reviews, caller, return_id))


def save_return(
    uow: FormsUnitOfWork, caller: Actor, return_id: UUID, answers: dict[str, Any], version: int | None
) -> ReturnView:
    """Save a draft of the agency's return (domain.save_return)."""
    row, review = readable_return(uow.reviews, caller, return_id, lock=True)
    agency_return = agency_return_of(row)
    domain.save_return(agency_return, answers, caller, version)
    uow.reviews.store_return(row, agency_return, caller.user_id, datetime.now(UTC))
    return views.return_view(uow.reviews, caller, row, review)


def lock_return(
    uow: FormsUnitOfWork,
    caller: Actor,
    return_id: UUID,
    version: int | None,
    submitted_on: date | None,
    *,
    nil: bool,
) -> ReturnView:
    """Submit the return, or record a nil return; `submitted_on` (the system only) records an earlier
    day. Emits return_submitted, and deadline_changed if every return is now in."""
    row, review = readable_return(uow.reviews, caller, return_id, lock=True)
    agency_return = agency_return_of(row)
    now = datetime.now(UTC)
    if submitted_on is not None:
        policy.check_may_record_earlier(caller)
        now = domain.recorded_at(submitted_on)
    today = today_in_england()
    before = domain.plan(uow.reviews.state(review), today)
    if nil:
        domain.nil_return(agency_return, caller, version, now)
    else:
        domain.submit_return(agency_return, caller, version, now)
    uow.reviews.store_return(row, agency_return, caller.user_id, datetime.now(UTC))
    uow.reviews.flush()
    state = uow.reviews.state(review)
    after = domain.plan(state, today)
    events: list[EventData] = [domain.return_submitted(agency_return)]
    events += domain.deadline_changes(state, before, after, "met")
    uow.emit(events, review, caller.user_id)
    return views.return_view(uow.reviews, caller, row, review)


def add_addendum(
    uow: FormsUnitOfWork, caller: Actor, return_id: UUID, command: AddAddendum, idempotency_key: str | None
) -> ReturnView:
    """Add a correction to a submitted return; the return itself never changes. Emits return_amended."""
    request = {"id": str(return_id), **command.model_dump(mode="json")}
    command_once = uow.idempotent("add_addendum", caller, idempotency_key, request)
    row, review = readable_return(uow.reviews, caller, return_id, lock=True)
    if command_once.done:
        return views.return_view(uow.reviews, caller, row, review)
    agency_return = agency_return_of(row)
    domain.check_may_amend(agency_return, caller)
    addendum_id = uow.reviews.add_addendum(row.id, command.text, caller.user_id, datetime.now(UTC))
    uow.emit([domain.return_amended(agency_return, addendum_id)], review, caller.user_id)
    command_once.remember({"addendum_id": str(addendum_id)})
    return views.return_view(uow.reviews, caller, row, review)


def extend_return(uow: FormsUnitOfWork, caller: Actor, return_id: UUID, command: ExtendReturn) -> ReturnView:
    """Give an agency more time, with the reason (domain.extend_return). Emits return_extended."""
    row, review = readable_return(uow.reviews, caller, return_id, lock=True)
    agency_return = agency_return_of(row)
    policy.check_may_extend_return(caller, agency_return.ownership)
    previous = domain.extend_return(
        agency_return, caller, command.extended_to, today_in_england(), command.reason
    )
    uow.reviews.store_return(row, agency_return, caller.user_id, datetime.now(UTC))
    uow.emit([domain.return_extended(agency_return, previous)], review, caller.user_id)
    return views.return_view(uow.reviews, caller, row, review)
