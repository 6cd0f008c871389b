"""Who may see and change a review: the one place for the forms service's access rules. Pure Python.

Deny by default: a role grants nothing unless a rule below names it. A review the caller may not read
is reported as not found by the service, so its existence is not revealed; `Forbidden` is only for an
action on a review the caller can already see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from services.kernel.errors import Forbidden, InvalidRequest
from services.kernel.identity import MEMBER_CASE_ROLES, PARTNERSHIP_CASE_ROLES, Actor, Role


@dataclass(frozen=True)
class ReviewOwnership:
    """What the access rules need to know of a review: whose it is and whom it is shared with."""

    review_id: UUID
    partnership_id: UUID
    shared_with: frozenset[UUID] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ReadScope:
    """The reviews an actor may read, as data a query can use as well as a predicate.

    `everything`: every review (the system). `whole_partnership`: every review of that partnership and
    every review shared with it (partnership case roles). `member_reviews`: those reviews only, and only
    where they belong to `member_partnership` (member case roles).
    """

    everything: bool = False
    whole_partnership: UUID | None = None
    member_reviews: frozenset[UUID] = field(default_factory=frozenset)
    member_partnership: UUID | None = None

    @property
    def is_empty(self) -> bool:
        """True when no review at all is readable."""
        return (
            not self.everything
            and self.whole_partnership is None
            and not (self.member_reviews and self.member_partnership is not None)
        )

    def admits(self, review: ReviewOwnership) -> bool:
        """Whether the review is inside this scope."""
        if self.everything:
            return True
        if self.whole_partnership is not None and (
            review.partnership_id == self.whole_partnership or self.whole_partnership in review.shared_with
        ):
            return True
        return (
            self.member_partnership is not None
            and review.partnership_id == self.member_partnership
            and review.review_id in self.member_reviews
        )


def read_scope(actor: Actor) -> ReadScope:
    """The reviews the actor may read: the union of what each of their roles grants."""
    if actor.has_role(Role.SYSTEM):
        return ReadScope(everything=True)
    if actor.partnership_id is None:
        return ReadScope()
    whole = actor.partnership_id if actor.has_role(*PARTNERSHIP_CASE_ROLES) else None
    members = actor.has_role(*MEMBER_CASE_ROLES) and bool(actor.reviews)
    return ReadScope(
        whole_partnership=whole,
        member_reviews=actor.reviews if members else frozenset(),
        member_partnership=actor.partnership_id if members else None,
    )


def may_read(actor: Actor, review: ReviewOwnership) -> bool:
    """Whether the actor may read the review (analysts, administrators and DPOs read none)."""
    return read_scope(actor).admits(review)


def check_may_open(actor: Actor, partnership_id: UUID) -> None:
    """A business manager opens reviews in their own partnership; the system anywhere. Else Forbidden."""
    if actor.has_role(Role.SYSTEM):
        return
    if not actor.has_role(Role.BUSINESS_MANAGER):
        raise Forbidden("Only a business manager can open a review")
    if actor.partnership_id != partnership_id:
        raise Forbidden("You can open reviews only in your own partnership")


def check_may_refer(actor: Actor, partnership_id: UUID) -> None:
    """Anyone working on case reviews in a partnership may refer a possible serious incident to it."""
    if actor.has_role(Role.SYSTEM):
        return
    if not actor.has_role(*PARTNERSHIP_CASE_ROLES, *MEMBER_CASE_ROLES) or actor.has_role(Role.AGENCY_SYSTEM):
        raise Forbidden("Only people working on case reviews in the partnership can refer an incident")
    if actor.partnership_id != partnership_id:
        raise Forbidden("You can refer an incident only to your own partnership")


def check_may_share(actor: Actor, review: ReviewOwnership, partnership_id: UUID) -> None:
    """Only a business manager of the owning partnership shares a review, and never with that partnership.

    The caller is assumed to have been shown the review (check `may_read` first: not found otherwise).
    """
    if not (actor.has_role(Role.BUSINESS_MANAGER) and actor.partnership_id == review.partnership_id):
        raise Forbidden("Only a business manager of the partnership that holds the review can share it")
    if partnership_id == review.partnership_id:
        raise InvalidRequest(
            "A review cannot be shared with its own partnership",
            problems=[{"field": "partnership_id", "message": "Choose another partnership"}],
        )


def data_protection_scope(actor: Actor) -> UUID | None:
    """The partnership whose records a data protection search covers; Forbidden for anyone else.

    A data protection officer searches their own partnership. The system searches the partnership it
    acts for, or every partnership (None) when it acts for none.
    """
    if actor.has_role(Role.SYSTEM):
        return actor.partnership_id
    if actor.has_role(Role.DATA_PROTECTION_OFFICER) and actor.partnership_id is not None:
        return actor.partnership_id
    raise Forbidden("Only the data protection officer of the partnership can search its records")


# -- steps, pauses and deadline figures ---------------------------------------------------------------------

ROLE_WORDS = {
    Role.BUSINESS_MANAGER: "the business manager",
    Role.SAFEGUARDING_PARTNER: "a safeguarding partner",
    Role.EXECUTIVE: "the executive",
}


def who_completes(by: frozenset[str]) -> str:
    """The roles that complete a step, in words: "The executive or a safeguarding partner"."""
    words = " or ".join(ROLE_WORDS.get(role, role.replace("_", " ")) for role in sorted(by))
    return words[:1].upper() + words[1:]


def may_complete_step(actor: Actor, partnership_id: UUID, by: frozenset[str]) -> bool:
    """A step is worked on by the roles its review type names (`by`), of the partnership holding the review.

    A partnership the review is shared with reads it but never changes it.
    """
    if actor.has_role(Role.SYSTEM):
        return True
    return actor.partnership_id == partnership_id and actor.has_role(*by)


def check_may_complete_step(actor: Actor, partnership_id: UUID, by: frozenset[str], label: str) -> None:
    """may_complete_step, or Forbidden saying who may."""
    if not may_complete_step(actor, partnership_id, by):
        who = who_completes(by)
        who = who[:1].lower() + who[1:]
        raise Forbidden(f"Only {who} of the partnership holding the review can complete '{label}'")


def check_may_record_earlier(actor: Actor) -> None:
    """A step completed, or a return sent, on an earlier day (what happened before Case Review, as the
    demo's stories): the system only. People record what they do on the day they do it."""
    if not actor.has_role(Role.SYSTEM):
        raise Forbidden("Only the system records something as done on an earlier day")


def check_may_manage(actor: Actor, partnership_id: UUID) -> None:
    """Pauses and the partnership's deadline figures: its business manager (or the system)."""
    if actor.has_role(Role.SYSTEM):
        return
    if not (actor.has_role(Role.BUSINESS_MANAGER) and actor.partnership_id == partnership_id):
        raise Forbidden("Only the business manager of the partnership holding the review can do this")


def figures_partnership(actor: Actor) -> UUID:
    """The partnership whose deadline figures the actor sees: their own, for its business manager, partners
    and executive; Forbidden for anyone else."""
    if actor.partnership_id is None or not actor.has_role(*PARTNERSHIP_CASE_ROLES):
        raise Forbidden("Only the partnership's business manager, partners and executive see its figures")
    return actor.partnership_id


def check_may_draw_documents(actor: Actor, partnership_id: UUID) -> None:
    """The documents sent to the Panel are drawn by the business manager, partners and executive of the
    partnership holding the review (not by a partnership it is shared with)."""
    if actor.has_role(Role.SYSTEM):
        return
    if actor.partnership_id != partnership_id or not actor.has_role(*PARTNERSHIP_CASE_ROLES):
        raise Forbidden("Only the partnership's business manager, partners and executive draw documents")


def may_manage(actor: Actor, partnership_id: UUID) -> bool:
    return actor.has_role(Role.SYSTEM) or (
        actor.has_role(Role.BUSINESS_MANAGER) and actor.partnership_id == partnership_id
    )


# -- agency returns -----------------------------------------------------------------------------------------

AGENCY_ROLES = frozenset({Role.AGENCY_LEAD, Role.AGENCY_AUTHOR})
# Besides the agency itself, who reads every return of a review: the partnership's deciders, and the
# review's own sub-group members and independent reviewer (DOMAIN.md: the reviewer sees all of the review).
RETURN_READING_MEMBERS = frozenset({Role.SUBGROUP_MEMBER, Role.INDEPENDENT_REVIEWER})


@dataclass(frozen=True)
class ReturnOwnership:
    """What the rules need of an agency return: its review, the review's partnership, the agency."""

    review_id: UUID
    partnership_id: UUID
    agency_id: UUID


def is_own_agency(actor: Actor, agency_return: ReturnOwnership) -> bool:
    """The actor is an agency lead or author of the agency the return is asked of, in that partnership."""
    return (
        actor.has_role(*AGENCY_ROLES)
        and actor.partnership_id == agency_return.partnership_id
        and actor.agency_id == agency_return.agency_id
    )


def may_read_return(actor: Actor, agency_return: ReturnOwnership) -> bool:
    """An agency sees its own returns only; the partnership's deciders and the review's sub-group and
    reviewer see them all. Another agency's lead never does (the service answers not found)."""
    if actor.has_role(Role.SYSTEM) or is_own_agency(actor, agency_return):
        return True
    if actor.partnership_id != agency_return.partnership_id:
        return False
    if actor.has_role(*PARTNERSHIP_CASE_ROLES):
        return True
    return actor.has_role(*RETURN_READING_MEMBERS) and agency_return.review_id in actor.reviews


def check_may_write_return(actor: Actor, agency_return: ReturnOwnership) -> None:
    """Drafting and addenda: the agency's own lead or author."""
    if not is_own_agency(actor, agency_return):
        raise Forbidden("Only the agency's own lead or author can write its return")


def is_agency_lead(actor: Actor, agency_return: ReturnOwnership) -> bool:
    """The actor is the safeguarding lead of the agency the return is asked of, in that partnership."""
    return is_own_agency(actor, agency_return) and actor.has_role(Role.AGENCY_LEAD)


def check_may_submit_return(actor: Actor, agency_return: ReturnOwnership) -> None:
    """Submitting (or a nil return): the agency's own safeguarding lead."""
    if not is_agency_lead(actor, agency_return):
        raise Forbidden("Only the agency's safeguarding lead can submit its return")


def check_may_extend_return(actor: Actor, agency_return: ReturnOwnership) -> None:
    """Extending a due date: the business manager of the review's partnership."""
    check_may_manage(actor, agency_return.partnership_id)


def returns_partnership(actor: Actor) -> UUID:
    """The partnership whose agencies' returns, across all its open reviews, the actor sees on one board:
    their own, for its business manager, partners and executive; Forbidden for anyone else (an agency sees
    only its own returns; a review's members and a partnership a review is shared with see none this way)."""
    if actor.partnership_id is None or not actor.has_role(*PARTNERSHIP_CASE_ROLES):
        raise Forbidden("Only the partnership's business manager, partners and executive see all its returns")
    return actor.partnership_id


# What an agency's people (and action owners) see of a review's own forms: the incident they are asked
# about and who else was asked; the criteria check, the meeting, the report and the partners' decision are
# the partnership's and the sub-group's.
FORMS_SEEN_BY_AGENCIES = frozenset({"referral", "serious_incident_notification", "rapid_review_setup"})


def may_read_answers(actor: Actor, review: ReviewOwnership, form: str) -> bool:
    """Whether the actor, who may read the review, may read the answers of a step that uses this form."""
    if actor.has_role(Role.SYSTEM, *PARTNERSHIP_CASE_ROLES):
        return True
    if actor.has_role(*RETURN_READING_MEMBERS) and review.review_id in actor.reviews:
        return True
    return form in FORMS_SEEN_BY_AGENCIES


def agency_of(actor: Actor) -> tuple[UUID, UUID] | None:
    """(partnership, agency) whose returns the actor works on, or None if they work on none."""
    if actor.has_role(*AGENCY_ROLES) and actor.partnership_id and actor.agency_id:
        return actor.partnership_id, actor.agency_id
    return None
