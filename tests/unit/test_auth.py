"""The gateway's session rules, redirects, cookies and throttle, without a database (storage is mocked)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from gateway import auth, credentials, signin
from gateway.identity import Session
from gateway.policy import POLICIES, policy_for
from services.kernel.config import GatewaySettings as Settings  # the gateway's settings

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _session(created: datetime, last_seen: datetime, hours: int = 8) -> Session:
    return Session("h" * 64, uuid.uuid4(), "full", None, created, last_seen, created + timedelta(hours=hours))


def test_a_session_idle_for_20_minutes_has_expired_and_19_has_not():
    settings = Settings()
    assert auth.session_expired(_session(NOW, NOW - timedelta(minutes=20)), NOW, settings)
    assert not auth.session_expired(
        _session(NOW - timedelta(minutes=30), NOW - timedelta(minutes=19)), NOW, settings
    )


def test_an_active_session_still_ends_at_its_absolute_time_out():
    started = NOW - timedelta(hours=8)
    assert auth.session_expired(_session(started, NOW - timedelta(seconds=5)), NOW, Settings())


@pytest.mark.parametrize(
    ("asked", "returned"),
    [
        ("/reviews/1", "/reviews/1"),
        ("//evil.example/", "/reviews"),
        ("https://evil.example/", "/reviews"),
        ("/\\evil.example", "/reviews"),
        ("", "/reviews"),
        (None, "/reviews"),
    ],
)
def test_after_sign_in_a_person_returns_only_to_a_page_of_this_site(asked, returned):
    assert auth.safe_next(asked) == returned


def test_cookies_are_host_prefixed_and_secure_outside_plain_http_local_development():
    assert auth.session_cookie_name(Settings(environment="production")) == "__Host-session"
    assert auth.session_cookie_name(Settings(public_url="https://reviews.example")) == "__Host-session"
    assert auth.session_cookie_name(Settings(environment="local", public_url="http://127.0.0.1:8000")) == (
        "caserev-session"
    )
    assert Settings(environment="production").cookies_secure


def test_a_csrf_token_is_bound_to_its_session(monkeypatch):
    monkeypatch.setattr(auth, "_csrf_key", lambda: b"k" * 32)
    assert auth.csrf_token_for("session:a") == auth.csrf_token_for("session:a")
    assert auth.csrf_token_for("session:a") != auth.csrf_token_for("session:b")
    assert auth.csrf_token_for("session:a") != auth.csrf_token_for("pre:a")


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, "allowed"), (303, "allowed"), (403, "denied"), (404, "denied"), (500, "failed"), (422, "failed")],
)
def test_the_audit_records_the_outcome_of_each_response(status, outcome):
    assert auth.outcome_of(status) == outcome


def test_head_follows_get_and_an_unknown_route_has_no_policy():
    assert policy_for("HEAD", "/reviews") is POLICIES[("GET", "/reviews")]
    assert policy_for("GET", "/no/such/route") is None
    assert policy_for("DELETE", "/reviews") is None


def test_every_route_reading_case_data_is_audited():
    for (method, path), policy in POLICIES.items():
        if path.startswith(("/reviews", "/api/reviews")) and path != "/reviews/new":
            assert policy.audit, f"{method} {path} reads or writes case data but is not audited"


@pytest.mark.parametrize(
    ("by_account", "by_address", "paused"),
    [(4, 0, False), (5, 0, True), (0, 19, False), (0, 20, True)],
)
def test_sign_in_pauses_after_five_failures_of_an_account_or_twenty_from_an_address(
    by_account, by_address, paused
):
    latest = NOW - timedelta(minutes=1)
    with mock.patch.object(
        signin.identity, "recent_failures", return_value=(by_account, by_address, latest, latest)
    ):
        assert signin.throttled("key", "192.0.2.1", NOW) is paused


def test_the_pause_lifts_fifteen_minutes_after_the_last_failure():
    latest = NOW - timedelta(minutes=15)
    with mock.patch.object(signin.identity, "recent_failures", return_value=(9, 30, latest, latest)):
        assert signin.throttled("key", "192.0.2.1", NOW) is False


def test_the_caught_mail_page_with_its_sign_in_links_is_served_only_on_a_local_machine():
    assert Settings(environment="local").serves_demo_pages
    assert not Settings(environment="production").serves_demo_pages
    assert Settings(environment="production", demo_pages=True).serves_demo_pages


def test_a_recovery_code_is_stored_as_a_keyed_hash_whatever_its_spelling(monkeypatch):
    monkeypatch.setattr(signin, "_recovery_key", lambda: b"a" * 32)
    code = "7hx2k-m9qrt"
    stored = signin.recovery_code_hash(code)
    assert signin.recovery_code_hash("7HX2K M9QRT") == stored and len(stored) == 64
    import hashlib

    assert stored != hashlib.sha256(b"7hx2km9qrt").hexdigest(), "a table copy alone must not reveal codes"
    monkeypatch.setattr(signin, "_recovery_key", lambda: b"b" * 32)
    assert signin.recovery_code_hash(code) != stored


def _link(expires_in: timedelta, used: bool = False, purpose: str = "invitation"):
    from gateway.identity import AccountLink

    return AccountLink("h" * 64, uuid.uuid4(), purpose, NOW + expires_in, NOW if used else None)


@pytest.mark.parametrize(
    ("link", "usable"),
    [
        (_link(timedelta(minutes=1)), True),
        (_link(timedelta(seconds=0)), False),
        (_link(-timedelta(days=1)), False),
        (_link(timedelta(days=1), used=True), False),
        (_link(timedelta(days=1), purpose="password_reset"), False),
    ],
    ids=["live", "expiring-now", "expired", "used", "other-purpose"],
)
def test_a_sign_in_link_works_once_before_it_expires_and_for_its_purpose_only(link, usable):
    user = mock.Mock(active=True)
    with (
        mock.patch.object(signin.identity, "link_by_token", return_value=link),
        mock.patch.object(signin.identity, "user_by_id", return_value=user),
    ):
        assert (signin.usable_link("token", ("invitation",), NOW) is not None) is usable


@pytest.mark.parametrize(
    ("roles", "page"),
    [
        ({"agency_lead"}, "/reviews"),
        ({"business_manager", "partnership_admin"}, "/reviews"),
        ({"national_analyst"}, "/dashboards"),
        ({"partnership_admin"}, "/admin/users"),
        ({"data_protection_officer"}, "/dpo"),
        (set(), "/account"),
    ],
)
def test_a_person_who_asked_for_no_page_starts_where_their_roles_let_them_work(roles, page):
    assert auth.landing_page(frozenset(roles)) == page


def test_a_password_hashed_before_peppering_or_with_weaker_parameters_is_hashed_again_at_sign_in(monkeypatch):
    from argon2 import PasswordHasher

    old_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("kettle violet harbour lamp")
    user = mock.Mock(active=True, enrolled=True, password_hash=old_hash, id=uuid.uuid4())
    monkeypatch.setattr(signin, "throttled", lambda *args: False)
    monkeypatch.setattr(signin, "_second_factor_ok", lambda *args: (True, False))
    with (
        mock.patch.object(signin.identity, "user_by_email", return_value=user),
        mock.patch.object(signin.identity, "set_password") as set_password,
        mock.patch.object(signin.identity, "clear_failures"),
        mock.patch.object(signin.identity, "signed_in"),
    ):
        result = signin.sign_in(
            "a@b.example", "kettle violet harbour lamp", "123456", recovery=False, address="x", now=NOW
        )
    assert result.ok
    (user_id, new_hash, _), _ = set_password.call_args
    assert user_id == user.id and "m=19456,t=2,p=1" in new_hash
    assert new_hash.startswith("pep1$") and not credentials.needs_rehash(new_hash)
    assert credentials.verify_password(new_hash, "kettle violet harbour lamp", signin.password_pepper())
