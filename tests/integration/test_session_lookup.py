"""Every request's session lookup on a real PostgreSQL: one statement brings the session, its account, roles,
reviews and region's partnerships; and what the process remembers (gateway.identity.SessionCache) is
forgotten the moment this process writes to identity, and within its seconds when another process does.

Each test migrates its own database; the gateway's functions run in this process against it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from sqlalchemy import event, text

from gateway import identity
from gateway.identity import utcnow
from services.kernel.config import reset_settings
from tests.support.infra import database_dsn, isolated_database
from tests.support.system import caserev, system_env

PARTNERSHIP = uuid.UUID("3d0c9a52-6b1e-4f0a-9d3e-7a5b2c1e8f11")
NEIGHBOUR = uuid.UUID("3d0c9a52-6b1e-4f0a-9d3e-7a5b2c1e8f12")
REVIEW = uuid.UUID("7a1e0c52-1f3e-4a9b-8c61-5d2e7f9a4c21")
LONG = 3600.0  # seconds: longer than any test, so that only a write can forget


@pytest.fixture
def db_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with isolated_database() as name:
        system = system_env(name, "amqp://unused/", tmp_path)
        caserev(system, "migrate", "--skip-broker")
        monkeypatch.setenv("CASEREV_DB_NAME", name)
        reset_settings()
        identity.identity_engine.cache_clear()
        monkeypatch.setattr(identity, "SESSIONS", identity.SessionCache())
        with identity.identity_engine().begin() as connection:
            for partnership, code in ((PARTNERSHIP, "NTH"), (NEIGHBOUR, "STH")):
                connection.execute(
                    text(
                        "INSERT INTO partnership (id, code, name, region) VALUES (:id, :c, :c, 'North East')"
                    ),
                    {"id": partnership, "c": code},
                )
        try:
            yield name
        finally:
            identity.identity_engine().dispose()
            identity.identity_engine.cache_clear()
            reset_settings()


def _signed_in(roles: list[str], region: str | None = None) -> tuple[uuid.UUID, str]:
    user_id = identity.create_user(
        email=f"{uuid.uuid4().hex[:8]}@testford.example",
        display_name="Sam Tester",
        partnership_id=PARTNERSHIP,
        agency_id=None,
        roles=roles,
        created_by="test",
        region=region,
    )
    token = identity.create_session(
        user_id, "full", now=utcnow(), lifetime=timedelta(hours=8), address="203.0.113.7"
    )
    return user_id, token


def test_one_statement_brings_the_session_its_account_roles_reviews_and_regions_partnerships(db_name):
    user_id, token = _signed_in(["regional_analyst", "subgroup_member"], region="North East")
    identity.add_member(REVIEW, user_id, PARTNERSHIP, "subgroup_member", "test")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(identity.identity_engine(), "before_cursor_execute", count)
    found, remembered = identity.session_caller(token)
    event.remove(identity.identity_engine(), "before_cursor_execute", count)

    assert found is not None and found.user is not None and not remembered
    assert len(statements) == 1, f"the lookup took {len(statements)} statements"
    assert (found.session.user_id, found.user.id) == (user_id, user_id)
    assert found.user.roles == {"regional_analyst", "subgroup_member"}
    assert found.reviews == {REVIEW}
    assert found.region_partnerships == {PARTNERSHIP, NEIGHBOUR}


def test_signing_out_in_this_process_is_refused_at_once_though_the_session_was_remembered(db_name):
    _, token = _signed_in(["business_manager"])
    found, _ = identity.session_caller(token, remembered_for=LONG)
    assert identity.session_caller(token, remembered_for=LONG) == (found, True), "not remembered"
    assert found is not None
    identity.end_session(found.session.id_hash, utcnow())
    assert identity.session_caller(token, remembered_for=LONG) == (None, False)


def _add_to_review(user_id: uuid.UUID) -> None:
    identity.add_member(REVIEW, user_id, PARTNERSHIP, "subgroup_member", "test")


def _sign_out_everywhere(user_id: uuid.UUID) -> None:
    identity.end_all_sessions(user_id, utcnow())


@pytest.mark.parametrize("change", [_add_to_review, _sign_out_everywhere])
def test_any_write_to_identity_in_this_process_forgets_every_remembered_session(db_name, change):
    user_id, token = _signed_in(["business_manager"])
    _, other_token = _signed_in(["executive"])
    identity.session_caller(token, remembered_for=LONG)
    identity.session_caller(other_token, remembered_for=LONG)
    change(user_id)
    found, remembered = identity.session_caller(token, remembered_for=LONG)
    assert not remembered, "a session was answered from memory after this process wrote to identity"
    assert found is None or found.reviews == {REVIEW}
    assert identity.session_caller(other_token, remembered_for=LONG)[1] is False


def test_a_sign_out_by_another_process_is_refused_once_the_seconds_remembered_have_passed(
    db_name, monkeypatch
):
    clock = [1000.0]
    monkeypatch.setattr(identity, "monotonic", lambda: clock[0])
    _, token = _signed_in(["business_manager"])
    found, _ = identity.session_caller(token, remembered_for=2.0)
    assert found is not None
    with closing(psycopg2.connect(database_dsn(db_name))) as other, other, other.cursor() as cursor:
        cursor.execute(
            "UPDATE identity.session SET ended_at = now() WHERE id_hash = %s", (found.session.id_hash,)
        )
    clock[0] += 1.0
    assert identity.session_caller(token, remembered_for=2.0) == (found, True), "the documented bound"
    clock[0] += 1.1
    assert identity.session_caller(token, remembered_for=2.0) == (None, False)


def test_the_account_pages_overview_names_the_partnership_and_lists_the_live_sessions_current_first(db_name):
    user_id, token = _signed_in(["business_manager"])
    identity.create_session(user_id, "full", now=utcnow(), lifetime=timedelta(hours=8), address="203.0.113.8")
    ended = identity.create_session(user_id, "full", now=utcnow(), lifetime=timedelta(hours=8), address=None)
    found, _ = identity.session_caller(token)
    gone, _ = identity.session_caller(ended)
    assert found is not None and found.user is not None and gone is not None
    identity.end_session(gone.session.id_hash, utcnow())

    overview = identity.account_overview(found.user, found.session.id_hash, utcnow(), timedelta(minutes=20))

    assert (overview.partnership, overview.agency, overview.recovery_codes_left) == ("NTH", "", 0)
    assert [(s.current, s.address) for s in overview.sessions] == [
        (True, "203.0.113.7"),
        (False, "203.0.113.8"),
    ]
    assert overview.sessions == identity.sessions_of(
        user_id, found.session.id_hash, utcnow(), timedelta(minutes=20)
    ), "the account page and the sessions page disagree"
