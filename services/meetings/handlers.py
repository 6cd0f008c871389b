"""The meetings use cases. Each takes the worker's unit of work (one transaction, committed by the entrypoint
before it replies) and the meetings (the table, unless a test hands in a fake)."""

from __future__ import annotations

from uuid import UUID

from services.kernel.identity import Actor
from services.kernel.unit_of_work import UnitOfWork
from services.meetings import domain, policy
from services.meetings.contract import MeetingSummary
from services.meetings.repository import MeetingTable, ReviewMeetings


def meetings_of_review(
    uow: UnitOfWork, actor: Actor, review_id: UUID, meetings: ReviewMeetings | None = None
) -> list[MeetingSummary]:
    """A review's meetings, soonest first: NotFound for a caller who could
    see the review in no partnership; empty for one whose partnership does not hold it (policy)."""
    # Before any read: refuse whom the review would not be shown to whichever partnership held it.
    policy.check_may_see_review(actor, review_id, holder=None)
    held = (MeetingTable(uow.session) if meetings is None else meetings).of_review(review_id)
    if not policy.may_see_review(actor, review_id, domain.holder(held)):
        # Another partnership's review reads exactly as one with no meetings here: its existence is not told.
        return []
    return [meeting.summary() for meeting in domain.in_order(held)]
