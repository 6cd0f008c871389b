"""The seam between the accuracy handlers and storage: rounds whole (with their agencies' requests), the
family's comments on a version, and the partners' sign-offs.

Handlers speak to `AccuracyStore`; `AccuracyTables` keeps them in the schema through accuracy_models.py, and a
unit test hands the handlers a fake.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from sqlalchemy.orm import Session

from services.reports import accuracy_models as tables
from services.reports.accuracy import AccuracyRound, AgencyRequest, Comment, FamilyRecord, SignOff
from services.reports.models import DocumentRecord
from services.reports.version_models import VersionRecord


class AccuracyStore(Protocol):
    """Rounds, family comments and sign-offs of versions."""

    def rounds_of(self, version_id: UUID) -> list[AccuracyRound]:
        """The version's rounds, newest first, with their requests."""
        ...

    def round(self, round_id: UUID, *, lock: bool = False) -> AccuracyRound | None: ...

    def round_of_request(self, request_id: UUID) -> AccuracyRound | None: ...

    def add_round(self, round_: AccuracyRound) -> None: ...

    def save_round(self, round_: AccuracyRound) -> None:
        """Keep the round's close and its requests' answers."""
        ...

    def family_of(self, version_id: UUID) -> list[FamilyRecord]: ...

    def add_family(self, record: FamilyRecord) -> None: ...

    def sign_offs_of(self, version_id: UUID) -> list[SignOff]: ...

    def add_sign_off(self, sign_off: SignOff) -> None: ...


def _request(record: tables.AccuracyRequestRecord) -> AgencyRequest:
    return AgencyRequest(
        id=record.id,
        agency_id=record.agency_id,
        section_ids=list(record.section_ids),
        answer=record.answer,  # type: ignore[arg-type]
        answered_by=record.answered_by,
        answered_at=record.answered_at,
        comments=[Comment.model_validate(c) for c in record.comments],
    )


class AccuracyTables:
    """AccuracyStore in the schema `reports`, in the worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _whole(self, records: list[tables.AccuracyRoundRecord]) -> list[AccuracyRound]:
        if not records:
            return []
        requests = tables.requests_of(self.session, [r.id for r in records])
        rounds = []
        for record in records:
            version = self.session.get(VersionRecord, record.version_id)
            assert version is not None
            document = self.session.get(DocumentRecord, version.document_id)
            assert document is not None
            rounds.append(
                AccuracyRound(
                    id=record.id,
                    version_id=record.version_id,
                    document_id=document.id,
                    review_id=document.review_id,
                    partnership_id=document.partnership_id,
                    due_on=record.due_on,
                    opened_by=record.opened_by,
                    opened_at=record.opened_at,
                    closed_by=record.closed_by,
                    closed_at=record.closed_at,
                    requests=[_request(r) for r in requests if r.round_id == record.id],
                )
            )
        return rounds

    def rounds_of(self, version_id: UUID) -> list[AccuracyRound]:
        return self._whole(tables.rounds_of(self.session, version_id))

    def round(self, round_id: UUID, *, lock: bool = False) -> AccuracyRound | None:
        record = self.session.get(tables.AccuracyRoundRecord, round_id, with_for_update=lock)
        return self._whole([record])[0] if record is not None else None

    def round_of_request(self, request_id: UUID) -> AccuracyRound | None:
        request = self.session.get(tables.AccuracyRequestRecord, request_id)
        return self.round(request.round_id) if request is not None else None

    def add_round(self, round_: AccuracyRound) -> None:
        self.session.add(
            tables.AccuracyRoundRecord(
                id=round_.id,
                version_id=round_.version_id,
                due_on=round_.due_on,
                opened_by=round_.opened_by,
                opened_at=round_.opened_at,
            )
        )
        self.session.flush()
        for request in round_.requests:
            self.session.add(
                tables.AccuracyRequestRecord(
                    id=request.id,
                    round_id=round_.id,
                    agency_id=request.agency_id,
                    section_ids=request.section_ids,
                    comments=[],
                )
            )
        self.session.flush()

    def save_round(self, round_: AccuracyRound) -> None:
        record = self.session.get(tables.AccuracyRoundRecord, round_.id, with_for_update=True)
        assert record is not None, "a round is saved after it is read"
        record.closed_by, record.closed_at = round_.closed_by, round_.closed_at
        for request in round_.requests:
            row = self.session.get(tables.AccuracyRequestRecord, request.id)
            assert row is not None
            row.answer = request.answer
            row.answered_by, row.answered_at = request.answered_by, request.answered_at
            row.comments = [c.model_dump(mode="json") for c in request.comments]
        self.session.flush()

    def family_of(self, version_id: UUID) -> list[FamilyRecord]:
        return [
            FamilyRecord(
                id=r.id,
                version_id=r.version_id,
                shown_on=r.shown_on,
                comments=r.comments,
                response=r.response,
                recorded_by=r.recorded_by,
                recorded_at=r.recorded_at,
            )
            for r in tables.family_of(self.session, version_id)
        ]

    def add_family(self, record: FamilyRecord) -> None:
        self.session.add(tables.FamilyCommentRecord(**record.model_dump()))
        self.session.flush()

    def sign_offs_of(self, version_id: UUID) -> list[SignOff]:
        return [
            SignOff(
                version_id=r.version_id,
                partner_key=r.partner_key,
                agency_id=r.agency_id,
                signed_by=r.signed_by,
                signed_at=r.signed_at,
            )
            for r in tables.sign_offs_of(self.session, version_id)
        ]

    def add_sign_off(self, sign_off: SignOff) -> None:
        self.session.add(tables.SignOffRecord(**sign_off.model_dump()))
        self.session.flush()
