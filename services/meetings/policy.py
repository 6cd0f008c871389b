"""Who may see and do what with meetings: the one place for the meetings service's access rules. Pure Python.

Deny by default, from the caller's partnership, roles and review memberships (the Actor every RPC carries).
A meeting the caller may not see is not found.

- The partnership's business manager, partners and executive, and the review's independent reviewer, see
  every meeting of the partnership's reviews; anyone else (agency people, sub-group members, action owners)
  only the meetings they are invited to. Papers follow the meeting.
- The business manager schedules, changes and cancels meetings, records attendance, drafts and circulates
  minutes; the chair records attendance and approves the minutes; an attendee comments.
- The family's contacts: the business manager and the review's independent reviewer only.
"""

from __future__ import annotations

from uuid import UUID

from services.kernel.errors import Forbidden, NotFound

# The rule from the caller's identity is the kernel's, shared with every service that holds a review's parts.
from services.kernel.identity import PARTNERSHIP_CASE_ROLES, Actor, Role, check_may_see_review, may_see_review
from services.meetings.domain import Meeting

__all__ = [
    "check_manages",
    "check_may_see_review",
    "check_sees_family",
    "check_sees_meeting",
    "may_see_review",
]


def _in_partnership(actor: Actor, partnership_id: UUID) -> bool:
    return actor.partnership_id is not None and actor.partnership_id == partnership_id


def sees_every_meeting(actor: Actor, review_id: UUID, partnership_id: UUID) -> bool:
    """The partnership's deciders and the review's independent reviewer see all of its meetings."""
    if actor.has_role(Role.SYSTEM):
        return True
    if not _in_partnership(actor, partnership_id):
        return False
    if actor.has_role(*PARTNERSHIP_CASE_ROLES):
        return True
    return actor.has_role(Role.INDEPENDENT_REVIEWER) and review_id in actor.reviews


def may_see_meeting(actor: Actor, meeting: Meeting) -> bool:
    """Everyone who sees every meeting of the review, and whoever is invited to this one."""
    if sees_every_meeting(actor, meeting.review_id, meeting.partnership_id):
        return True
    return (
        _in_partnership(actor, meeting.partnership_id)
        and actor.has_case_role()
        and (invited := meeting.invitee(actor.user_id)) is not None
        and not invited.guest
    )


def check_sees_meeting(actor: Actor, meeting: Meeting | None) -> Meeting:
    """The meeting, or NotFound (never Forbidden: a meeting the caller may not see is not revealed)."""
    if meeting is None or not may_see_meeting(actor, meeting):
        raise NotFound("No such meeting")
    return meeting


def manages(actor: Actor, partnership_id: UUID) -> bool:
    """The business manager of the partnership runs its meetings (the system, seeding, too)."""
    return _in_partnership(actor, partnership_id) and actor.has_role(Role.BUSINESS_MANAGER, Role.SYSTEM)


def check_manages(actor: Actor, partnership_id: UUID, doing: str) -> None:
    if not manages(actor, partnership_id):
        raise Forbidden(f"Only the partnership's business manager can {doing}")


def check_manages_or_chairs(actor: Actor, meeting: Meeting, doing: str) -> None:
    if not (manages(actor, meeting.partnership_id) or actor.user_id == meeting.chair_id):
        raise Forbidden(f"Only the business manager or the chair can {doing}")


def check_may_add_paper(actor: Actor, meeting: Meeting, agenda_item_id: UUID | None) -> None:
    owners = {item.owner_id for item in meeting.agenda if agenda_item_id is None or item.id == agenda_item_id}
    if manages(actor, meeting.partnership_id) or actor.user_id == meeting.chair_id or actor.user_id in owners:
        return
    raise Forbidden("Only the business manager, the chair or the agenda item's owner can add papers")


def sees_family(actor: Actor, review_id: UUID, partnership_id: UUID | None) -> bool:
    """The family's contacts: the partnership's business manager and the review's independent reviewer."""
    if partnership_id is None or not _in_partnership(actor, partnership_id):
        return False
    if actor.has_role(Role.BUSINESS_MANAGER):
        return True
    return actor.has_role(Role.INDEPENDENT_REVIEWER) and review_id in actor.reviews


def check_sees_family(actor: Actor, review_id: UUID, partnership_id: UUID | None) -> None:
    if not sees_family(actor, review_id, partnership_id):
        raise NotFound("No such review")
