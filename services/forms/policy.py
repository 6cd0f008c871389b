"""Who may see and change a review: the one place for the forms service's access rules. Pure Python.

Deny by default: a role grants nothing unless a rule below names it. A review the caller may not read
is reported as not found by the service, so its existence is not revealed; `Forbidden` is only for an
action on a review the caller can already see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from services.kernel.errors import Forbidden, InvalidRequest
from services.kernel.identity import MEMBER_CASE_ROLES, PARTNERSHIP_CASE_ROLES, Actor, Role


@dataclass(frozen=True)
class ReviewOwnership:
    """What the access rules need to know of a review: whose it is and whom it is shared with."""

    review_id: UUID
    partnership_id: UUID
    shared_with: frozenset[UUID] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ReadScope:
    """The reviews an actor may read, as data a query can use as well as a predicate.

    `everything`: every review (the system). `whole_partnership`: every review of that partnership and
    every review shared with it (partnership case roles). `member_reviews`: those reviews only, and only
    where they belong to `member_partnership` (member case roles).
    """

    everything: bool = False
    whole_partnership: UUID | None = None
    member_reviews: frozenset[UUID] = field(default_factory=frozenset)
    member_partnership: UUID | None = None

    @property
    def is_empty(self) -> bool:
        """True when no review at all is readable."""
        return (
            not self.everything
            and self.whole_partnership is None
            and not (self.member_reviews and self.member_partnership is not None)
        )

    def admits(self, review: ReviewOwnership) -> bool:
        """Whether the review is inside this scope."""
        if self.everything:
            return True
        if self.whole_partnership is not None and (
            review.partnership_id == self.whole_partnership or self.whole_partnership in review.shared_with
        ):
            return True
        return (
            self.member_partnership is not None
            and review.partnership_id == self.member_partnership
            and review.review_id in self.member_reviews
        )


def read_scope(actor: Actor) -> ReadScope:
    """The reviews the actor may read: the union of what each of their roles grants."""
    if actor.has_role(Role.SYSTEM):
        return ReadScope(everything=True)
    if actor.partnership_id is None:
        return ReadScope()
    whole = actor.partnership_id if actor.has_role(*PARTNERSHIP_CASE_ROLES) else None
    members = actor.has_role(*MEMBER_CASE_ROLES) and bool(actor.reviews)
    return ReadScope(
        whole_partnership=whole,
        member_reviews=actor.reviews if members else frozenset(),
        member_partnership=actor.partnership_id if members else None,
    )


def may_read(actor: Actor, review: ReviewOwnership) -> bool:
    """Whether the actor may read the review (analysts, administrators and DPOs read none)."""
    return read_scope(actor).admits(review)


def check_may_open(actor: Actor, partnership_id: UUID) -> None:
    """A business manager opens reviews in their own partnership; the system anywhere. Else Forbidden."""
    if actor.has_role(Role.SYSTEM):
        return
    if not actor.has_role(Role.BUSINESS_MANAGER):
        raise Forbidden("Only a business manager can open a review")
    if actor.partnership_id != partnership_id:
        raise Forbidden("You can open reviews only in your own partnership")


def check_may_share(actor: Actor, review: ReviewOwnership, partnership_id: UUID) -> None:
    """Only a business manager of the owning partnership shares a review, and never with that partnership.

    The caller is assumed to have been shown the review (check `may_read` first: not found otherwise).
    """
    if not (actor.has_role(Role.BUSINESS_MANAGER) and actor.partnership_id == review.partnership_id):
        raise Forbidden("Only a business manager of the partnership that holds the review can share it")
    if partnership_id == review.partnership_id:
        raise InvalidRequest(
            "A review cannot be shared with its own partnership",
            problems=[{"field": "partnership_id", "message": "Choose another partnership"}],
        )


def data_protection_scope(actor: Actor) -> UUID | None:
    """The partnership whose records a data protection search covers; Forbidden for anyone else.

    A data protection officer searches their own partnership. The system searches the partnership it
    acts for, or every partnership (None) when it acts for none.
    """
    if actor.has_role(Role.SYSTEM):
        return actor.partnership_id
    if actor.has_role(Role.DATA_PROTECTION_OFFICER) and actor.partnership_id is not None:
        return actor.partnership_id
    raise Forbidden("Only the data protection officer of the partnership can search its records")
