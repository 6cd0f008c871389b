"""The seam between the handlers and storage: meetings, their papers and the family's contacts.

Handlers speak to `MeetingStore`; `MeetingTables` keeps them in the schema through models.py (papers' bytes
in the file store configured, services/kernel/file_store.py), and a unit test hands the handler a fake.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast
from uuid import UUID

from sqlalchemy.orm import Session

from services.kernel.file_store import FileStore, file_store
from services.meetings import models
from services.meetings.contract import FamilyContactView, MeetingKind, MeetingStatus, PaperView
from services.meetings.domain import Meeting, Minutes


class ReviewMeetings(Protocol):
    """The meetings of reviews, as a list reads them."""

    def of_review(self, review_id: UUID) -> list[Meeting]:
        """Every meeting of one review, in no particular order."""
        ...


class MeetingStore(ReviewMeetings, Protocol):
    """Meetings whole, their papers and the family's contacts."""

    def get(self, meeting_id: UUID, *, lock: bool = False) -> Meeting | None: ...

    def add(self, meeting: Meeting) -> None: ...

    def save(self, meeting: Meeting) -> None: ...

    def between(self, partnership_id: UUID | None, starts: datetime, ends: datetime) -> list[Meeting]: ...

    def to_remind(self, starts: datetime, ends: datetime) -> list[Meeting]: ...

    def papers(self, meeting_id: UUID) -> list[PaperView]: ...

    def add_paper(self, paper: models.PaperRecord, content: bytes) -> None: ...

    def paper(self, meeting_id: UUID, paper_id: UUID) -> tuple[models.PaperRecord, bytes] | None: ...

    def family_contacts(self, review_id: UUID) -> list[tuple[UUID, FamilyContactView]]: ...

    def add_family_contact(self, contact: models.FamilyContactRecord) -> None: ...

    def holder_of(self, review_id: UUID) -> UUID | None:
        """The partnership holding a review: as forms told, else as its meetings or family contacts record."""
        ...

    def keep_review(self, review_id: UUID, partnership_id: UUID) -> None: ...


def _meeting(record: models.MeetingRecord) -> Meeting:
    body = record.body or {}
    return Meeting(
        id=record.id,
        review_id=record.review_id,
        partnership_id=record.partnership_id,
        kind=cast(MeetingKind, record.kind),
        starts_at=record.starts_at,
        status=cast(MeetingStatus, record.status),
        ends_at=record.ends_at,
        review_reference=record.review_reference or "",
        place=record.place or "",
        online_link=record.online_link or "",
        chair_id=record.chair_id or "",
        organizer_id=record.organizer_id or "",
        sequence=record.sequence or 0,
        reminded=bool(record.reminded),
        agenda=body.get("agenda", []),
        invitees=body.get("invitees", []),
        minutes=Minutes.model_validate(body.get("minutes", {})),
        report_due_on=body.get("report_due_on"),
    )


def _write(record: models.MeetingRecord, meeting: Meeting) -> None:
    record.kind, record.starts_at, record.ends_at = meeting.kind, meeting.starts_at, meeting.ends
    record.status, record.place, record.online_link = meeting.status, meeting.place, meeting.online_link
    record.chair_id, record.sequence, record.reminded = meeting.chair_id, meeting.sequence, meeting.reminded
    record.review_reference, record.organizer_id = meeting.review_reference, meeting.organizer_id
    record.body = meeting.model_dump(mode="json", include={"agenda", "invitees", "minutes", "report_due_on"})


def paper_view(record: models.PaperRecord) -> PaperView:
    return PaperView(
        id=record.id,
        agenda_item_id=record.agenda_item_id,
        filename=record.filename,
        kind=record.kind,
        size_bytes=record.size_bytes,
        uploaded_at=record.uploaded_at,
    )


class MeetingTables:
    """MeetingStore in the schema `meetings`, in the worker's transaction."""

    def __init__(self, session: Session, files: FileStore | None = None) -> None:
        self.session = session
        self.files = files if files is not None else file_store(models.Base.metadata, session)

    def of_review(self, review_id: UUID) -> list[Meeting]:
        return [_meeting(record) for record in models.meetings_of(self.session, review_id)]

    def get(self, meeting_id: UUID, *, lock: bool = False) -> Meeting | None:
        record = models.meeting(self.session, meeting_id, lock=lock)
        return _meeting(record) if record is not None else None

    def add(self, meeting: Meeting) -> None:
        record = models.MeetingRecord(
            id=meeting.id, review_id=meeting.review_id, partnership_id=meeting.partnership_id
        )
        _write(record, meeting)
        self.session.add(record)
        self.session.flush()

    def save(self, meeting: Meeting) -> None:
        record = models.meeting(self.session, meeting.id, lock=True)
        assert record is not None, "a meeting is saved only after it was read"
        _write(record, meeting)
        self.session.flush()

    def between(self, partnership_id: UUID | None, starts: datetime, ends: datetime) -> list[Meeting]:
        return [_meeting(r) for r in models.meetings_between(self.session, partnership_id, starts, ends)]

    def to_remind(self, starts: datetime, ends: datetime) -> list[Meeting]:
        return [_meeting(r) for r in models.due_for_reminder(self.session, starts, ends)]

    def papers(self, meeting_id: UUID) -> list[PaperView]:
        return [paper_view(record) for record in models.papers_of(self.session, meeting_id)]

    def add_paper(self, paper: models.PaperRecord, content: bytes) -> None:
        paper.store_key = self.files.put(content)
        self.session.add(paper)
        self.session.flush()

    def paper(self, meeting_id: UUID, paper_id: UUID) -> tuple[models.PaperRecord, bytes] | None:
        record = self.session.get(models.PaperRecord, paper_id)
        if record is None or record.meeting_id != meeting_id:
            return None
        return record, self.files.get(record.store_key, record.sha256)

    def family_contacts(self, review_id: UUID) -> list[tuple[UUID, FamilyContactView]]:
        return [
            (
                record.partnership_id,
                FamilyContactView(
                    id=record.id,
                    review_ids=list(record.review_ids),
                    contacted_on=record.contacted_on,
                    family_member=record.family_member,
                    method=record.method,
                    through_professional=record.through_professional,
                    consent=record.consent,
                    wishes=record.wishes,
                    outcome=record.outcome,
                    wants_report_before_publication=record.wants_report_before_publication,
                    recorded_at=record.recorded_at,
                ),
            )
            for record in models.family_contacts_of(self.session, review_id)
        ]

    def add_family_contact(self, contact: models.FamilyContactRecord) -> None:
        self.session.add(contact)
        self.session.flush()

    def holder_of(self, review_id: UUID) -> UUID | None:
        told = models.holder_of(self.session, review_id)
        if told is not None:
            return told
        meetings = models.meetings_of(self.session, review_id)
        if meetings:
            return meetings[0].partnership_id
        contacts = models.family_contacts_of(self.session, review_id)
        return contacts[0].partnership_id if contacts else None

    def keep_review(self, review_id: UUID, partnership_id: UUID) -> None:
        models.keep_review(self.session, review_id, partnership_id)


# The name the first shape of the service used.
MeetingTable = MeetingTables
