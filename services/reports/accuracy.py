"""Factual accuracy of a named version, the family's comments on it, and the partners' sign-off: the rules.
Pure Python: no I/O.

- A round asks agencies to check a version by a date (default: 10 working days after the day it opens, on the
  kernel's calendar). Each agency checks the sections assigned to it or shared with it, fixed when the round
  opens; an agency with none is refused. One round of a version is open at a time; a locked (signed-off)
  version takes none.
- An agency answers once: it confirms, or disputes with a comment on each section it disputes (its own
  sections only). It may change its answer until the round closes. Not answered after the due date is
  overdue.
- The family, where it wished to see the report, is shown a version: the manager records the date, what the
  family said and the response.
- The three statutory safeguarding partners (the local authority, the integrated care board, the chief
  officer of police: DOMAIN.md step 6 and 11, "sign-off by all three partners") each sign a version off once,
  by a lead or delegated partner; a partner is the signer's agency (or the signer, if they have none). When
  the number needed have signed, the version is locked (versions.lock).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from services.kernel.calendar import add_working_days
from services.kernel.errors import Conflict, Forbidden, InvalidRequest
from services.reports.contract import AccuracyAnswer, AccuracyAnswerKind, FamilyCommentsEntry
from services.reports.domain import Document

# Working days an agency has to check a version when the manager gives no date.
DEFAULT_CHECK_WORKING_DAYS = 10
# Partners whose sign-off locks a version: the three statutory safeguarding partners.
PARTNERS_NEEDED = 3


class Comment(BaseModel):
    """An agency's comment on a section it disputes."""

    section_id: UUID
    text: str


class AgencyRequest(BaseModel):
    """One agency asked in a round: the sections it checks, and its answer."""

    id: UUID
    agency_id: UUID
    section_ids: list[UUID]
    answer: AccuracyAnswerKind | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None
    comments: list[Comment] = Field(default_factory=list)

    def overdue(self, due_on: date, today: date) -> bool:
        """Not answered after the day it was due."""
        return self.answer is None and today > due_on


class AccuracyRound(BaseModel):
    """A factual-accuracy round on a version (the aggregate: its agencies' requests travel with it)."""

    id: UUID
    version_id: UUID
    document_id: UUID
    review_id: UUID
    partnership_id: UUID
    due_on: date
    opened_by: str
    opened_at: datetime
    closed_by: str | None = None
    closed_at: datetime | None = None
    requests: list[AgencyRequest]

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def request_of(self, agency_id: UUID | None) -> AgencyRequest | None:
        """The request of the agency, if it was asked."""
        return next((r for r in self.requests if agency_id is not None and r.agency_id == agency_id), None)

    def unanswered(self) -> list[AgencyRequest]:
        return [r for r in self.requests if r.answer is None]

    def counts(self, today: date) -> dict[str, int]:
        """How many agencies confirmed, disputed, have not answered, and of those are overdue."""
        return {
            "confirmed": sum(1 for r in self.requests if r.answer == "confirmed"),
            "disputed": sum(1 for r in self.requests if r.answer == "disputed"),
            "not_answered": sum(1 for r in self.requests if r.answer is None),
            "overdue": sum(1 for r in self.requests if r.overdue(self.due_on, today)),
        }


def _problem(field: str, message: str) -> InvalidRequest:
    return InvalidRequest("The round has problems", problems=[{"field": field, "message": message}])


def default_due_on(today: date) -> date:
    """The date answers are due when the manager gives none."""
    return add_working_days(today, DEFAULT_CHECK_WORKING_DAYS)


def sections_about(document: Document, agency_id: UUID) -> list[UUID]:
    """The sections of the document about an agency: assigned to it or shared with it, in order."""
    return [
        s.id
        for s in document.sections
        if s.assigned_agency_id == agency_id or agency_id in s.shared_with_agency_ids
    ]


def agencies_of_document(document: Document) -> list[UUID]:
    """Every agency a section of the document is assigned to or shared with, in order of first appearance."""
    found: dict[UUID, None] = {}
    for section in document.sections:
        for agency_id in [section.assigned_agency_id, *section.shared_with_agency_ids]:
            if agency_id is not None:
                found.setdefault(agency_id)
    return list(found)


def open_round(
    document: Document,
    *,
    version_id: UUID,
    version_locked: bool,
    rounds: Collection[AccuracyRound],
    due_on: date | None,
    agency_ids: Collection[UUID],
    agency_names: Mapping[UUID, str],
    opened_by: str,
    now: datetime,
    today: date,
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> AccuracyRound:
    """A new round on the version; Conflict while another is open or once the version is locked,
    InvalidRequest for a date not after today, an agency not of the partnership or with no section on it."""
    if version_locked:
        raise Conflict("This version is signed off and locked: name a new version to check its facts")
    if any(r.open for r in rounds):
        raise Conflict("A factual-accuracy round of this version is open: close it before opening another")
    due = due_on or default_due_on(today)
    if due <= today:
        raise _problem("due_on", "The date answers are due must be after today")
    asked = list(dict.fromkeys(agency_ids)) or agencies_of_document(document)
    if not asked:
        raise _problem(
            "agency_ids", "No section is assigned to or shared with an agency: assign sections first"
        )
    requests = []
    for agency_id in asked:
        if agency_id not in agency_names:
            raise _problem("agency_ids", "Choose agencies of the partnership")
        sections = sections_about(document, agency_id)
        if not sections:
            raise _problem(
                "agency_ids",
                f"{agency_names[agency_id]} has no section assigned to or shared with it: assign one",
            )
        requests.append(AgencyRequest(id=new_id(), agency_id=agency_id, section_ids=sections))
    return AccuracyRound(
        id=new_id(),
        version_id=version_id,
        document_id=document.id,
        review_id=document.review_id,
        partnership_id=document.partnership_id,
        due_on=due,
        opened_by=opened_by,
        opened_at=now,
        requests=requests,
    )


def answer(
    round_: AccuracyRound, agency_id: UUID | None, command: AccuracyAnswer, *, by: str, now: datetime
) -> AgencyRequest:
    """Record the agency's answer (replacing an earlier one); Forbidden for an agency not asked, Conflict once
    the round is closed, InvalidRequest for a comment on a section the agency does not check."""
    request = round_.request_of(agency_id)
    if request is None:
        raise Forbidden("Your agency was not asked to check this version")
    if not round_.open:
        raise Conflict("This factual-accuracy round is closed: answers can no longer change")
    comments: dict[UUID, str] = {}
    for comment in command.comments:
        if comment.section_id not in request.section_ids:
            raise InvalidRequest(
                "The answer has problems",
                problems=[
                    {"field": "comments", "message": "Comment only on the sections your agency checks"}
                ],
            )
        comments[comment.section_id] = comment.text
    request.answer = command.answer
    request.answered_by, request.answered_at = by, now
    request.comments = [Comment(section_id=i, text=t) for i, t in comments.items()]
    return request


def close(round_: AccuracyRound, *, by: str, now: datetime) -> list[AgencyRequest]:
    """Close the round; returns the requests left unanswered. Conflict if it is closed already."""
    if not round_.open:
        raise Conflict("This factual-accuracy round is closed already")
    round_.closed_by, round_.closed_at = by, now
    return round_.unanswered()


# -- the family's comments --


class FamilyRecord(BaseModel):
    """The family shown a version on a date, their comments and the response."""

    id: UUID
    version_id: UUID
    shown_on: date
    comments: str
    response: str
    recorded_by: str
    recorded_at: datetime


def record_family(
    version_id: UUID,
    entry: FamilyCommentsEntry,
    *,
    named_at: datetime,
    today: date,
    by: str,
    now: datetime,
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> FamilyRecord:
    """A record of the family shown the version; InvalidRequest for a date in the future or before the
    version was named."""
    if entry.shown_on > today:
        raise InvalidRequest(
            "The family's comments have problems",
            problems=[
                {"field": "shown_on", "message": "The date the family was shown it must be today or before"}
            ],
        )
    if entry.shown_on < named_at.date():
        raise InvalidRequest(
            "The family's comments have problems",
            problems=[
                {
                    "field": "shown_on",
                    "message": "The family cannot have been shown this version before it was named",
                }
            ],
        )
    return FamilyRecord(
        id=new_id(),
        version_id=version_id,
        shown_on=entry.shown_on,
        comments=entry.comments,
        response=entry.response,
        recorded_by=by,
        recorded_at=now,
    )


# -- the partners' sign-off --


class SignOff(BaseModel):
    """A partner's signature of a version: the partner (its agency, else the signer), who signed, when."""

    version_id: UUID
    partner_key: str
    agency_id: UUID | None
    signed_by: str
    signed_at: datetime


def partner_key(user_id: str, agency_id: UUID | None) -> str:
    """Which partner a signer signs for: their agency (lead and delegate sign for one), else themself."""
    return f"agency:{agency_id}" if agency_id is not None else f"person:{user_id}"


def sign(
    signatures: Collection[SignOff],
    *,
    version_id: UUID,
    version_locked: bool,
    user_id: str,
    agency_id: UUID | None,
    now: datetime,
) -> SignOff:
    """A partner's signature; Conflict once the version is locked or when their partner has signed it."""
    if version_locked:
        raise Conflict("This version is locked: its sign-off is complete")
    key = partner_key(user_id, agency_id)
    if any(s.partner_key == key for s in signatures):
        raise Conflict("Your partner agency has signed this version off already")
    return SignOff(
        version_id=version_id, partner_key=key, agency_id=agency_id, signed_by=user_id, signed_at=now
    )


def complete(signatures: Collection[SignOff], needed: int = PARTNERS_NEEDED) -> bool:
    """Whether enough partners have signed for the version to be locked."""
    return len({s.partner_key for s in signatures}) >= needed
