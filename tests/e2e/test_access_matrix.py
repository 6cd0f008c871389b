"""The access matrix of the sign-in issue: every route the gateway serves, called as every role (the demo's
Northbridge person in that role, and the two analysts), anonymously, half-way through setting up an account,
and as an agency's system (an API client), about records of the caller's own partnership and of another, of
the caller's own agency and of another. Every answer must be what tests/e2e/access_expectations.py says:
zero leaks, and nobody shut out of what is theirs.

"Allowed" means the request got past access control: any answer but 401, 403, 404 or a redirect to the
sign-in page. A call that would change something sends a form that is refused as invalid once access is
granted, so an allowed call answers 422 and changes nothing. Calls that act on their address alone act on
throwaway accounts, API clients and subject access requests made here; calls that end the caller's session
or replace their recovery codes run as throwaway stand-ins of each person (see ON_THE_CALLER), never on the
demo's shared sessions.
"""

from __future__ import annotations

import html
import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pyotp
import pytest
from fastapi import FastAPI, routing
from starlette.routing import Mount

from caserev.smtp_catcher import caught_messages
from gateway.app import create_app
from gateway.policy import POLICIES
from services.kernel.identity import GRANTABLE_ROLES, Role
from tests.e2e.access_expectations import (
    AGENCY_SYSTEM,
    ANONYMOUS,
    ENROLLING,
    EXPECTATIONS,
    NOTHING,
    PERSON,
    Caller,
    Target,
)
from tests.e2e.helpers import DEMO, Database, SignedIn, csrf_in, gateway_client, sign_in, sign_in_as, wait_for
from tests.support.system import SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")
EASTMOOR = DEMO.partnership("ESP")
CHILD_REVIEW = "NB-2026-014 infant, serious harm"
SAR_REVIEW = "NB-SAR-2026-03"
EASTMOOR_REVIEW = "EM-2026-007 adolescent, extra-familial harm"
POLICE = "Northbridge Police"
HEALTH = "Northbridge Health ICB"


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


# -- the route table ----------------------------------------------------------------------------------------


def routes_of(app: FastAPI) -> Iterable[Any]:
    """Every route with its full path: recent FastAPI keeps included routers nested, older ones flat."""
    contexts = getattr(routing, "iter_route_contexts", None)
    return contexts(app.routes) if contexts is not None else app.routes


def served_routes() -> list[tuple[str, str]]:
    """(method, path template) of every route the app serves, HEAD aside, in the app's order."""
    served: list[tuple[str, str]] = []
    for route in routes_of(create_app()):
        if isinstance(getattr(route, "original_route", route), Mount) or not route.path:
            continue  # the static files: no policy, no case data
        # A websocket route has no HTTP methods: its policy is keyed "WEBSOCKET" (gateway/auth.py).
        for method in sorted(getattr(route, "methods", None) or {"WEBSOCKET"}):
            if method != "HEAD" and (method, route.path) not in served:
                served.append((method, route.path))
    return served


ROUTES = served_routes()
ADD_BOTH = (
    "add its rule to gateway/policy.py (POLICIES) and what DOMAIN.md says of who may use it to "
    "tests/e2e/access_expectations.py (EXPECTATIONS)"
)


def test_every_route_has_a_policy() -> None:
    without = [f"{method} {path}" for method, path in ROUTES if (method, path) not in POLICIES]
    assert not without, f"routes without a policy (refused to everybody): {without}; {ADD_BOTH}"
    stale = [f"{method} {path}" for method, path in POLICIES if (method, path) not in ROUTES]
    assert not stale, f"gateway/policy.py has policies for routes the app does not serve: {stale}"


def test_every_route_has_an_expectation_and_a_probe() -> None:
    without = [f"{method} {path}" for method, path in ROUTES if (method, path) not in EXPECTATIONS]
    assert not without, f"routes the access matrix has no expectation for: {without}; {ADD_BOTH}"
    stale = [f"{method} {path}" for method, path in EXPECTATIONS if (method, path) not in ROUTES]
    assert not stale, f"tests/e2e/access_expectations.py names routes the app does not serve: {stale}"
    for method, path in ROUTES:
        probe_of(method, path)


# -- who calls ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A demo person the matrix signs in as, and what the expectations know of them."""

    label: str
    email: str
    caller: Caller


def _northbridge(*held: str, agency: str | None = None, reviews: frozenset[str] = frozenset()) -> Caller:
    return Caller(PERSON, roles(*held), "NBSCP", agency, reviews)


# One Northbridge person per role, as caserev/demo.py seeds them, with the reviews MEMBERSHIPS makes them
# members of (checked against the gateway before the matrix runs). The child review has Police and Health
# members; the adults review only Health's lead: the "own agency / other agency" dimension.
PEOPLE = (
    Person("business manager", "business.manager@northbridge.example", _northbridge(Role.BUSINESS_MANAGER)),
    Person("safeguarding partner", "partner@northbridge.example", _northbridge(Role.SAFEGUARDING_PARTNER)),
    Person("executive", "executive@northbridge.example", _northbridge(Role.EXECUTIVE)),
    Person(
        "sub-group member",
        "subgroup@northbridge.example",
        _northbridge(Role.SUBGROUP_MEMBER, reviews=frozenset({"child"})),
    ),
    Person(
        "agency lead (Police)",
        "police.lead@northbridge.example",
        _northbridge(Role.AGENCY_LEAD, agency=POLICE, reviews=frozenset({"child"})),
    ),
    Person(
        "agency lead (Health)",
        "health.lead@northbridge.example",
        _northbridge(Role.AGENCY_LEAD, agency=HEALTH, reviews=frozenset({"child", "adults"})),
    ),
    Person(
        "agency author (Police)",
        "police.author@northbridge.example",
        _northbridge(Role.AGENCY_AUTHOR, agency=POLICE, reviews=frozenset({"child"})),
    ),
    Person(
        "independent reviewer",
        "reviewer@northbridge.example",
        _northbridge(Role.INDEPENDENT_REVIEWER, reviews=frozenset({"child"})),
    ),
    Person(
        "action owner",
        "action.owner@northbridge.example",
        _northbridge(
            Role.ACTION_OWNER, agency="Northbridge Children's Services", reviews=frozenset({"child"})
        ),
    ),
    Person("partnership admin", "admin@northbridge.example", _northbridge(Role.PARTNERSHIP_ADMIN)),
    Person("data protection officer", "dpo@northbridge.example", _northbridge(Role.DATA_PROTECTION_OFFICER)),
    # Analysts belong to no partnership; the demo's region (North East) holds both (and synthetic ones).
    Person(
        "regional analyst",
        "regional.analyst@analysts.example",
        Caller(PERSON, roles(Role.REGIONAL_ANALYST), region=frozenset({"NBSCP", "ESP"})),
    ),
    Person(
        "national analyst", "national.analyst@analysts.example", Caller(PERSON, roles(Role.NATIONAL_ANALYST))
    ),
)
ANONYMOUS_CALLER = Caller(ANONYMOUS)
ENROLLING_CALLER = Caller(ENROLLING)
# An agency's system reaches the reviews its agency's people are members of.
POLICE_SYSTEM = Caller(AGENCY_SYSTEM, roles(Role.AGENCY_SYSTEM), "NBSCP", POLICE, frozenset({"child"}))
HEALTH_SYSTEM = Caller(
    AGENCY_SYSTEM, roles(Role.AGENCY_SYSTEM), "NBSCP", HEALTH, frozenset({"child", "adults"})
)


def test_the_matrix_calls_as_every_role_a_person_can_hold() -> None:
    covered = frozenset().union(*(person.caller.roles for person in PEOPLE))
    missing = sorted(set(GRANTABLE_ROLES) - covered)
    assert not missing, f"add a demo person in each of these roles to PEOPLE: {missing}"


# -- how each route is called -------------------------------------------------------------------------------

# What a route's path parameter names, and so which targets it is called about.
TARGETS_BY_PARAMETER = {
    "review_id": "review",
    "user_id": "account",
    "client_id": "api_client",
    "request_id": "subject_access_request",
    "handle": "session",
    "return_id": "agency_return",
    "notification_id": "message",
    "delivery_id": "delivery",
}
# The value of a path parameter that is not the route's target but a part of it: the step every demo review
# has (completed: a change is refused, the page still shows), a pause nobody recorded (an allowed caller's
# empty form is refused as invalid before the pause is looked for), a document every review can draw.
PART_VALUES = {
    "step": "referral",
    "pause_id": "00000000-0000-4000-8000-000000000000",
    "kind": "rapid-review-report",
    "upload_id": "00000000-0000-4000-8000-000000000000",
    "duplicate_id": "00000000-0000-4000-8000-000000000000",
    "connection_id": "00000000-0000-4000-8000-000000000000",
    "meeting_id": "00000000-0000-4000-8000-000000000000",
    "paper_id": "00000000-0000-4000-8000-000000000000",
    "action_id": "00000000-0000-4000-8000-000000000000",
    "evidence_id": "00000000-0000-4000-8000-000000000000",
    "code": "reviews",
    "table_code": "reviews_opened",
    "document_id": "00000000-0000-4000-8000-000000000000",
    "section_id": "00000000-0000-4000-8000-000000000000",
    "version_id": "00000000-0000-4000-8000-000000000000",
    "block": "1",
    "round_id": "00000000-0000-4000-8000-000000000000",
    "check_id": "00000000-0000-4000-8000-000000000000",
    "comment_id": "00000000-0000-4000-8000-000000000000",
}
TOO_LONG = "x" * 1025  # longer than any form field's limit: refused (422) before the route's code runs


@dataclass(frozen=True)
class Probe:
    """How the matrix calls a route: about which kind of target, with what form, JSON body or query.

    `shows_target`, for a route that answers a target it refuses with the caller's own record instead
    of an error: whether a successful answer is about the target asked for. `streams`: the answer is an
    event stream that never ends by itself, so only its status and headers are read.
    """

    targets: str = "none"
    form: dict[str, str] = field(default_factory=dict)
    json_for: Callable[[Target, str], Any] | None = None
    query_for: Callable[[Target, str], dict[str, str]] | None = None
    shows_target: Callable[[httpx.Response, str], bool] | None = None
    streams: bool = False


def _open_review_body(target: Target, partnership_id: str) -> dict[str, str]:
    if target.partnership == "NBSCP":
        return {"partnership_id": partnership_id}  # incomplete: refused as invalid once allowed
    # Complete, in another partnership: only a leak would open it.
    return {"review_type": "child_safeguarding", "partnership_id": partnership_id, "title": "AM-0001 matrix"}


def _the_partnership(target: Target, partnership_id: str) -> dict[str, str]:
    return {"partnership_id": partnership_id}


def _dashboard_of(response: httpx.Response, partnership_id: str) -> bool:
    """The dashboard names whose figures it shows above its heading."""
    name = next(p.name for p in DEMO.partnerships if str(p.id) == partnership_id)
    return f'<span class="govuk-caption-xl">{html.escape(name)}</span>' in response.text


def _lists_return(response: httpx.Response, return_id: str) -> bool:
    """The returns list shows the return asked about (a link to it)."""
    return f'href="/returns/{return_id}"' in response.text


def _lists_return_as_json(response: httpx.Response, return_id: str) -> bool:
    """The JSON list of returns holds the return asked about."""
    return any(entry.get("id") == return_id for entry in response.json())


PROBES = {
    ("POST", "/sign-in"): Probe(form={"email": TOO_LONG}),  # never a failed sign-in: no throttling
    ("GET", "/invitations/{token}"): Probe(targets="invitation"),
    ("POST", "/invitations/{token}"): Probe(targets="invitation", form={"password": TOO_LONG}),
    ("POST", "/password-reset"): Probe(form={"email": TOO_LONG}),
    ("GET", "/password-reset/{token}"): Probe(targets="password_reset"),
    ("POST", "/password-reset/{token}"): Probe(targets="password_reset", form={"password": TOO_LONG}),
    ("POST", "/set-up-authenticator"): Probe(form={"pending": TOO_LONG}),
    ("POST", "/api/reviews"): Probe(targets="partnership", json_for=_open_review_body),
    ("GET", "/api/review-counts"): Probe(targets="partnership", query_for=_the_partnership),
    # Another partnership's figures asked for, the dashboard shows the caller's own: that is a refusal.
    ("GET", "/dashboard"): Probe(
        targets="partnership", query_for=_the_partnership, shows_target=_dashboard_of
    ),
    # The dashboards: asked for a partnership's figures, the analytics service refuses one the caller may not
    # see (403), and the stream of a page of such figures is not found.
    ("GET", "/dashboards/{code}"): Probe(targets="partnership", query_for=_the_partnership),
    ("GET", "/dashboards/{code}/{table_code}.csv"): Probe(targets="partnership", query_for=_the_partnership),
    ("GET", "/api/dashboards/{code}"): Probe(targets="partnership", query_for=_the_partnership),
    ("GET", "/dashboards/{code}/stream"): Probe(
        targets="partnership", query_for=_the_partnership, streams=True
    ),
    ("POST", "/admin/users/{user_id}/deactivate"): Probe(targets="account_to_deactivate"),
    # Too long a field: refused before the route runs, so no password is checked or changed.
    ("POST", "/account/password"): Probe(form={"current_password": TOO_LONG}),
    ("POST", "/account/recovery-codes"): Probe(form={"current_password": TOO_LONG}),
    # With a password that is wrong for everyone: a leak would show as 422 (asked for the password) rather
    # than 404, and no session is ended by the matrix.
    ("POST", "/account/sessions/{handle}"): Probe(targets="session", form={"current_password": "not it"}),
    ("GET", "/notifications/stream"): Probe(streams=True),
    # The returns list answers everyone it admits with their own list: asked about one return, it is
    # allowed only if that return is on it.
    ("GET", "/returns"): Probe(targets="agency_return", shows_target=_lists_return),
    ("GET", "/api/returns"): Probe(targets="agency_return", shows_target=_lists_return_as_json),
}

# Routes that act on the caller's own account or session: a person calls them as a throwaway stand-in with
# the same roles, from the stand-in's first or second session, in this order, after every other route.
# Analysts have no stand-in (a partnership administrator may not grant their roles): they call the routes
# of the first session from a fresh session of their own, and never the one that ends every session.
ON_THE_CALLER = {
    ("POST", "/account/recovery-codes"): 0,
    ("POST", "/sign-out"): 0,
    ("POST", "/account/sign-out-everywhere"): 1,
}


def probe_of(method: str, path: str) -> Probe:
    """The probe of a route: its own, or the default for its method and path parameter."""
    if (method, path) in PROBES:
        return PROBES[method, path]
    parameters = [p for p in re.findall(r"{(\w+)}", path) if p not in PART_VALUES]
    unknown = [p for p in parameters if p not in TARGETS_BY_PARAMETER]
    assert not unknown, (
        f"{method} {path}: the access matrix does not know what {unknown} names; add a Probe to PROBES in "
        "tests/e2e/test_access_matrix.py, with targets of the caller's own partnership and of another"
    )
    return Probe(targets=TARGETS_BY_PARAMETER[parameters[0]] if parameters else "none")


# -- the callers' seats: a client, and the CSRF token of its session ----------------------------------------


@dataclass
class Seat:
    """One caller's way in: an HTTP client (cookies or bearer token) and the CSRF token its forms carry."""

    label: str
    caller: Caller
    client: httpx.Client
    csrf: str | None = None
    email: str | None = None
    # A person's throwaway stand-ins' sessions, for the routes of ON_THE_CALLER.
    stand_in: list[Seat] = field(default_factory=list)
    stand_in_fresh: list[Seat] = field(default_factory=list)


@dataclass
class World:
    """Everyone and everything the matrix calls, made through the real pages."""

    system: SystemEnv
    seats: list[Seat]
    targets: dict[str, list[tuple[Target, str]]]


def _uuid_at_end(location: str, pattern: str) -> str:
    found = re.search(pattern + r"([0-9a-f-]{36})", location)
    assert found, f"no id in the redirect to {location!r}"
    return found.group(1)


def _agency_id(code: str, name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO.namespace, f"agency:{code}:{name}")


def _user_id(email: str) -> uuid.UUID:
    return uuid.uuid5(DEMO.namespace, "user:" + email)


def invite(admin: SignedIn, csrf: str, email: str, held: frozenset[str], agency: uuid.UUID | None) -> str:
    """Invite a throwaway person through the administrator's page; their account's id."""
    response = admin.client.post(
        "/admin/users/invite",
        data={
            "display_name": "Throwaway " + email.split("@")[0].split(".")[-1],
            "email": email,
            "agency_id": str(agency or ""),
            "roles": sorted(held),
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 303, f"inviting {email}: {response.status_code} {response.text[:500]}"
    return _uuid_at_end(response.headers["location"], "/admin/users/")


def link_in_mail(system: SystemEnv, email: str, path: str) -> str:
    """The token of the newest link to `path` e-mailed to `email`."""

    def token() -> str | None:
        for message in caught_messages(system.maildir, limit=1000):
            found = re.search(rf"{path}/([A-Za-z0-9_-]+)", message.body)
            if email in message.recipients and found:
                return found.group(1)
        return None

    return str(wait_for(token, message=f"an e-mail to {email} with a {path} link"))


def start_setting_up(system: SystemEnv, token: str, password: str) -> httpx.Client:
    """Open an invitation and choose a password: a session that may only set up the authenticator."""
    client = gateway_client(system)
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200, f"the invitation link does not open: {page.status_code}"
    response = client.post(
        f"/invitations/{token}",
        data={"password": password, "confirm_password": password, "csrf_token": csrf_in(page.text)},
    )
    assert response.status_code == 303, f"choosing a password: {response.status_code} {response.text[:500]}"
    return client


def finish_setting_up(client: httpx.Client) -> list[str]:
    """Confirm an authenticator app with a code: a full session; returns the recovery codes."""
    page = client.get("/set-up-authenticator")
    assert page.status_code == 200, f"the set-up page: {page.status_code}"
    key = re.search(r'id="setup-key">([^<]+)<', page.text)
    pending = re.search(r'name="pending" value="([^"]+)"', page.text)
    assert key and pending, "the set-up page shows no setup key or pending secret"
    secret = html.unescape(key.group(1)).replace(" ", "")
    response = client.post(
        "/set-up-authenticator",
        data={
            "pending": html.unescape(pending.group(1)),
            "code": pyotp.TOTP(secret).now(),
            "csrf_token": csrf_in(page.text),
        },
    )
    assert response.status_code == 200, f"confirming the app: {response.status_code} {response.text[:500]}"
    codes = re.findall(r"<li>\s*([A-Za-z0-9]{5}-[A-Za-z0-9]{5})\s*</li>", response.text)
    assert codes, "no recovery codes shown after setting up"
    return codes


def issue_api_client(admin: SignedIn, csrf: str, name: str, agency: uuid.UUID) -> tuple[str, str, str]:
    """Issue an API client on the administrator's page: (client id, secret, the client's row id)."""
    response = admin.client.post(
        "/admin/api-clients", data={"name": name, "agency_id": str(agency), "csrf_token": csrf}
    )
    assert response.status_code == 200, f"issuing {name}: {response.status_code} {response.text[:500]}"
    client_id = re.search(r'id="issued-client-id">([^<]+)<', response.text)
    secret = re.search(r'id="issued-client-secret">([^<]+)<', response.text)
    assert client_id and secret, "the page does not show the issued client's id and secret"
    row = re.search(
        rf"<code>{re.escape(client_id.group(1))}</code>.*?/admin/api-clients/([0-9a-f-]{{36}})/revoke",
        response.text,
        re.S,
    )
    assert row, f"the page lists no revoke form for {name}"
    return html.unescape(client_id.group(1)), html.unescape(secret.group(1)), row.group(1)


def bearer_client(system: SystemEnv, client_id: str, secret: str) -> httpx.Client:
    """A client of the gateway holding an access token of the API client."""
    client = gateway_client(system)
    response = client.post(
        "/api/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200, f"exchanging {client_id}: {response.status_code} {response.text}"
    client.headers["Authorization"] = "Bearer " + response.json()["access_token"]
    return client


def log_subject_access_request(dpo: SignedIn, reference: str) -> str:
    """Log a subject access request on the officer's register; its id."""
    today = datetime.now(ZoneInfo("Europe/London")).date()
    response = dpo.client.post(
        "/dpo/subject-access-requests",
        data={
            "reference": reference,
            "requester": "Access matrix test",
            "subject_email": "",
            "received_on-day": str(today.day),
            "received_on-month": str(today.month),
            "received_on-year": str(today.year),
            "csrf_token": dpo.csrf(),
        },
    )
    assert response.status_code == 303, f"logging {reference}: {response.status_code} {response.text[:500]}"
    return _uuid_at_end(response.headers["location"], "logged=")


def reviews_by_title(manager: SignedIn) -> dict[str, dict[str, Any]]:
    response = manager.client.get("/api/reviews")
    assert response.status_code == 200, f"{manager.email} lists reviews: {response.status_code}"
    return {review["title"]: review for review in response.json()}


def first_id_on(person: SignedIn, path: str, prefix: str) -> str:
    """The id of the first record a page lists (an element id `<prefix><uuid>`), waiting for the
    notifications service to have written what the demo caused."""

    def found() -> str | None:
        response = person.client.get(path)
        assert response.status_code == 200, f"{person.email} opens {path}: {response.status_code}"
        match = re.search(rf'id="{prefix}([0-9a-f-]{{36}})"', response.text)
        return match.group(1) if match else None

    return str(wait_for(found, message=f"{path} of {person.email} to list something"))


def check_demo_reviews(manager: SignedIn, reviews: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """The matrix's expectations assume the demo's memberships and no sharing: fail here if that changed."""
    ours = {_user_id(person.email): person for person in PEOPLE}
    for key, (title, review) in reviews.items():
        assert not review["shared_with"], (
            f"{title} is shared with {review['shared_with']}: the matrix assumes not"
        )
        if review["partnership_id"] != str(NORTHBRIDGE.id):
            continue
        response = manager.client.get(f"/reviews/{review['id']}/people")
        assert response.status_code == 200, f"the members of {title}: {response.status_code}"
        members = {
            ours[uuid.UUID(m["user_id"])].label for m in response.json() if uuid.UUID(m["user_id"]) in ours
        }
        expected = {person.label for person in PEOPLE if key in person.caller.reviews}
        assert members == expected, f"{title} has members {sorted(members)}; PEOPLE says {sorted(expected)}"


@pytest.fixture(scope="module")
def world(system: SystemEnv) -> Iterator[World]:
    run = secrets.token_hex(3)
    people = {person.email: sign_in(system, person.email) for person in PEOPLE}
    admin = people["admin@northbridge.example"]
    admin_csrf = admin.csrf()
    eastmoor_admin = sign_in(system, "admin@eastmoor.example")
    eastmoor_admin_csrf = eastmoor_admin.csrf()

    # Reviews: the demo's, found as each partnership's business manager.
    northbridge = reviews_by_title(people["business.manager@northbridge.example"])
    eastmoor = reviews_by_title(sign_in(system, "business.manager@eastmoor.example"))
    for title, found in ((CHILD_REVIEW, northbridge), (SAR_REVIEW, northbridge), (EASTMOOR_REVIEW, eastmoor)):
        assert title in found, f"the demo review {title!r} is missing"
    demo_reviews = {
        "child": (CHILD_REVIEW, northbridge[CHILD_REVIEW]),
        "adults": (SAR_REVIEW, northbridge[SAR_REVIEW]),
        "eastmoor": (EASTMOOR_REVIEW, eastmoor[EASTMOOR_REVIEW]),
    }
    check_demo_reviews(people["business.manager@northbridge.example"], demo_reviews)

    # Throwaway accounts: targets for the account routes, an invitation to open, someone mid-way through
    # setting up, and a stand-in for each person (same roles and agency) whose sessions may be ended.
    def address(name: str, domain: str = "northbridge.example") -> str:
        return f"matrix.{run}.{name}@{domain}"

    deactivated = invite(admin, admin_csrf, address("deactivated"), roles(Role.ACTION_OWNER), None)
    northbridge_account = invite(admin, admin_csrf, address("account"), roles(Role.ACTION_OWNER), None)
    eastmoor_account = invite(
        eastmoor_admin,
        eastmoor_admin_csrf,
        address("account", "eastmoor.example"),
        roles(Role.EXECUTIVE),
        None,
    )
    invite(admin, admin_csrf, address("invited"), roles(Role.EXECUTIVE), None)
    invite(admin, admin_csrf, address("enrolling"), roles(Role.BUSINESS_MANAGER), None)
    analysts = (Role.REGIONAL_ANALYST, Role.NATIONAL_ANALYST)
    stand_ins = {}
    for number, person in enumerate(PEOPLE):
        if person.caller.roles.isdisjoint(analysts):
            agency = _agency_id("NBSCP", person.caller.agency) if person.caller.agency else None
            stand_ins[person.email] = address(f"standin{number}")
            invite(admin, admin_csrf, stand_ins[person.email], person.caller.roles, agency)

    password = "Mx " + secrets.token_urlsafe(18)
    enrolling = start_setting_up(system, link_in_mail(system, address("enrolling"), "/invitations"), password)
    enrolling_page = enrolling.get("/set-up-authenticator")
    assert enrolling_page.status_code == 200, f"the set-up page: {enrolling_page.status_code}"
    seats: list[Seat] = []
    for person in PEOPLE:
        signed_in = people[person.email]
        seat = Seat(person.label, person.caller, signed_in.client, signed_in.csrf(), person.email)
        seats.append(seat)
        if person.email not in stand_ins:
            continue
        email = stand_ins[person.email]
        first = start_setting_up(system, link_in_mail(system, email, "/invitations"), password)
        codes = finish_setting_up(first)
        second, response = sign_in_as(system, email, password, codes[0], recovery=True)
        assert response.status_code == 303, f"{email} signs in with a recovery code: {response.status_code}"
        stand_in_caller = Caller(PERSON, person.caller.roles, "NBSCP", person.caller.agency)
        seat.stand_in = [
            Seat(f"{person.label} (stand-in)", stand_in_caller, client, SignedIn(client, email).csrf(), email)
            for client in (first, second)
        ]
    anonymous = gateway_client(system)
    seats.append(Seat("anonymous", ANONYMOUS_CALLER, anonymous, csrf_in(anonymous.get("/sign-in").text)))
    seats.append(Seat("setting up an account", ENROLLING_CALLER, enrolling, csrf_in(enrolling_page.text)))

    # A password reset link of a set-up throwaway account, asked for as anyone would.
    reset_page = anonymous.get("/password-reset")
    asked = anonymous.post(
        "/password-reset", data={"email": stand_ins[PEOPLE[0].email], "csrf_token": csrf_in(reset_page.text)}
    )
    assert asked.status_code == 200, f"asking for a password reset: {asked.status_code} {asked.text[:300]}"

    # API clients: the Police's and Health's systems act in the matrix; two more are there to be revoked.
    police = issue_api_client(admin, admin_csrf, f"Matrix police {run}", _agency_id("NBSCP", POLICE))
    health = issue_api_client(admin, admin_csrf, f"Matrix health {run}", _agency_id("NBSCP", HEALTH))
    _, _, revocable = issue_api_client(admin, admin_csrf, f"Matrix revoke {run}", _agency_id("NBSCP", POLICE))
    _, _, eastmoor_client = issue_api_client(
        eastmoor_admin, eastmoor_admin_csrf, f"Matrix eastmoor {run}", _agency_id("ESP", "Eastmoor Police")
    )
    seats.append(Seat("API client (Police)", POLICE_SYSTEM, bearer_client(system, *police[:2])))
    seats.append(Seat("API client (Health)", HEALTH_SYSTEM, bearer_client(system, *health[:2])))

    northbridge_request = log_subject_access_request(people["dpo@northbridge.example"], f"AM-{run}-NB")
    eastmoor_request = log_subject_access_request(sign_in(system, "dpo@eastmoor.example"), f"AM-{run}-EM")

    # Live sessions of people who are not callers of the matrix: one in each partnership.
    session_owner = address("sessionowner")
    invite(admin, admin_csrf, session_owner, roles(Role.ACTION_OWNER), None)
    finish_setting_up(start_setting_up(system, link_in_mail(system, session_owner, "/invitations"), password))
    database = Database(system.db_name)
    live_handle = (
        "SELECT s.handle::text FROM identity.session s JOIN identity.user_account u ON u.id = s.user_id"
        " WHERE u.email = %s AND s.stage = 'full' AND s.ended_at IS NULL ORDER BY s.created_at DESC LIMIT 1"
    )
    northbridge_session = database.scalar(live_handle, (session_owner,))
    eastmoor_session = database.scalar(live_handle, ("dpo@eastmoor.example",))
    database.close()
    assert northbridge_session and eastmoor_session, "the sessions the matrix asks about are not live"

    # The demo's rapid review returns: the Police's and Health's of the child review, and one of Eastmoor's.
    return_of = (
        "SELECT r.id::text FROM forms.agency_return r JOIN forms.review v ON v.id = r.review_id"
        " WHERE v.title = %s AND r.agency_name = %s"
    )
    database = Database(system.db_name)
    demo_returns = {
        (title, agency): database.scalar(return_of, (title, agency))
        for title, agency in (
            (CHILD_REVIEW, POLICE),
            (CHILD_REVIEW, HEALTH),
            (EASTMOOR_REVIEW, "Eastmoor Police"),
        )
    }
    database.close()
    assert all(demo_returns.values()), f"the demo's returns the matrix asks about are missing: {demo_returns}"

    # Messages and e-mail the notifications service sent about the demo: a message to Eastmoor's business
    # manager (nobody in the matrix may mark it read), and an e-mail of each partnership's log.
    eastmoor_manager = sign_in(system, "business.manager@eastmoor.example")
    eastmoor_message = first_id_on(eastmoor_manager, "/notifications", "message-")
    deliveries = {
        "NBSCP": first_id_on(people["business.manager@northbridge.example"], "/messages/sent", "delivery-"),
        "ESP": first_id_on(eastmoor_manager, "/messages/sent", "delivery-"),
    }

    eastmoor_account_target = (Target("Eastmoor account", "ESP"), eastmoor_account)
    targets = {
        "none": [(NOTHING, "")],
        "review": [
            (
                Target("Northbridge review, Police and Health members", "NBSCP", "child"),
                demo_reviews["child"][1]["id"],
            ),
            (
                Target("Northbridge review, Health member only", "NBSCP", "adults"),
                demo_reviews["adults"][1]["id"],
            ),
            (Target("Eastmoor review", "ESP", "eastmoor"), demo_reviews["eastmoor"][1]["id"]),
        ],
        "agency_return": [
            (
                Target("Northbridge child review, the Police's return", "NBSCP", "child", agency=POLICE),
                demo_returns[CHILD_REVIEW, POLICE],
            ),
            (
                Target("Northbridge child review, Health's return", "NBSCP", "child", agency=HEALTH),
                demo_returns[CHILD_REVIEW, HEALTH],
            ),
            (
                Target(
                    "Eastmoor review, Eastmoor Police's return", "ESP", "eastmoor", agency="Eastmoor Police"
                ),
                demo_returns[EASTMOOR_REVIEW, "Eastmoor Police"],
            ),
        ],
        "account": [(Target("Northbridge account", "NBSCP"), northbridge_account), eastmoor_account_target],
        "account_to_deactivate": [
            (Target("Northbridge account (deactivated here)", "NBSCP"), deactivated),
            eastmoor_account_target,
        ],
        "api_client": [
            (Target("Northbridge client", "NBSCP"), revocable),
            (Target("Eastmoor client", "ESP"), eastmoor_client),
        ],
        "subject_access_request": [
            (Target("Northbridge request", "NBSCP"), northbridge_request),
            (Target("Eastmoor request", "ESP"), eastmoor_request),
        ],
        "partnership": [
            (Target("Northbridge", "NBSCP"), str(NORTHBRIDGE.id)),
            (Target("Eastmoor", "ESP"), str(EASTMOOR.id)),
        ],
        "session": [
            (Target("Northbridge person's session", "NBSCP"), northbridge_session),
            (Target("Eastmoor person's session", "ESP"), eastmoor_session),
        ],
        "message": [
            (Target("Eastmoor business manager's message", "ESP"), eastmoor_message),
            (Target("a message nobody has"), "00000000-0000-4000-8000-000000000000"),
        ],
        "delivery": [
            (Target("Northbridge e-mail", "NBSCP"), deliveries["NBSCP"]),
            (Target("Eastmoor e-mail", "ESP"), deliveries["ESP"]),
        ],
        "invitation": [
            (Target("a live invitation"), link_in_mail(system, address("invited"), "/invitations"))
        ],
        "password_reset": [
            (
                Target("a live reset link"),
                link_in_mail(system, stand_ins[PEOPLE[0].email], "/password-reset"),
            )
        ],
    }
    yield World(system, seats, targets)
    for seat in seats:
        if seat.caller.kind != PERSON:  # the people's clients belong to the shared sign-in cache
            seat.client.close()
        for stand_in in seat.stand_in + seat.stand_in_fresh:
            stand_in.client.close()


# -- the matrix ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One call of the matrix and what came of it."""

    method: str
    path: str
    caller: str
    target: str
    expected: bool
    status: int
    location: str
    shows_target: bool = True

    @property
    def allowed(self) -> bool:
        """The request got past access control (and, where the probe can tell, was answered about its
        target)."""
        if self.status in (401, 403, 404) or not self.shows_target:
            return False
        return not (300 <= self.status < 400 and urlsplit(self.location).path == "/sign-in")

    def line(self) -> str:
        answer = f"{self.status}" + (f" -> {self.location}" if self.location else "")
        answer += "" if self.shows_target else " (about another target)"
        return f"  {self.method} {self.path} | {self.caller} | {self.target} | got {answer}"


def call(seat: Seat, method: str, path: str, probe: Probe, target: Target, value: str) -> Cell:
    address = re.sub(r"{(\w+)}", lambda found: PART_VALUES.get(found.group(1), value), path)
    headers = {"X-CSRF-Token": seat.csrf} if seat.csrf and method != "GET" else {}
    request: dict[str, Any] = {"headers": headers}
    if probe.query_for is not None:
        request["params"] = probe.query_for(target, value)
    if probe.json_for is not None:
        request["json"] = probe.json_for(target, value)
    elif method != "GET":
        request["data"] = {**probe.form, **({"csrf_token": seat.csrf} if seat.csrf else {})}
    try:
        if probe.streams:
            with seat.client.stream(method, address, **request) as response:
                pass  # the status and headers are the answer; closing ends the stream
        else:
            response = seat.client.request(method, address, **request)
    except httpx.TransportError as exc:
        where = f"{method} {path} as {seat.label} on {target.label}"
        raise AssertionError(f"{where}: no answer ({exc!r})") from exc
    return Cell(
        method,
        path,
        seat.label,
        target.label,
        EXPECTATIONS[method, path](seat.caller, target),
        response.status_code,
        response.headers.get("location", ""),
        probe.shows_target is None or not response.is_success or probe.shows_target(response, value),
    )


def seat_on_the_caller(world: World, seat: Seat, route: tuple[str, str]) -> Seat | None:
    """Who calls a route of ON_THE_CALLER for a seat: a person's stand-in, a fresh session of an analyst
    (None for the route that would end their shared session too), everyone else as they are."""
    if seat.caller.kind != PERSON:
        return seat
    session = ON_THE_CALLER[route]
    if seat.stand_in:
        return seat.stand_in[session]
    if session > 0 or seat.email is None:
        return None
    if not seat.stand_in_fresh:
        fresh = sign_in(world.system, seat.email, fresh=True)
        seat.stand_in_fresh.append(
            Seat(f"{seat.label} (own fresh session)", seat.caller, fresh.client, fresh.csrf())
        )
    return seat.stand_in_fresh[0]


def run_matrix(world: World) -> tuple[list[Cell], list[str]]:
    """Every cell, and the cells not called (with why)."""
    cells: list[Cell] = []
    not_called: list[str] = []
    last = [route for route in ON_THE_CALLER if route in ROUTES]
    for method, path in [route for route in ROUTES if route not in ON_THE_CALLER] + last:
        probe = probe_of(method, path)
        if method == "WEBSOCKET":
            not_called.append(
                f"  {method} {path} | everyone | a handshake, probed by tests/e2e/test_reports.py"
            )
            continue
        for seat in world.seats:
            caller_seat = seat_on_the_caller(world, seat, (method, path)) if (method, path) in last else seat
            if caller_seat is None:
                not_called.append(f"  {method} {path} | {seat.label} | would end the demo's shared session")
                continue
            for target, value in world.targets[probe.targets]:
                cells.append(call(caller_seat, method, path, probe, target, value))
    return cells, not_called


# Every route as every caller: thousands of requests, about four minutes on a quiet machine; the suite's
# 300 s a test would fail it on a busy one for being slow, not wrong.
@pytest.mark.timeout(1200)
def test_every_caller_reaches_exactly_what_is_theirs(world: World) -> None:
    cells, not_called = run_matrix(world)
    leaks = [cell for cell in cells if cell.allowed and not cell.expected]
    over_blocks = [cell for cell in cells if cell.expected and not cell.allowed]
    # 503 is a health report's "degraded", or a service not answering: not the probe's doing.
    broken = [cell for cell in cells if cell.status >= 500 and cell.status != 503]
    allowed = sum(cell.allowed for cell in cells)
    summary = (
        f"access matrix: {len(cells)} cells ({len(ROUTES)} routes x {len(world.seats)} callers x their "
        f"targets): {allowed} allowed, {len(cells) - allowed} denied; {len(leaks)} leaks, "
        f"{len(over_blocks)} over-blocks, {len(broken)} server errors"
    )
    if not_called:
        summary += f"; {len(not_called)} not called:\n" + "\n".join(not_called)
    print(summary)
    report = [summary]
    for heading, found in (
        ("LEAKS (expected denied, got past access control)", leaks),
        ("OVER-BLOCKS (expected allowed, refused)", over_blocks),
        ("SERVER ERRORS (the probe broke the route)", broken),
    ):
        if found:
            report += [heading + ":", *(cell.line() for cell in found)]
    assert not (leaks or over_blocks or broken), (
        "\n".join(report) + "\nA leak or over-block means gateway/policy.py (or a route's own check) and "
        "tests/e2e/access_expectations.py disagree: decide from DOMAIN.md which is wrong."
    )
