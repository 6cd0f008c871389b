"""The gateway's own schema `identity`: partnerships, agencies, users and roles, review memberships,
second factors, sessions, sign-in links, sign-in failures and API clients.

Storage only: what is allowed is decided in gateway/policy.py and gateway/signin.py. Every function runs
synchronously (the routes call them through the thread pool). A change to a person or an agency writes its
event (gateway/identity_events.py) in the same transaction, so that the notifications service learns it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from threading import Lock
from time import monotonic
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, event, text

from gateway import identity_events
from gateway.credentials import hash_token, new_token
from services.kernel.db import create_schema_engine

AGENCY_TYPES: dict[str, str] = {
    "childrens_social_care": "Children's social care",
    "police": "Police",
    "health": "Health (ICB and providers)",
    "education": "Education",
    "probation": "Probation",
    "youth_justice": "Youth justice",
    "housing": "Housing",
    "voluntary_sector": "Voluntary sector",
    "other": "Other",
}

# A member's part in one review.
REVIEW_PARTS: dict[str, str] = {
    "independent_reviewer": "Independent reviewer",
    "agency_lead": "Agency safeguarding lead",
    "agency_author": "Agency author",
    "subgroup_member": "Review sub-group member",
    "action_owner": "Action owner",
}


@dataclass(frozen=True)
class Partnership:
    """A safeguarding partnership: the tenant."""

    id: UUID
    code: str
    name: str
    region: str | None = None


@dataclass(frozen=True)
class Agency:
    """An agency within a partnership (police, health, ...)."""

    id: UUID
    partnership_id: UUID
    name: str
    agency_type: str

    @property
    def type_label(self) -> str:
        return AGENCY_TYPES.get(self.agency_type, self.agency_type)


@dataclass(frozen=True)
class UserAccount:
    """A person who signs in."""

    id: UUID
    partnership_id: UUID | None
    agency_id: UUID | None
    region: str | None
    email: str
    display_name: str
    roles: frozenset[str]
    active: bool
    password_hash: str | None
    totp_secret: str | None
    totp_last_step: int | None
    last_signed_in_at: datetime | None

    @property
    def enrolled(self) -> bool:
        """True once the second factor is set up."""
        return self.totp_secret is not None


@dataclass(frozen=True)
class Membership:
    """A user's part in a review."""

    review_id: UUID
    user_id: UUID
    partnership_id: UUID
    part: str
    display_name: str = ""

    @property
    def part_label(self) -> str:
        return REVIEW_PARTS.get(self.part, self.part)


@dataclass(frozen=True)
class Session:
    """A server-side session (the cookie holds a random token; only its hash is stored)."""

    id_hash: str
    user_id: UUID
    stage: str
    link_hash: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class AccountLink:
    """A single-use link sent by e-mail: an invitation, a second-factor reset or a password reset."""

    token_hash: str
    user_id: UUID
    purpose: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class ApiClient:
    """An agency's system allowed to call the JSON API."""

    id: UUID
    client_id: str
    name: str
    partnership_id: UUID
    agency_id: UUID
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@lru_cache
def identity_engine() -> Engine:
    """The engine of schema `identity`, as its own role."""
    engine = create_schema_engine("identity", pool_size=5)
    # Whatever this process writes to identity may end or change a session: the sessions it remembers are
    # forgotten as the write commits, and again once it has committed (a lookup racing the commit).
    event.listen(engine, "commit", lambda connection: SESSIONS.forget_all())
    event.listen(engine, "commit", lambda connection: connection.info.__setitem__(_COMMITTED, True))
    event.listen(engine, "checkin", _forget_after_commit)
    return engine


_COMMITTED = "caserev_identity_committed"


def _forget_after_commit(dbapi_connection: object, record: Any) -> None:
    if record.info.pop(_COMMITTED, False):
        SESSIONS.forget_all()


def _begin() -> Connection:
    return identity_engine().begin()  # type: ignore[return-value]


@contextmanager
def _begin_with_events() -> Iterator[Connection]:
    """A transaction that writes identity events: the relay is woken once it has committed."""
    with _begin() as connection:
        yield connection
    identity_events.wake_relay()


def account_key(email: str) -> str:
    """What the throttle counts failures against: a hash of the typed e-mail, so no address is stored."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


# -- partnerships and agencies ----------------------------------------------------------------------------


def save_partnership(
    partnership_id: UUID, code: str, name: str, region: str | None, *, actor_id: str | None = None
) -> bool:
    """Register a partnership, or change its code, name or region; publishes identity.partnership_changed
    when anything changed (True), in the same transaction. A code taken by another partnership is refused
    by the database (unique)."""
    with _begin_with_events() as connection:
        row = connection.execute(
            text(
                "INSERT INTO partnership (id, code, name, region) VALUES (:id, :c, :n, :r)"
                " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name,"
                " region = EXCLUDED.region"
                " WHERE (partnership.code, partnership.name, partnership.region)"
                " IS DISTINCT FROM (EXCLUDED.code, EXCLUDED.name, EXCLUDED.region)"
                " RETURNING id"
            ),
            {"id": partnership_id, "c": code, "n": name, "r": region},
        ).first()
        if row is not None:
            identity_events.partnership_changed(connection, partnership_id, actor_id)
    return row is not None


def list_partnerships() -> list[Partnership]:
    """Every partnership, by name."""
    with identity_engine().connect() as connection:
        rows = connection.execute(text("SELECT id, code, name, region FROM partnership ORDER BY name")).all()
    return [Partnership(row.id, row.code, row.name, row.region) for row in rows]


def get_partnership(partnership_id: UUID) -> Partnership | None:
    """One partnership."""
    with identity_engine().connect() as connection:
        row = connection.execute(
            text("SELECT id, code, name, region FROM partnership WHERE id = :id"), {"id": partnership_id}
        ).first()
    return Partnership(row.id, row.code, row.name, row.region) if row else None


def partnership_exists(partnership_id: UUID) -> bool:
    """True if the partnership is registered here."""
    return get_partnership(partnership_id) is not None


def partnerships_of_region(region: str | None) -> frozenset[UUID]:
    """The partnerships of a region (a regional analyst's view)."""
    if not region:
        return frozenset()
    with identity_engine().connect() as connection:
        rows = connection.execute(text("SELECT id FROM partnership WHERE region = :r"), {"r": region})
        return frozenset(row.id for row in rows)


def list_agencies(partnership_id: UUID) -> list[Agency]:
    """A partnership's agencies, by name."""
    with identity_engine().connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, partnership_id, name, agency_type FROM agency"
                " WHERE partnership_id = :p ORDER BY name"
            ),
            {"p": partnership_id},
        ).all()
    return [Agency(row.id, row.partnership_id, row.name, row.agency_type) for row in rows]


def get_agency(agency_id: UUID) -> Agency | None:
    """One agency."""
    with identity_engine().connect() as connection:
        row = connection.execute(
            text("SELECT id, partnership_id, name, agency_type FROM agency WHERE id = :id"), {"id": agency_id}
        ).first()
    return Agency(row.id, row.partnership_id, row.name, row.agency_type) if row else None


def create_agency(
    partnership_id: UUID,
    name: str,
    agency_type: str,
    agency_id: UUID | None = None,
    *,
    actor_id: str | None = None,
) -> Agency:
    """Add an agency to a partnership (a name already there is returned as it is: nothing is published)."""
    with _begin_with_events() as connection:
        row = connection.execute(
            text(
                "INSERT INTO agency (id, partnership_id, name, agency_type) VALUES (:id, :p, :n, :t)"
                " ON CONFLICT (partnership_id, name) DO NOTHING"
                " RETURNING id, partnership_id, name, agency_type"
            ),
            {"id": agency_id or uuid.uuid4(), "p": partnership_id, "n": name, "t": agency_type},
        ).first()
        if row is None:
            row = connection.execute(
                text(
                    "SELECT id, partnership_id, name, agency_type FROM agency"
                    " WHERE partnership_id = :p AND name = :n"
                ),
                {"p": partnership_id, "n": name},
            ).one()
        else:
            identity_events.agency_changed(connection, row.id, actor_id)
    return Agency(row.id, row.partnership_id, row.name, row.agency_type)


# -- users --------------------------------------------------------------------------------------------------

_USER_COLUMNS = """
    u.id, u.partnership_id, u.agency_id, u.region, u.email, u.display_name, u.active, u.password_hash,
    u.totp_secret, u.totp_last_step, u.last_signed_in_at,
    COALESCE(ARRAY(SELECT role FROM user_role r WHERE r.user_id = u.id ORDER BY role), '{}') AS roles
"""


def _user(row: object) -> UserAccount:
    return UserAccount(
        id=row.id,  # type: ignore[attr-defined]
        partnership_id=row.partnership_id,  # type: ignore[attr-defined]
        agency_id=row.agency_id,  # type: ignore[attr-defined]
        region=row.region,  # type: ignore[attr-defined]
        email=row.email,  # type: ignore[attr-defined]
        display_name=row.display_name,  # type: ignore[attr-defined]
        roles=frozenset(row.roles),  # type: ignore[attr-defined]
        active=row.active,  # type: ignore[attr-defined]
        password_hash=row.password_hash,  # type: ignore[attr-defined]
        totp_secret=row.totp_secret,  # type: ignore[attr-defined]
        totp_last_step=row.totp_last_step,  # type: ignore[attr-defined]
        last_signed_in_at=row.last_signed_in_at,  # type: ignore[attr-defined]
    )


def user_by_email(email: str) -> UserAccount | None:
    """The account with this e-mail address (any case), active or not."""
    with identity_engine().connect() as connection:
        row = connection.execute(
            text(f"SELECT {_USER_COLUMNS} FROM user_account u WHERE lower(u.email) = lower(:e)"),
            {"e": email.strip()},
        ).first()
    return _user(row) if row else None


def user_by_id(user_id: UUID) -> UserAccount | None:
    """One account."""
    with identity_engine().connect() as connection:
        row = connection.execute(
            text(f"SELECT {_USER_COLUMNS} FROM user_account u WHERE u.id = :id"), {"id": user_id}
        ).first()
    return _user(row) if row else None


def list_users(partnership_id: UUID) -> list[UserAccount]:
    """A partnership's accounts, by name."""
    with identity_engine().connect() as connection:
        rows = connection.execute(
            text(
                f"SELECT {_USER_COLUMNS} FROM user_account u WHERE u.partnership_id = :p"
                " ORDER BY u.active DESC, u.display_name"
            ),
            {"p": partnership_id},
        ).all()
    return [_user(row) for row in rows]


def create_user(
    *,
    email: str,
    display_name: str,
    partnership_id: UUID | None,
    agency_id: UUID | None,
    roles: Iterable[str],
    created_by: str,
    region: str | None = None,
    user_id: UUID | None = None,
) -> UUID:
    """Create an account with no password and no second factor yet (an invitation completes it)."""
    new_id = user_id or uuid.uuid4()
    with _begin_with_events() as connection:
        connection.execute(
            text(
                "INSERT INTO user_account (id, partnership_id, agency_id, region, email, display_name,"
                " created_by) VALUES (:id, :p, :a, :r, :e, :n, :by)"
            ),
            {
                "id": new_id,
                "p": partnership_id,
                "a": agency_id,
                "r": region,
                "e": email.strip(),
                "n": display_name,
                "by": created_by,
            },
        )
        _set_roles(connection, new_id, roles)
        identity_events.person_changed(connection, new_id, created_by)
    return new_id


def _set_roles(connection: Connection, user_id: UUID, roles: Iterable[str]) -> None:
    connection.execute(text("DELETE FROM user_role WHERE user_id = :u"), {"u": user_id})
    for role in sorted(set(roles)):
        connection.execute(
            text("INSERT INTO user_role (user_id, role) VALUES (:u, :r)"), {"u": user_id, "r": role}
        )


def update_user(
    user_id: UUID,
    *,
    roles: Iterable[str],
    agency_id: UUID | None,
    display_name: str,
    actor_id: str | None = None,
) -> None:
    """Change an account's roles, agency and name."""
    with _begin_with_events() as connection:
        connection.execute(
            text("UPDATE user_account SET agency_id = :a, display_name = :n WHERE id = :id"),
            {"a": agency_id, "n": display_name, "id": user_id},
        )
        _set_roles(connection, user_id, roles)
        identity_events.person_changed(connection, user_id, actor_id)


def deactivate_user(user_id: UUID, now: datetime, *, actor_id: str | None = None) -> None:
    """Deactivate an account and end its sessions (it keeps its history)."""
    with _begin_with_events() as connection:
        connection.execute(
            text("UPDATE user_account SET active = false, deactivated_at = :now WHERE id = :id"),
            {"now": now, "id": user_id},
        )
        identity_events.person_changed(connection, user_id, actor_id)
        _end_sessions(connection, user_id, now)
        connection.execute(
            text("UPDATE account_link SET used_at = :now WHERE user_id = :id AND used_at IS NULL"),
            {"now": now, "id": user_id},
        )


def set_password(user_id: UUID, password_hash: str, now: datetime) -> None:
    """Store a new password hash."""
    with _begin() as connection:
        connection.execute(
            text("UPDATE user_account SET password_hash = :h, password_changed_at = :now WHERE id = :id"),
            {"h": password_hash, "now": now, "id": user_id},
        )


def enrol_second_factor(
    user_id: UUID, encrypted_secret: str, step: int, code_hashes: list[str], now: datetime
) -> None:
    """Store the confirmed TOTP secret (its confirming step counts as used) and fresh recovery codes."""
    with _begin() as connection:
        connection.execute(
            text(
                "UPDATE user_account SET totp_secret = :s, totp_enrolled_at = :now, totp_last_step = :step"
                " WHERE id = :id"
            ),
            {"s": encrypted_secret, "now": now, "step": step, "id": user_id},
        )
        connection.execute(text("DELETE FROM recovery_code WHERE user_id = :id"), {"id": user_id})
        for code_hash in code_hashes:
            connection.execute(
                text("INSERT INTO recovery_code (user_id, code_hash) VALUES (:id, :h)"),
                {"id": user_id, "h": code_hash},
            )


def reset_second_factor(user_id: UUID, now: datetime) -> None:
    """Forget the second factor and recovery codes, and end every session (an administrator's reset)."""
    with _begin() as connection:
        connection.execute(
            text(
                "UPDATE user_account SET totp_secret = NULL, totp_enrolled_at = NULL, totp_last_step = NULL"
                " WHERE id = :id"
            ),
            {"id": user_id},
        )
        connection.execute(text("DELETE FROM recovery_code WHERE user_id = :id"), {"id": user_id})
        _end_sessions(connection, user_id, now)


def accept_step(user_id: UUID, step: int) -> bool:
    """Record a TOTP step as used, only if it is later than the last one used: of two simultaneous
    submissions of one code, exactly one updates the row."""
    with _begin() as connection:
        result = connection.execute(
            text(
                "UPDATE user_account SET totp_last_step = :step"
                " WHERE id = :id AND (totp_last_step IS NULL OR totp_last_step < :step)"
            ),
            {"step": step, "id": user_id},
        )
        return result.rowcount == 1


def use_recovery_code(user_id: UUID, code_hash: str, now: datetime) -> bool:
    """Spend a recovery code once; True if it was unused."""
    with _begin() as connection:
        result = connection.execute(
            text(
                "UPDATE recovery_code SET used_at = :now"
                " WHERE user_id = :id AND code_hash = :h AND used_at IS NULL"
            ),
            {"now": now, "id": user_id, "h": code_hash},
        )
        return result.rowcount == 1


def recovery_codes_left(user_id: UUID) -> int:
    """Unused recovery codes."""
    with identity_engine().connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM recovery_code WHERE user_id = :id AND used_at IS NULL"),
                {"id": user_id},
            ).scalar_one()
        )


def signed_in(user_id: UUID, now: datetime) -> None:
    """Note a completed sign-in."""
    with _begin() as connection:
        connection.execute(
            text("UPDATE user_account SET last_signed_in_at = :now WHERE id = :id"),
            {"now": now, "id": user_id},
        )


# -- review memberships -------------------------------------------------------------------------------------


def reviews_of_user(user_id: UUID) -> frozenset[UUID]:
    """The reviews the user is a member of."""
    with identity_engine().connect() as connection:
        rows = connection.execute(
            text("SELECT review_id FROM review_membership WHERE user_id = :u"), {"u": user_id}
        )
        return frozenset(row.review_id for row in rows)


def reviews_of_agency(agency_id: UUID) -> frozenset[UUID]:
    """The reviews any member of the agency belongs to (what an agency's system may reach)."""
    with identity_engine().connect() as connection:
        rows = connection.execute(
            text(
                "SELECT DISTINCT m.review_id FROM review_membership m"
                " JOIN user_account u ON u.id = m.user_id WHERE u.agency_id = :a AND u.active"
            ),
            {"a": agency_id},
        )
        return frozenset(row.review_id for row in rows)


def members_of_review(review_id: UUID) -> list[Membership]:
    """Who is a member of a review, and their part."""
    with identity_engine().connect() as connection:
        rows = connection.execute(
            text(
                "SELECT m.review_id, m.user_id, m.partnership_id, m.part, u.display_name"
                " FROM review_membership m JOIN user_account u ON u.id = m.user_id"
                " WHERE m.review_id = :r ORDER BY m.part, u.display_name"
            ),
            {"r": review_id},
        ).all()
    return [Membership(r.review_id, r.user_id, r.partnership_id, r.part, r.display_name) for r in rows]


def add_member(review_id: UUID, user_id: UUID, partnership_id: UUID, part: str, added_by: str) -> None:
    """Make a user a member of a review (or change their part)."""
    with _begin() as connection:
        connection.execute(
            text(
                "INSERT INTO review_membership (review_id, user_id, partnership_id, part, added_by)"
                " VALUES (:r, :u, :p, :part, :by)"
                " ON CONFLICT (review_id, user_id) DO UPDATE SET part = EXCLUDED.part"
            ),
            {"r": review_id, "u": user_id, "p": partnership_id, "part": part, "by": added_by},
        )


# -- sessions -----------------------------------------------------------------------------------------------


def create_session(
    user_id: UUID,
    stage: str,
    *,
    now: datetime,
    lifetime: timedelta,
    address: str | None,
    link_hash: str | None = None,
    device: str | None = None,
) -> str:
    """Start a session; returns the cookie's value (only its hash is stored)."""
    token = new_token()
    with _begin() as connection:
        # Ended and expired sessions are kept a month for the data protection officer, then forgotten.
        connection.execute(
            text("DELETE FROM session WHERE expires_at < :old"), {"old": now - timedelta(days=30)}
        )
        connection.execute(
            text(
                "INSERT INTO session (id_hash, user_id, stage, link_hash, created_at, last_seen_at,"
                " expires_at, address, handle, device)"
                " VALUES (:h, :u, :stage, :link, :now, :now, :exp, :addr, :handle, :device)"
            ),
            {
                "h": hash_token(token),
                "u": user_id,
                "stage": stage,
                "link": link_hash,
                "now": now,
                "exp": now + lifetime,
                "addr": address,
                "handle": uuid.uuid4(),
                "device": device[:60] if device else None,
            },
        )
    return token


def session_by_token(token: str) -> Session | None:
    """The live (not ended) session of a cookie value; expiry is the caller's to judge."""
    with identity_engine().connect() as connection:
        row = connection.execute(
            text(
                "SELECT id_hash, user_id, stage, link_hash, created_at, last_seen_at, expires_at FROM session"
                " WHERE id_hash = :h AND ended_at IS NULL"
            ),
            {"h": hash_token(token)},
        ).first()
    if row is None:
        return None
    return Session(
        row.id_hash, row.user_id, row.stage, row.link_hash, row.created_at, row.last_seen_at, row.expires_at
    )


@dataclass(frozen=True)
class SessionCaller:
    """A live session, its account (None if gone) and what the account's Actor needs: the reviews it is a
    member of and, for a regional analyst, its region's partnerships."""

    session: Session
    user: UserAccount | None
    reviews: frozenset[UUID]
    region_partnerships: frozenset[UUID]


_SESSION_CALLER = text(
    "SELECT s.id_hash, s.user_id, s.stage, s.link_hash, s.created_at, s.last_seen_at,"
    f" s.expires_at, u.id IS NOT NULL AS has_account, {_USER_COLUMNS},"
    " ARRAY(SELECT m.review_id FROM review_membership m WHERE m.user_id = u.id) AS reviews,"
    " ARRAY(SELECT p.id FROM partnership p WHERE p.region = u.region) AS region_partnerships"
    " FROM session s LEFT JOIN user_account u ON u.id = s.user_id"
    " WHERE s.id_hash = :h AND s.ended_at IS NULL"
)


def _session_caller(token_hash: str) -> SessionCaller | None:
    """The live (not ended) session of a token's hash, its account and the account's memberships, in one
    statement and one round trip. Expiry is the caller's to judge."""
    # In a transaction, though one statement needs none: only there does the first statement after a checkout
    # run again on a fresh connection if the pooled one died (services/kernel/db.py), as after a restart.
    with identity_engine().connect() as connection:
        row = connection.execute(_SESSION_CALLER, {"h": token_hash}).first()
    if row is None:
        return None
    session = Session(
        row.id_hash, row.user_id, row.stage, row.link_hash, row.created_at, row.last_seen_at, row.expires_at
    )
    if not row.has_account:
        return SessionCaller(session, None, frozenset(), frozenset())
    return SessionCaller(session, _user(row), frozenset(row.reviews), frozenset(row.region_partnerships))


class SessionCache:
    """The sessions this process looked up in the last `seconds`, by their token's hash.

    Every request is still authenticated: expiry, the account's state, roles and policy are judged on every
    request from what is remembered. What remembering costs is staleness, bounded: a write to identity made
    by this process (sign-out, a role or membership changed, an account deactivated) forgets every session
    as it commits; one made by another process takes effect here within `seconds`."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._found: dict[str, tuple[float, SessionCaller]] = {}
        self._generation = 0
        self._lock = Lock()

    def forget_all(self) -> None:
        """Forget every session (a write to identity has committed, or is committing)."""
        with self._lock:
            self._generation += 1
            self._found.clear()

    def forget(self, token_hash: str) -> None:
        """Forget one session."""
        with self._lock:
            self._found.pop(token_hash, None)

    def remembered(self, token: str, seconds: float) -> SessionCaller | None:
        """The session of a cookie value if it was looked up in the last `seconds`; None otherwise."""
        if seconds <= 0:
            return None
        remembered = self._found.get(hash_token(token))
        if remembered is not None and monotonic() - remembered[0] < seconds:
            return remembered[1]
        return None

    def lookup(self, token: str, seconds: float) -> tuple[SessionCaller | None, bool]:
        """The session of a cookie value, and whether it was remembered rather than looked up now."""
        remembered = self.remembered(token, seconds)
        if remembered is not None:
            return remembered, True
        token_hash = hash_token(token)
        generation, looked_up_at = self._generation, monotonic()
        found = _session_caller(token_hash)
        if found is not None and seconds > 0:
            with self._lock:
                # A write committed while the lookup ran may not be in what it read: not remembered.
                if generation == self._generation:
                    if len(self._found) >= self.limit:
                        self._found.clear()
                    self._found[token_hash] = (looked_up_at, found)
        return found, False


SESSIONS = SessionCache()


def session_caller(token: str, *, remembered_for: float = 0) -> tuple[SessionCaller | None, bool]:
    """The live (not ended) session of a cookie value, its account and the account's memberships, and
    whether it comes from what this process looked up in the last `remembered_for` seconds (SessionCache)
    rather than from the database now. Expiry is the caller's to judge."""
    return SESSIONS.lookup(token, remembered_for)


def touch_session(id_hash: str, now: datetime) -> None:
    """Record activity (the idle time-out counts from here)."""
    with _begin() as connection:
        connection.execute(
            text("UPDATE session SET last_seen_at = :now WHERE id_hash = :h"), {"now": now, "h": id_hash}
        )


def end_session(id_hash: str, now: datetime) -> None:
    """Sign out one session."""
    with _begin() as connection:
        connection.execute(
            text("UPDATE session SET ended_at = :now WHERE id_hash = :h AND ended_at IS NULL"),
            {"now": now, "h": id_hash},
        )


def _end_sessions(connection: Connection, user_id: UUID, now: datetime) -> None:
    connection.execute(
        text("UPDATE session SET ended_at = :now WHERE user_id = :u AND ended_at IS NULL"),
        {"now": now, "u": user_id},
    )


def end_other_sessions(user_id: UUID, keep: str, now: datetime) -> int:
    """End every session of a user but the one whose hash is `keep` (after a change of password)."""
    with _begin() as connection:
        result = connection.execute(
            text(
                "UPDATE session SET ended_at = :now"
                " WHERE user_id = :u AND id_hash <> :keep AND ended_at IS NULL"
            ),
            {"now": now, "u": user_id, "keep": keep},
        )
        return result.rowcount


def end_all_sessions(user_id: UUID, now: datetime) -> int:
    """Sign out everywhere; returns how many sessions ended."""
    with _begin() as connection:
        result = connection.execute(
            text("UPDATE session SET ended_at = :now WHERE user_id = :u AND ended_at IS NULL"),
            {"now": now, "u": user_id},
        )
        return result.rowcount


@dataclass(frozen=True)
class LiveSession:
    """One of a person's live sessions, as their account page lists it."""

    handle: UUID | None
    device: str | None
    address: str | None
    created_at: datetime
    last_seen_at: datetime
    current: bool


_LIVE_SESSIONS = text(
    "SELECT id_hash, handle, device, address, created_at, last_seen_at FROM session"
    " WHERE user_id = :u AND stage = 'full' AND ended_at IS NULL AND expires_at > :now"
    " AND last_seen_at > :idle_since ORDER BY id_hash = :current DESC, last_seen_at DESC"
)


def sessions_of(user_id: UUID, current: str, now: datetime, idle: timedelta) -> list[LiveSession]:
    """A person's sessions that are neither ended nor timed out: the one asking (its hash is `current`)
    first, then the others by latest activity."""
    with identity_engine().connect() as connection:
        return _live_sessions(connection, user_id, current, now, idle)


def _live_sessions(
    connection: Connection, user_id: UUID, current: str, now: datetime, idle: timedelta
) -> list[LiveSession]:
    rows = connection.execute(
        _LIVE_SESSIONS, {"u": user_id, "now": now, "idle_since": now - idle, "current": current}
    ).all()
    return [
        LiveSession(
            row.handle,
            row.device,
            row.address,
            row.created_at,
            row.last_seen_at,
            current=row.id_hash == current,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class AccountOverview:
    """What a person's account page shows from identity beside the account itself."""

    partnership: str
    agency: str
    sessions: list[LiveSession]
    recovery_codes_left: int


def account_overview(user: UserAccount, current: str, now: datetime, idle: timedelta) -> AccountOverview:
    """The names of the person's partnership and agency, their unused recovery codes and their live sessions
    (as `sessions_of`): two reads on one connection."""
    with identity_engine().connect() as connection:
        names = connection.execute(
            text(
                "SELECT (SELECT name FROM partnership WHERE id = :p) AS partnership,"
                " (SELECT name FROM agency WHERE id = :a) AS agency,"
                " (SELECT count(*) FROM recovery_code WHERE user_id = :u AND used_at IS NULL) AS codes"
            ),
            {"p": user.partnership_id, "a": user.agency_id, "u": user.id},
        ).one()
        sessions = _live_sessions(connection, user.id, current, now, idle)
    return AccountOverview(names.partnership or "", names.agency or "", sessions, int(names.codes))


def end_session_by_handle(user_id: UUID, handle: UUID, keep: str, now: datetime) -> bool:
    """End the person's own live session named by `handle`, never the one whose hash is `keep` (the
    asker's); False if there is no such session of theirs."""
    with _begin() as connection:
        result = connection.execute(
            text(
                "UPDATE session SET ended_at = :now"
                " WHERE handle = :handle AND user_id = :u AND id_hash <> :keep AND ended_at IS NULL"
            ),
            {"now": now, "handle": handle, "u": user_id, "keep": keep},
        )
        return result.rowcount == 1


# -- single-use links ---------------------------------------------------------------------------------------


def create_link(user_id: UUID, purpose: str, *, created_by: str, now: datetime, lifetime: timedelta) -> str:
    """A single-use link token (only its hash is stored); earlier unused links of the same purpose lapse."""
    token = new_token()
    with _begin() as connection:
        connection.execute(
            text(
                "UPDATE account_link SET used_at = :now"
                " WHERE user_id = :u AND purpose = :p AND used_at IS NULL"
            ),
            {"now": now, "u": user_id, "p": purpose},
        )
        connection.execute(
            text(
                "INSERT INTO account_link (token_hash, user_id, purpose, created_at, created_by, expires_at)"
                " VALUES (:h, :u, :p, :now, :by, :exp)"
            ),
            {
                "h": hash_token(token),
                "u": user_id,
                "p": purpose,
                "now": now,
                "by": created_by,
                "exp": now + lifetime,
            },
        )
    return token


def link_by_token(token: str) -> AccountLink | None:
    """The link of a token, used or not."""
    with identity_engine().connect() as connection:
        row = connection.execute(
            text(
                "SELECT token_hash, user_id, purpose, expires_at, used_at FROM account_link"
                " WHERE token_hash = :h"
            ),
            {"h": hash_token(token)},
        ).first()
    return AccountLink(row.token_hash, row.user_id, row.purpose, row.expires_at, row.used_at) if row else None


def use_link(token_hash: str, now: datetime) -> bool:
    """Spend a link; True if it was unused."""
    with _begin() as connection:
        result = connection.execute(
            text("UPDATE account_link SET used_at = :now WHERE token_hash = :h AND used_at IS NULL"),
            {"now": now, "h": token_hash},
        )
        return result.rowcount == 1


# -- sign-in throttling -------------------------------------------------------------------------------------


def record_failure(key: str, address: str, now: datetime) -> None:
    """Count a failed sign-in against the account typed and the address it came from."""
    with _begin() as connection:
        connection.execute(
            text("INSERT INTO signin_failure (account_key, address, at) VALUES (:k, :a, :now)"),
            {"k": key, "a": address, "now": now},
        )
        # Old failures count for nothing; keep the table small.
        connection.execute(
            text("DELETE FROM signin_failure WHERE at < :old"), {"old": now - timedelta(days=1)}
        )


def recent_failures(
    key: str, address: str, since: datetime
) -> tuple[int, int, datetime | None, datetime | None]:
    """Failures since a time: (by account, by address, latest by account, latest by address)."""
    with identity_engine().connect() as connection:
        row = connection.execute(
            text(
                "SELECT count(*) FILTER (WHERE account_key = :k) AS by_account,"
                " count(*) FILTER (WHERE address = :a) AS by_address,"
                " max(at) FILTER (WHERE account_key = :k) AS last_account,"
                " max(at) FILTER (WHERE address = :a) AS last_address"
                " FROM signin_failure WHERE at >= :since AND (account_key = :k OR address = :a)"
            ),
            {"k": key, "a": address, "since": since},
        ).one()
    return int(row.by_account), int(row.by_address), row.last_account, row.last_address


def clear_failures(key: str) -> None:
    """A successful sign-in forgives the account's earlier failures (not the address's)."""
    with _begin() as connection:
        connection.execute(text("DELETE FROM signin_failure WHERE account_key = :k"), {"k": key})


# -- API clients --------------------------------------------------------------------------------------------


def _client(row: object) -> ApiClient:
    return ApiClient(
        id=row.id,  # type: ignore[attr-defined]
        client_id=row.client_id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        partnership_id=row.partnership_id,  # type: ignore[attr-defined]
        agency_id=row.agency_id,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        revoked_at=row.revoked_at,  # type: ignore[attr-defined]
        last_used_at=row.last_used_at,  # type: ignore[attr-defined]
    )


_CLIENT_COLUMNS = "id, client_id, name, partnership_id, agency_id, created_at, revoked_at, last_used_at"


def create_api_client(
    *, name: str, partnership_id: UUID, agency_id: UUID, created_by: str, now: datetime
) -> tuple[ApiClient, str]:
    """Issue credentials for an agency's system; the secret is returned once and stored hashed."""
    secret = new_token()
    client_id = "cr_" + new_token(12)
    with _begin() as connection:
        row = connection.execute(
            text(
                "INSERT INTO api_client"
                " (id, client_id, secret_hash, name, partnership_id, agency_id, created_by, created_at)"
                " VALUES (:id, :cid, :h, :n, :p, :a, :by, :now)"
                f" RETURNING {_CLIENT_COLUMNS}"
            ),
            {
                "id": uuid.uuid4(),
                "cid": client_id,
                "h": hash_token(secret),
                "n": name,
                "p": partnership_id,
                "a": agency_id,
                "by": created_by,
                "now": now,
            },
        ).one()
    return _client(row), secret


def list_api_clients(partnership_id: UUID) -> list[ApiClient]:
    """A partnership's API clients, newest first."""
    with identity_engine().connect() as connection:
        rows = connection.execute(
            text(
                f"SELECT {_CLIENT_COLUMNS} FROM api_client WHERE partnership_id = :p ORDER BY created_at DESC"
            ),
            {"p": partnership_id},
        ).all()
    return [_client(row) for row in rows]


def get_api_client(api_client_id: UUID) -> ApiClient | None:
    """One API client."""
    with identity_engine().connect() as connection:
        row = connection.execute(
            text(f"SELECT {_CLIENT_COLUMNS} FROM api_client WHERE id = :id"), {"id": api_client_id}
        ).first()
    return _client(row) if row else None


def api_client_secret_hash(client_id: str) -> tuple[ApiClient, str] | None:
    """An unrevoked client and its secret's hash, by its public id."""
    with identity_engine().connect() as connection:
        row = connection.execute(
            text(
                f"SELECT {_CLIENT_COLUMNS}, secret_hash FROM api_client"
                " WHERE client_id = :c AND revoked_at IS NULL"
            ),
            {"c": client_id},
        ).first()
    return (_client(row), row.secret_hash) if row else None


def revoke_api_client(api_client_id: UUID, now: datetime) -> None:
    """Revoke a client and every token it holds."""
    with _begin() as connection:
        connection.execute(
            text("UPDATE api_client SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL"),
            {"now": now, "id": api_client_id},
        )
        connection.execute(text("DELETE FROM api_token WHERE api_client_id = :id"), {"id": api_client_id})


def issue_api_token(api_client_id: UUID, now: datetime, lifetime: timedelta) -> str:
    """A short-lived bearer token for a client (only its hash is stored)."""
    token = new_token()
    with _begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_token (token_hash, api_client_id, created_at, expires_at)"
                " VALUES (:h, :c, :now, :exp)"
            ),
            {"h": hash_token(token), "c": api_client_id, "now": now, "exp": now + lifetime},
        )
        connection.execute(
            text("UPDATE api_client SET last_used_at = :now WHERE id = :c"), {"now": now, "c": api_client_id}
        )
        connection.execute(text("DELETE FROM api_token WHERE expires_at < :now"), {"now": now})
    return token


def client_by_api_token(token: str, now: datetime) -> ApiClient | None:
    """The unrevoked client of an unexpired bearer token."""
    with identity_engine().connect() as connection:
        row = connection.execute(
            text(
                f"SELECT {', '.join('c.' + c for c in _CLIENT_COLUMNS.split(', '))} FROM api_token t"
                " JOIN api_client c ON c.id = t.api_client_id"
                " WHERE t.token_hash = :h AND t.expires_at > :now AND c.revoked_at IS NULL"
            ),
            {"h": hash_token(token), "now": now},
        ).first()
    return _client(row) if row else None


def database_ok() -> bool:
    """True if the identity schema answers."""
    with identity_engine().connect() as connection:
        return connection.execute(text("SELECT 1")).scalar_one() == 1


def utcnow() -> datetime:
    """Now, in UTC (one place for the gateway's clock, so tests can travel in time)."""
    return datetime.now(UTC)
