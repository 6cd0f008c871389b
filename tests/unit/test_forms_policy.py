"""Who may read, open and share a review: every role x own or other partnership x member x shared."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest

from services.forms import domain, policy
from services.forms.contract import ReviewShared
from services.forms.policy import ReviewOwnership
from services.kernel.errors import Forbidden, InvalidRequest
from services.kernel.identity import Actor, Role

OWNER = uuid.uuid4()
OTHER = uuid.uuid4()
THIRD = uuid.uuid4()
REVIEW_ID = uuid.uuid4()
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

ALL_ROLES = sorted(value for name, value in vars(Role).items() if name.isupper())

# What each role grants on its own, written out here so that a change to the policy or to the role sets
# in services.kernel.identity has to change this table too.
SEES_PARTNERSHIP_AND_SHARED = {"business_manager", "safeguarding_partner", "executive"}
SEES_OWN_PARTNERSHIPS_MEMBERSHIPS = {
    "subgroup_member",
    "agency_lead",
    "agency_author",
    "independent_reviewer",
    "action_owner",
    "agency_system",
}
SEES_EVERYTHING = {"system"}
SEES_NOTHING = {
    "regional_analyst",
    "national_analyst",
    "partnership_admin",
    "data_protection_officer",
}


def test_every_role_has_a_decided_read_rule():
    decided = SEES_PARTNERSHIP_AND_SHARED | SEES_OWN_PARTNERSHIPS_MEMBERSHIPS | SEES_EVERYTHING | SEES_NOTHING
    assert set(ALL_ROLES) == decided, f"decide what these roles may read: {set(ALL_ROLES) ^ decided}"


def expected_read(role: str, own_partnership: bool, member: bool, shared: bool) -> bool:
    if role in SEES_EVERYTHING:
        return True
    if role in SEES_PARTNERSHIP_AND_SHARED:
        return own_partnership or shared
    if role in SEES_OWN_PARTNERSHIPS_MEMBERSHIPS:
        return own_partnership and member
    return False


CASES = list(itertools.product(ALL_ROLES, [True, False], [True, False], [True, False]))


@pytest.mark.parametrize(
    ("role", "own_partnership", "member", "shared"),
    CASES,
    ids=[
        f"{role}-{'own' if own else 'other'}-{'member' if member else 'not_member'}"
        f"-{'shared' if shared else 'not_shared'}"
        for role, own, member, shared in CASES
    ],
)
def test_read_policy(role, own_partnership, member, shared):
    # The review belongs to OWNER; "shared" means shared with OTHER, the caller's partnership when it is
    # not the owner's (for the owner's own people, shared elsewhere).
    review = ReviewOwnership(REVIEW_ID, OWNER, frozenset({OTHER}) if shared else frozenset())
    actor = Actor(
        user_id="someone",
        partnership_id=OWNER if own_partnership else OTHER,
        roles=frozenset({role}),
        reviews=frozenset({REVIEW_ID} if member else {uuid.uuid4()}),
        partnerships=frozenset({OWNER, OTHER}),  # an analyst's region holding both changes nothing
    )
    want = expected_read(role, own_partnership, member, shared)
    assert policy.may_read(actor, review) is want, (
        f"{role} of the {'owning' if own_partnership else 'other'} partnership, "
        f"{'a member' if member else 'not a member'}, {'shared' if shared else 'not shared'}: "
        f"expected {'allowed' if want else 'denied'}"
    )
    assert policy.read_scope(actor).admits(review) is want, "the list query's scope must agree with may_read"


def test_a_member_of_the_partnership_a_review_is_shared_with_gets_nothing_by_membership():
    review = ReviewOwnership(REVIEW_ID, OWNER, frozenset({OTHER}))
    author = Actor(
        user_id="a", partnership_id=OTHER, roles=frozenset({"agency_author"}), reviews=frozenset({REVIEW_ID})
    )
    assert not policy.may_read(author, review)


def test_an_actor_of_no_partnership_reads_nothing_whatever_their_roles():
    review = ReviewOwnership(REVIEW_ID, OWNER)
    nobody = Actor(
        user_id="x", roles=frozenset({"business_manager", "agency_lead"}), reviews=frozenset({REVIEW_ID})
    )
    assert not policy.may_read(nobody, review)
    assert policy.read_scope(nobody).is_empty


def test_an_analyst_who_is_also_a_business_manager_reads_by_the_case_role():
    review = ReviewOwnership(REVIEW_ID, OWNER)
    both = Actor(user_id="x", partnership_id=OWNER, roles=frozenset({"regional_analyst", "business_manager"}))
    assert policy.may_read(both, review)


def test_an_actor_with_no_roles_reads_nothing():
    assert not policy.may_read(Actor(user_id="x", partnership_id=OWNER), ReviewOwnership(REVIEW_ID, OWNER))


def test_read_scope_of_a_member_names_their_reviews_in_their_partnership_only():
    member = Actor(
        user_id="m", partnership_id=OWNER, roles=frozenset({"agency_lead"}), reviews=frozenset({REVIEW_ID})
    )
    scope = policy.read_scope(member)
    assert (scope.everything, scope.whole_partnership) == (False, None)
    assert (scope.member_reviews, scope.member_partnership) == (frozenset({REVIEW_ID}), OWNER)


# ------------------------------------------------------------------------------------------------- open


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_a_business_manager_of_the_partnership_or_the_system_opens_a_review(role):
    actor = Actor(user_id="x", partnership_id=OWNER, roles=frozenset({role}))
    if role in {"business_manager", "system"}:
        policy.check_may_open(actor, OWNER)
    else:
        with pytest.raises(Forbidden):
            policy.check_may_open(actor, OWNER)


def test_a_business_manager_cannot_open_in_another_partnership_but_the_system_can():
    with pytest.raises(Forbidden):
        policy.check_may_open(
            Actor(user_id="bm", partnership_id=OTHER, roles=frozenset({"business_manager"})), OWNER
        )
    policy.check_may_open(Actor(user_id="sys", roles=frozenset({"system"})), OWNER)


# ------------------------------------------------------------------------------------------------ share


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_a_business_manager_of_the_owning_partnership_shares_a_review(role):
    review = ReviewOwnership(REVIEW_ID, OWNER)
    actor = Actor(user_id="x", partnership_id=OWNER, roles=frozenset({role}), reviews=frozenset({REVIEW_ID}))
    if role == "business_manager":
        policy.check_may_share(actor, review, OTHER)
    else:
        with pytest.raises(Forbidden):
            policy.check_may_share(actor, review, OTHER)


def test_a_business_manager_the_review_is_shared_with_cannot_share_it_on():
    review = ReviewOwnership(REVIEW_ID, OWNER, frozenset({OTHER}))
    theirs = Actor(user_id="bm2", partnership_id=OTHER, roles=frozenset({"business_manager"}))
    assert policy.may_read(theirs, review)
    with pytest.raises(Forbidden):
        policy.check_may_share(theirs, review, THIRD)


def test_a_review_is_not_shared_with_its_own_partnership():
    manager = Actor(user_id="bm", partnership_id=OWNER, roles=frozenset({"business_manager"}))
    with pytest.raises(InvalidRequest) as refused:
        policy.check_may_share(manager, ReviewOwnership(REVIEW_ID, OWNER), OWNER)
    assert refused.value.problems[0]["field"] == "partnership_id"


def test_sharing_announces_the_partnership_and_sharing_again_does_nothing():
    manager = Actor(user_id="bm", partnership_id=OWNER, roles=frozenset({"business_manager"}))
    share = domain.share_review(ReviewOwnership(REVIEW_ID, OWNER), OTHER, manager, NOW)
    assert share is not None and share.shared_by == "bm"
    assert share.events == [ReviewShared(review_id=REVIEW_ID, shared_with_partnership_id=OTHER)]
    assert (
        domain.share_review(ReviewOwnership(REVIEW_ID, OWNER, frozenset({OTHER})), OTHER, manager, NOW)
        is None
    )


# ------------------------------------------------------------------------------------------ data protection


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_the_data_protection_officer_or_the_system_searches_records(role):
    actor = Actor(user_id="x", partnership_id=OWNER, roles=frozenset({role}))
    if role in {"data_protection_officer", "system"}:
        assert policy.data_protection_scope(actor) == OWNER
    else:
        with pytest.raises(Forbidden):
            policy.data_protection_scope(actor)


def test_the_system_acting_for_no_partnership_searches_every_partnership():
    assert policy.data_protection_scope(Actor(user_id="sys", roles=frozenset({"system"}))) is None
    with pytest.raises(Forbidden):
        policy.data_protection_scope(Actor(user_id="dpo", roles=frozenset({"data_protection_officer"})))


@pytest.mark.parametrize(
    ("role", "form", "reads"),
    [
        ("agency_lead", "serious_incident_notification", True),
        ("agency_lead", "rapid_review_setup", True),
        ("agency_lead", "decision", False),
        ("agency_lead", "rapid_review_report", False),
        ("agency_author", "criteria_check", False),
        ("action_owner", "rapid_review_meeting", False),
        ("subgroup_member", "decision", True),
        ("independent_reviewer", "rapid_review_report", True),
        ("executive", "decision", True),
        ("business_manager", "criteria_check", True),
    ],
)
def test_agencies_see_the_incident_they_are_asked_about_but_not_the_partners_deliberations(role, form, reads):
    member = Actor(
        user_id="m-1", partnership_id=OWNER, roles=frozenset({role}), reviews=frozenset({REVIEW_ID})
    )
    review = ReviewOwnership(REVIEW_ID, OWNER)
    assert policy.may_read_answers(member, review, form) is reads, (
        f"a {role} member {'should' if reads else 'should not'} read the answers of {form}"
    )


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_the_partnerships_deciders_see_all_its_returns_at_once(role):
    """The board of every return across the partnership's reviews: its business manager, partners and
    executive, of their own partnership; no agency, member, administrator, analyst, nor the system."""
    actor = Actor(user_id="someone", partnership_id=OWNER, roles=frozenset({role}))
    if role in SEES_PARTNERSHIP_AND_SHARED:
        assert policy.returns_partnership(actor) == OWNER
    else:
        with pytest.raises(Forbidden):
            policy.returns_partnership(actor)


def test_a_decider_of_no_partnership_sees_no_returns_board():
    with pytest.raises(Forbidden):
        policy.returns_partnership(Actor(user_id="someone", roles=frozenset({Role.BUSINESS_MANAGER})))


@pytest.mark.parametrize("roles", [{"business_manager"}, {"executive"}, {"agency_lead"}, set()])
def test_only_the_system_records_a_step_as_completed_on_an_earlier_day(roles: set[str]) -> None:
    person = Actor(user_id="someone", partnership_id=uuid.uuid4(), roles=frozenset(roles))
    with pytest.raises(Forbidden, match="earlier day"):
        policy.check_may_record_earlier(person)
    policy.check_may_record_earlier(Actor(user_id="system:seed-demo", roles=frozenset({"system", *roles})))
