"""Who may reach each route of the gateway, written from DOMAIN.md ("People and roles") and the sign-in
issue, and deliberately not from gateway/policy.py: the access-matrix test calls every route as every kind
of caller and compares the gateway's answer with these rules. Where the two disagree, one of them is wrong;
decide which before changing either.

A rule answers one question: may this caller get past access control for this target? A target is what
the request is about (a review, an account, an API client, a subject access request, a partnership's
figures), described only by whose it is; routes about nothing in particular get `NOTHING`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.kernel.identity import Role

# -- who calls ----------------------------------------------------------------------------------------------

ANONYMOUS = "anonymous"
# Signed in through an e-mailed link, setting up the second factor: not yet a full session.
ENROLLING = "enrolling"
PERSON = "person"  # a full session
AGENCY_SYSTEM = "agency_system"  # an agency's own system, with an API client's bearer token


@dataclass(frozen=True)
class Caller:
    """What the rules need to know of a caller.

    `partnership` is the partnership's code ("NBSCP"); `reviews` the reviews (by the test's own keys) the
    person is a member of, or for an agency's system the reviews any of its agency's people are members
    of; `region` the partnerships whose figures a regional analyst sees.
    """

    kind: str
    roles: frozenset[str] = frozenset()
    partnership: str | None = None
    agency: str | None = None
    reviews: frozenset[str] = frozenset()
    region: frozenset[str] = frozenset()

    def is_person_in(self, *roles: str) -> bool:
        return self.kind == PERSON and bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class Target:
    """What a request is about: whose record it is (a partnership's code) and, for a review, which one."""

    label: str
    partnership: str | None = None
    review: str | None = None
    agency: str | None = None


NOTHING = Target("-")

# -- the roles of DOMAIN.md, grouped by what they may see ---------------------------------------------------

# Run the process or decide and sign off: every review of their own partnership.
PARTNERSHIP_DECIDERS = (Role.BUSINESS_MANAGER, Role.SAFEGUARDING_PARTNER, Role.EXECUTIVE)
# Take part in particular reviews: only the reviews they are members of.
REVIEW_MEMBERS = (
    Role.SUBGROUP_MEMBER,
    Role.AGENCY_LEAD,
    Role.AGENCY_AUTHOR,
    Role.INDEPENDENT_REVIEWER,
    Role.ACTION_OWNER,
)

Rule = Callable[[Caller, Target], bool]


def anyone(caller: Caller, target: Target) -> bool:
    """Public pages, signing in, links from e-mails, the token endpoint, health and metrics."""
    return True


def enrolling(caller: Caller, target: Target) -> bool:
    """Setting up the authenticator app: only the session a sign-up or reset link started."""
    return caller.kind == ENROLLING


def any_person(caller: Caller, target: Target) -> bool:
    """One's own account and session: any signed-in person, whatever their roles (not a system)."""
    return caller.kind == PERSON


def owns_session(caller: Caller, target: Target) -> bool:
    """Another device's session: only the person it belongs to, who is never a caller of the matrix (the
    allowed case is tests/e2e/test_signin.py's)."""
    return False


def any_person_or_agency_system(caller: Caller, target: Target) -> bool:
    """Reference data with no case in it (the review types)."""
    return caller.kind in (PERSON, AGENCY_SYSTEM)


def works_on_reviews(caller: Caller, target: Target) -> bool:
    """The list of reviews a person may see (empty for a member of none)."""
    return caller.is_person_in(*PARTNERSHIP_DECIDERS, *REVIEW_MEMBERS)


def works_on_reviews_or_agency_system(caller: Caller, target: Target) -> bool:
    """The JSON list of reviews: people who work on reviews, and agencies' systems."""
    return works_on_reviews(caller, target) or caller.kind == AGENCY_SYSTEM


def reads_review(caller: Caller, target: Target) -> bool:
    """A review's page: its partnership's deciders, and the members of that very review."""
    if target.partnership is None or caller.partnership != target.partnership:
        return False
    if caller.is_person_in(*PARTNERSHIP_DECIDERS):
        return True
    return caller.is_person_in(*REVIEW_MEMBERS) and target.review in caller.reviews


def reads_review_or_agency_system(caller: Caller, target: Target) -> bool:
    """A review through the JSON API: as its page, and an agency's system for a review its agency is in."""
    if reads_review(caller, target):
        return True
    return (
        caller.kind == AGENCY_SYSTEM
        and caller.partnership == target.partnership
        and target.review in caller.reviews
    )


def business_manager(caller: Caller, target: Target) -> bool:
    """Opening a review: the business manager, in their own partnership only."""
    if not caller.is_person_in(Role.BUSINESS_MANAGER):
        return False
    return target.partnership is None or target.partnership == caller.partnership


def manages_review(caller: Caller, target: Target) -> bool:
    """A review's people and sharing: the business manager of the partnership that holds it."""
    return caller.is_person_in(Role.BUSINESS_MANAGER) and caller.partnership == target.partnership


def sees_figures(caller: Caller, target: Target) -> bool:
    """Aggregates: a partnership's deciders for their own partnership, a regional analyst for their
    region's partnerships, a national analyst for every partnership. No agency role, administrator, data
    protection officer or agency system."""
    if caller.is_person_in(Role.NATIONAL_ANALYST):
        return True
    if caller.is_person_in(Role.REGIONAL_ANALYST) and target.partnership in caller.region:
        return True
    return caller.is_person_in(*PARTNERSHIP_DECIDERS) and caller.partnership == target.partnership


def sees_some_figures(caller: Caller, target: Target) -> bool:
    """The list of dashboards: whoever sees some partnership's figures (sees_figures for their own)."""
    return caller.is_person_in(Role.NATIONAL_ANALYST, Role.REGIONAL_ANALYST, *PARTNERSHIP_DECIDERS)


def administers(caller: Caller, target: Target) -> bool:
    """Accounts, agencies and API clients: the partnership's administrator, for their own partnership."""
    if not caller.is_person_in(Role.PARTNERSHIP_ADMIN):
        return False
    return target.partnership is None or target.partnership == caller.partnership


def protects_data(caller: Caller, target: Target) -> bool:
    """The audit log and the GDPR registers: the partnership's data protection officer, for their own."""
    if not caller.is_person_in(Role.DATA_PROTECTION_OFFICER):
        return False
    return target.partnership is None or target.partnership == caller.partnership


# -- agency returns (a target is one agency's return: its partnership, its review and the agency's name) ----

# An agency's own people: its safeguarding lead and its authors.
AGENCY_PEOPLE = (Role.AGENCY_LEAD, Role.AGENCY_AUTHOR)
# Who reads every agency's return of a review besides the partnership's deciders: the review's sub-group
# members, and its independent reviewer (who sees all of the review they are appointed to).
ALL_RETURNS_OF_THEIR_REVIEW = (Role.SUBGROUP_MEMBER, Role.INDEPENDENT_REVIEWER)


def lists_returns(caller: Caller, target: Target) -> bool:
    """The returns list, asked about one return it might show: an agency's lead and authors see the returns
    due from their own agency; the business manager sees every agency's return in their own partnership's
    open reviews (never another partnership's). Nobody else has such a list."""
    if _own_agency(caller, target):
        return True
    return (
        caller.is_person_in(Role.BUSINESS_MANAGER)
        and target.partnership is not None
        and caller.partnership == target.partnership
    )


def _own_agency(caller: Caller, target: Target) -> bool:
    return (
        caller.is_person_in(*AGENCY_PEOPLE)
        and target.agency is not None
        and caller.agency == target.agency
        and caller.partnership == target.partnership
    )


def reads_all_returns(caller: Caller, target: Target) -> bool:
    """A review's returns board (who has returned what): its partnership's deciders, and the review's own
    sub-group members and independent reviewer. Never an agency: each sees only what it wrote."""
    if target.partnership is None or caller.partnership != target.partnership:
        return False
    if caller.is_person_in(*PARTNERSHIP_DECIDERS):
        return True
    return caller.is_person_in(*ALL_RETURNS_OF_THEIR_REVIEW) and target.review in caller.reviews


def reads_return(caller: Caller, target: Target) -> bool:
    """One return: its own agency's lead and authors, and whoever reads all the returns of its review."""
    return _own_agency(caller, target) or reads_all_returns(caller, target)


def writes_return(caller: Caller, target: Target) -> bool:
    """Drafting, checking and addenda: the agency's own lead and authors only."""
    return _own_agency(caller, target)


def submits_return(caller: Caller, target: Target) -> bool:
    """Submitting, or a nil return: the agency's own safeguarding lead only."""
    return _own_agency(caller, target) and caller.is_person_in(Role.AGENCY_LEAD)


def extends_return(caller: Caller, target: Target) -> bool:
    """More time for a return: the business manager of the review's partnership."""
    return caller.is_person_in(Role.BUSINESS_MANAGER) and caller.partnership == target.partnership


# -- the review lifecycle (a step's target is its review; the matrix probes the step "referral") -----------


def works_on_step(caller: Caller, target: Target) -> bool:
    """Saving and completing a step: the roles its review type names for it (DOMAIN.md's "Who"), of the
    partnership holding the review. The matrix probes the referral, which its business manager records."""
    return caller.is_person_in(Role.BUSINESS_MANAGER) and caller.partnership == target.partnership


# The document the matrix asks for, the rapid review report, exists only for the child safeguarding reviews:
# the adults review (a SAR) has none, for anyone (404).
REVIEWS_WITH_A_RAPID_REVIEW_REPORT = frozenset({"child", "eastmoor"})


def decides_for_review(caller: Caller, target: Target) -> bool:
    """A review's documents (the notification, the rapid review report): its partnership's deciders, who
    send and sign them; not the review's members; and only a document the review's type has."""
    return (
        caller.is_person_in(*PARTNERSHIP_DECIDERS)
        and caller.partnership == target.partnership
        and target.review in REVIEWS_WITH_A_RAPID_REVIEW_REPORT
    )


def refers_incidents(caller: Caller, target: Target) -> bool:
    """Referring a possible serious incident: anyone with a case role in a partnership (DOMAIN.md: "any
    organisation or individual"), not an agency's system."""
    return caller.is_person_in(*PARTNERSHIP_DECIDERS, *REVIEW_MEMBERS)


def reads_deadline_settings(caller: Caller, target: Target) -> bool:
    """The partnership's deadline figures: its deciders read them (the business manager also sets them)."""
    return caller.is_person_in(*PARTNERSHIP_DECIDERS)


# -- notifications (one's own messages and choices; a partnership's rules and what it sent) -----------------


def owns_message(caller: Caller, target: Target) -> bool:
    """Marking one message read: only the person it was sent to, who is never a caller of the matrix (it asks
    about another partnership's business manager's message and an id nobody has; the allowed case is
    tests/e2e/test_notification_pages.py's)."""
    return False


def reads_notification_rules(caller: Caller, target: Target) -> bool:
    """What the partnership's reminders, chasers and escalations are: its deciders read them (the business
    manager also sets them)."""
    return caller.is_person_in(*PARTNERSHIP_DECIDERS)


def sends_again(caller: Caller, target: Target) -> bool:
    """Sending a failed e-mail again: the business manager of the partnership it was sent for."""
    return caller.is_person_in(Role.BUSINESS_MANAGER) and caller.partnership == target.partnership


# -- chronologies (a target is a review; an upload the matrix asks about is one nobody made) ----------------

# Who reads a review's merged chronology besides its partnership's deciders: the review's sub-group members,
# its independent reviewer, and its agencies' people (who read only their own agency's entries). Not an
# action owner (no part in what happened), not an agency's system (it publishes on the bus instead).
CHRONOLOGY_MEMBERS = (Role.SUBGROUP_MEMBER, Role.INDEPENDENT_REVIEWER, *AGENCY_PEOPLE)


def reads_chronology(caller: Caller, target: Target) -> bool:
    """A review's chronology, its versions and its people register (pseudonyms; names to their keepers)."""
    if target.partnership is None or caller.partnership != target.partnership:
        return False
    if caller.is_person_in(*PARTNERSHIP_DECIDERS):
        return True
    return caller.is_person_in(*CHRONOLOGY_MEMBERS) and target.review in caller.reviews


def uploads_chronology(caller: Caller, target: Target) -> bool:
    """The upload page and form: an agency's lead and authors, members of the review (the page tells one whose
    agency was not asked for a chronology that it cannot upload yet)."""
    return (
        caller.is_person_in(*AGENCY_PEOPLE)
        and caller.partnership == target.partnership
        and target.review in caller.reviews
    )


def keeps_register(caller: Caller, target: Target) -> bool:
    """Adding to a review's people register, tagging key practice episodes and deciding likely duplicates:
    its partnership's business manager, its independent reviewer."""
    if caller.partnership != target.partnership:
        return False
    if caller.is_person_in(Role.BUSINESS_MANAGER):
        return True
    return caller.is_person_in(Role.INDEPENDENT_REVIEWER) and target.review in caller.reviews


def revokes_a_connection_nobody_has(caller: Caller, target: Target) -> bool:
    """Revoking a system connection: the partnership's administrator, for its own (the chronology service
    decides); the matrix asks about an id nobody has, so nobody reaches it (the allowed case is
    tests/e2e/test_chronology.py's)."""
    return False


def owns_upload(caller: Caller, target: Target) -> bool:
    """One upload: its agency's people (and the keepers of names); the matrix asks about an id nobody has, so
    nobody reaches it (the allowed case is tests/e2e/test_chronology.py's)."""
    return False


# -- meetings (a target is a review; a meeting the matrix asks about is one nobody has) ----------------------


def uses_calendar(caller: Caller, target: Target) -> bool:
    """The partnership's calendar: every person with a part in reviews (each sees only their own meetings)."""
    return caller.is_person_in(*PARTNERSHIP_DECIDERS, *REVIEW_MEMBERS)


def reads_meetings(caller: Caller, target: Target) -> bool:
    """A review's list of meetings: its partnership's deciders, and its members (who see in it only the
    meetings they are invited to)."""
    if target.partnership is None or caller.partnership != target.partnership:
        return False
    if caller.is_person_in(*PARTNERSHIP_DECIDERS):
        return True
    return caller.is_person_in(*REVIEW_MEMBERS) and target.review in caller.reviews


def schedules_meetings(caller: Caller, target: Target) -> bool:
    """Scheduling a meeting of a review: its partnership's business manager."""
    return caller.is_person_in(Role.BUSINESS_MANAGER) and caller.partnership == target.partnership


def touches_a_meeting_nobody_has(caller: Caller, target: Target) -> bool:
    """One meeting (its page, reply, attendance, papers, minutes): the matrix asks about an id nobody has, so
    nobody reaches it (the allowed cases are tests/e2e/test_meetings.py's)."""
    return False


def keeps_family_contacts(caller: Caller, target: Target) -> bool:
    """The family's contacts: the partnership's business manager and the review's independent reviewer."""
    if target.partnership is None or caller.partnership != target.partnership:
        return False
    if caller.is_person_in(Role.BUSINESS_MANAGER):
        return True
    return caller.is_person_in(Role.INDEPENDENT_REVIEWER) and target.review in caller.reviews


_MEETING = "/reviews/{review_id}/meetings/{meeting_id}"


# -- reports written together (a target is a review; a document the matrix asks about is one nobody has) -----


def reads_reports(caller: Caller, target: Target) -> bool:
    """A review's reports: its partnership's business manager, and its members (each sees the documents with a
    section they write or that is shared with their agency). Partners and the executive sign off; they do
    not read drafts unless they are members."""
    if target.partnership is None or caller.partnership != target.partnership:
        return False
    if caller.is_person_in(Role.BUSINESS_MANAGER):
        return True
    return caller.is_person_in(*REVIEW_MEMBERS) and target.review in caller.reviews


def begins_reports(caller: Caller, target: Target) -> bool:
    """Beginning a document of a review: its partnership's business manager and its independent reviewer."""
    if target.partnership is None or caller.partnership != target.partnership:
        return False
    if caller.is_person_in(Role.BUSINESS_MANAGER):
        return True
    return caller.is_person_in(Role.INDEPENDENT_REVIEWER) and target.review in caller.reviews


def sees_sign_off(caller: Caller, target: Target) -> bool:
    """Where the partners' sign-off of a review's reports stands: its partnership's safeguarding partners (who
    sign off, DOMAIN.md), its business manager, and its independent reviewer."""
    if target.partnership is None or caller.partnership != target.partnership:
        return False
    if caller.is_person_in(Role.BUSINESS_MANAGER, Role.SAFEGUARDING_PARTNER):
        return True
    return caller.is_person_in(Role.INDEPENDENT_REVIEWER) and target.review in caller.reviews


def touches_a_document_nobody_has(caller: Caller, target: Target) -> bool:
    """One document (its page, a section's assignment, a section's live websocket): the matrix asks about an
    id nobody has, so nobody reaches it (the allowed cases are tests/e2e/test_reports.py's)."""
    return False


_REPORT = "/reviews/{review_id}/reports/{document_id}"


# -- learning into change (a target is a review; an action the matrix asks about is one nobody has) ----------

# Who reads a review's plan besides its partnership's deciders: the review's sub-group (which monitors the
# plan), its independent reviewer and its agencies' safeguarding leads. An action owner reads only the actions
# they own (tests/e2e/test_actions.py proves it), never the whole plan; analysts none of it.
PLAN_MEMBERS = (Role.SUBGROUP_MEMBER, Role.INDEPENDENT_REVIEWER, Role.AGENCY_LEAD)
# Whom an action can be assigned to.
ACTION_OWNERS = (
    Role.ACTION_OWNER,
    Role.AGENCY_LEAD,
    Role.BUSINESS_MANAGER,
    Role.SAFEGUARDING_PARTNER,
    Role.SUBGROUP_MEMBER,
)


def reads_plan(caller: Caller, target: Target) -> bool:
    """A review's lessons, recommendations and actions."""
    if target.partnership is None or caller.partnership != target.partnership:
        return False
    if caller.is_person_in(*PARTNERSHIP_DECIDERS):
        return True
    return caller.is_person_in(*PLAN_MEMBERS) and target.review in caller.reviews


def records_learning(caller: Caller, target: Target) -> bool:
    """Recording a review's lessons and recommendations: its business manager, its independent reviewer."""
    if caller.partnership != target.partnership:
        return False
    if caller.is_person_in(Role.BUSINESS_MANAGER):
        return True
    return caller.is_person_in(Role.INDEPENDENT_REVIEWER) and target.review in caller.reviews


def lists_actions(caller: Caller, target: Target) -> bool:
    """The actions list: whoever reads some plan, and action owners (who see their own)."""
    return caller.is_person_in(*PARTNERSHIP_DECIDERS, *PLAN_MEMBERS, Role.ACTION_OWNER)


def owns_actions(caller: Caller, target: Target) -> bool:
    """ "My actions": the people actions can be assigned to."""
    return caller.is_person_in(*ACTION_OWNERS)


def reads_partnership_learning(caller: Caller, target: Target) -> bool:
    """Themes across the partnership's reviews and the documents built from every plan: its deciders."""
    return caller.is_person_in(*PARTNERSHIP_DECIDERS)


def reads_an_action_nobody_has(caller: Caller, target: Target) -> bool:
    """One action: its owner and the readers of its review's plan; the matrix asks about an id nobody has, so
    nobody reaches it (the allowed cases are tests/e2e/test_actions.py's)."""
    return False


EXPECTATIONS: dict[tuple[str, str], Rule] = {
    # public pages and machine endpoints (metrics are scraped by the operator's monitoring)
    ("GET", "/"): anyone,
    ("GET", "/privacy"): anyone,
    ("GET", "/healthz"): anyone,
    ("GET", "/metrics"): anyone,
    ("GET", "/openapi.json"): anyone,
    ("GET", "/asyncapi.json"): anyone,
    ("GET", "/demo/mail"): anyone,  # the local demo's mail catcher; the page does not exist elsewhere
    # signing in and out, and the links e-mailed to set up an account or reset a password
    ("GET", "/sign-in"): anyone,
    ("POST", "/sign-in"): anyone,
    ("GET", "/signed-out"): anyone,
    ("POST", "/sign-out"): any_person,
    ("POST", "/session/keep-alive"): any_person,
    ("GET", "/invitations/{token}"): anyone,
    ("POST", "/invitations/{token}"): anyone,
    ("GET", "/password-reset"): anyone,
    ("POST", "/password-reset"): anyone,
    ("GET", "/password-reset/{token}"): anyone,
    ("POST", "/password-reset/{token}"): anyone,
    ("GET", "/set-up-authenticator"): enrolling,
    ("POST", "/set-up-authenticator"): enrolling,
    ("POST", "/api/oauth/token"): anyone,  # the client authenticates with its own id and secret
    # one's own account
    ("GET", "/account"): any_person,
    ("POST", "/account/sign-out-everywhere"): any_person,
    ("POST", "/account/recovery-codes"): any_person,
    ("GET", "/account/password"): any_person,
    ("POST", "/account/password"): any_person,
    ("GET", "/account/sessions/{handle}"): owns_session,
    ("POST", "/account/sessions/{handle}"): owns_session,
    # reviews
    ("GET", "/reviews"): works_on_reviews,
    ("GET", "/reviews/new"): business_manager,
    ("POST", "/reviews/new"): business_manager,
    ("GET", "/reviews/{review_id}"): reads_review,
    ("GET", "/reviews/{review_id}/people"): manages_review,
    ("POST", "/reviews/{review_id}/people"): manages_review,
    ("POST", "/reviews/{review_id}/share"): manages_review,
    ("GET", "/api/review-types"): any_person_or_agency_system,
    ("GET", "/api/reviews"): works_on_reviews_or_agency_system,
    ("POST", "/api/reviews"): business_manager,
    ("GET", "/api/reviews/{review_id}"): reads_review_or_agency_system,
    # -- the review lifecycle (gateway/routes/lifecycle.py) --
    ("GET", "/reviews/{review_id}/steps/{step}"): reads_review,
    ("POST", "/reviews/{review_id}/steps/{step}"): works_on_step,
    ("GET", "/reviews/{review_id}/steps/{step}/check"): reads_review,
    ("POST", "/reviews/{review_id}/steps/{step}/check"): works_on_step,
    ("GET", "/reviews/{review_id}/pauses"): reads_review,
    ("POST", "/reviews/{review_id}/pauses"): manages_review,
    ("POST", "/reviews/{review_id}/pauses/{pause_id}/end"): manages_review,
    ("GET", "/reviews/{review_id}/documents/{kind}"): decides_for_review,
    ("GET", "/referrals/new"): refers_incidents,
    ("POST", "/referrals/new"): refers_incidents,
    ("GET", "/settings/deadlines"): reads_deadline_settings,
    ("POST", "/settings/deadlines"): business_manager,
    ("GET", "/api/reviews/{review_id}/file"): reads_review_or_agency_system,
    ("POST", "/api/reviews/{review_id}/steps/{step}"): works_on_step,
    ("POST", "/api/reviews/{review_id}/steps/{step}/complete"): works_on_step,
    # -- end of the review lifecycle --
    # -- agency returns (gateway/routes/returns.py) --
    ("GET", "/returns"): lists_returns,
    ("GET", "/returns/{return_id}"): reads_return,
    ("POST", "/returns/{return_id}"): writes_return,
    ("GET", "/returns/{return_id}/check"): writes_return,
    ("POST", "/returns/{return_id}/submit"): submits_return,
    ("GET", "/returns/{return_id}/nil"): submits_return,
    ("POST", "/returns/{return_id}/nil"): submits_return,
    ("POST", "/returns/{return_id}/addenda"): writes_return,
    ("GET", "/reviews/{review_id}/returns"): reads_all_returns,
    ("POST", "/reviews/{review_id}/returns"): manages_review,  # ask one more agency
    ("GET", "/returns/{return_id}/extend"): extends_return,
    ("POST", "/returns/{return_id}/extend"): extends_return,
    # -- end of agency returns --
    # -- meetings (gateway/routes/meetings.py) --
    ("GET", "/meetings"): uses_calendar,
    ("GET", "/reviews/{review_id}/meetings"): reads_meetings,
    ("GET", "/reviews/{review_id}/meetings/new"): schedules_meetings,
    ("POST", "/reviews/{review_id}/meetings"): schedules_meetings,
    ("GET", _MEETING): touches_a_meeting_nobody_has,
    ("GET", _MEETING + "/edit"): touches_a_meeting_nobody_has,
    ("POST", _MEETING): touches_a_meeting_nobody_has,
    ("POST", _MEETING + "/cancel"): touches_a_meeting_nobody_has,
    ("POST", _MEETING + "/reply"): touches_a_meeting_nobody_has,
    ("POST", _MEETING + "/attendance"): touches_a_meeting_nobody_has,
    ("POST", _MEETING + "/papers"): touches_a_meeting_nobody_has,
    ("GET", _MEETING + "/papers/{paper_id}"): touches_a_meeting_nobody_has,
    ("POST", _MEETING + "/minutes"): touches_a_meeting_nobody_has,
    ("POST", _MEETING + "/minutes/circulate"): touches_a_meeting_nobody_has,
    ("POST", _MEETING + "/minutes/comments"): touches_a_meeting_nobody_has,
    ("POST", _MEETING + "/minutes/approve"): touches_a_meeting_nobody_has,
    ("POST", _MEETING + "/minutes/amendments"): touches_a_meeting_nobody_has,
    # -- reports (gateway/routes/reports.py) --
    ("GET", "/reviews/{review_id}/reports"): reads_reports,
    ("POST", "/reviews/{review_id}/reports"): begins_reports,
    ("GET", _REPORT): touches_a_document_nobody_has,
    ("POST", _REPORT + "/sections/{section_id}/assignment"): touches_a_document_nobody_has,
    ("WEBSOCKET", _REPORT + "/sections/{section_id}/sync"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/versions"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/versions"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/versions/compare"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/versions/{version_id}"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/versions/{version_id}/restore"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/versions/{version_id}/restore"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/versions/{version_id}/name"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/versions/{version_id}/delete"): touches_a_document_nobody_has,
    # -- a document's downloads and publication copy (gateway/routes/report_publication.py); the allowed
    # cases are tests/e2e/test_report_publication.py's --
    ("GET", _REPORT + "/export.docx"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/export.pdf"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/versions/{version_id}/export.docx"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/versions/{version_id}/export.pdf"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/publication"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/publication"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/publication/check"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/publication/ready"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/publication/sections/{section_id}/blocks/{block}"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/publication/sections/{section_id}/blocks/{block}"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/publication/export.docx"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/publication/export.pdf"): touches_a_document_nobody_has,
    # -- factual accuracy, family comments, sign-off (routes/report_accuracy.py): a version nobody has --
    ("GET", _REPORT + "/versions/{version_id}/accuracy"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/versions/{version_id}/accuracy"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/versions/{version_id}/accuracy/{round_id}/answer"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/versions/{version_id}/accuracy/{round_id}/close"): touches_a_document_nobody_has,
    ("GET", "/reviews/{review_id}/accuracy-requests/{check_id}"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/versions/{version_id}/family"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/versions/{version_id}/family"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/versions/{version_id}/sign-off"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/versions/{version_id}/sign-off"): touches_a_document_nobody_has,
    ("GET", _REPORT + "/sections/{section_id}/comments"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/sections/{section_id}/comments"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/comments/{comment_id}/replies"): touches_a_document_nobody_has,
    ("POST", _REPORT + "/comments/{comment_id}/resolution"): touches_a_document_nobody_has,
    ("GET", "/reviews/{review_id}/sign-off"): sees_sign_off,
    ("GET", "/reviews/{review_id}/family-contacts"): keeps_family_contacts,
    ("POST", "/reviews/{review_id}/family-contacts"): keeps_family_contacts,
    # -- chronologies (gateway/routes/chronology.py) --
    ("GET", "/reviews/{review_id}/chronology"): reads_chronology,
    ("GET", "/reviews/{review_id}/chronology/with-names"): reads_chronology,
    ("GET", "/reviews/{review_id}/chronology/export.xlsx"): reads_chronology,
    ("GET", "/reviews/{review_id}/chronology/export.csv"): reads_chronology,
    ("GET", "/reviews/{review_id}/chronology/export.pdf"): reads_chronology,
    ("GET", "/reviews/{review_id}/chronology/template.xlsx"): reads_chronology,
    ("GET", "/reviews/{review_id}/chronology/template.csv"): reads_chronology,
    ("GET", "/reviews/{review_id}/chronology/upload"): uploads_chronology,
    ("POST", "/reviews/{review_id}/chronology/upload"): uploads_chronology,
    ("GET", "/reviews/{review_id}/chronology/uploads"): reads_chronology,
    ("GET", "/reviews/{review_id}/chronology/uploads/{upload_id}"): owns_upload,
    ("GET", "/reviews/{review_id}/chronology/uploads/{upload_id}/progress"): owns_upload,
    ("GET", "/reviews/{review_id}/chronology/uploads/{upload_id}/problems.csv"): owns_upload,
    ("POST", "/reviews/{review_id}/chronology/uploads/{upload_id}/import"): owns_upload,
    ("GET", "/reviews/{review_id}/chronology/people"): reads_chronology,
    ("POST", "/reviews/{review_id}/chronology/people"): keeps_register,
    ("GET", "/reviews/{review_id}/chronology/episodes"): reads_chronology,
    ("POST", "/reviews/{review_id}/chronology/episodes"): keeps_register,
    ("POST", "/reviews/{review_id}/chronology/episodes/remove"): keeps_register,
    ("GET", "/reviews/{review_id}/chronology/duplicates"): keeps_register,
    # The matrix asks about a pair nobody has, with no decision: refused as invalid (422) once allowed.
    ("POST", "/reviews/{review_id}/chronology/duplicates/{duplicate_id}"): keeps_register,
    ("POST", "/reviews/{review_id}/chronology/agencies"): manages_review,
    # The partnership's own chronology columns: its deciders read them, its business manager sets them.
    ("GET", "/settings/chronology"): reads_deadline_settings,
    ("POST", "/settings/chronology"): business_manager,
    # -- learning into change (gateway/routes/actions.py) --
    ("GET", "/reviews/{review_id}/plan"): reads_plan,
    ("POST", "/reviews/{review_id}/lessons"): records_learning,
    ("POST", "/reviews/{review_id}/recommendations"): records_learning,
    ("POST", "/reviews/{review_id}/actions"): manages_review,
    ("POST", "/reviews/{review_id}/learning-briefs"): manages_review,
    ("POST", "/reviews/{review_id}/dissemination"): manages_review,
    ("GET", "/actions"): lists_actions,
    ("GET", "/actions/mine"): owns_actions,
    # The quarterly update and the yearly report's section: the partnership's deciders.
    ("GET", "/actions/reports"): reads_partnership_learning,
    ("GET", "/actions/reports/download"): reads_partnership_learning,
    ("GET", "/actions/{action_id}"): reads_an_action_nobody_has,
    ("POST", "/actions/{action_id}/progress"): reads_an_action_nobody_has,
    ("POST", "/actions/{action_id}/impact"): reads_an_action_nobody_has,
    ("POST", "/actions/{action_id}/sign-off"): reads_an_action_nobody_has,
    ("POST", "/actions/{action_id}/evidence"): reads_an_action_nobody_has,
    ("GET", "/actions/{action_id}/evidence/{evidence_id}"): reads_an_action_nobody_has,
    # The partnership's themes and those that recur: its deciders; its business manager extends them.
    ("GET", "/themes"): reads_partnership_learning,
    ("POST", "/themes"): business_manager,
    ("POST", "/themes/retire"): business_manager,
    # -- notifications (gateway/routes/notifications.py) --
    ("GET", "/notifications"): any_person,
    ("GET", "/notifications/stream"): any_person,
    ("POST", "/notifications/read"): any_person,
    ("POST", "/notifications/{notification_id}/read"): owns_message,
    ("GET", "/account/notifications"): any_person,
    ("POST", "/account/notifications"): any_person,
    ("GET", "/settings/notifications"): reads_notification_rules,
    ("POST", "/settings/notifications"): business_manager,
    ("GET", "/messages/sent"): business_manager,
    ("GET", "/reviews/{review_id}/messages"): manages_review,
    ("POST", "/messages/sent/{delivery_id}/send-again"): sends_again,
    # -- end of notifications --
    # figures
    ("GET", "/dashboard"): sees_figures,
    ("GET", "/api/review-counts"): sees_figures,
    ("GET", "/dashboards"): sees_some_figures,
    ("GET", "/dashboards/{code}"): sees_figures,
    ("GET", "/dashboards/{code}/stream"): sees_figures,
    ("GET", "/dashboards/{code}/{table_code}.csv"): sees_figures,
    ("GET", "/api/dashboards/{code}"): sees_figures,
    # account administration: no case data
    ("GET", "/admin/users"): administers,
    ("GET", "/admin/users/invite"): administers,
    ("POST", "/admin/users/invite"): administers,
    ("GET", "/admin/users/{user_id}"): administers,
    ("POST", "/admin/users/{user_id}"): administers,
    ("POST", "/admin/users/{user_id}/deactivate"): administers,
    ("POST", "/admin/users/{user_id}/reset-second-factor"): administers,
    ("POST", "/admin/users/{user_id}/resend-invitation"): administers,
    ("GET", "/admin/agencies"): administers,
    ("POST", "/admin/agencies"): administers,
    ("GET", "/admin/system-connections"): administers,
    ("POST", "/admin/system-connections"): administers,
    ("POST", "/admin/system-connections/{connection_id}/revoke"): revokes_a_connection_nobody_has,
    ("GET", "/admin/api-clients"): administers,
    ("POST", "/admin/api-clients"): administers,
    ("POST", "/admin/api-clients/{client_id}/revoke"): administers,
    # the data protection officer: the audit and the GDPR registers, never a case file
    ("GET", "/dpo"): protects_data,
    ("GET", "/dpo/audit"): protects_data,
    ("GET", "/dpo/audit.csv"): protects_data,
    ("GET", "/dpo/subject-access-requests"): protects_data,
    ("POST", "/dpo/subject-access-requests"): protects_data,
    ("POST", "/dpo/subject-access-requests/{request_id}/complete"): protects_data,
    ("GET", "/dpo/subject-access-requests/{request_id}/export"): protects_data,
    ("GET", "/dpo/retention"): protects_data,
    ("POST", "/dpo/retention"): protects_data,
}

# The JSON API's commands and reads of meetings, learning and returns: each answers to the same rule as the
# page or form it mirrors (the gateway's routes/meetings.py, actions.py, returns.py).
API_TWINS: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/api/reviews/{review_id}/plan"): ("GET", "/reviews/{review_id}/plan"),
    ("POST", "/api/reviews/{review_id}/lessons"): ("POST", "/reviews/{review_id}/lessons"),
    ("POST", "/api/reviews/{review_id}/recommendations"): ("POST", "/reviews/{review_id}/recommendations"),
    ("POST", "/api/reviews/{review_id}/actions"): ("POST", "/reviews/{review_id}/actions"),
    ("GET", "/api/reviews/{review_id}/meetings"): ("GET", "/reviews/{review_id}/meetings"),
    ("POST", "/api/reviews/{review_id}/meetings"): ("POST", "/reviews/{review_id}/meetings"),
    ("POST", "/api" + _MEETING + "/reply"): ("POST", _MEETING + "/reply"),
    ("GET", "/api/returns"): ("GET", "/returns"),
    ("GET", "/api/returns/{return_id}"): ("GET", "/returns/{return_id}"),
    ("PUT", "/api/returns/{return_id}"): ("POST", "/returns/{return_id}"),
    ("POST", "/api/returns/{return_id}/submit"): ("POST", "/returns/{return_id}/submit"),
}
EXPECTATIONS.update({api: EXPECTATIONS[page] for api, page in API_TWINS.items()})
