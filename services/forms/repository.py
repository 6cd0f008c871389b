"""The forms service's storage behind one seam: what the handlers and views ask of it, in the domain's words.

`FormsRepository` works on the unit of work's session (SQLAlchemy, models.py) and is the only thing the
handlers read or write through; a unit test hands a handler a fake in its place. Queries are the models
module's functions, looked up on the module at each call (`models.review_with_shares(...)`), so a test that
swaps one of those still reaches it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.orm import Session

from services.forms import domain, models
from services.forms.models import (
    AddendumRow,
    AgencyReturnRow,
    DeadlineSettingRow,
    PauseRow,
    ReviewRecord,
    ReviewShareRecord,
    StepRecordRow,
)
from services.forms.policy import ReadScope, ReviewOwnership


class HasSession(Protocol):
    """What the repository works on: the unit of work, whose session opens at first use."""

    @property
    def session(self) -> Session: ...


class FormsRepository:
    """Reviews, their steps, pauses, returns, addenda and the partnerships' deadline figures, stored."""

    def __init__(self, unit: HasSession) -> None:
        self._unit = unit

    @property
    def session(self) -> Session:
        return self._unit.session

    def flush(self) -> None:
        """Send the changes so far to the database (ids and constraints checked now, not at commit)."""
        self.session.flush()

    # -- reviews ------------------------------------------------------------------------------------------

    def review_with_shares(
        self, review_id: UUID, *, lock: bool = False
    ) -> tuple[ReviewRecord, list[UUID]] | None:
        """A review and the partnerships it is shared with; `lock` holds it until commit."""
        return models.review_with_shares(self.session, review_id, lock=lock)

    def review(self, review_id: UUID) -> ReviewRecord | None:
        return self.session.get(ReviewRecord, review_id)

    def readable_reviews(self, scope: ReadScope, limit: int) -> list[tuple[ReviewRecord, list[UUID]]]:
        return models.readable_reviews(self.session, scope, limit)

    def ownership(self, record: ReviewRecord, shared_with: list[UUID]) -> ReviewOwnership:
        return models.ownership(record, shared_with)

    def add_review(self, review: domain.Review) -> ReviewRecord:
        """Store a review just opened."""
        record = ReviewRecord(
            id=review.id,
            partnership_id=review.partnership_id,
            review_type=review.review_type,
            title=review.title,
            stage=review.stage,
            opened_at=review.opened_at,
            opened_by=review.opened_by,
            deadline_figures=review.deadline_figures,
        )
        self.session.add(record)
        self.session.flush()
        return record

    def add_share(self, share: domain.ReviewShare) -> None:
        self.session.add(
            ReviewShareRecord(
                review_id=share.review_id,
                shared_with_partnership_id=share.shared_with_partnership_id,
                shared_by=share.shared_by,
                shared_at=share.shared_at,
            )
        )

    # -- a review's lifecycle -----------------------------------------------------------------------------

    def state(
        self,
        record: ReviewRecord,
        pauses: list[PauseRow] | None = None,
        returns: list[AgencyReturnRow] | None = None,
    ) -> domain.ReviewState:
        """The review as the domain sees it (pauses and returns loaded unless the caller has them)."""
        steps = models.steps_of(self.session, [record.id]).get(record.id, [])
        if pauses is None:
            pauses = self.pauses(record.id)
        if returns is None:
            returns = self.returns(record.id)
        return models.review_state(record, steps, pauses, returns)

    def states(self, records: list[ReviewRecord]) -> dict[UUID, domain.ReviewState]:
        """Many reviews as the domain sees them, in a few queries whatever their number."""
        return models.review_states(self.session, records)

    def pauses(self, review_id: UUID) -> list[PauseRow]:
        return models.pauses_of(self.session, [review_id]).get(review_id, [])

    def returns(self, review_id: UUID) -> list[AgencyReturnRow]:
        return models.returns_of(self.session, [review_id]).get(review_id, [])

    def save_step(self, record: ReviewRecord, saved: domain.StepRecord, by: str, now: datetime) -> None:
        """Store a step's draft answers."""
        row = self.session.get(StepRecordRow, (record.id, saved.code))
        if row is None:
            row = StepRecordRow(review_id=record.id, code=saved.code)
            self.session.add(row)
        row.answers, row.version, row.saved_at, row.saved_by = saved.answers or {}, saved.version, now, by
        self.session.flush()

    def complete_step(self, record: ReviewRecord, completion: domain.Completion, by: str) -> None:
        """Store a completed step, the review's new stage, and the returns its completion asked for."""
        row = self.session.get(StepRecordRow, (record.id, completion.record.code))
        assert row is not None, "complete_step refuses a step with no saved answers"
        row.completed_on, row.completed_by = completion.record.completed_on, by
        row.version = completion.record.version
        row.due_on, row.late_by_working_days = completion.due_on, completion.late_by_working_days
        record.stage = completion.stage
        record.version += 1

    def changed(self, record: ReviewRecord) -> None:
        """A change to the review's lifecycle (a pause, a return asked for): its version moves on."""
        record.version += 1
        self.session.flush()

    def pause(self, pause_id: UUID) -> PauseRow | None:
        return self.session.get(PauseRow, pause_id)

    def add_pause(self, pause: domain.Pause, by: str, now: datetime) -> None:
        self.session.add(
            PauseRow(
                id=pause.id,
                review_id=pause.review_id,
                reason=pause.reason,
                detail=pause.detail,
                starts_on=pause.starts_on,
                ends_on=pause.ends_on,
                approved_by=pause.approved_by,
                recorded_by=by,
                recorded_at=now,
            )
        )

    def end_pause(self, row: PauseRow, ends_on: date) -> None:
        row.ends_on = ends_on
        self.session.flush()

    # -- agency returns -----------------------------------------------------------------------------------

    def agency_return(self, return_id: UUID, *, lock: bool = False) -> AgencyReturnRow | None:
        return self.session.get(AgencyReturnRow, return_id, with_for_update=lock or None)

    def returns_of_agency(self, partnership_id: UUID, agency_id: UUID) -> list[AgencyReturnRow]:
        return models.returns_of_agency(self.session, partnership_id, agency_id)

    def returns_of_partnership(self, partnership_id: UUID) -> list[tuple[AgencyReturnRow, ReviewRecord]]:
        return models.returns_of_partnership(self.session, partnership_id)

    def add_return(self, agency_return: domain.AgencyReturn, by: str, now: datetime) -> None:
        """Store a newly asked return."""
        self.session.add(
            AgencyReturnRow(
                id=agency_return.id,
                review_id=agency_return.review_id,
                partnership_id=agency_return.partnership_id,
                agency_id=agency_return.agency_id,
                agency_name=agency_return.agency_name,
                status="requested",
                due_on=agency_return.due_on,
                extension_reason="",
                answers={},
                requested_at=now,
                requested_by=by,
                updated_at=now,
                updated_by=by,
                late_by_working_days=0,
                version=0,
            )
        )

    def store_return(
        self, row: AgencyReturnRow, agency_return: domain.AgencyReturn, by: str, now: datetime
    ) -> None:
        """Store what the rules changed of a return."""
        row.status, row.answers, row.version = (
            agency_return.status,
            agency_return.answers,
            agency_return.version,
        )
        row.extended_to = agency_return.extended_to
        row.extension_reason = agency_return.extension_reason
        row.submitted_at, row.submitted_by = agency_return.submitted_at, agency_return.submitted_by
        row.late_by_working_days = agency_return.late_by_working_days
        row.updated_at, row.updated_by = now, by

    def addenda(self, return_id: UUID) -> list[AddendumRow]:
        return models.addenda_of(self.session, return_id)

    def add_addendum(self, return_id: UUID, text: str, by: str, now: datetime) -> UUID:
        """Store a correction to a submitted return; its id."""
        added = AddendumRow(id=uuid.uuid4(), return_id=return_id, text=text, author=by, added_at=now)
        self.session.add(added)
        self.session.flush()
        return added.id

    # -- the partnership's deadline figures ---------------------------------------------------------------

    def deadline_settings(self, partnership_id: UUID, review_type: str) -> dict[str, int]:
        return models.deadline_settings(self.session, partnership_id, review_type)

    def set_deadline_settings(
        self, partnership_id: UUID, review_type: str, values: Mapping[str, int], by: str, now: datetime
    ) -> None:
        for code, value in values.items():
            key = (partnership_id, review_type, code)
            row = self.session.get(DeadlineSettingRow, key)
            if row is None:
                row = DeadlineSettingRow(partnership_id=key[0], review_type=key[1], code=key[2])
                self.session.add(row)
            row.value, row.updated_by, row.updated_at = value, by, now
        self.session.flush()

    # -- data protection ----------------------------------------------------------------------------------

    def reviews_opened_by(self, user_id: str, partnership_id: UUID | None) -> list[ReviewRecord]:
        return models.reviews_opened_by(self.session, user_id, partnership_id)

    def shares_made_by(
        self, user_id: str, partnership_id: UUID | None
    ) -> list[tuple[ReviewShareRecord, UUID]]:
        return models.shares_made_by(self.session, user_id, partnership_id)

    def work_of_person(self, user_id: str, partnership_id: UUID | None) -> list[tuple[Any, ...]]:
        return models.work_of_person(self.session, user_id, partnership_id)

    def reviews_opened_before(self, before: datetime, partnership_id: UUID | None) -> list[ReviewRecord]:
        return models.reviews_opened_before(self.session, before, partnership_id)
