"""The caller's identity, carried by every RPC so that each service can check its own rules.

The events the gateway publishes about people and agencies are the gateway's contract (gateway/contract.py).
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.kernel.errors import NotFound


class Role:
    """The roles of DOMAIN.md ("People and roles"), as the gateway grants them and services check them."""

    BUSINESS_MANAGER = "business_manager"
    SAFEGUARDING_PARTNER = "safeguarding_partner"  # lead and delegated safeguarding partners
    EXECUTIVE = "executive"
    SUBGROUP_MEMBER = "subgroup_member"
    AGENCY_LEAD = "agency_lead"
    AGENCY_AUTHOR = "agency_author"
    INDEPENDENT_REVIEWER = "independent_reviewer"
    ACTION_OWNER = "action_owner"
    REGIONAL_ANALYST = "regional_analyst"
    NATIONAL_ANALYST = "national_analyst"
    PARTNERSHIP_ADMIN = "partnership_admin"  # manages accounts; sees no case data
    DATA_PROTECTION_OFFICER = "data_protection_officer"  # sees the audit and GDPR registers, not case files
    AGENCY_SYSTEM = "agency_system"  # an agency's own system, through an API client
    SYSTEM = "system"  # the operator's own tools (seeding, replay); never granted to a person


# Roles a person can be given, with the words an administrator sees.
GRANTABLE_ROLES: dict[str, str] = {
    Role.BUSINESS_MANAGER: "Business manager",
    Role.SAFEGUARDING_PARTNER: "Safeguarding partner (lead or delegated)",
    Role.EXECUTIVE: "Executive",
    Role.SUBGROUP_MEMBER: "Review sub-group member",
    Role.AGENCY_LEAD: "Agency safeguarding lead",
    Role.AGENCY_AUTHOR: "Agency author",
    Role.INDEPENDENT_REVIEWER: "Independent reviewer",
    Role.ACTION_OWNER: "Action owner",
    Role.REGIONAL_ANALYST: "Regional analyst",
    Role.NATIONAL_ANALYST: "National analyst",
    Role.PARTNERSHIP_ADMIN: "Partnership administrator",
    Role.DATA_PROTECTION_OFFICER: "Data protection officer",
}

# What a partnership's administrator may grant: not the analysts, whose figures span partnerships (the
# operator creates those accounts).
PARTNERSHIP_GRANTABLE_ROLES: dict[str, str] = {
    role: words
    for role, words in GRANTABLE_ROLES.items()
    if role not in (Role.REGIONAL_ANALYST, Role.NATIONAL_ANALYST)
}

# Roles that see every review of their partnership (and reviews shared with it).
PARTNERSHIP_CASE_ROLES = frozenset({Role.BUSINESS_MANAGER, Role.SAFEGUARDING_PARTNER, Role.EXECUTIVE})
# Roles that see only the reviews they are members of (appointed to, invited to).
MEMBER_CASE_ROLES = frozenset(
    {
        Role.SUBGROUP_MEMBER,
        Role.AGENCY_LEAD,
        Role.AGENCY_AUTHOR,
        Role.INDEPENDENT_REVIEWER,
        Role.ACTION_OWNER,
        Role.AGENCY_SYSTEM,
    }
)
CASE_ROLES = PARTNERSHIP_CASE_ROLES | MEMBER_CASE_ROLES
# Roles that see aggregated, anonymised figures only.
ANALYST_ROLES = frozenset({Role.REGIONAL_ANALYST, Role.NATIONAL_ANALYST})


class Actor(BaseModel):
    """Who is asking: a user (or an agency's system), their partnership, agency, roles and reviews.

    `reviews` are the reviews the user is a member of (appointed, invited); `partnerships` are the
    partnerships whose aggregates a regional analyst may see.
    """

    model_config = ConfigDict(frozen=True)

    user_id: str
    partnership_id: UUID | None = None
    agency_id: UUID | None = None
    roles: frozenset[str] = Field(default_factory=frozenset)
    reviews: frozenset[UUID] = Field(default_factory=frozenset)
    partnerships: frozenset[UUID] = Field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        """True if the actor holds any of the roles."""
        return bool(self.roles.intersection(roles))

    def has_case_role(self) -> bool:
        """True if the actor may see some case data at all."""
        return bool(self.roles & CASE_ROLES) or Role.SYSTEM in self.roles


def may_see_review(actor: Actor, review_id: UUID, holder: UUID | None) -> bool:
    """Whether the actor may see a review held by the partnership `holder` (None: not known to the service
    asking), from their identity alone. The system sees every review; a partnership's business manager,
    partners and executive every review their partnership holds; its sub-group members, agency people,
    reviewers and action owners the reviews they are members of. Analysts, administrators and DPOs none.
    (Forms decides for its own reviews, shares included: services/forms/policy.py.)"""
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
