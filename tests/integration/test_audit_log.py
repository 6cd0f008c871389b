"""The audit log on a real PostgreSQL: appends from many threads form one chain, the database refuses to
change an entry, and `verify` (and `caserev audit-verify`) names the first entry whose link is broken.

Each test migrates its own database, so the suite runs in parallel (pytest-xdist). The application's view
is the role `caserev_audit`; tampering is done as the superuser with triggers switched off, as an
attacker with the database's keys would.
"""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg2
import pytest
from psycopg2 import errors
from sqlalchemy import Engine

from gateway.audit import (
    GENESIS_HASH,
    AuditEntry,
    append,
    canonical_json,
    chain_hash,
    chain_key,
    entries_by_user,
    entries_for_review,
    verify,
)
from services.kernel.config import Settings, reset_settings
from services.kernel.db import create_schema_engine
from tests.support.infra import database_dsn, isolated_database
from tests.support.system import BIN, ROOT, SystemEnv, caserev, system_env

PARTNERSHIP = UUID("6f1c2e1a-8d0b-4c4e-9a55-2f4f0c9d7b01")
OTHER_PARTNERSHIP = UUID("6f1c2e1a-8d0b-4c4e-9a55-2f4f0c9d7b02")
REVIEW = UUID("0b7d3c52-1f3e-4a9b-8c61-5d2e7f9a4c10")


@dataclass
class AuditDatabase:
    """One migrated test database, seen by the application and by an attacker."""

    system: SystemEnv
    engine: Engine

    def as_application(self) -> psycopg2.extensions.connection:
        """As the schema's owner role (what migrations log in as): the triggers still refuse changes."""
        return psycopg2.connect(host="127.0.0.1", port=5432, dbname=self.system.db_name, user="caserev_audit")

    def as_writer(self) -> psycopg2.extensions.connection:
        """As the gateway logs in to append."""
        return psycopg2.connect(
            host="127.0.0.1", port=5432, dbname=self.system.db_name, user="caserev_audit_writer"
        )

    def tamper(self, statement: str, *params: Any) -> None:
        """Run `statement` as the superuser with every trigger off, and commit it."""
        superuser = psycopg2.connect(database_dsn(self.system.db_name))
        with closing(superuser), superuser, superuser.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(statement, params)
            assert cursor.rowcount == 1, f"tampering meant to touch one row touched {cursor.rowcount}"

    def chain(self) -> list[tuple[int, str, str]]:
        """(seq, prev_hash, entry_hash) of every entry, in seq order."""
        with closing(self.as_application()) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT seq, prev_hash, entry_hash FROM audit_entry ORDER BY seq")
            return cursor.fetchall()

    def head(self) -> tuple[int, str]:
        with closing(self.as_application()) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT seq, entry_hash FROM audit_head")
            return cursor.fetchone()

    def audit_verify(self) -> subprocess.CompletedProcess[str]:
        """`caserev audit-verify` as the operator runs it, whatever its exit status."""
        return subprocess.run(
            [str(BIN / "caserev"), "audit-verify"],
            env=self.system.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.fixture
def audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AuditDatabase]:
    with isolated_database() as db_name:
        system = system_env(db_name, "amqp://unused/", tmp_path)
        # This process appends and verifies with the same key as the system's `caserev audit-verify`.
        monkeypatch.setenv("CASEREV_IDENTITY_KEY", system.env["CASEREV_IDENTITY_KEY"])
        reset_settings()
        chain_key.cache_clear()
        caserev(system, "migrate", "--skip-broker")
        settings = Settings(db_name=db_name)
        # As the gateway appends: the writer role, which does not own the tables.
        engine = create_schema_engine("audit", settings, role=settings.writer_role("audit"))
        try:
            yield AuditDatabase(system, engine)
        finally:
            engine.dispose()
            chain_key.cache_clear()
            reset_settings()


def _entry(n: int = 0, **changes: Any) -> AuditEntry:
    entry = AuditEntry(
        user_id=f"user-{n % 5}",
        partnership_id=PARTNERSHIP,
        review_id=REVIEW,
        record_type="review",
        record_id=str(REVIEW),
        action="read",
        outcome="allowed",
        address="203.0.113.9",
        request_id=f"req-{n}",
    )
    return dataclasses.replace(entry, **changes)


def _append_many(audit: AuditDatabase, count: int) -> list[int]:
    return [append(_entry(n), audit.engine) for n in range(count)]


def test_an_empty_log_is_intact(audit):
    assert verify(audit.engine) == verify(audit.engine, batch_size=1)
    result = verify(audit.engine)
    assert (result.ok, result.checked) == (True, 0)


def test_appends_from_eight_threads_at_once_form_one_linear_chain(audit):
    with ThreadPoolExecutor(max_workers=8) as pool:
        seqs = list(pool.map(lambda n: append(_entry(n), audit.engine), range(200)))

    assert len(set(seqs)) == 200, "two appends were given the same seq"
    chain = audit.chain()
    assert [seq for seq, _, _ in chain] == sorted(seqs)
    expected_prev = GENESIS_HASH
    for seq, prev_hash, entry_hash in chain:
        assert prev_hash == expected_prev, f"entry {seq} does not link to the entry before it"
        expected_prev = entry_hash
    assert audit.head() == (chain[-1][0], chain[-1][2]), "the head is not the newest entry"
    for batch_size in (5_000, 64):  # one batch, and several with a partial last one
        result = verify(audit.engine, batch_size=batch_size)
        assert (result.ok, result.checked, result.broken_at) == (True, 200, None), result


def test_the_application_role_cannot_change_remove_or_truncate_entries_nor_wind_the_head_back(audit):
    _append_many(audit, 3)
    refused = [
        "UPDATE audit_entry SET action = 'none' WHERE seq = (SELECT min(seq) FROM audit_entry)",
        "UPDATE audit_entry SET action = 'none' WHERE false",  # refused even when it matches no row
        "DELETE FROM audit_entry WHERE seq = (SELECT max(seq) FROM audit_entry)",
        "TRUNCATE audit_entry",
        "DELETE FROM audit_head",
        "TRUNCATE audit_head",
        "UPDATE audit_head SET seq = seq - 1",
    ]
    with closing(audit.as_application()) as connection:
        for statement in refused:
            with pytest.raises(errors.RaiseException) as raised, connection.cursor() as cursor:
                cursor.execute(statement)
            connection.rollback()
            assert "audit" in str(raised.value), statement
    assert len(audit.chain()) == 3
    assert verify(audit.engine).ok


def test_an_entry_whose_contents_were_altered_is_named_by_its_seq(audit):
    seqs = _append_many(audit, 20)
    target = seqs[9]
    audit.tamper("UPDATE audit.audit_entry SET action = 'export' WHERE seq = %s", target)

    result = verify(audit.engine, batch_size=4)

    assert (result.ok, result.broken_at, result.reason) == (False, target, "its contents were altered")
    assert result.checked == 9


def test_an_altered_entry_given_a_fresh_hash_is_caught_by_the_link_of_the_entry_after_it(audit):
    seqs = _append_many(audit, 10)
    target = seqs[4]
    with closing(audit.as_application()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT at, prev_hash FROM audit_entry WHERE seq = %s", (target,))
        at, prev_hash = cursor.fetchone()
    forged = chain_hash(prev_hash, at, _entry(4, outcome="denied"))
    audit.tamper(
        "UPDATE audit.audit_entry SET outcome = 'denied', entry_hash = %s WHERE seq = %s", forged, target
    )

    result = verify(audit.engine)

    assert (result.broken_at, result.reason) == (seqs[5], "the entry before it was removed or altered")


def test_a_removed_entry_in_the_middle_is_named_by_the_entry_after_it(audit):
    seqs = _append_many(audit, 20)
    audit.tamper("DELETE FROM audit.audit_entry WHERE seq = %s", seqs[10])

    result = verify(audit.engine, batch_size=4)

    assert (result.ok, result.broken_at) == (False, seqs[11])
    assert result.reason == "the entry before it was removed or altered"


def test_a_removed_first_entry_is_named_by_the_entry_after_it(audit):
    seqs = _append_many(audit, 5)
    audit.tamper("DELETE FROM audit.audit_entry WHERE seq = %s", seqs[0])

    assert verify(audit.engine).broken_at == seqs[1]


def test_removing_the_newest_entry_is_caught_by_the_head(audit):
    seqs = _append_many(audit, 20)
    audit.tamper("DELETE FROM audit.audit_entry WHERE seq = %s", seqs[-1])

    result = verify(audit.engine)

    assert (result.ok, result.broken_at, result.checked) == (False, seqs[-1], 19)
    assert result.reason == f"the last entries were removed: the head records entry {seqs[-1]}"


def test_an_entry_added_without_moving_the_head_is_named(audit):
    _append_many(audit, 3)
    _, head_hash = audit.head()
    at = datetime.now(UTC)
    intruder = AuditEntry(user_id="intruder", record_type="review", action="read", outcome="allowed")
    with closing(audit.as_application()) as connection, connection, connection.cursor() as cursor:
        # A well-formed entry, linked and hashed correctly, written around `append`.
        cursor.execute(
            "INSERT INTO audit_entry (at, user_id, record_type, action, outcome, prev_hash, entry_hash)"
            " VALUES (%s, 'intruder', 'review', 'read', 'allowed', %s, %s) RETURNING seq",
            (at, head_hash, chain_hash(head_hash, at, intruder)),
        )
        (smuggled,) = cursor.fetchone()

    result = verify(audit.engine)

    assert (result.ok, result.broken_at, result.checked) == (False, smuggled, 4)
    assert result.reason == "it was added without moving the head, which records entry 3"


def test_a_gap_in_seq_left_by_a_rolled_back_append_is_not_a_break(audit):
    append(_entry(0), audit.engine)
    with closing(audit.as_application()) as connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_entry (at, user_id, record_type, action, outcome, prev_hash, entry_hash)"
            " VALUES (now(), 'u', 'review', 'read', 'allowed', %s, %s)",
            ("a" * 64, "b" * 64),
        )
        connection.rollback()  # the identity value it took is gone for good
    later = append(_entry(1), audit.engine)

    assert [seq for seq, _, _ in audit.chain()] == [1, later]
    assert later == 3
    assert verify(audit.engine) == verify(audit.engine, batch_size=1)
    assert verify(audit.engine).ok


def test_audit_verify_exits_0_on_an_intact_log_and_1_naming_the_broken_entry(audit):
    seqs = _append_many(audit, 12)

    intact = audit.audit_verify()
    assert (intact.returncode, intact.stdout) == (0, "Audit log intact: 12 entries checked.\n"), intact.stderr

    audit.tamper("UPDATE audit.audit_entry SET user_id = 'someone else' WHERE seq = %s", seqs[6])
    broken = audit.audit_verify()
    assert broken.returncode == 1, broken.stderr
    assert broken.stdout == f"Audit log broken at entry {seqs[6]}: its contents were altered\n"


def test_a_data_protection_officer_sees_a_reviews_entries_in_their_partnership_only_newest_first(audit):
    other_review = uuid4()
    mine = [append(_entry(n), audit.engine) for n in range(5)]
    append(_entry(5, review_id=other_review), audit.engine)
    append(_entry(6, partnership_id=OTHER_PARTNERSHIP), audit.engine)  # same review id, other partnership
    mine.append(append(_entry(7), audit.engine))

    rows = entries_for_review(PARTNERSHIP, REVIEW, engine=audit.engine)

    assert [row.seq for row in rows] == sorted(mine, reverse=True)
    assert {(row.partnership_id, row.review_id) for row in rows} == {(PARTNERSHIP, REVIEW)}
    newest_two = entries_for_review(PARTNERSHIP, REVIEW, 2, audit.engine)
    assert newest_two == rows[:2]
    assert entries_for_review(PARTNERSHIP, REVIEW, 2, audit.engine, before=rows[1].seq) == rows[2:4]
    assert entries_for_review(OTHER_PARTNERSHIP, other_review, engine=audit.engine) == []


def test_a_data_protection_officer_sees_a_users_entries_in_their_partnership_only_newest_first(audit):
    own = [append(_entry(0, user_id="dana"), audit.engine) for _ in range(3)]
    append(_entry(0, user_id="dana", partnership_id=OTHER_PARTNERSHIP), audit.engine)
    append(_entry(0, user_id="sam"), audit.engine)

    rows = entries_by_user(PARTNERSHIP, "dana", engine=audit.engine)

    assert [row.seq for row in rows] == own[::-1]
    first = rows[-1]
    assert (first.user_id, first.record_type, first.action, first.outcome, first.address) == (
        "dana",
        "review",
        "read",
        "allowed",
        "203.0.113.9",
    )
    assert first.at.tzinfo is not None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET action = 'nothing'",
        "DELETE FROM audit_entry",
        "TRUNCATE audit_entry",
        "ALTER TABLE audit_entry DISABLE TRIGGER ALL",
        "DROP TABLE audit_entry",
        "DELETE FROM audit_head",
    ],
)
def test_the_gateways_writer_role_can_only_append_and_read(audit: AuditDatabase, statement: str) -> None:
    append(_entry(1), audit.engine)
    with closing(audit.as_writer()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_entry")
        assert cursor.fetchone()[0] == 1
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute(statement)
    assert verify(audit.engine).ok


def test_an_entry_rewritten_without_the_key_is_named_even_with_a_consistent_chain(
    audit: AuditDatabase,
) -> None:
    for n in range(3):
        append(_entry(n), audit.engine)
    seq, prev_hash, _ = audit.chain()[-1]
    # A database administrator recomputes the last entry's hash as a plain SHA-256, and moves the head:
    # the links all agree, but without the chain's key the hash cannot be the right one.
    at = datetime(2026, 1, 1, tzinfo=UTC)
    forged = _entry(9, outcome="denied")
    unkeyed = hashlib.sha256(f"{prev_hash}\n{canonical_json(at, forged)}".encode()).hexdigest()
    audit.tamper(
        "UPDATE audit.audit_entry SET at = %s, user_id = %s, request_id = %s, outcome = 'denied',"
        " entry_hash = %s WHERE seq = %s",
        at,
        forged.user_id,
        forged.request_id,
        unkeyed,
        seq,
    )
    audit.tamper("UPDATE audit.audit_head SET entry_hash = %s", unkeyed)
    result = verify(audit.engine)
    assert not result.ok and result.broken_at == seq and result.reason == "its contents were altered"
