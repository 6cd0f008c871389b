"""What a caller may read, found in storage: a review or a return the caller may not read is not found,
exactly as one that does not exist, so a caller learns nothing from the difference."""

from __future__ import annotations

from uuid import UUID

from services.forms import policy
from services.forms.models import AgencyReturnRow, ReviewRecord, agency_return_of
from services.forms.repository import FormsRepository
from services.kernel.errors import NotFound
from services.kernel.identity import Actor


def readable_review(
    reviews: FormsRepository, caller: Actor, review_id: UUID, *, lock: bool = False
) -> tuple[ReviewRecord, list[UUID]]:
    """The review and its shares if the caller may read it (policy.may_read); NotFound otherwise.
    `lock` holds the review until commit, so that two changes to one review take turns."""
    found = reviews.review_with_shares(review_id, lock=lock)
    if found is None or not policy.may_read(caller, reviews.ownership(*found)):
        raise NotFound("No such review")
    return found


def readable_return(
    reviews: FormsRepository, caller: Actor, return_id: UUID, *, lock: bool = False
) -> tuple[AgencyReturnRow, ReviewRecord]:
    """The return and its review if the caller may read it (policy.may_read_return); NotFound otherwise."""
    row = reviews.agency_return(return_id, lock=lock)
    if row is None or not policy.may_read_return(caller, agency_return_of(row).ownership):
        raise NotFound("No such return")
    review = reviews.review(row.review_id)
    assert review is not None
    return row, review
