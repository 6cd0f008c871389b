"""Who may do what with a review's chronology: the one place for the chronology service's access rules.

Deny by default, from the caller's identity (the Actor every RPC carries) and the review as this service
knows it (the partnership holding it, the agencies asked for a chronology). A review the caller may not see
is not found (never "forbidden": its existence is not told); what a reader of the review may not do is
refused with the reason.

- Readers of the merged chronology: the partnership's business manager, partners and Executive, and the
  review's sub-group members, independent reviewer and agency people. An agency's people read only their
  own agency's entries (DOMAIN.md: each sees only what its agency wrote).
- Real names: the business manager and the independent reviewer, for every entry; an agency's people, for
  their own agency's entries. Everyone else reads pseudonyms.
- Uploads: an agency's author or lead, a member of the review, for their own agency, once the agency is asked
  for a chronology (by a return request, or by the business manager).
- The people register: kept by the business manager and the independent reviewer.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from services.kernel.errors import Forbidden, NotFound
from services.kernel.identity import PARTNERSHIP_CASE_ROLES, Actor, Role, may_see_review

AGENCY_ROLES = frozenset({Role.AGENCY_AUTHOR, Role.AGENCY_LEAD})
READERS = PARTNERSHIP_CASE_ROLES | {Role.SUBGROUP_MEMBER, Role.INDEPENDENT_REVIEWER} | AGENCY_ROLES
NAME_KEEPERS = frozenset({Role.BUSINESS_MANAGER, Role.INDEPENDENT_REVIEWER})


def check_reads(actor: Actor, review_id: UUID, holder: UUID | None) -> None:
    """NotFound unless the caller may read the review's chronology (holder None: a review not known here)."""
    if holder is None or not (actor.has_role(*READERS) or actor.has_role(Role.SYSTEM)):
        raise NotFound("No such review")
    if not may_see_review(actor, review_id, holder):
        raise NotFound("No such review")


def agency_scope(actor: Actor) -> UUID | None:
    """The one agency whose entries the caller may read, or None for all of them."""
    if actor.has_role(*(READERS - AGENCY_ROLES)) or actor.has_role(Role.SYSTEM):
        return None
    if actor.agency_id is None:
        raise NotFound("No such review")
    return actor.agency_id


def names_for(actor: Actor) -> UUID | bool | None:
    """Whose real names the caller may see: True for every entry, an agency id for that agency's entries
    only, False for none."""
    if actor.has_role(*NAME_KEEPERS) or actor.has_role(Role.SYSTEM):
        return True
    if actor.has_role(*AGENCY_ROLES) and actor.agency_id is not None:
        return actor.agency_id
    return False


def may_keep_register(actor: Actor) -> bool:
    """The business manager and the independent reviewer keep a review's people register."""
    return actor.has_role(*NAME_KEEPERS) or actor.has_role(Role.SYSTEM)


def check_keeps_register(actor: Actor) -> None:
    if not may_keep_register(actor):
        raise Forbidden(
            "Only the business manager or the independent reviewer can change the people register"
        )


def check_judges(actor: Actor) -> None:
    """Tagging key practice episodes and deciding likely duplicates: the business manager and the reviewer."""
    if not may_keep_register(actor):
        raise Forbidden("Only the business manager or the independent reviewer can do this")


def check_manages(actor: Actor, doing: str) -> None:
    """Asking agencies for chronologies and setting the partnership's own columns: the business manager."""
    if not (actor.has_role(Role.BUSINESS_MANAGER) or actor.has_role(Role.SYSTEM)):
        raise Forbidden(f"Only the business manager can {doing}")


def uploading_agency(actor: Actor, asked: Collection[UUID]) -> UUID:
    """The agency the caller uploads for: their own, if it has been asked for a chronology of the review."""
    if not actor.has_role(*AGENCY_ROLES) or actor.agency_id is None:
        raise Forbidden("Only an agency's author or safeguarding lead can upload its chronology")
    if actor.agency_id not in asked:
        raise Forbidden(
            "Your agency has not been asked for a chronology of this review: "
            "ask the business manager to add it"
        )
    return actor.agency_id


def check_owns_upload(actor: Actor, agency_id: UUID, uploaded_by: str) -> None:
    """An upload is worked on by its agency's people (NotFound for anyone else: it is not theirs to know)."""
    if actor.has_role(Role.SYSTEM):
        return
    if actor.agency_id != agency_id or not actor.has_role(*AGENCY_ROLES):
        raise NotFound("No such upload")


def may_see_upload(actor: Actor, agency_id: UUID) -> bool:
    """Who may see an upload's history line: the review's readers, agency people for their own agency."""
    scope = agency_scope(actor)
    return scope is None or scope == agency_id
