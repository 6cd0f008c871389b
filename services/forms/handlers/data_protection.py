"""Data protection: the records that refer to a person (subject access, erasure), and the reviews due for
the retention review. The partnership's data protection officer, or the system, only
(policy.data_protection_scope)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.forms import domain, policy, views
from services.forms.contract import RetentionCandidate
from services.forms.contract.names import SERVICE
from services.forms.unit_of_work import FormsUnitOfWork
from services.kernel.data_protection import PersonQuery, PersonRecord, person_record
from services.kernel.identity import Actor


def records_about_person(uow: FormsUnitOfWork, caller: Actor, person: PersonQuery) -> list[PersonRecord]:
    """Reviews the user opened, shares they made, and their work on reviews' lifecycles (steps, returns,
    addenda, pauses), in the caller's partnership, oldest first. Forms holds no e-mail addresses, so a query
    by e-mail alone finds nothing here."""
    partnership_id = policy.data_protection_scope(caller)
    if person.user_id is None:
        return []
    records = [
        person_record(
            SERVICE,
            "review",
            review.id,
            partnership_id=review.partnership_id,
            summary=f"Opened the review {review.title} ({domain.review_type(review.review_type).label})",
            recorded_at=review.opened_at,
        )
        for review in uow.reviews.reviews_opened_by(person.user_id, partnership_id)
    ]
    records += [
        person_record(
            SERVICE,
            "review_share",
            f"{share.review_id}:{share.shared_with_partnership_id}",
            partnership_id=owner,
            summary=f"Shared a review with the partnership {share.shared_with_partnership_id}",
            recorded_at=share.shared_at,
        )
        for share, owner in uow.reviews.shares_made_by(person.user_id, partnership_id)
    ]
    records += [
        person_record(SERVICE, *work) for work in uow.reviews.work_of_person(person.user_id, partnership_id)
    ]
    records.sort(key=lambda record: record.recorded_at or datetime.min.replace(tzinfo=UTC))
    return records


def reviews_for_retention(
    uow: FormsUnitOfWork, caller: Actor, opened_before: date
) -> list[RetentionCandidate]:
    """The partnership's reviews opened before a day (from midnight in England), oldest first."""
    partnership_id = policy.data_protection_scope(caller)
    before = domain.start_of_day(opened_before)
    return [
        views.retention_candidate(review)
        for review in uow.reviews.reviews_opened_before(before, partnership_id)
    ]
