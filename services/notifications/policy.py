"""Who may ask the notifications service for what. Pure Python; deny by default."""

from __future__ import annotations

from uuid import UUID

from services.kernel.errors import Forbidden
from services.kernel.identity import Actor, Role


def check_may_send_account_email(actor: Actor) -> None:
    """Account e-mail (invitations, resets, security alerts) is asked for by the system (the gateway) only."""
    if not actor.has_role(Role.SYSTEM):
        raise Forbidden("Only the system can send account e-mail")


def person_of(actor: Actor) -> UUID:
    """The person asking for their own messages or choices: a signed-in user (not the system, not an
    agency's system); Forbidden otherwise."""
    if actor.has_role(Role.SYSTEM, Role.AGENCY_SYSTEM):
        raise Forbidden("Only a person has messages")
    try:
        return UUID(actor.user_id)
    except ValueError:
        raise Forbidden("Only a person has messages") from None


def check_may_read_rules(actor: Actor, partnership_id: UUID) -> None:
    """The business manager, safeguarding partners and Executive of the partnership see its rules."""
    if actor.partnership_id == partnership_id and actor.has_role(
        Role.BUSINESS_MANAGER, Role.SAFEGUARDING_PARTNER, Role.EXECUTIVE
    ):
        return
    raise Forbidden("Only the partnership's business manager and partners can see its notification rules")


def check_may_set_rules(actor: Actor, partnership_id: UUID) -> None:
    """The business manager of the partnership adjusts its rules."""
    if actor.partnership_id == partnership_id and actor.has_role(Role.BUSINESS_MANAGER):
        return
    raise Forbidden("Only the partnership's business manager can change its notification rules")


def check_may_see_deliveries(actor: Actor, partnership_id: UUID | None) -> None:
    """What was sent to whom about a partnership's reviews is for its business manager."""
    if (
        partnership_id is not None
        and actor.partnership_id == partnership_id
        and actor.has_role(Role.BUSINESS_MANAGER)
    ):
        return
    raise Forbidden("Only the partnership's business manager can see what was sent")


def data_protection_scope(actor: Actor) -> UUID | None:
    """The partnership whose records a data protection search covers; Forbidden for anyone else.

    A data protection officer searches their own partnership. The system searches the partnership it
    acts for, or every partnership (None) when it acts for none; only then are e-mails kept for no
    partnership (accounts of no partnership) included.
    """
    if actor.has_role(Role.SYSTEM):
        return actor.partnership_id
    if actor.has_role(Role.DATA_PROTECTION_OFFICER) and actor.partnership_id is not None:
        return actor.partnership_id
    raise Forbidden("Only the data protection officer of the partnership can search its records")
