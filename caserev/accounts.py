"""The operator's part in accounts: registering a partnership and inviting the first people of it (its
administrator) or people who belong to no partnership (regional and national analysts). Everyone else is
invited by their partnership's administrator in the pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import text

from gateway import identity, signin
from services.kernel.config import OperatorSettings
from services.kernel.identity import GRANTABLE_ROLES, Role


class AccountProblem(ValueError):
    """What the operator asked for cannot be done; the message says what to change."""


@dataclass(frozen=True)
class Invitation:
    """An account made by the operator and the single-use link that completes it."""

    user_id: uuid.UUID
    link: str


def add_partnership(code: str, name: str, region: str | None) -> uuid.UUID:
    """Register a partnership (a code already registered is refused)."""
    if not code.strip() or not name.strip():
        raise AccountProblem("Give the partnership a code and a name")
    with identity.identity_engine().begin() as connection:
        taken = connection.execute(text("SELECT 1 FROM partnership WHERE code = :c"), {"c": code}).first()
        if taken:
            raise AccountProblem(f"A partnership already has the code {code}")
    partnership_id = uuid.uuid4()
    identity.save_partnership(partnership_id, code, name, region, actor_id="operator")
    return partnership_id


def invite(
    settings: OperatorSettings,
    *,
    email: str,
    name: str,
    roles: list[str],
    partnership_code: str | None,
    region: str | None,
) -> Invitation:
    """Create an account with the roles given and return its single-use invitation link."""
    try:
        address = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise AccountProblem(f"{email} is not an e-mail address: {exc}") from None
    unknown = [role for role in roles if role not in GRANTABLE_ROLES]
    if unknown or not roles:
        raise AccountProblem(f"Give one or more roles of: {', '.join(GRANTABLE_ROLES)}")
    if Role.REGIONAL_ANALYST in roles and not region:
        raise AccountProblem("A regional analyst needs --region (the region of the partnerships they see)")
    partnership_id = None
    if partnership_code:
        found = next((p for p in identity.list_partnerships() if p.code == partnership_code), None)
        if found is None:
            raise AccountProblem(
                f"No partnership has the code {partnership_code}: add it with add-partnership"
            )
        partnership_id = found.id
    elif set(roles) - {Role.REGIONAL_ANALYST, Role.NATIONAL_ANALYST}:
        raise AccountProblem("Everyone but an analyst belongs to a partnership: give --partnership CODE")
    if identity.user_by_email(address) is not None:
        raise AccountProblem(f"An account already uses {address}")
    user_id = identity.create_user(
        email=address,
        display_name=name,
        partnership_id=partnership_id,
        agency_id=None,
        roles=roles,
        created_by="operator",
        region=region,
    )
    token = identity.create_link(
        user_id,
        "invitation",
        created_by="operator",
        now=identity.utcnow(),
        lifetime=signin.link_lifetime("invitation"),
    )
    return Invitation(user_id, f"{settings.public_url}/invitations/{token}")
