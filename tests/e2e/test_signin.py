"""Signing in through the running gateway: password and second factor together, refusals that never say
which part failed, throttling by account and by address, sessions, sign-out and CSRF."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest

from tests.e2e.helpers import (
    csrf_in,
    demo_credentials,
    fresh_code,
    gateway_client,
    sign_in,
    sign_in_as,
)

REFUSAL = "The email address, password or security code is not right"


def _refused_alike(response) -> None:
    assert response.status_code == 401, response.text[:300]
    assert REFUSAL in response.text
    assert "session" not in "".join(response.headers.get_list("set-cookie"))


def _forwarded(address: str) -> dict[str, str]:
    # The gateway trusts X-Forwarded-For from its local proxy (uvicorn's proxy headers): each test signs in
    # "from" an address of its own, so one test's failures do not pause another's.
    return {"X-Forwarded-For": address}


def _attempt(system, email: str, password: str, code: str, address: str, recovery: bool = False):
    client = gateway_client(system)
    client.headers.update(_forwarded(address))
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "code": code,
            "recovery": "1" if recovery else "",
            "next": "/reviews",
            "csrf_token": csrf_in(page.text),
        },
    )
    return client, response


def test_a_demo_user_signs_in_with_password_and_code_and_gets_a_new_session(system):
    email = "partner@northbridge.example"
    credentials = demo_credentials(system)
    client = gateway_client(system)
    page = client.get("/sign-in")
    before = dict(client.cookies)
    response = client.post(
        "/sign-in",
        data={
            "email": email,
            "password": credentials["password"],
            "code": fresh_code(system, email),
            "next": "/reviews",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/reviews"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "session" in cookie and cookie.split("=")[1] not in before.values()
    assert client.get("/reviews").status_code == 200


def test_a_replayed_code_is_refused_like_any_other_failure_and_the_owner_is_emailed(system, db):
    email = "subgroup@northbridge.example"
    password = demo_credentials(system)["password"]
    code = fresh_code(system, email)
    _, first = _attempt(system, email, password, code, "198.51.100.1")
    assert first.status_code == 303
    _, replay = _attempt(system, email, password, code, "198.51.100.1")
    _refused_alike(replay)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        kinds = db.rows(
            "SELECT subject FROM notifications.email WHERE to_address = %s ORDER BY created_at", (email,)
        )
        if kinds:
            break
        time.sleep(0.3)
    assert any("security code" in subject.lower() for (subject,) in kinds), kinds


def test_a_wrong_code_and_a_code_from_two_steps_ago_are_refused_alike(system):
    email = "executive@northbridge.example"
    credentials = demo_credentials(system)
    secret = credentials["totp"][email]
    now = time.time()
    wrong = f"{(int(pyotp.TOTP(secret).at(now)) + 1) % 1_000_000:06d}"
    _, response = _attempt(system, email, credentials["password"], wrong, "198.51.100.2")
    _refused_alike(response)
    two_steps_ago = pyotp.TOTP(secret).at(now - 60)
    _, response = _attempt(system, email, credentials["password"], two_steps_ago, "198.51.100.2")
    _refused_alike(response)
    _, response = _attempt(
        system, email, "not the password at all", fresh_code(system, email), "198.51.100.2"
    )
    _refused_alike(response)
    _, response = _attempt(
        system, f"nobody-{uuid.uuid4().hex[:6]}@northbridge.example", "x", "123456", "198.51.100.2"
    )
    _refused_alike(response)


def test_twenty_wrong_passwords_are_each_refused_and_then_even_the_right_one_is_paused(system):
    # An account no other test signs in with: it stays paused for the rest of this system's run.
    email = "police.lead@eastmoor.example"
    credentials = demo_credentials(system)
    bodies = set()
    for attempt in range(20):
        _, response = _attempt(
            system, email, f"wrong password {attempt}", "000000", f"203.0.113.{attempt + 1}"
        )
        _refused_alike(response)
        bodies.add(re.sub(r'value="[^"]*"', "", response.text))
    assert len(bodies) == 1, "every refusal must read the same"
    _, response = _attempt(system, email, credentials["password"], fresh_code(system, email), "203.0.113.99")
    _refused_alike(response)


def test_many_failures_from_one_address_pause_every_account_from_it(system):
    address = "192.0.2.77"
    for attempt in range(20):
        _, response = _attempt(system, f"someone{attempt}@nowhere.example", "wrong", "000000", address)
        _refused_alike(response)
    email = "regional.analyst@analysts.example"
    credentials = demo_credentials(system)
    _, response = _attempt(system, email, credentials["password"], fresh_code(system, email), address)
    _refused_alike(response)


def test_a_form_without_its_csrf_token_is_refused(system):
    me = sign_in(system, "business.manager@northbridge.example")
    response = me.client.post(
        "/reviews/new", data={"review_type": "safeguarding_adults", "title": "NB-SAR-X"}
    )
    assert response.status_code == 403
    response = me.client.post(
        "/reviews/new",
        data={"review_type": "safeguarding_adults", "title": "NB-SAR-X", "csrf_token": "forged"},
    )
    assert response.status_code == 403
    anonymous = gateway_client(system)
    assert (
        anonymous.post("/sign-in", data={"email": "x@y.example", "password": "p", "code": "1"}).status_code
        == 403
    )


def test_signing_out_ends_the_session_on_the_server(system):
    me = sign_in(system, "health.lead@northbridge.example", fresh=True)
    cookie = dict(me.client.cookies)
    assert me.post_form("/sign-out").headers["location"] == "/signed-out"
    stolen = gateway_client(system)
    stolen.cookies.update(cookie)
    response = stolen.get("/reviews")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_signing_out_everywhere_ends_every_session_of_the_person(system):
    email = "police.author@northbridge.example"
    first = sign_in(system, email, fresh=True)
    second = sign_in(system, email, fresh=True)
    assert second.post_form("/account/sign-out-everywhere").status_code == 303
    assert first.client.get("/reviews").status_code == 303
    assert second.client.get("/reviews").status_code == 303


def test_pages_need_sign_in_and_the_api_answers_401(system):
    anonymous = gateway_client(system)
    page = anonymous.get("/reviews")
    assert page.status_code == 303 and page.headers["location"] == "/sign-in?next=%2Freviews"
    api = anonymous.get("/api/reviews")
    assert api.status_code == 401 and api.headers["www-authenticate"].startswith("Bearer")


def test_sign_in_never_redirects_to_another_site(system):
    email = "action.owner@northbridge.example"
    credentials = demo_credentials(system)
    client = gateway_client(system)
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "email": email,
            "password": credentials["password"],
            "code": fresh_code(system, email),
            "next": "//evil.example/",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/reviews"


@pytest.mark.parametrize("path", ["/", "/sign-in", "/reviews"])
def test_every_page_carries_the_security_headers(system, path):
    response = sign_in(system, "business.manager@northbridge.example").client.get(path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_failed_sign_in_is_not_a_hint_about_the_account(system):
    """An unknown address and a known one with a wrong password get byte-for-byte the same page."""
    known, unknown = "police.lead@eastmoor.example", "no.such.person@northbridge.example"
    _, first = _attempt(system, known, "wrong horse battery", "123456", "198.51.100.31")
    _, second = _attempt(system, unknown, "wrong horse battery", "123456", "198.51.100.32")
    strip = lambda html: re.sub(r'value="[^"]*"', "", html).replace(known, "").replace(unknown, "")  # noqa: E731
    assert first.status_code == second.status_code == 401
    assert strip(first.text) == strip(second.text)


def test_the_gateway_counts_sign_ins_and_refusals_in_its_metrics(system):
    _attempt(system, "nobody@metrics.example", "wrong", "000000", "198.51.100.200")
    metrics = gateway_client(system).get("/metrics").text
    refused = re.search(r'caserev_gateway_sign_ins_total\{outcome="refused"\} (\d+)', metrics)
    assert refused and float(refused.group(1)) >= 1, "refused sign-ins should be counted"
    assert "caserev_gateway_audit_entries_total" in metrics


def test_behind_a_tls_proxy_every_answer_carries_hsts(system):
    # The gateway believes X-Forwarded-Proto from its local proxy (FORWARDED_ALLOW_IPS).
    response = gateway_client(system).get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "strict-transport-security" not in gateway_client(system).get("/").headers


def test_a_demo_person_can_sign_in_with_one_of_their_recovery_codes(system):
    email = "reviewer@northbridge.example"
    credentials = demo_credentials(system)
    code = credentials["recovery_codes"][email][0]
    _, response = sign_in_as(system, email, credentials["password"], code, recovery=True)
    assert response.status_code == 303


def test_a_data_protection_officer_who_asked_for_no_page_lands_on_their_own(system):
    email = "dpo@northbridge.example"
    client = gateway_client(system)
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "email": email,
            "password": demo_credentials(system)["password"],
            "code": fresh_code(system, email),
            "csrf_token": csrf_in(page.text),
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/dpo"
    assert client.get("/dpo").status_code == 200


FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_a_person_sees_their_devices_and_signs_out_of_another_with_their_password(system, db):
    email = "subgroup@northbridge.example"
    credentials = demo_credentials(system)
    other = gateway_client(system)
    other.headers["User-Agent"] = FIREFOX_ON_WINDOWS
    page = other.get("/sign-in")
    signed_in = other.post(
        "/sign-in",
        data={
            "email": email,
            "password": credentials["password"],
            "code": credentials["recovery_codes"][email][-1],
            "recovery": "1",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert signed_in.status_code == 303, signed_in.text[:300]
    me = sign_in(system, email, fresh=True)

    account = me.client.get("/account")
    assert account.status_code == 200
    assert "This device" in account.text
    link = re.search(
        r'href="/account/sessions/([0-9a-f-]{36})">Sign out'
        r'<span class="govuk-visually-hidden"> of Firefox on Windows',
        account.text,
    )
    assert link, "the account page lists the other device with a way to sign out of it"
    handle = link.group(1)
    # Only the words are kept, never the User-Agent header itself.
    assert (
        db.scalar("SELECT device FROM identity.session WHERE handle = %s", (handle,)) == "Firefox on Windows"
    )

    confirm = me.client.get(f"/account/sessions/{handle}")
    assert confirm.status_code == 200 and "Sign out of Firefox on Windows" in confirm.text
    wrong = me.post_form(f"/account/sessions/{handle}", {"current_password": "not my password"})
    assert wrong.status_code == 422 and "Enter your current password" in wrong.text
    assert other.get("/account").status_code == 200, "a wrong password ends nothing"

    ended = me.post_form(f"/account/sessions/{handle}", {"current_password": credentials["password"]})
    assert ended.status_code == 303 and ended.headers["location"] == "/account?ended=1"
    assert other.get("/account").headers.get("location", "").startswith("/sign-in")
    after = me.client.get("/account?ended=1")
    assert after.status_code == 200 and "You have signed out of that device." in after.text
    assert me.client.get(f"/account/sessions/{handle}").status_code == 404, "an ended session is gone"

    user_id = db.scalar("SELECT id::text FROM identity.user_account WHERE email = %s", (email,))
    own = db.scalar(
        "SELECT handle::text FROM identity.session WHERE user_id = %s AND ended_at IS NULL"
        " ORDER BY created_at DESC LIMIT 1",
        (user_id,),
    )
    refused = me.post_form(f"/account/sessions/{own}", {"current_password": credentials["password"]})
    assert refused.status_code == 404, "this device is signed out with 'Sign out', not from the list"
    assert me.client.get("/account").status_code == 200
    assert (
        db.scalar(
            "SELECT count(*) FROM audit.audit_entry WHERE user_id = %s AND action = 'end_session'", (user_id,)
        )
        == 1
    )
