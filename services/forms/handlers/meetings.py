"""What forms takes from the meetings service: the rapid review meeting step completes when the minutes of
the review's rapid review meeting are approved (meetings.minutes_approved), with the meeting's date.

The step's text fields keep what the business manager drafted on the step; those left empty point to the
approved minutes, which hold the detail (the event carries no words about the case)."""

from __future__ import annotations

import logging
from typing import Any

from services.forms.handlers.lifecycle import complete, save
from services.forms.unit_of_work import FormsUnitOfWork
from services.kernel.errors import CaseReviewError
from services.kernel.events import Envelope
from services.kernel.identity import Actor, Role
from services.meetings.contract import MinutesApproved

log = logging.getLogger(__name__)

MEETING_STEP = "meeting"
SYSTEM = Actor(user_id="system", roles=frozenset({Role.SYSTEM}))


def complete_meeting_step(uow: FormsUnitOfWork, raw: Any, envelope: Envelope) -> None:
    """Complete the review's meeting step from approved minutes of its rapid review meeting, once per event;
    a review whose step is done already, or not yet open, is left as it is (and the reason logged)."""
    if not raw.first_delivery(envelope):
        return
    approved: MinutesApproved = envelope.payload(MinutesApproved)
    if approved.kind != "rapid_review_meeting":
        return
    found = uow.reviews.review_with_shares(approved.review_id, lock=True)
    if found is None:
        log.warning("minutes approved for review %s, which forms does not hold", approved.review_id)
        return
    record = found[0]
    state = uow.reviews.state(record)
    step = state.steps.get(MEETING_STEP)
    if state.definition.step(MEETING_STEP) is None or (step is not None and step.completed):
        return
    pointer = (
        f"Recorded in the approved minutes of the rapid review meeting held on {approved.held_on:%-d %B %Y}."
    )
    drafted = dict((step.answers or {}) if step is not None else {})
    answers = {
        "immediate_safety_actions": drafted.get("immediate_safety_actions") or pointer,
        "learning": drafted.get("learning") or pointer,
        "held_on": approved.held_on.isoformat(),
    }
    try:
        with raw.session.begin_nested():
            save(uow, SYSTEM, record, MEETING_STEP, answers, None)
            complete(uow, SYSTEM, record, MEETING_STEP, None, actor_id=envelope.actor_id or "system")
    except CaseReviewError as refused:
        # The step is not open yet (the letters to agencies are not out), or its form refuses: a person
        # completes it on the review's page; nothing is half-done (the savepoint is rolled back).
        log.info("meeting step of review %s not completed: %s", approved.review_id, type(refused).__name__)
