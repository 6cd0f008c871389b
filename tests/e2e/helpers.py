"""What the end-to-end and browser suites share: the demo's ids, reading effects from the database,
waiting for the eventually consistent parts of the system.

The pytest process must never import eventlet. `caserev.demo` imports nameko's standalone RPC proxy (and
with it eventlet) at module level, so its constants are read from its source here instead of imported.
"""

from __future__ import annotations

import ast
import json
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pyotp

from tests.support.infra import database_dsn
from tests.support.system import ROOT, SystemEnv, wait_for

__all__ = [
    "DEMO",
    "Database",
    "DemoPartnership",
    "SignedIn",
    "csrf_in",
    "demo_credentials",
    "fresh_code",
    "review_total",
    "sign_in",
    "sign_in_as",
    "wait_for",
    "wait_until_settled",
]


@dataclass(frozen=True)
class DemoPartnership:
    """A partnership of the synthetic demo, as `caserev/demo.py` defines it."""

    code: str
    name: str
    manager_name: str
    manager_email: str
    id: uuid.UUID


@dataclass(frozen=True)
class Demo:
    """The demo's data, read from `caserev/demo.py` without importing it."""

    namespace: uuid.UUID
    partnerships: tuple[DemoPartnership, ...]
    reviews: tuple[tuple[str, str, str], ...]

    def partnership(self, code: str) -> DemoPartnership:
        return next(p for p in self.partnerships if p.code == code)


def _read_demo(path: Path = ROOT / "caserev" / "demo.py") -> Demo:
    """The literals of DEMO_NAMESPACE, PARTNERSHIPS and REVIEWS in caserev/demo.py."""
    values: dict[str, ast.expr] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value
    namespace_call = values["DEMO_NAMESPACE"]
    assert isinstance(namespace_call, ast.Call), "DEMO_NAMESPACE is no longer uuid.UUID('...')"
    namespace = uuid.UUID(ast.literal_eval(namespace_call.args[0]))
    partnerships_node = values["PARTNERSHIPS"]
    assert isinstance(partnerships_node, ast.Tuple), "PARTNERSHIPS is no longer a tuple"
    partnerships = []
    for call in partnerships_node.elts:
        assert isinstance(call, ast.Call), "PARTNERSHIPS no longer holds DemoPartnership(...) calls"
        code, name, manager_name, manager_email = (ast.literal_eval(arg) for arg in call.args)
        partnerships.append(
            DemoPartnership(code, name, manager_name, manager_email, uuid.uuid5(namespace, code))
        )
    reviews = ast.literal_eval(values["REVIEWS"])
    return Demo(namespace, tuple(partnerships), tuple(reviews))


DEMO = _read_demo()


class Database:
    """Read-only looks into every schema of a test system's database, as the superuser."""

    def __init__(self, db_name: str) -> None:
        self.connection = psycopg2.connect(database_dsn(db_name))
        self.connection.autocommit = True

    def rows(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    def scalar(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        rows = self.rows(query, params)
        return rows[0][0] if rows else None

    def count(self, table: str) -> int:
        """Rows in `schema.table` (a trusted name from the test itself)."""
        return int(self.scalar(f"SELECT count(*) FROM {table}"))

    def close(self) -> None:
        self.connection.close()

    # -- what the slice's effects look like ----------------------------------------------------------

    def events_not_yet_counted(self) -> int:
        """Forms events of the kinds analytics consumes (reviews opened, stages changed, reviews restated)
        in the forms outbox that it has not applied yet, unpublished ones included: zero means the
        analytics read model has caught up with every review and every stage."""
        return int(
            self.scalar(
                """
                SELECT count(*) FROM forms.outbox o
                WHERE o.event_type IN ('forms.review_opened', 'forms.stage_changed', 'forms.review_restated')
                  AND NOT EXISTS (SELECT 1 FROM analytics.inbox i WHERE i.event_id = o.event_id)
                """
            )
        )

    def events_of_review(self, review_id: str) -> list[tuple[Any, ...]]:
        """(event_id, event_type, published_at) of the forms outbox rows about one review."""
        return self.rows(
            """
            SELECT event_id, event_type, published_at FROM forms.outbox
            WHERE envelope->>'review_id' = %s ORDER BY id
            """,
            (review_id,),
        )


def wait_until_settled(db: Database, timeout: float = 30) -> None:
    """Wait until analytics has applied every event the forms service has written."""
    wait_for(
        lambda: db.events_not_yet_counted() == 0,
        timeout=timeout,
        message="analytics to apply every forms event",
    )


def review_total(api: httpx.Client, partnership_id: uuid.UUID, review_type: str | None = None) -> int:
    """The analytics count of a partnership's reviews (of one type, if given), through the gateway."""
    response = api.get("/api/review-counts", params={"partnership_id": str(partnership_id)})
    assert response.status_code == 200, response.text
    return sum(row["count"] for row in response.json() if review_type in (None, row["review_type"]))


def gateway_client(system: SystemEnv) -> httpx.Client:
    """An HTTP client of the system's gateway."""
    return httpx.Client(base_url=system.gateway_url, timeout=20, follow_redirects=False)


# -- signing in --------------------------------------------------------------------------------

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_in(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF_FIELD.search(html)
    assert found, "the page has no form with a csrf_token field"
    return found.group(1)


def demo_credentials(system: SystemEnv) -> dict[str, Any]:
    """The demo's generated password and each demo user's TOTP secret (written by `caserev seed-demo`)."""
    return json.loads(Path(system.env["CASEREV_DEMO_CREDENTIALS_FILE"]).read_text())


# The last TOTP step used per (system, e-mail): a step is accepted once; a second sign-in waits for the next.
_last_step: dict[tuple[str, str], int] = {}


def fresh_code(system: SystemEnv, email: str, secret: str | None = None) -> str:
    """A security code for a step this test process has not used yet for this user (waits up to 30 s)."""
    secret = secret or demo_credentials(system)["totp"][email]
    key = (system.db_name, email)
    while (step := int(time.time()) // 30) <= _last_step.get(key, -1):
        time.sleep(0.5)
    _last_step[key] = step
    return pyotp.TOTP(secret).at(step * 30)


@dataclass
class SignedIn:
    """A browser-like client signed in as one person (cookies kept, redirects not followed)."""

    client: httpx.Client
    email: str

    def csrf(self) -> str:
        """The CSRF token of this session (from the account page)."""
        response = self.client.get("/account")
        assert response.status_code == 200, f"the session of {self.email} has ended: {response.status_code}"
        return csrf_in(response.text)

    def post_form(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        """POST a form with the session's CSRF token."""
        return self.client.post(path, data={**(data or {}), "csrf_token": self.csrf()})


def sign_in_as(
    system: SystemEnv, email: str, password: str, code: str, *, recovery: bool = False
) -> tuple[httpx.Client, httpx.Response]:
    """One attempt through the sign-in form: the client and the gateway's answer."""
    client = gateway_client(system)
    page = client.get("/sign-in")
    assert page.status_code == 200, page.text
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


_sessions: dict[tuple[str, str], SignedIn] = {}


def sign_in(system: SystemEnv, email: str, *, fresh: bool = False) -> SignedIn:
    """A demo user signed in with the demo password and a security code. Sessions are reused across tests
    of one system unless `fresh` (a test that signs out, or must own its session, asks for a fresh one)."""
    key = (system.db_name, email)
    if not fresh and key in _sessions:
        return _sessions[key]
    credentials = demo_credentials(system)
    client, response = sign_in_as(system, email, credentials["password"], fresh_code(system, email))
    assert response.status_code == 303, (
        f"{email} could not sign in: {response.status_code} {response.text[:300]}"
    )
    signed_in = SignedIn(client, email)
    if not fresh:
        _sessions[key] = signed_in
    return signed_in
