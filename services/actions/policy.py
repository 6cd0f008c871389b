"""Who may see and do what in the action plan: the one place for the actions service's access rules. Pure.

Deny by default, from the caller's partnership, roles and review memberships (the Actor every RPC carries).
The partnership holding a review is the one forms said opened it (the service's copy of reviews).

- A review's plan (lessons, recommendations, every action) is read by its partnership's business manager,
  safeguarding partners and Executive, and by the review's sub-group members, independent reviewer and agency
  leads (members of it). A review the caller may not read the plan of is not found.
- An action owner reads and updates only the actions they own, whatever else they are a member of.
- Lessons and recommendations: the business manager, or the review's independent reviewer.
- Assigning actions and the partnership's taxonomy: the business manager. Sign-off: the Executive.
- Analysts, administrators and data protection officers see none of it (figures come through analytics).
"""

from __future__ import annotations

from uuid import UUID

from services.kernel.errors import Forbidden, NotFound
from services.kernel.identity import PARTNERSHIP_CASE_ROLES, Actor, Role

PLAN_MEMBERS = frozenset({Role.SUBGROUP_MEMBER, Role.INDEPENDENT_REVIEWER, Role.AGENCY_LEAD})


def _in_partnership(actor: Actor, holder: UUID | None) -> bool:
    return holder is not None and actor.partnership_id == holder


def may_read_plan(actor: Actor, review_id: UUID, holder: UUID | None) -> bool:
    """Whether the caller may read a review's whole plan."""
    if actor.has_role(Role.SYSTEM):
        return True
    if not _in_partnership(actor, holder):
        return False
    if actor.has_role(*PARTNERSHIP_CASE_ROLES):
        return True
    return actor.has_role(*PLAN_MEMBERS) and review_id in actor.reviews


def check_reads_plan(actor: Actor, review_id: UUID, holder: UUID | None) -> None:
    """may_read_plan, or NotFound: a review the caller may not see is not revealed."""
    if not may_read_plan(actor, review_id, holder):
        raise NotFound("No such review")


def may_see_action(actor: Actor, review_id: UUID, holder: UUID | None, owner_id: UUID) -> bool:
    """The action's owner (in its partnership), or a reader of its review's plan."""
    if _in_partnership(actor, holder) and actor.user_id == str(owner_id):
        return True
    return may_read_plan(actor, review_id, holder)


def may_record_learning(actor: Actor, review_id: UUID, holder: UUID | None) -> bool:
    """Lessons and recommendations: the business manager, or the review's independent reviewer."""
    if not _in_partnership(actor, holder):
        return False
    if actor.has_role(Role.BUSINESS_MANAGER):
        return True
    return actor.has_role(Role.INDEPENDENT_REVIEWER) and review_id in actor.reviews


def check_records_learning(actor: Actor, review_id: UUID, holder: UUID | None) -> None:
    if not may_record_learning(actor, review_id, holder):
        raise Forbidden(
            "Only the business manager or the review's independent reviewer may record its learning"
        )


def manages_plan(actor: Actor, holder: UUID | None) -> bool:
    """The partnership's business manager: assigns actions, keeps the taxonomy, updates any action."""
    return _in_partnership(actor, holder) and actor.has_role(Role.BUSINESS_MANAGER)


def check_manages_plan(actor: Actor, holder: UUID | None, doing: str) -> None:
    if not manages_plan(actor, holder):
        raise Forbidden(f"Only the business manager may {doing}")


def may_update(actor: Actor, holder: UUID | None, owner_id: UUID) -> bool:
    """A status change or progress update: the action's owner, or the business manager."""
    return manages_plan(actor, holder) or (_in_partnership(actor, holder) and actor.user_id == str(owner_id))


def check_updates(actor: Actor, holder: UUID | None, owner_id: UUID) -> None:
    if not may_update(actor, holder, owner_id):
        raise Forbidden("Only the action's owner or the business manager may change its status")


def may_sign_off(actor: Actor, holder: UUID | None) -> bool:
    """The Executive of the partnership."""
    return _in_partnership(actor, holder) and actor.has_role(Role.EXECUTIVE)


def check_signs_off(actor: Actor, holder: UUID | None) -> None:
    if not may_sign_off(actor, holder):
        raise Forbidden("Only the Executive may sign off an action")


def may_reopen_closed(actor: Actor, holder: UUID | None) -> bool:
    return manages_plan(actor, holder) or may_sign_off(actor, holder)


def check_sees_partnership_learning(actor: Actor) -> UUID:
    """Recurring themes and the taxonomy's management: the partnership's deciders; its id."""
    if actor.partnership_id is None or not actor.has_role(*PARTNERSHIP_CASE_ROLES):
        raise NotFound("No such partnership")
    return actor.partnership_id


def check_reads_taxonomy(actor: Actor) -> UUID:
    """The themes: anyone of the partnership with a part in its cases; its id."""
    if actor.partnership_id is None or not actor.has_case_role():
        raise NotFound("No such partnership")
    return actor.partnership_id
