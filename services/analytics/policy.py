"""Whose figures an actor may see. Pure Python; deny by default. Figures are aggregates, never records."""

from __future__ import annotations

from typing import Literal
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


ScopeKind = Literal["partnership", "region", "england"]


def dashboard_scope(actor: Actor, partnership_id: UUID | None) -> tuple[ScopeKind, frozenset[UUID] | None]:
    """Whose figures a dashboard shows the actor, and the partnerships it may compare (None: all of England).

    A partnership's business manager, safeguarding partners and executive see their own partnership's figures
    (a dashboard names no other); a regional analyst the partnerships of the region, a national analyst (and
    the system) all of England, suppressed; each may narrow to one of those (visible_partnerships). Everyone
    else is Forbidden.
    """
    if actor.has_role(Role.NATIONAL_ANALYST, Role.SYSTEM):
        if partnership_id is not None:
            visible_partnerships(actor, partnership_id)
        return "england", None
    if actor.has_role(Role.REGIONAL_ANALYST):
        if partnership_id is not None:
            visible_partnerships(actor, partnership_id)
        return "region", actor.partnerships
    if actor.has_role(*PARTNERSHIP_CASE_ROLES) and actor.partnership_id is not None:
        own = visible_partnerships(actor, partnership_id or actor.partnership_id)
        return "partnership", own
    raise Forbidden("You cannot see these figures")
