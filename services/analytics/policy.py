"""Whose figures an actor may see. Pure Python; deny by default. Figures are aggregates, never records."""

from __future__ import annotations

from uuid import UUID

from services.kernel.errors import Forbidden
from services.kernel.identity import PARTNERSHIP_CASE_ROLES, Actor, Role


def visible_partnerships(actor: Actor, partnership_id: UUID | None) -> frozenset[UUID] | None:
    """The partnerships whose counts the actor may see for a request; None means every partnership.

    With a partnership: its business manager, safeguarding partners and executive; a regional analyst
    whose region holds it; a national analyst; the system. Without one (figures summed over all the
    actor may see): a regional analyst's region, or every partnership for a national analyst and the
    system. Everyone else (agency roles, independent reviewers, administrators, DPOs) is Forbidden.
    """
    national = actor.has_role(Role.NATIONAL_ANALYST, Role.SYSTEM)
    if partnership_id is None:
        if national:
            return None
        if actor.has_role(Role.REGIONAL_ANALYST):
            return actor.partnerships
        raise Forbidden("Only analysts see figures summed over partnerships")
    if national:
        return frozenset({partnership_id})
    if actor.has_role(*PARTNERSHIP_CASE_ROLES) and actor.partnership_id == partnership_id:
        return frozenset({partnership_id})
    if actor.has_role(Role.REGIONAL_ANALYST) and partnership_id in actor.partnerships:
        return frozenset({partnership_id})
    raise Forbidden("You cannot see this partnership's figures")
