"""The sessions a gateway process remembers for a moment (gateway.identity.SessionCache), without a database:
what is remembered and for how long, what forgets it, and that a session is ended only on what the
database says now (the lookup is mocked)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from gateway import auth, identity
from gateway.credentials import hash_token
from gateway.identity import Session, SessionCache, SessionCaller, UserAccount
from services.kernel.config import GatewaySettings
from services.kernel.identity import Role

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _found(*, last_seen: datetime = NOW, active: bool = True) -> SessionCaller:
    user_id = uuid.uuid4()
    session = Session(
        "h" * 64, user_id, "full", None, NOW - timedelta(hours=1), last_seen, NOW + timedelta(hours=7)
    )
    user = UserAccount(
        user_id, uuid.uuid4(), None, None, "bm@example.test", "B M",
        frozenset({Role.BUSINESS_MANAGER}), active, None, "secret", None, None,
    )  # fmt: skip
    return SessionCaller(session, user, frozenset({uuid.uuid4()}), frozenset())


class Lookups:
    """The database's answers, in turn, and how many times it was asked."""

    def __init__(self, *answers: SessionCaller | None) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    def __call__(self, token_hash: str) -> SessionCaller | None:
        self.asked.append(token_hash)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Lookups:
    database = Lookups(_found())
    monkeypatch.setattr(identity, "_session_caller", database)
    monkeypatch.setattr(identity, "SESSIONS", SessionCache())
    return database


def test_a_session_looked_up_is_remembered_for_the_seconds_given_and_only_by_its_tokens_hash(lookups):
    cache = identity.SESSIONS
    first, remembered = cache.lookup("token-a", 60)
    assert (first is not None, remembered) == (True, False)
    again, remembered = cache.lookup("token-a", 60)
    assert (again, remembered) == (first, True)
    assert lookups.asked == [hash_token("token-a")], "the second request went to the database"
    assert "token-a" not in cache._found, "the cookie's value itself is kept in memory"
    _, remembered = cache.lookup("token-b", 60)
    assert not remembered, "another cookie was answered with the first one's session"


def test_a_remembered_session_is_looked_up_again_once_its_seconds_are_past(lookups, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(identity, "monotonic", lambda: clock[0])
    identity.SESSIONS.lookup("token", 2.0)
    clock[0] += 1.9
    assert identity.SESSIONS.lookup("token", 2.0)[1], "not remembered within its 2 seconds"
    clock[0] += 0.2
    assert not identity.SESSIONS.lookup("token", 2.0)[1], "remembered past its 2 seconds"
    assert len(lookups.asked) == 2


def test_with_no_seconds_every_lookup_goes_to_the_database(lookups):
    for _ in range(3):
        assert not identity.SESSIONS.lookup("token", 0)[1]
    assert len(lookups.asked) == 3


def test_an_unknown_or_ended_session_is_never_remembered(lookups):
    lookups.answers = [None]
    assert identity.SESSIONS.lookup("token", 60) == (None, False)
    assert identity.SESSIONS.lookup("token", 60) == (None, False)
    assert len(lookups.asked) == 2


def test_a_write_to_identity_forgets_every_remembered_session(lookups):
    identity.SESSIONS.lookup("token-a", 60)
    identity.SESSIONS.lookup("token-b", 60)
    identity.SESSIONS.forget_all()
    assert not identity.SESSIONS.lookup("token-a", 60)[1]
    assert not identity.SESSIONS.lookup("token-b", 60)[1]


def test_a_lookup_that_a_write_committed_during_is_not_remembered(monkeypatch):
    cache = SessionCache()

    def read_while_a_sign_out_commits(token_hash: str) -> SessionCaller:
        cache.forget_all()  # what the commit hook does while the stale row is on its way back
        return _found()

    monkeypatch.setattr(identity, "_session_caller", read_while_a_sign_out_commits)
    cache.lookup("token", 60)
    assert cache._found == {}, "a session read before a sign-out committed was remembered after it"


def test_the_sessions_remembered_are_capped(lookups):
    cache = SessionCache(limit=3)
    for n in range(10):
        cache.lookup(f"token-{n}", 60)
    assert len(cache._found) <= 3


class _Request:
    def __init__(self, token: str) -> None:
        self.headers: dict[str, str] = {}
        self.cookies = {auth.session_cookie_name(): token}


def test_a_remembered_session_past_its_idle_time_out_is_ended_only_if_the_database_agrees(monkeypatch):
    settings = GatewaySettings()
    idle = timedelta(minutes=settings.session_idle_minutes)
    stale, fresh = (
        _found(last_seen=NOW - idle - timedelta(seconds=1)),
        _found(last_seen=NOW - timedelta(seconds=1)),
    )
    answers = {False: fresh, True: stale}  # remembered: stale; the database now: active in another process
    calls: list[float] = []

    def session_caller(token: str, *, remembered_for: float = 0) -> tuple[SessionCaller, bool]:
        calls.append(remembered_for)
        return answers[remembered_for > 0], remembered_for > 0

    ended: list[str] = []
    monkeypatch.setattr(identity, "session_caller", session_caller)
    monkeypatch.setattr(identity, "end_session", lambda id_hash, now: ended.append(id_hash))
    monkeypatch.setattr(identity, "touch_session", lambda id_hash, now: None)
    monkeypatch.setattr(auth, "utcnow", lambda: NOW)
    principal, expired = auth.authenticate(_Request("token"))  # type: ignore[arg-type]
    assert principal is not None and not expired, "a session live in the database was refused"
    assert ended == [], "a session was ended on what this process remembered"
    assert calls == [settings.session_cache_seconds, 0]

    answers[False] = stale  # the database agrees: the session has been idle too long
    calls.clear()
    principal, expired = auth.authenticate(_Request("token"))  # type: ignore[arg-type]
    assert (principal, expired) == (None, True)
    assert ended == [stale.session.id_hash]


def test_a_remembered_session_of_a_deactivated_account_is_refused_once_the_database_says_so(monkeypatch):
    answers = {True: _found(), False: _found(active=False)}
    monkeypatch.setattr(
        identity,
        "session_caller",
        lambda token, *, remembered_for=0: (answers[remembered_for > 0], remembered_for > 0),
    )
    monkeypatch.setattr(identity, "end_session", lambda id_hash, now: None)
    monkeypatch.setattr(identity, "touch_session", lambda id_hash, now: None)
    monkeypatch.setattr(auth, "utcnow", lambda: NOW)
    # Remembered as active: answered (within the cache's seconds, as documented)...
    assert auth.authenticate(_Request("token"))[0] is not None  # type: ignore[arg-type]
    # ...and once what is remembered shows it inactive, the database decides, and refuses.
    answers[True] = _found(active=False)
    assert auth.authenticate(_Request("token")) == (None, True)  # type: ignore[arg-type]


def test_a_remembered_live_session_is_answered_without_the_database_or_a_thread(monkeypatch):
    cache = SessionCache()
    monkeypatch.setattr(identity, "SESSIONS", cache)
    monkeypatch.setattr(identity, "_session_caller", lambda token_hash: _found(last_seen=NOW))
    monkeypatch.setattr(auth, "utcnow", lambda: NOW + timedelta(seconds=5))
    assert auth.remembered_caller(_Request("token")) is None, "a session never looked up was answered"  # type: ignore[arg-type]
    cache.lookup("token", 60)
    principal = auth.remembered_caller(_Request("token"))  # type: ignore[arg-type]
    assert principal is not None and principal.actor.roles == {Role.BUSINESS_MANAGER}


@pytest.mark.parametrize(
    ("why", "found", "after", "headers"),
    [
        ("idle too long", _found(last_seen=NOW), timedelta(minutes=21), {}),
        ("deactivated", _found(active=False), timedelta(seconds=1), {}),
        ("activity to record", _found(last_seen=NOW), timedelta(seconds=16), {}),
        ("an API client's token", _found(), timedelta(seconds=1), {"authorization": "Bearer abc"}),
    ],
)
def test_authenticate_decides_whenever_a_remembered_session_is_not_plainly_live(
    monkeypatch, why, found, after, headers
):
    cache = SessionCache()
    monkeypatch.setattr(identity, "SESSIONS", cache)
    monkeypatch.setattr(identity, "_session_caller", lambda token_hash: found)
    monkeypatch.setattr(auth, "utcnow", lambda: NOW + after)
    cache.lookup("token", 3600)
    request = _Request("token")
    request.headers.update(headers)
    assert auth.remembered_caller(request) is None, f"{why}: answered from memory"  # type: ignore[arg-type]


def test_no_session_is_remembered_when_its_seconds_are_0(monkeypatch):
    monkeypatch.setattr(identity, "SESSIONS", SessionCache())
    monkeypatch.setattr(identity, "_session_caller", lambda token_hash: _found())
    monkeypatch.setattr(auth, "gateway_settings", lambda: GatewaySettings(session_cache_seconds=0))
    identity.SESSIONS.lookup("token", 0)
    assert auth.remembered_caller(_Request("token")) is None  # type: ignore[arg-type]
