"""Who may ask the notifications service for what. Pure Python; deny by default."""

from __future__ import annotations

from uuid import UUID

from services.kernel.errors import Forbidden
from services.kernel.identity import Actor, Role


def check_may_send_account_email(actor: Actor) -> None:
    """Account e-mail (invitations, resets, security alerts) is asked for by the system (the gateway) only."""
    if not actor.has_role(Role.SYSTEM):
        raise Forbidden("Only the system can send account e-mail")


def check_may_set_contact(actor: Actor, partnership_id: UUID) -> None:
    """The system, or an administrator of that partnership, sets whom the service writes to."""
    if actor.has_role(Role.SYSTEM):
        return
    if actor.has_role(Role.PARTNERSHIP_ADMIN) and actor.partnership_id == partnership_id:
        return
    raise Forbidden("Only an administrator of the partnership can set its contacts")


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
