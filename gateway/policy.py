"""Who may reach each route of the gateway: deny by default.

Every route the app serves must have an entry here (method and path template); a route without one is
refused to everybody, and the access-matrix test fails. The gateway decides only the coarse question (is
the caller signed in, in a role that may use this route at all); the services decide object-level access
again on every call (which review, which agency's return).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.kernel.identity import ANALYST_ROLES, CASE_ROLES, PARTNERSHIP_CASE_ROLES, Role


@dataclass(frozen=True)
class Policy:
    """The rule of one route.

    `access`: "anyone" (no sign-in), "enrolling" (a session started from a sign-in link, setting up the
    second factor), "signed_in" (a full session, or an API client where `api_clients`).
    `roles`: the roles of which the caller must hold one (None: any signed-in person).
    `audit`: the record type written to the audit log for every call (case data and the audit itself).
    `action`: the audited action ("read", "create", ...); defaults from the HTTP method.
    `activity`: whether a call counts as the person's activity for the idle time-out (False for what a page
    asks by itself, such as the live unread count: an open tab must not keep a session alive).
    """

    access: str
    roles: frozenset[str] | None = None
    api_clients: bool = False
    audit: str | None = None
    action: str | None = None
    activity: bool = True

    def admits_role(self, roles: frozenset[str]) -> bool:
        """True if the roles satisfy this policy's role rule."""
        return self.roles is None or bool(self.roles & roles)


ANYONE = Policy("anyone")
SIGNED_IN = Policy("signed_in")
ENROLLING = Policy("enrolling")

BUSINESS_MANAGER = frozenset({Role.BUSINESS_MANAGER})
ADMIN = frozenset({Role.PARTNERSHIP_ADMIN})
DPO = frozenset({Role.DATA_PROTECTION_OFFICER})
# Aggregated figures: the partnership's deciders and every analyst (the analytics service scopes them).
FIGURES = PARTNERSHIP_CASE_ROLES | ANALYST_ROLES
# Chronologies: agencies' people upload their own; the review's readers (not action owners, not systems) read.
AGENCY_PEOPLE = frozenset({Role.AGENCY_AUTHOR, Role.AGENCY_LEAD})
REGISTER_KEEPERS = frozenset({Role.BUSINESS_MANAGER, Role.INDEPENDENT_REVIEWER})
CHRONOLOGY_READERS = (
    PARTNERSHIP_CASE_ROLES | {Role.SUBGROUP_MEMBER, Role.INDEPENDENT_REVIEWER} | AGENCY_PEOPLE
)

# Meetings: every person with a part in reviews reaches the pages; the meetings service decides which meetings
# each sees (agency people only those they are invited to) and who does what; the family's contacts are the
# business manager's and the independent reviewer's.
MEETING_PEOPLE = CASE_ROLES - {Role.AGENCY_SYSTEM}
FAMILY_KEEPERS = frozenset({Role.BUSINESS_MANAGER, Role.INDEPENDENT_REVIEWER})
_MEETING = "/reviews/{review_id}/meetings/{meeting_id}"

# The action plan (services/actions/policy.py decides each review and action): its readers, who record its
# learning, the people actions are assigned to, and who may update an action (its owner, the manager).
PLAN_READERS = PARTNERSHIP_CASE_ROLES | {
    Role.SUBGROUP_MEMBER,
    Role.INDEPENDENT_REVIEWER,
    Role.AGENCY_LEAD,
}
LEARNING_RECORDERS = frozenset({Role.BUSINESS_MANAGER, Role.INDEPENDENT_REVIEWER})
ACTION_OWNERS = frozenset(
    {
        Role.ACTION_OWNER,
        Role.AGENCY_LEAD,
        Role.BUSINESS_MANAGER,
        Role.SAFEGUARDING_PARTNER,
        Role.SUBGROUP_MEMBER,
    }
)
ACTION_READERS = PLAN_READERS | {Role.ACTION_OWNER}
ACTION_UPDATERS = ACTION_OWNERS

# Reports written together: every person with a part in reviews reaches the pages and the live sections; the
# reports service decides which documents and sections each reads or changes (services/reports/policy.py).
REPORT_PEOPLE = CASE_ROLES - {Role.AGENCY_SYSTEM}
REPORT_MANAGERS = frozenset({Role.BUSINESS_MANAGER, Role.INDEPENDENT_REVIEWER})
_REPORT = "/reviews/{review_id}/reports/{document_id}"
_VERSIONS = _REPORT + "/versions"
# A document's publication copy: its managers only (the reports service checks the document again).
_COPY = _REPORT + "/publication"
# Factual accuracy, the family's comments and the partners' sign-off of a version (the reports service decides
# again: the manager and reviewer manage rounds and keep the family's comments, an agency asked answers for
# own sections, the partnership's safeguarding partners sign off).
_VERSION = _VERSIONS + "/{version_id}"
ACCURACY_PEOPLE = frozenset(
    {Role.BUSINESS_MANAGER, Role.INDEPENDENT_REVIEWER, Role.AGENCY_LEAD, Role.AGENCY_AUTHOR}
)
SIGN_OFF_READERS = REPORT_MANAGERS | {Role.SAFEGUARDING_PARTNER}
SIGNERS = frozenset({Role.SAFEGUARDING_PARTNER})

POLICIES: dict[tuple[str, str], Policy] = {
    # public pages and machine endpoints
    ("GET", "/"): ANYONE,
    ("GET", "/healthz"): ANYONE,
    ("GET", "/metrics"): ANYONE,
    ("GET", "/openapi.json"): ANYONE,
    ("GET", "/asyncapi.json"): ANYONE,
    ("GET", "/privacy"): ANYONE,
    ("GET", "/demo/mail"): ANYONE,
    # signing in and out
    ("GET", "/sign-in"): ANYONE,
    ("POST", "/sign-in"): ANYONE,
    ("GET", "/signed-out"): ANYONE,
    ("POST", "/sign-out"): SIGNED_IN,
    ("POST", "/session/keep-alive"): SIGNED_IN,
    ("GET", "/invitations/{token}"): ANYONE,
    ("POST", "/invitations/{token}"): ANYONE,
    ("GET", "/password-reset"): ANYONE,
    ("POST", "/password-reset"): ANYONE,
    ("GET", "/password-reset/{token}"): ANYONE,
    ("POST", "/password-reset/{token}"): ANYONE,
    ("GET", "/set-up-authenticator"): ENROLLING,
    ("POST", "/set-up-authenticator"): ENROLLING,
    ("POST", "/api/oauth/token"): ANYONE,
    # one's own account
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account/sign-out-everywhere"): SIGNED_IN,
    ("POST", "/account/recovery-codes"): SIGNED_IN,
    ("GET", "/account/password"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    # one's own other devices: the route finds the session among the caller's own, else 404
    ("GET", "/account/sessions/{handle}"): SIGNED_IN,
    ("POST", "/account/sessions/{handle}"): SIGNED_IN,
    # reviews: case data, audited
    ("GET", "/reviews"): Policy("signed_in", CASE_ROLES, audit="review", action="list"),
    ("GET", "/reviews/new"): Policy("signed_in", BUSINESS_MANAGER),
    ("POST", "/reviews/new"): Policy("signed_in", BUSINESS_MANAGER, audit="review", action="create"),
    ("GET", "/reviews/{review_id}"): Policy("signed_in", CASE_ROLES, audit="review"),
    ("GET", "/reviews/{review_id}/people"): Policy("signed_in", BUSINESS_MANAGER, audit="review_membership"),
    ("POST", "/reviews/{review_id}/people"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="review_membership", action="update"
    ),
    ("POST", "/reviews/{review_id}/share"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="review", action="share"
    ),
    ("GET", "/api/review-types"): Policy("signed_in", api_clients=True),
    ("GET", "/api/reviews"): Policy("signed_in", CASE_ROLES, api_clients=True, audit="review", action="list"),
    ("POST", "/api/reviews"): Policy("signed_in", BUSINESS_MANAGER, audit="review", action="create"),
    ("GET", "/api/reviews/{review_id}"): Policy("signed_in", CASE_ROLES, api_clients=True, audit="review"),
    # -- the review lifecycle (gateway/routes/lifecycle.py) --
    # Which review, which step and whose part in it is the forms service's rule: readers of a review read its
    # steps and pauses; the deciders a review type names for a step work on it; its business manager pauses.
    ("GET", "/reviews/{review_id}/steps/{step}"): Policy("signed_in", CASE_ROLES, audit="review_step"),
    ("POST", "/reviews/{review_id}/steps/{step}"): Policy(
        "signed_in", PARTNERSHIP_CASE_ROLES, audit="review_step", action="update"
    ),
    ("GET", "/reviews/{review_id}/steps/{step}/check"): Policy("signed_in", CASE_ROLES, audit="review_step"),
    ("POST", "/reviews/{review_id}/steps/{step}/check"): Policy(
        "signed_in", PARTNERSHIP_CASE_ROLES, audit="review_step", action="complete"
    ),
    ("GET", "/reviews/{review_id}/pauses"): Policy(
        "signed_in", CASE_ROLES, audit="review_pause", action="list"
    ),
    ("POST", "/reviews/{review_id}/pauses"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="review_pause", action="create"
    ),
    ("POST", "/reviews/{review_id}/pauses/{pause_id}/end"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="review_pause", action="end"
    ),
    ("GET", "/reviews/{review_id}/documents/{kind}"): Policy(
        "signed_in", PARTNERSHIP_CASE_ROLES, audit="review_document", action="export"
    ),
    # -- meetings (gateway/routes/meetings.py) --
    ("GET", "/meetings"): Policy("signed_in", MEETING_PEOPLE, audit="meeting", action="calendar"),
    ("GET", "/reviews/{review_id}/meetings"): Policy(
        "signed_in", MEETING_PEOPLE, audit="meeting", action="list"
    ),
    ("GET", "/reviews/{review_id}/meetings/new"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="meeting", action="start"
    ),
    ("POST", "/reviews/{review_id}/meetings"): Policy("signed_in", BUSINESS_MANAGER, audit="meeting"),
    ("GET", _MEETING): Policy("signed_in", MEETING_PEOPLE, audit="meeting"),
    ("GET", _MEETING + "/edit"): Policy("signed_in", BUSINESS_MANAGER, audit="meeting", action="start"),
    ("POST", _MEETING): Policy("signed_in", BUSINESS_MANAGER, audit="meeting", action="update"),
    ("POST", _MEETING + "/cancel"): Policy("signed_in", BUSINESS_MANAGER, audit="meeting", action="cancel"),
    ("POST", _MEETING + "/reply"): Policy("signed_in", MEETING_PEOPLE, audit="meeting_reply"),
    ("POST", _MEETING + "/attendance"): Policy("signed_in", MEETING_PEOPLE, audit="meeting_attendance"),
    ("POST", _MEETING + "/papers"): Policy("signed_in", MEETING_PEOPLE, audit="meeting_paper"),
    ("GET", _MEETING + "/papers/{paper_id}"): Policy(
        "signed_in", MEETING_PEOPLE, audit="meeting_paper", action="download"
    ),
    ("POST", _MEETING + "/minutes"): Policy("signed_in", MEETING_PEOPLE, audit="meeting_minutes"),
    ("POST", _MEETING + "/minutes/circulate"): Policy(
        "signed_in", MEETING_PEOPLE, audit="meeting_minutes", action="circulate"
    ),
    ("POST", _MEETING + "/minutes/comments"): Policy(
        "signed_in", MEETING_PEOPLE, audit="meeting_minutes", action="comment"
    ),
    ("POST", _MEETING + "/minutes/approve"): Policy(
        "signed_in", MEETING_PEOPLE, audit="meeting_minutes", action="approve"
    ),
    ("POST", _MEETING + "/minutes/amendments"): Policy(
        "signed_in", MEETING_PEOPLE, audit="meeting_minutes", action="amend"
    ),
    ("GET", "/reviews/{review_id}/family-contacts"): Policy(
        "signed_in", FAMILY_KEEPERS, audit="family_contact"
    ),
    ("POST", "/reviews/{review_id}/family-contacts"): Policy(
        "signed_in", FAMILY_KEEPERS, audit="family_contact"
    ),
    # -- chronologies (gateway/routes/chronology.py) --
    # Which review, which agency's entries and whose names are the chronology service's rule
    # (services/chronology/policy.py); here only the roles that work on chronologies at all.
    ("GET", "/reviews/{review_id}/chronology"): Policy("signed_in", CHRONOLOGY_READERS, audit="chronology"),
    ("GET", "/reviews/{review_id}/chronology/with-names"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology_names", action="reveal"
    ),
    ("GET", "/reviews/{review_id}/chronology/export.xlsx"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology", action="export"
    ),
    ("GET", "/reviews/{review_id}/chronology/export.csv"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology", action="export"
    ),
    ("GET", "/reviews/{review_id}/chronology/export.pdf"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology", action="export"
    ),
    ("GET", "/reviews/{review_id}/chronology/template.xlsx"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology_template", action="export"
    ),
    ("GET", "/reviews/{review_id}/chronology/template.csv"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology_template", action="export"
    ),
    ("GET", "/reviews/{review_id}/chronology/upload"): Policy(
        "signed_in", AGENCY_PEOPLE, audit="chronology_upload", action="start"
    ),
    ("POST", "/reviews/{review_id}/chronology/upload"): Policy(
        "signed_in", AGENCY_PEOPLE, audit="chronology_upload", action="create"
    ),
    ("GET", "/reviews/{review_id}/chronology/uploads"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology_upload", action="list"
    ),
    ("GET", "/reviews/{review_id}/chronology/uploads/{upload_id}"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology_upload"
    ),
    ("GET", "/reviews/{review_id}/chronology/uploads/{upload_id}/progress"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology_upload", activity=False
    ),
    ("GET", "/reviews/{review_id}/chronology/uploads/{upload_id}/problems.csv"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology_upload", action="export"
    ),
    ("POST", "/reviews/{review_id}/chronology/uploads/{upload_id}/import"): Policy(
        "signed_in", AGENCY_PEOPLE, audit="chronology_upload", action="import"
    ),
    ("GET", "/reviews/{review_id}/chronology/people"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology_people"
    ),
    ("POST", "/reviews/{review_id}/chronology/people"): Policy(
        "signed_in", REGISTER_KEEPERS, audit="chronology_people", action="create"
    ),
    ("GET", "/reviews/{review_id}/chronology/episodes"): Policy(
        "signed_in", CHRONOLOGY_READERS, audit="chronology_episode", action="list"
    ),
    ("POST", "/reviews/{review_id}/chronology/episodes"): Policy(
        "signed_in", REGISTER_KEEPERS, audit="chronology_episode", action="tag"
    ),
    ("POST", "/reviews/{review_id}/chronology/episodes/remove"): Policy(
        "signed_in", REGISTER_KEEPERS, audit="chronology_episode", action="untag"
    ),
    ("GET", "/reviews/{review_id}/chronology/duplicates"): Policy(
        "signed_in", REGISTER_KEEPERS, audit="chronology_duplicate", action="list"
    ),
    ("POST", "/reviews/{review_id}/chronology/duplicates/{duplicate_id}"): Policy(
        "signed_in", REGISTER_KEEPERS, audit="chronology_duplicate", action="resolve"
    ),
    ("GET", "/settings/chronology"): Policy("signed_in", PARTNERSHIP_CASE_ROLES),
    ("POST", "/settings/chronology"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="chronology_settings", action="update"
    ),
    ("POST", "/reviews/{review_id}/chronology/agencies"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="chronology", action="ask_agency"
    ),
    # Anyone working on case reviews in a partnership refers an incident to it (never an agency's system).
    ("GET", "/referrals/new"): Policy("signed_in", CASE_ROLES - {Role.AGENCY_SYSTEM}),
    ("POST", "/referrals/new"): Policy(
        "signed_in", CASE_ROLES - {Role.AGENCY_SYSTEM}, audit="review", action="refer"
    ),
    # The partnership's deadline figures: its deciders read them, its business manager sets them.
    ("GET", "/settings/deadlines"): Policy("signed_in", PARTNERSHIP_CASE_ROLES),
    ("POST", "/settings/deadlines"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="deadline_settings", action="update"
    ),
    ("GET", "/api/reviews/{review_id}/file"): Policy(
        "signed_in", CASE_ROLES, api_clients=True, audit="review"
    ),
    ("POST", "/api/reviews/{review_id}/steps/{step}"): Policy(
        "signed_in", PARTNERSHIP_CASE_ROLES, audit="review_step", action="update"
    ),
    ("POST", "/api/reviews/{review_id}/steps/{step}/complete"): Policy(
        "signed_in", PARTNERSHIP_CASE_ROLES, audit="review_step", action="complete"
    ),
    # -- end of the review lifecycle --
    # -- agency returns (gateway/routes/returns.py) --
    # The role sets are inline to keep this section self-contained: agency people (lead and author) work on
    # their agency's returns; the lead alone submits; the deciders and the review's sub-group and reviewer
    # read them all; the business manager extends. Which return is the forms service's rule.
    # `/returns`: an agency's people, their agency's list; the business manager, every return across the
    # partnership's open reviews (forms.partnership_returns).
    ("GET", "/returns"): Policy(
        "signed_in",
        frozenset({Role.AGENCY_LEAD, Role.AGENCY_AUTHOR, Role.BUSINESS_MANAGER}),
        audit="agency_return",
        action="list",
    ),
    ("GET", "/returns/{return_id}"): Policy(
        "signed_in",
        PARTNERSHIP_CASE_ROLES
        | {Role.AGENCY_LEAD, Role.AGENCY_AUTHOR, Role.SUBGROUP_MEMBER, Role.INDEPENDENT_REVIEWER},
        audit="agency_return",
    ),
    ("POST", "/returns/{return_id}"): Policy(
        "signed_in", frozenset({Role.AGENCY_LEAD, Role.AGENCY_AUTHOR}), audit="agency_return", action="update"
    ),
    ("GET", "/returns/{return_id}/check"): Policy(
        "signed_in", frozenset({Role.AGENCY_LEAD, Role.AGENCY_AUTHOR}), audit="agency_return"
    ),
    ("POST", "/returns/{return_id}/submit"): Policy(
        "signed_in", frozenset({Role.AGENCY_LEAD}), audit="agency_return", action="submit"
    ),
    ("GET", "/returns/{return_id}/nil"): Policy(
        "signed_in", frozenset({Role.AGENCY_LEAD}), audit="agency_return"
    ),
    ("POST", "/returns/{return_id}/nil"): Policy(
        "signed_in", frozenset({Role.AGENCY_LEAD}), audit="agency_return", action="nil_return"
    ),
    ("POST", "/returns/{return_id}/addenda"): Policy(
        "signed_in", frozenset({Role.AGENCY_LEAD, Role.AGENCY_AUTHOR}), audit="agency_return", action="amend"
    ),
    ("GET", "/reviews/{review_id}/returns"): Policy(
        "signed_in",
        PARTNERSHIP_CASE_ROLES | {Role.SUBGROUP_MEMBER, Role.INDEPENDENT_REVIEWER},
        audit="agency_return",
        action="list",
    ),
    ("POST", "/reviews/{review_id}/returns"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="agency_return", action="create"
    ),
    ("GET", "/returns/{return_id}/extend"): Policy("signed_in", BUSINESS_MANAGER, audit="agency_return"),
    ("POST", "/returns/{return_id}/extend"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="agency_return", action="extend"
    ),
    # -- end of agency returns --
    # -- learning into change (gateway/routes/actions.py) --
    # Which review and which action is the actions service's rule: an action owner reaches only their own.
    ("GET", "/reviews/{review_id}/plan"): Policy("signed_in", PLAN_READERS, audit="action_plan"),
    ("POST", "/reviews/{review_id}/lessons"): Policy(
        "signed_in", LEARNING_RECORDERS, audit="lesson", action="create"
    ),
    ("POST", "/reviews/{review_id}/recommendations"): Policy(
        "signed_in", LEARNING_RECORDERS, audit="recommendation", action="create"
    ),
    ("POST", "/reviews/{review_id}/actions"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="action", action="create"
    ),
    ("POST", "/reviews/{review_id}/learning-briefs"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="learning_brief", action="create"
    ),
    ("POST", "/reviews/{review_id}/dissemination"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="learning_brief", action="update"
    ),
    ("GET", "/actions"): Policy("signed_in", ACTION_READERS, audit="action", action="list"),
    ("GET", "/actions/mine"): Policy("signed_in", ACTION_OWNERS, audit="action", action="list"),
    ("GET", "/actions/reports"): Policy("signed_in", PARTNERSHIP_CASE_ROLES),
    ("GET", "/actions/reports/download"): Policy(
        "signed_in", PARTNERSHIP_CASE_ROLES, audit="action_report", action="export"
    ),
    ("GET", "/actions/{action_id}"): Policy("signed_in", ACTION_READERS, audit="action"),
    ("POST", "/actions/{action_id}/progress"): Policy(
        "signed_in", ACTION_UPDATERS, audit="action", action="update"
    ),
    ("POST", "/actions/{action_id}/impact"): Policy(
        "signed_in", ACTION_UPDATERS, audit="action", action="update"
    ),
    ("POST", "/actions/{action_id}/evidence"): Policy(
        "signed_in", ACTION_UPDATERS, audit="action_evidence", action="create"
    ),
    ("GET", "/actions/{action_id}/evidence/{evidence_id}"): Policy(
        "signed_in", ACTION_READERS, audit="action_evidence", action="download"
    ),
    ("POST", "/actions/{action_id}/sign-off"): Policy(
        "signed_in", frozenset({Role.EXECUTIVE}), audit="action", action="sign_off"
    ),
    ("GET", "/themes"): Policy("signed_in", PARTNERSHIP_CASE_ROLES, audit="themes", action="list"),
    ("POST", "/themes"): Policy("signed_in", BUSINESS_MANAGER, audit="themes", action="update"),
    ("POST", "/themes/retire"): Policy("signed_in", BUSINESS_MANAGER, audit="themes", action="update"),
    # -- notifications (gateway/routes/notifications.py) --
    # One's own messages and choices: any signed-in person; the service answers with the caller's own only.
    ("GET", "/notifications"): Policy("signed_in", audit="notification", action="list"),
    ("GET", "/notifications/stream"): Policy("signed_in", activity=False),
    ("POST", "/notifications/read"): SIGNED_IN,
    ("POST", "/notifications/{notification_id}/read"): SIGNED_IN,
    ("GET", "/account/notifications"): SIGNED_IN,
    ("POST", "/account/notifications"): SIGNED_IN,
    # The partnership's rules: its deciders read them, its business manager sets them (the service checks
    # the partnership again).
    ("GET", "/settings/notifications"): Policy("signed_in", PARTNERSHIP_CASE_ROLES),
    ("POST", "/settings/notifications"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="notification_rule", action="update"
    ),
    # What was sent to whom about the partnership's reviews: its business manager.
    ("GET", "/messages/sent"): Policy("signed_in", BUSINESS_MANAGER, audit="delivery", action="list"),
    ("GET", "/reviews/{review_id}/messages"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="delivery", action="list"
    ),
    ("POST", "/messages/sent/{delivery_id}/send-again"): Policy(
        "signed_in", BUSINESS_MANAGER, audit="delivery", action="send_again"
    ),
    # -- end of notifications --
    # aggregates
    ("GET", "/dashboard"): Policy("signed_in", FIGURES),
    ("GET", "/api/review-counts"): Policy("signed_in", FIGURES),
    # The dashboards (gateway/routes/dashboards.py): the analytics service scopes and suppresses each answer.
    ("GET", "/dashboards"): Policy("signed_in", FIGURES),
    ("GET", "/dashboards/{code}"): Policy("signed_in", FIGURES, audit="dashboard"),
    ("GET", "/dashboards/{code}/stream"): Policy("signed_in", FIGURES, activity=False),
    ("GET", "/dashboards/{code}/{table_code}.csv"): Policy(
        "signed_in", FIGURES, audit="dashboard", action="export"
    ),
    ("GET", "/api/dashboards/{code}"): Policy("signed_in", FIGURES, audit="dashboard"),
    # account administration: no case data
    ("GET", "/admin/users"): Policy("signed_in", ADMIN),
    ("GET", "/admin/users/invite"): Policy("signed_in", ADMIN),
    ("POST", "/admin/users/invite"): Policy("signed_in", ADMIN, audit="user", action="create"),
    ("GET", "/admin/users/{user_id}"): Policy("signed_in", ADMIN),
    ("POST", "/admin/users/{user_id}"): Policy("signed_in", ADMIN, audit="user", action="update"),
    ("POST", "/admin/users/{user_id}/deactivate"): Policy(
        "signed_in", ADMIN, audit="user", action="deactivate"
    ),
    ("POST", "/admin/users/{user_id}/reset-second-factor"): Policy(
        "signed_in", ADMIN, audit="user", action="reset_second_factor"
    ),
    ("POST", "/admin/users/{user_id}/resend-invitation"): Policy(
        "signed_in", ADMIN, audit="user", action="invite"
    ),
    ("GET", "/admin/agencies"): Policy("signed_in", ADMIN),
    ("POST", "/admin/agencies"): Policy("signed_in", ADMIN, audit="agency", action="create"),
    ("GET", "/admin/system-connections"): Policy("signed_in", ADMIN),
    ("POST", "/admin/system-connections"): Policy(
        "signed_in", ADMIN, audit="system_connection", action="create"
    ),
    ("POST", "/admin/system-connections/{connection_id}/revoke"): Policy(
        "signed_in", ADMIN, audit="system_connection", action="revoke"
    ),
    ("GET", "/admin/api-clients"): Policy("signed_in", ADMIN),
    ("POST", "/admin/api-clients"): Policy("signed_in", ADMIN, audit="api_client", action="create"),
    ("POST", "/admin/api-clients/{client_id}/revoke"): Policy(
        "signed_in", ADMIN, audit="api_client", action="revoke"
    ),
    # reports written together (a websocket's method is "WEBSOCKET")
    ("GET", "/reviews/{review_id}/reports"): Policy(
        "signed_in", REPORT_PEOPLE, audit="report", action="list"
    ),
    ("POST", "/reviews/{review_id}/reports"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report", action="create"
    ),
    ("GET", _REPORT): Policy("signed_in", REPORT_PEOPLE, audit="report"),
    ("POST", _REPORT + "/sections/{section_id}/assignment"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_section", action="assign"
    ),
    ("WEBSOCKET", _REPORT + "/sections/{section_id}/sync"): Policy(
        "signed_in", REPORT_PEOPLE, audit="report_section", action="open"
    ),
    # -- versions -- (the reports service decides again: reading a version as the document, changing managers)
    ("GET", _VERSIONS): Policy("signed_in", REPORT_PEOPLE, audit="report_version", action="list"),
    ("POST", _VERSIONS): Policy("signed_in", REPORT_MANAGERS, audit="report_version", action="create"),
    ("GET", _VERSIONS + "/compare"): Policy(
        "signed_in", REPORT_PEOPLE, audit="report_version", action="compare"
    ),
    ("GET", _VERSIONS + "/{version_id}"): Policy("signed_in", REPORT_PEOPLE, audit="report_version"),
    ("GET", _VERSIONS + "/{version_id}/restore"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_version"
    ),
    ("POST", _VERSIONS + "/{version_id}/restore"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_version", action="restore"
    ),
    ("POST", _VERSIONS + "/{version_id}/name"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_version", action="rename"
    ),
    ("POST", _VERSIONS + "/{version_id}/delete"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_version", action="delete"
    ),
    # -- publication (gateway/routes/report_publication.py) --
    ("GET", _REPORT + "/export.docx"): Policy("signed_in", REPORT_PEOPLE, audit="report", action="export"),
    ("GET", _REPORT + "/export.pdf"): Policy("signed_in", REPORT_PEOPLE, audit="report", action="export"),
    # a named version downloads for whoever may read it (the reports service decides, as for reading it)
    ("GET", _VERSIONS + "/{version_id}/export.docx"): Policy(
        "signed_in", REPORT_PEOPLE, audit="report_version", action="export"
    ),
    ("GET", _VERSIONS + "/{version_id}/export.pdf"): Policy(
        "signed_in", REPORT_PEOPLE, audit="report_version", action="export"
    ),
    ("GET", _COPY): Policy("signed_in", REPORT_MANAGERS, audit="report_publication"),
    ("POST", _COPY): Policy("signed_in", REPORT_MANAGERS, audit="report_publication", action="create"),
    ("POST", _COPY + "/check"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_publication", action="check"
    ),
    ("POST", _COPY + "/ready"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_publication", action="mark_ready"
    ),
    ("GET", _COPY + "/sections/{section_id}/blocks/{block}"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_publication"
    ),
    ("POST", _COPY + "/sections/{section_id}/blocks/{block}"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_publication", action="update"
    ),
    ("GET", _COPY + "/export.docx"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_publication", action="export"
    ),
    ("GET", _COPY + "/export.pdf"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_publication", action="export"
    ),
    # -- factual accuracy --
    ("GET", _VERSION + "/accuracy"): Policy("signed_in", ACCURACY_PEOPLE, audit="report_accuracy"),
    ("POST", _VERSION + "/accuracy"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_accuracy", action="create"
    ),
    ("POST", _VERSION + "/accuracy/{round_id}/answer"): Policy(
        "signed_in",
        frozenset({Role.AGENCY_LEAD, Role.AGENCY_AUTHOR}),
        audit="report_accuracy",
        action="answer",
    ),
    ("POST", _VERSION + "/accuracy/{round_id}/close"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_accuracy", action="close"
    ),
    ("GET", "/reviews/{review_id}/accuracy-requests/{check_id}"): Policy(
        "signed_in", ACCURACY_PEOPLE, audit="report_accuracy"
    ),
    ("GET", _VERSION + "/family"): Policy("signed_in", REPORT_MANAGERS, audit="report_family_comments"),
    ("POST", _VERSION + "/family"): Policy(
        "signed_in", REPORT_MANAGERS, audit="report_family_comments", action="create"
    ),
    ("GET", "/reviews/{review_id}/sign-off"): Policy(
        "signed_in", SIGN_OFF_READERS, audit="report_sign_off", action="list"
    ),
    ("GET", _VERSION + "/sign-off"): Policy("signed_in", SIGN_OFF_READERS, audit="report_sign_off"),
    ("POST", _VERSION + "/sign-off"): Policy("signed_in", SIGNERS, audit="report_sign_off", action="sign"),
    # comments on a report's sections (gateway/routes/report_comments.py); a section's panel is fetched live
    ("GET", _REPORT + "/sections/{section_id}/comments"): Policy(
        "signed_in", REPORT_PEOPLE, audit="report_comment", action="list"
    ),
    ("POST", _REPORT + "/sections/{section_id}/comments"): Policy(
        "signed_in", REPORT_PEOPLE, audit="report_comment", action="create"
    ),
    ("POST", _REPORT + "/comments/{comment_id}/replies"): Policy(
        "signed_in", REPORT_PEOPLE, audit="report_comment", action="reply"
    ),
    ("POST", _REPORT + "/comments/{comment_id}/resolution"): Policy(
        "signed_in", REPORT_PEOPLE, audit="report_comment", action="resolve"
    ),
    # the data protection officer: the audit and the GDPR registers
    ("GET", "/dpo"): Policy("signed_in", DPO),
    ("GET", "/dpo/audit"): Policy("signed_in", DPO, audit="audit_log"),
    ("GET", "/dpo/audit.csv"): Policy("signed_in", DPO, audit="audit_log", action="export"),
    ("GET", "/dpo/subject-access-requests"): Policy(
        "signed_in", DPO, audit="subject_access_request", action="list"
    ),
    ("POST", "/dpo/subject-access-requests"): Policy(
        "signed_in", DPO, audit="subject_access_request", action="create"
    ),
    ("POST", "/dpo/subject-access-requests/{request_id}/complete"): Policy(
        "signed_in", DPO, audit="subject_access_request", action="update"
    ),
    ("GET", "/dpo/subject-access-requests/{request_id}/export"): Policy(
        "signed_in", DPO, audit="subject_access_request", action="export"
    ),
    ("GET", "/dpo/retention"): Policy("signed_in", DPO, audit="retention", action="list"),
    ("POST", "/dpo/retention"): Policy("signed_in", DPO, audit="retention", action="update"),
}

# The JSON API's commands and reads of meetings, learning and returns: each answers to the same rule as the
# page or form it mirrors (gateway/routes/meetings.py, actions.py, returns.py).
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
POLICIES.update({api: POLICIES[page] for api, page in API_TWINS.items()})


def policy_for(method: str, path: str) -> Policy | None:
    """The policy of a route (HEAD follows GET); None means nobody may reach it."""
    return POLICIES.get(("GET" if method == "HEAD" else method, path))
