"""The seam between the handlers and storage: a review's meetings.

Handlers speak to `ReviewMeetings`; `MeetingTable` keeps them in the schema through models.py, and a unit
test hands the handler a fake instead.
"""

from __future__ import annotations

from typing import Protocol, cast
from uuid import UUID

from sqlalchemy.orm import Session

from services.meetings import models
from services.meetings.contract import MeetingKind, MeetingStatus
from services.meetings.domain import Meeting


class ReviewMeetings(Protocol):
    """The meetings of reviews."""

    def of_review(self, review_id: UUID) -> list[Meeting]:
        """Every meeting of one review, in no particular order."""
        ...


class MeetingTable:
    """ReviewMeetings in the table `meetings.meeting`, in the worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of_review(self, review_id: UUID) -> list[Meeting]:
        return [
            Meeting(
                id=record.id,
                review_id=record.review_id,
                partnership_id=record.partnership_id,
                kind=cast(MeetingKind, record.kind),
                starts_at=record.starts_at,
                status=cast(MeetingStatus, record.status),
            )
            for record in models.meetings_of(self.session, review_id)
        ]
