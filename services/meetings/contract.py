"""What others may know of the meetings service: a review's meetings, and the RPCs that answer them.

Rapid review meetings, panels, practitioner events and family contact are scheduled, attended and minuted
with later issues; today the service answers which meetings a review has (none until those issues).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel

from services.kernel.identity import Actor
from services.kernel.remote import RemoteService, found_by_id

SERVICE = "meetings"

# An id that is not an id reads as "No such review", as the id of a review the caller may not see does.
ReviewId = Annotated[UUID, found_by_id("review")]

MeetingKind = Literal["rapid_review_meeting", "panel", "practitioner_event", "family_contact"]
MeetingStatus = Literal["scheduled", "held", "cancelled"]


class MeetingSummary(BaseModel):
    """One meeting of a review as a list shows it: its kind, when it starts, whether it was held.

    No names, no minutes, nothing about the child.
    """

    id: UUID
    review_id: UUID
    kind: MeetingKind
    starts_at: datetime
    status: MeetingStatus


class Meetings(RemoteService):
    """Meetings of reviews: rapid review meetings, panels, practitioner events, family contact.

    The service implements each with the same signature (services/meetings/service.py);
    tests/unit/test_contracts.py proves the two agree.
    """

    service = SERVICE

    async def meetings_of_review(self, actor: Actor, review_id: ReviewId) -> list[MeetingSummary]:
        """A review's meetings, soonest first; NotFound if the caller may not see the review."""
        raise NotImplementedError
