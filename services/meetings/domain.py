"""The rules of meetings. Pure Python: no broker, no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.meetings.contract import MeetingKind, MeetingStatus, MeetingSummary


@dataclass(frozen=True)
class Meeting:
    """A meeting of a review, held by the review's partnership."""

    id: UUID
    review_id: UUID
    partnership_id: UUID
    kind: MeetingKind
    starts_at: datetime
    status: MeetingStatus

    def summary(self) -> MeetingSummary:
        """The meeting as the contract lists it."""
        return MeetingSummary(
            id=self.id, review_id=self.review_id, kind=self.kind, starts_at=self.starts_at, status=self.status
        )


def holder(meetings: Iterable[Meeting]) -> UUID | None:
    """The partnership holding the review, as its meetings record it; None when it has none here yet."""
    return next((meeting.partnership_id for meeting in meetings), None)


def in_order(meetings: Iterable[Meeting]) -> list[Meeting]:
    """A review's meetings as a reader follows them: soonest first."""
    return sorted(meetings, key=lambda meeting: (meeting.starts_at, str(meeting.id)))
