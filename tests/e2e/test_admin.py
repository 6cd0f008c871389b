"""Account administration through the running gateway: a partnership administrator invites people, resets
their security codes, deactivates them, keeps the agencies and issues API clients, for their own
partnership only and without seeing any case data; an API client gets a bearer token by the OAuth 2.0
client credentials grant and reads the API as its agency's system."""

from __future__ import annotations

import hashlib
import html
import re
import uuid
from typing import Any

import httpx
import pyotp
import pytest

from caserev.smtp_catcher import CaughtMessage, caught_messages
from tests.e2e.helpers import DEMO, Database, SignedIn, csrf_in, fresh_code, gateway_client, sign_in, wait_for
from tests.support.system import SystemEnv, caserev

NORTHBRIDGE_ADMIN = "admin@northbridge.example"
EASTMOOR_ADMIN = "admin@eastmoor.example"
NORTHBRIDGE_MANAGER = "business.manager@northbridge.example"
INVITATION_LINK = re.compile(r"https?://\S+/invitations/([A-Za-z0-9_-]+)")
USER_PAGE = re.compile(r"^/admin/users/([0-9a-f-]{36})\?done=invited$")
# A password the gateway accepts: long, not common, nothing of the person's name or address.
NEW_PASSWORD = "copper lantern meadow thistle quietly"


def invented_person() -> tuple[str, str]:
    """An invented name and a Northbridge address no other test uses."""
    tag = uuid.uuid4().hex[:8]
    return f"Robin Testfield {tag}", f"robin.testfield.{tag}@northbridge.example"


def mail_to(system: SystemEnv, address: str) -> list[CaughtMessage]:
    return [m for m in caught_messages(system.maildir) if address in m.recipients]


def wait_for_mail(system: SystemEnv, address: str, subject: str) -> CaughtMessage:
    """The message to an address whose subject contains `subject` (any case), once it has arrived."""
    found = wait_for(
        lambda: [m for m in mail_to(system, address) if subject.lower() in m.subject.lower()],
        message=f"an e-mail to {address} about {subject!r}",
    )
    assert len(found) == 1, f"expected one e-mail about {subject!r} to {address}, got {len(found)}"
    return found[0]


def invite(
    admin: SignedIn, name: str, email: str, roles: tuple[str, ...] = ("subgroup_member",), **extra: str
) -> httpx.Response:
    return admin.post_form(
        "/admin/users/invite", {"display_name": name, "email": email, "roles": list(roles), **extra}
    )


def invited_id(response: httpx.Response) -> str:
    assert response.status_code == 303, (
        f"the invitation was refused: {response.status_code} {response.text[:500]}"
    )
    found = USER_PAGE.match(response.headers["location"])
    assert found, f"an invitation should lead to the new user's page, not {response.headers['location']}"
    return found.group(1)


def accept_invitation(system: SystemEnv, email: str, token: str) -> tuple[httpx.Client, str]:
    """Follow an invitation as the person would: create a password, set up an authenticator app. Returns
    their signed-in client and their TOTP secret."""
    client = gateway_client(system)
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200, page.text[:300]
    answer = client.post(
        f"/invitations/{token}",
        data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "csrf_token": csrf_in(page.text)},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/set-up-authenticator", answer.text[
        :500
    ]
    setup = client.get("/set-up-authenticator")
    assert setup.status_code == 200, setup.text[:300]
    secret = re.search(r'id="setup-key">([^<]+)<', setup.text)
    pending = re.search(r'name="pending" value="([^"]+)"', setup.text)
    assert secret and pending, "the set-up page should show the key to type and carry the pending secret"
    totp_secret = secret.group(1).replace(" ", "")
    done = client.post(
        "/set-up-authenticator",
        data={
            "pending": pending.group(1),
            "code": fresh_code(system, email, totp_secret),
            "csrf_token": csrf_in(setup.text),
        },
    )
    assert done.status_code == 200, done.text[:500]
    assert client.get("/account").status_code == 200, "the new account should be signed in after set-up"
    return client, totp_secret


@pytest.fixture(scope="module")
def admin(system: SystemEnv) -> SignedIn:
    return sign_in(system, NORTHBRIDGE_ADMIN)


@pytest.fixture(scope="module")
def eastmoor_admin(system: SystemEnv) -> SignedIn:
    return sign_in(system, EASTMOOR_ADMIN)


@pytest.fixture()
def enrolled(system: SystemEnv, admin: SignedIn) -> dict[str, Any]:
    """A person invited by the Northbridge administrator who has set up their account and is signed in."""
    name, email = invented_person()
    user_id = invited_id(invite(admin, name, email))
    token = INVITATION_LINK.search(wait_for_mail(system, email, "invited").body)
    assert token, "the invitation should carry a link to /invitations/..."
    client, secret = accept_invitation(system, email, token.group(1))
    return {"id": user_id, "email": email, "name": name, "client": client, "secret": secret}


# -- inviting ------------------------------------------------------------------------------------------------


def test_an_invitation_creates_one_account_and_emails_a_single_use_link(
    system: SystemEnv, admin: SignedIn, db: Database
) -> None:
    name, email = invented_person()
    response = invite(admin, name, email, roles=("subgroup_member", "action_owner"))
    user_id = invited_id(response)

    page = admin.client.get(response.headers["location"])
    assert page.status_code == 200
    assert f"Invitation sent to {email}" in page.text
    assert ">Invited<" in page.text
    rows = db.rows(
        "SELECT u.partnership_id, u.password_hash, u.totp_secret, array_agg(r.role ORDER BY r.role)"
        " FROM identity.user_account u JOIN identity.user_role r ON r.user_id = u.id"
        " WHERE lower(u.email) = lower(%s) GROUP BY u.id",
        (email,),
    )
    assert len(rows) == 1, f"one account should exist for {email}, found {len(rows)}"
    partnership_id, password_hash, totp_secret, roles = rows[0]
    assert str(partnership_id) == str(DEMO.partnership("NBSCP").id)
    assert password_hash is None and totp_secret is None
    assert roles == ["action_owner", "subgroup_member"]

    message = wait_for_mail(system, email, "invited")
    assert len(mail_to(system, email)) == 1, "the invitation should be the only e-mail"
    link = INVITATION_LINK.search(message.body)
    assert link, f"the invitation should carry a link to /invitations/...:\n{message.body}"
    assert "/reviews" not in message.body, "an invitation must say nothing about any review"
    for title, *_ in DEMO.reviews:
        assert title not in message.body, "an invitation must say nothing about any case"

    accept_invitation(system, email, link.group(1))
    again = gateway_client(system).get(f"/invitations/{link.group(1)}")
    assert again.status_code == 404, "an invitation link should work once only"
    assert ">Active<" in admin.client.get(f"/admin/users/{user_id}").text, "a set-up account should be Active"


def test_sending_the_same_invitation_twice_creates_one_account_and_says_why(
    admin: SignedIn, db: Database
) -> None:
    name, email = invented_person()
    invited_id(invite(admin, name, email))

    second = invite(admin, name, email.upper())

    assert second.status_code == 422, second.text[:500]
    assert "An account already uses this email address" in second.text
    assert 'href="#email"' in second.text, "the error summary should link to the email field"
    assert (
        db.scalar("SELECT count(*) FROM identity.user_account WHERE lower(email) = lower(%s)", (email,)) == 1
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"display_name": "", "email": "not an address", "roles": []},
            {
                "display_name": "Enter the person's full name",
                "email": "Enter an email address in the correct format",
                "roles": "Select at least one role",
            },
        ),
        (
            {"display_name": "Robin Testfield", "roles": ["agency_lead"], "agency_id": ""},
            {"agency_id": "Select the agency this person works for"},
        ),
        (
            {"display_name": "Robin Testfield", "roles": ["not_a_role"], "agency_id": str(uuid.uuid4())},
            {"agency_id": "Select one of the partnership's agencies", "roles": "Select roles from the list"},
        ),
    ],
    ids=["no-name-bad-email-no-roles", "agency-role-without-agency", "unknown-agency-and-role"],
)
def test_an_invitation_with_problems_names_each_field_and_stores_nothing(
    admin: SignedIn, db: Database, fields: dict[str, Any], expected: dict[str, str]
) -> None:
    email = fields.pop("email", None) or invented_person()[1]
    before = db.count("identity.user_account")

    response = admin.post_form("/admin/users/invite", {**fields, "email": email})

    assert response.status_code == 422, response.text[:500]
    for field, message in expected.items():
        assert f'href="#{field}"' in response.text, f"the error summary should link to {field}"
        assert f'id="{field}-error"' in response.text, f"{field} should show its own error message"
        assert message in html.unescape(response.text), f"expected the message {message!r}"
    assert db.count("identity.user_account") == before, "nothing may be stored while the form has problems"


# -- who may do what -----------------------------------------------------------------------------------------


def test_an_administrator_cannot_make_an_analyst_who_would_see_other_partnerships(
    admin: SignedIn, db: Database
) -> None:
    email = f"analyst-{uuid.uuid4().hex[:6]}@northbridge.example"
    response = invite(admin, "Robin Analyst-Attempt", email, roles=("national_analyst",))
    assert response.status_code == 422, response.status_code
    assert "Select roles from the list" in response.text
    assert db.scalar("SELECT count(*) FROM identity.user_account WHERE email = %s", (email,)) == 0


def test_an_administrator_sees_no_case_data(admin: SignedIn) -> None:
    assert admin.client.get("/reviews").status_code == 403
    assert admin.client.get("/api/reviews").status_code == 403
    assert admin.client.get("/admin/users").status_code == 200


def test_every_form_of_the_administration_pages_carries_the_csrf_token(admin: SignedIn, db: Database) -> None:
    own_id = db.scalar("SELECT id FROM identity.user_account WHERE email = %s", (NORTHBRIDGE_ADMIN,))
    for path in (
        "/admin/users",
        "/admin/users/invite",
        f"/admin/users/{own_id}",
        "/admin/agencies",
        "/admin/api-clients",
    ):
        page = admin.client.get(path)
        assert page.status_code == 200, f"{path}: {page.status_code}"
        assert page.headers["cache-control"] == "no-store", (
            f"{path} shows people's details: it must not be cached"
        )
        forms = page.text.count('<form method="post"')
        assert page.text.count('name="csrf_token"') == forms, f"every form of {path} needs its CSRF token"
        assert "<script>" not in page.text and "style=" not in page.text, f"{path}: no inline script or style"


def test_a_business_manager_cannot_administer_accounts(system: SystemEnv) -> None:
    manager = sign_in(system, NORTHBRIDGE_MANAGER)
    assert manager.client.get("/admin/users").status_code == 403
    assert manager.client.get("/admin/api-clients").status_code == 403


def test_another_partnerships_administrator_finds_no_such_user(
    admin: SignedIn, eastmoor_admin: SignedIn, db: Database
) -> None:
    name, email = invented_person()
    user_id = invited_id(invite(admin, name, email))

    page = eastmoor_admin.client.get(f"/admin/users/{user_id}")
    assert page.status_code == 404
    assert email not in page.text and name not in page.text
    assert eastmoor_admin.post_form(f"/admin/users/{user_id}/deactivate").status_code == 404
    assert (
        eastmoor_admin.post_form(
            f"/admin/users/{user_id}", {"display_name": "Changed", "roles": ["executive"]}
        ).status_code
        == 404
    )
    assert email not in eastmoor_admin.client.get("/admin/users").text
    assert db.scalar("SELECT active FROM identity.user_account WHERE id = %s", (user_id,)) is True
    assert admin.client.get("/admin/users/not-a-uuid").status_code == 404
    assert admin.client.get(f"/admin/users/{uuid.uuid4()}").status_code == 404


# -- changing an account -------------------------------------------------------------------------------------


def test_resetting_security_codes_clears_the_second_factor_and_emails_the_person(
    system: SystemEnv, admin: SignedIn, db: Database, enrolled: dict[str, Any]
) -> None:
    assert (
        db.scalar("SELECT totp_secret FROM identity.user_account WHERE id = %s", (enrolled["id"],))
        is not None
    )

    response = admin.post_form(f"/admin/users/{enrolled['id']}/reset-second-factor")

    assert response.status_code == 303, response.text[:500]
    assert db.scalar("SELECT totp_secret FROM identity.user_account WHERE id = %s", (enrolled["id"],)) is None
    assert db.scalar("SELECT count(*) FROM identity.recovery_code WHERE user_id = %s", (enrolled["id"],)) == 0
    assert enrolled["client"].get("/account").status_code == 303, "a reset should sign the person out"
    message = wait_for_mail(system, enrolled["email"], "security codes")
    assert INVITATION_LINK.search(message.body), "the reset e-mail should carry a link to set up an app again"
    audited = db.scalar(
        "SELECT count(*) FROM audit.audit_entry WHERE record_type = 'user' AND action = 'reset_second_factor'"
        " AND record_id = %s AND outcome = 'allowed'",
        (enrolled["id"],),
    )
    assert audited == 1, "the reset should be in the audit log"


def test_deactivating_an_account_ends_its_sessions(
    system: SystemEnv, admin: SignedIn, db: Database, enrolled: dict[str, Any]
) -> None:
    response = admin.post_form(f"/admin/users/{enrolled['id']}/deactivate")

    assert response.status_code == 303, response.text[:500]
    assert db.scalar("SELECT active FROM identity.user_account WHERE id = %s", (enrolled["id"],)) is False
    ended = enrolled["client"].get("/account")
    assert ended.status_code == 303 and ended.headers["location"].startswith("/sign-in")
    live = db.scalar(
        "SELECT count(*) FROM identity.session WHERE user_id = %s AND ended_at IS NULL", (enrolled["id"],)
    )
    assert live == 0
    wait_for_mail(system, enrolled["email"], "deactivated")
    assert ">Deactivated<" in admin.client.get(f"/admin/users/{enrolled['id']}").text


def test_an_administrator_cannot_deactivate_themself(admin: SignedIn, db: Database) -> None:
    own_id = db.scalar("SELECT id FROM identity.user_account WHERE email = %s", (NORTHBRIDGE_ADMIN,))

    response = admin.post_form(f"/admin/users/{own_id}/deactivate")

    assert response.status_code == 409, response.text[:500]
    assert "You cannot deactivate your own account" in response.text
    assert db.scalar("SELECT active FROM identity.user_account WHERE id = %s", (own_id,)) is True


def test_an_administrator_cannot_give_themself_a_role_that_reaches_case_data(
    admin: SignedIn, db: Database
) -> None:
    own_id = db.scalar("SELECT id FROM identity.user_account WHERE email = %s", (NORTHBRIDGE_ADMIN,))
    roles_before = db.rows("SELECT role FROM identity.user_role WHERE user_id = %s ORDER BY role", (own_id,))
    name, agency = db.rows(
        "SELECT display_name, coalesce(agency_id::text, '') FROM identity.user_account WHERE id = %s",
        (own_id,),
    )[0]

    for wanted in ("business_manager", "data_protection_officer"):
        response = admin.post_form(
            f"/admin/users/{own_id}",
            {"display_name": name, "agency_id": agency, "roles": ["partnership_admin", wanted]},
        )
        assert response.status_code == 422, response.text[:500]
        assert "You cannot give yourself a role you do not hold" in response.text
    after = db.rows("SELECT role FROM identity.user_role WHERE user_id = %s ORDER BY role", (own_id,))
    assert after == roles_before
    # Keeping the roles one has (a change of name) is still allowed.
    kept = admin.post_form(
        f"/admin/users/{own_id}", {"display_name": name, "agency_id": agency, "roles": [r for (r,) in after]}
    )
    assert kept.status_code == 303, kept.text[:500]


def test_changing_roles_and_name_is_saved(admin: SignedIn, db: Database) -> None:
    name, email = invented_person()
    user_id = invited_id(invite(admin, name, email))

    response = admin.post_form(
        f"/admin/users/{user_id}", {"display_name": f"{name} Jr", "roles": ["executive"]}
    )

    assert response.status_code == 303, response.text[:500]
    assert (
        db.scalar("SELECT display_name FROM identity.user_account WHERE id = %s", (user_id,)) == f"{name} Jr"
    )
    assert db.rows("SELECT role FROM identity.user_role WHERE user_id = %s", (user_id,)) == [("executive",)]


# -- agencies and API clients --------------------------------------------------------------------------------


def add_agency(admin: SignedIn) -> tuple[str, str]:
    """An invented agency added to Northbridge: (id, name)."""
    name = f"Testshire Police {uuid.uuid4().hex[:6]}"
    response = admin.post_form("/admin/agencies", {"name": name, "agency_type": "police"})
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"].split("added=")[1], name


def test_an_agency_name_is_unique_in_the_partnership(admin: SignedIn, db: Database) -> None:
    _, name = add_agency(admin)
    assert name in admin.client.get("/admin/agencies").text

    again = admin.post_form("/admin/agencies", {"name": name.upper(), "agency_type": "nonsense"})

    assert again.status_code == 422
    assert "The partnership already has an agency with this name" in again.text
    assert "Select the type of agency" in again.text
    assert db.scalar("SELECT count(*) FROM identity.agency WHERE lower(name) = lower(%s)", (name,)) == 1


@pytest.fixture()
def issued_client(admin: SignedIn) -> dict[str, str]:
    """A Northbridge API client, freshly issued: its row id, client id and secret."""
    agency_id, _ = add_agency(admin)
    response = admin.post_form(
        "/admin/api-clients", {"name": "Testshire case system", "agency_id": agency_id}
    )
    assert response.status_code == 200, response.text[:500]
    assert response.headers["cache-control"] == "no-store", "the page with the secret must not be cached"
    assert "You will not see this secret again" in response.text
    client_id = re.search(r'id="issued-client-id">([^<]+)<', response.text)
    secret = re.search(r'id="issued-client-secret">([^<]+)<', response.text)
    assert client_id and secret, "the page should show the new client's id and secret"
    row = re.search(r'action="/admin/api-clients/([0-9a-f-]{36})/revoke"', response.text)
    assert row, "the new client should be listed with a revoke button"
    listing = admin.client.get("/admin/api-clients")
    assert secret.group(1) not in listing.text, "the secret must be shown once only"
    return {"row_id": row.group(1), "client_id": client_id.group(1), "secret": secret.group(1)}


def ask_token(anonymous: httpx.Client, client_id: str, secret: str, **form: str) -> httpx.Response:
    return anonymous.post(
        "/api/oauth/token", data={"grant_type": "client_credentials", **form}, auth=(client_id, secret)
    )


def test_an_api_client_reads_the_api_with_a_token_until_it_is_revoked(
    system: SystemEnv, admin: SignedIn, issued_client: dict[str, str]
) -> None:
    anonymous = gateway_client(system)
    token = ask_token(anonymous, issued_client["client_id"], issued_client["secret"])
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    body = token.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    bearer = {"Authorization": f"Bearer {body['access_token']}"}

    reviews = anonymous.get("/api/reviews", headers=bearer)
    assert reviews.status_code == 200, reviews.text
    assert isinstance(reviews.json(), list)

    revoked = admin.post_form(f"/admin/api-clients/{issued_client['row_id']}/revoke")
    assert revoked.status_code == 303, revoked.text[:500]
    assert anonymous.get("/api/reviews", headers=bearer).status_code == 401, (
        "a revoked client's token must fail"
    )
    refused = ask_token(anonymous, issued_client["client_id"], issued_client["secret"])
    assert refused.status_code == 401 and refused.json() == {"error": "invalid_client"}


def test_the_token_endpoint_refuses_as_rfc_6749_says(
    system: SystemEnv, issued_client: dict[str, str]
) -> None:
    anonymous = gateway_client(system)
    wrong = ask_token(anonymous, issued_client["client_id"], "not-the-secret")
    unknown = ask_token(anonymous, "cr_nobody", issued_client["secret"])
    for refused in (wrong, unknown):
        assert refused.status_code == 401
        assert refused.json() == {"error": "invalid_client"}
        assert refused.headers["www-authenticate"] == 'Basic realm="caserev"'
    assert wrong.content == unknown.content, "an unknown client and a wrong secret must be told alike"

    in_form = anonymous.post(
        "/api/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": issued_client["client_id"],
            "client_secret": issued_client["secret"],
        },
    )
    assert in_form.status_code == 200, in_form.text

    other_grant = ask_token(
        anonymous, issued_client["client_id"], issued_client["secret"], grant_type="password"
    )
    assert other_grant.status_code == 400 and other_grant.json() == {"error": "unsupported_grant_type"}
    no_grant = anonymous.post(
        "/api/oauth/token", data={}, auth=(issued_client["client_id"], issued_client["secret"])
    )
    assert no_grant.status_code == 400 and no_grant.json() == {"error": "invalid_request"}


def test_another_partnerships_administrator_cannot_revoke_a_client(
    eastmoor_admin: SignedIn, db: Database, issued_client: dict[str, str]
) -> None:
    response = eastmoor_admin.post_form(f"/admin/api-clients/{issued_client['row_id']}/revoke")

    assert response.status_code == 404
    assert (
        db.scalar("SELECT revoked_at FROM identity.api_client WHERE id = %s", (issued_client["row_id"],))
        is None
    )
    assert issued_client["client_id"] not in eastmoor_admin.client.get("/admin/api-clients").text


# -- what the person does with their own account ---------------------------------------------------------

RESET_LINK = re.compile(r"https?://\S+/password-reset/([A-Za-z0-9_-]+)")
RECOVERY_CODE = re.compile(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>")


def _sign_in(
    system: SystemEnv, email: str, password: str, code: str, recovery: bool = False
) -> httpx.Response:
    client = gateway_client(system)
    # From an address of this test's own (the gateway believes its local proxy), so that refusals here
    # never add up to a pause of every sign-in from 127.0.0.1 in the rest of the suite.
    client.headers["X-Forwarded-For"] = f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "code": code,
            "recovery": "1" if recovery else "",
            "csrf_token": csrf_in(page.text),
        },
    )


def test_a_password_reset_sets_a_new_password_and_still_asks_for_the_code(
    system: SystemEnv, enrolled: dict[str, Any]
) -> None:
    anonymous = gateway_client(system)
    page = anonymous.get("/password-reset")
    asked = anonymous.post(
        "/password-reset", data={"email": enrolled["email"], "csrf_token": csrf_in(page.text)}
    )
    assert asked.status_code == 200 and "Check your email" in asked.text
    token = RESET_LINK.search(wait_for_mail(system, enrolled["email"], "reset your").body)
    assert token, "the reset e-mail should carry a link to /password-reset/..."
    form = anonymous.get(f"/password-reset/{token.group(1)}")
    new_password = "harbour violet kettle lantern"
    done = anonymous.post(
        f"/password-reset/{token.group(1)}",
        data={"password": new_password, "confirm_password": new_password, "csrf_token": csrf_in(form.text)},
    )
    assert done.status_code == 303 and done.headers["location"] == "/sign-in?reset=1"
    assert "has been changed" in wait_for_mail(system, enrolled["email"], "password has been changed").body
    assert enrolled["client"].get("/account").status_code == 303, "a reset ends every earlier session"
    assert anonymous.get(f"/password-reset/{token.group(1)}").status_code == 404, "the link works once"
    assert _sign_in(system, enrolled["email"], new_password, "").status_code == 401, (
        "the code is still needed"
    )
    # The old password with a good code is refused (that code is not spent: the password failed first).
    current = pyotp.TOTP(enrolled["secret"]).now()
    assert _sign_in(system, enrolled["email"], NEW_PASSWORD, current).status_code == 401
    signed_in = _sign_in(
        system, enrolled["email"], new_password, fresh_code(system, enrolled["email"], enrolled["secret"])
    )
    assert signed_in.status_code == 303


def test_a_reset_is_asked_for_an_unknown_address_answers_the_same(system: SystemEnv) -> None:
    anonymous = gateway_client(system)
    page = anonymous.get("/password-reset")
    answer = anonymous.post(
        "/password-reset", data={"email": "nobody.here@northbridge.example", "csrf_token": csrf_in(page.text)}
    )
    assert answer.status_code == 200 and "If an account uses that address" in answer.text


def test_a_recovery_code_signs_in_once_and_new_codes_replace_the_old(
    system: SystemEnv, enrolled: dict[str, Any]
) -> None:
    me = SignedIn(enrolled["client"], enrolled["email"])
    refused = me.post_form("/account/recovery-codes", {"current_password": "not my password at all"})
    assert refused.status_code == 422 and "Enter your current password" in refused.text
    fresh = me.post_form("/account/recovery-codes", {"current_password": NEW_PASSWORD})
    codes = RECOVERY_CODE.findall(fresh.text)
    assert fresh.status_code == 200 and len(codes) == 10 and len(set(codes)) == 10
    first = _sign_in(
        system, enrolled["email"], NEW_PASSWORD, codes[0].upper().replace("-", " "), recovery=True
    )
    assert first.status_code == 303, "a recovery code works whatever its case and spacing"
    again = _sign_in(system, enrolled["email"], NEW_PASSWORD, codes[0], recovery=True)
    assert again.status_code == 401, "each recovery code works once"
    newer = SignedIn(enrolled["client"], enrolled["email"]).post_form(
        "/account/recovery-codes", {"current_password": NEW_PASSWORD}
    )
    assert newer.status_code == 200
    old = _sign_in(system, enrolled["email"], NEW_PASSWORD, codes[1], recovery=True)
    assert old.status_code == 401, "new codes replace the old ones"


# -- the operator's part --------------------------------------------------------------------------------


def test_the_operator_registers_a_partnership_and_invites_its_first_administrator(
    system: SystemEnv, db: Database
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    added = caserev(system, "add-partnership", "--code", f"WS{tag}", "--name", f"Westfold Partnership {tag}")
    assert added.returncode == 0, added.stderr
    again = caserev(system, "add-partnership", "--code", f"WS{tag}", "--name", "Anything", check=False)
    assert again.returncode == 2 and "already has the code" in again.stderr
    email = f"first.admin.{tag.lower()}@westfold.example"
    invited = caserev(
        system,
        "invite",
        "--email",
        email,
        "--name",
        "Quinn Firstadmin",
        "--role",
        "partnership_admin",
        "--partnership",
        f"WS{tag}",
    )
    assert invited.returncode == 0, invited.stderr
    token = INVITATION_LINK.search(invited.stdout)
    assert token, invited.stdout
    client, _ = accept_invitation(system, email, token.group(1))
    assert client.get("/admin/users").status_code == 200
    assert client.get("/reviews").status_code == 403, "an administrator sees no case data"
    refused = caserev(
        system, "invite", "--email", "x@westfold.example", "--name", "X", "--role", "executive", check=False
    )
    assert refused.returncode == 2 and "--partnership" in refused.stderr


def test_sign_ins_and_refusals_are_in_the_audit_without_the_address_typed(
    system: SystemEnv, db: Database
) -> None:
    email = f"nobody.{uuid.uuid4().hex[:6]}@northbridge.example"
    client = gateway_client(system)
    page = client.get("/sign-in")
    client.post(
        "/sign-in", data={"email": email, "password": "x", "code": "1", "csrf_token": csrf_in(page.text)}
    )
    rows = wait_for(
        lambda: db.rows(
            "SELECT user_id, outcome, record_id FROM audit.audit_entry"
            " WHERE action = 'sign_in' AND record_id = %s",
            (hashlib.sha256(email.encode()).hexdigest(),),
        ),
        message="the refused sign-in in the audit",
    )
    assert rows == [("anonymous", "denied", hashlib.sha256(email.encode()).hexdigest())]
    assert not db.rows("SELECT 1 FROM audit.audit_entry WHERE record_id = %s", (email,))


def test_changing_the_password_needs_the_current_one_and_signs_out_everywhere_else(
    system: SystemEnv, enrolled: dict[str, Any], db: Database
) -> None:
    me = SignedIn(enrolled["client"], enrolled["email"])
    # A second session elsewhere, signed in with a recovery code (no wait for a new TOTP step).
    codes = RECOVERY_CODE.findall(
        me.post_form("/account/recovery-codes", {"current_password": NEW_PASSWORD}).text
    )
    elsewhere = gateway_client(system)
    page = elsewhere.get("/sign-in")
    signed_in = elsewhere.post(
        "/sign-in",
        data={
            "email": enrolled["email"],
            "password": NEW_PASSWORD,
            "code": codes[0],
            "recovery": "1",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert signed_in.status_code == 303 and elsewhere.get("/account").status_code == 200
    before = db.scalar("SELECT password_hash FROM identity.user_account WHERE id = %s", (enrolled["id"],))
    new_password = "pebble orchard lantern violet"
    wrong = me.post_form(
        "/account/password",
        {"current_password": "guess", "password": new_password, "confirm_password": new_password},
    )
    assert wrong.status_code == 422 and "Enter your current password" in wrong.text
    weak = me.post_form(
        "/account/password",
        {"current_password": NEW_PASSWORD, "password": "password1234", "confirm_password": "password1234"},
    )
    assert weak.status_code == 422
    assert (
        db.scalar("SELECT password_hash FROM identity.user_account WHERE id = %s", (enrolled["id"],))
        == before
    )
    done = me.post_form(
        "/account/password",
        {"current_password": NEW_PASSWORD, "password": new_password, "confirm_password": new_password},
    )
    assert done.status_code == 303 and done.headers["location"] == "/account?changed=1"
    assert (
        db.scalar("SELECT password_hash FROM identity.user_account WHERE id = %s", (enrolled["id"],))
        != before
    )
    assert me.client.get("/account?changed=1").status_code == 200, "this session carries on"
    assert "has been changed" in wait_for_mail(system, enrolled["email"], "password has been changed").body
    assert elsewhere.get("/account").status_code == 303, "every other session ends"
