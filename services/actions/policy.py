"""Who may see a review's actions: the one place for the actions service's access rules. Pure Python.

Deny by default, from the caller's partnership, roles and review memberships (the Actor every RPC carries),
as the forms service decides who reads a review. A review the caller may not see is not found.

The service knows which partnership holds a review from the review's actions; until it keeps its own copy
of reviews (from forms' events), a review whose actions another partnership holds reads as one with none
(so the answer never tells that a review exists), and a partnership a review is shared with sees none.
"""

from __future__ import annotations

from uuid import UUID

from services.kernel.errors import NotFound
from services.kernel.identity import MEMBER_CASE_ROLES, PARTNERSHIP_CASE_ROLES, Actor, Role


def may_see_review(actor: Actor, review_id: UUID, holder: UUID | None) -> bool:
    """The system sees every review; the partnership's business manager, partners and executive every
    review their partnership holds; its sub-group members, agency people, reviewers and action owners the
    reviews they are members of. Analysts, administrators and DPOs see none."""
    if actor.has_role(Role.SYSTEM):
        return True
    if actor.partnership_id is None or holder not in (None, actor.partnership_id):
        return False
    if actor.has_role(*PARTNERSHIP_CASE_ROLES):
        return True
    return actor.has_role(*MEMBER_CASE_ROLES) and review_id in actor.reviews


def check_may_see_review(actor: Actor, review_id: UUID, holder: UUID | None) -> None:
    """may_see_review, or NotFound (never Forbidden: a review the caller may not see is not revealed)."""
    if not may_see_review(actor, review_id, holder):
        raise NotFound("No such review")
