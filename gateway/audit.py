"""The gateway's own schema `audit`: a tamper-evident log of every read and write of case data.

Entries are hash-chained: each holds the hash of the one before it and a hash of its own contents, and
`audit_head` records the latest, so altering, removing or truncating entries breaks a link that
`verify` (the operator's `caserev audit-verify`) names. Triggers make the table append-only in the
database itself. Nothing here logs personal data: only counts and entry numbers.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CHAR,
    BigInteger,
    Column,
    DateTime,
    Engine,
    MetaData,
    Row,
    Select,
    SmallInteger,
    Table,
    Text,
    Uuid,
    select,
    text,
)

from gateway.secretbox import derive_key, load_key
from services.kernel.config import gateway_settings
from services.kernel.db import create_schema_engine

log = logging.getLogger(__name__)

# The prev_hash of the first entry, and the head's hash while the log is empty.
GENESIS_HASH = "0" * 64
VERIFY_BATCH = 5_000

_metadata = MetaData(schema="audit")
_entries = Table(
    "audit_entry",
    _metadata,
    Column("seq", BigInteger, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", Text, nullable=False),
    Column("partnership_id", Uuid),
    Column("review_id", Uuid),
    Column("record_type", Text, nullable=False),
    Column("record_id", Text),
    Column("action", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("address", Text),
    Column("request_id", Text),
    Column("prev_hash", CHAR(64), nullable=False),
    Column("entry_hash", CHAR(64), nullable=False),
)
_head = Table(
    "audit_head",
    _metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("entry_hash", CHAR(64), nullable=False),
)


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """What happened, to be appended: who did what to which record, and whether it was allowed."""

    user_id: str
    partnership_id: UUID | None = None
    review_id: UUID | None = None
    record_type: str  # "review", "audit_log", "user", ...
    record_id: str | None = None
    action: str  # "read", "create", "update", "export", ...
    outcome: str  # "allowed", "denied" or "failed" (the table's check constraint refuses others)
    address: str | None = None  # the client's IP address
    request_id: str | None = None

    def __post_init__(self) -> None:
        # A UUID passed as a string would hash differently from the UUID read back: a false break.
        for name in ("partnership_id", "review_id"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, UUID):
                raise TypeError(f"AuditEntry.{name} must be a UUID or None, not {type(value).__name__}")


@dataclass(frozen=True)
class AuditRow:
    """One entry as a data protection officer sees it."""

    seq: int
    at: datetime
    user_id: str
    partnership_id: UUID | None
    review_id: UUID | None
    record_type: str
    record_id: str | None
    action: str
    outcome: str
    address: str | None


@dataclass(frozen=True)
class Verification:
    """The result of walking the chain: intact, or the first entry whose link is broken and why."""

    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None


def canonical_timestamp(at: datetime) -> str:
    """`at` as ISO 8601 in UTC with microseconds, the one form that is hashed."""
    if at.tzinfo is None:
        raise ValueError("an audit timestamp must carry its time zone")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(at: datetime, entry: AuditEntry) -> str:
    """The hashed form of an entry: every column but seq and the hashes, keys sorted, no spaces.

    The fields are listed here, not derived from AuditEntry, because adding a field there must not
    change the hash of entries already written.
    """
    return json.dumps(
        {
            "at": canonical_timestamp(at),
            "user_id": entry.user_id,
            "partnership_id": _uuid_text(entry.partnership_id),
            "review_id": _uuid_text(entry.review_id),
            "record_type": entry.record_type,
            "record_id": entry.record_id,
            "action": entry.action,
            "outcome": entry.outcome,
            "address": entry.address,
            "request_id": entry.request_id,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def _uuid_text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


@lru_cache
def chain_key() -> bytes:
    """The key of the chain, derived from the gateway's key: the database never holds it, so whoever can
    rewrite the tables still cannot make hashes that verify."""
    return derive_key(load_key(gateway_settings()), "audit-chain")


def chain_hash(prev_hash: str, at: datetime, entry: AuditEntry, key: bytes | None = None) -> str:
    """HMAC-SHA-256, in hex, keyed with the chain's key, of the previous entry's hash, a newline and this
    entry's canonical JSON."""
    message = f"{prev_hash}\n{canonical_json(at, entry)}".encode()
    return hmac.new(key if key is not None else chain_key(), message, hashlib.sha256).hexdigest()


@lru_cache
def audit_engine() -> Engine:
    """The engine of schema `audit`, as its own role."""
    # As the writer role, not the owner: it may append and read, and cannot disable the triggers.
    return create_schema_engine("audit", role=gateway_settings().writer_role("audit"), pool_size=5)


# The head, locked until the append commits: every appender, in any process, waits here for the one before it,
# and then reads the head that one moved (READ COMMITTED re-reads a row it waited for).
_LOCK_HEAD = text("SELECT entry_hash FROM audit.audit_head WHERE id = 1 FOR UPDATE")
# The entry and the head's move in one statement (the head's trigger sees the entry: a volatile trigger reads
# with a fresh snapshot, after the insert the update joins on).
_APPEND = text(
    "WITH appended AS ("
    " INSERT INTO audit.audit_entry (at, user_id, partnership_id, review_id, record_type, record_id, action,"
    " outcome, address, request_id, prev_hash, entry_hash)"
    " VALUES (:at, :user_id, :partnership_id, :review_id, :record_type, :record_id, :action, :outcome,"
    " :address, :request_id, :prev_hash, :entry_hash)"
    " RETURNING seq, entry_hash)"
    " UPDATE audit.audit_head SET seq = appended.seq, entry_hash = appended.entry_hash FROM appended"
    " WHERE audit_head.id = 1 RETURNING appended.seq"
)


def append(entry: AuditEntry, engine: Engine | None = None, key: bytes | None = None) -> int:
    """Append one entry to the chain and move the head to it, in one transaction; returns its seq.

    Safe from any number of threads and processes: the head's row lock lets one writer at a time read
    the head and extend the chain. Two statements: the head locked and read, then the entry inserted and the
    head moved to it together.
    """
    with (engine or audit_engine()).begin() as connection:
        head = connection.execute(_LOCK_HEAD).one_or_none()
        if head is None:
            raise RuntimeError("audit.audit_head has no row: run `caserev migrate`")
        # Stamped under the lock, so the order of times follows the order of the chain.
        at = datetime.now(UTC)
        digest = chain_hash(head.entry_hash, at, entry, key)
        seq: int | None = connection.execute(
            _APPEND,
            {
                "at": at,
                "user_id": entry.user_id,
                "partnership_id": entry.partnership_id,
                "review_id": entry.review_id,
                "record_type": entry.record_type,
                "record_id": entry.record_id,
                "action": entry.action,
                "outcome": entry.outcome,
                "address": entry.address,
                "request_id": entry.request_id,
                "prev_hash": head.entry_hash,
                "entry_hash": digest,
            },
        ).scalar_one_or_none()
        if seq is None:  # the head's row vanished under the lock: the triggers forbid it
            raise RuntimeError("audit.audit_head did not move: the entry is not appended")
    return seq


def verify(
    engine: Engine | None = None, *, batch_size: int = VERIFY_BATCH, key: bytes | None = None
) -> Verification:
    """Walk the chain in seq order and report the first broken link, or that it is intact.

    Reads `batch_size` entries at a time (never the whole log) inside one read-only REPEATABLE READ
    transaction, so entries appended meanwhile cannot be mistaken for a head that ran ahead. Gaps in
    seq are normal (a rolled-back append consumes a number): only the hashes link entries.
    """
    connection = (engine or audit_engine()).connect()
    connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with connection, connection.begin():
        head = connection.execute(select(_head.c.seq, _head.c.entry_hash).where(_head.c.id == 1)).first()
        previous_hash, last_seq, first_after_head, checked = GENESIS_HASH, 0, None, 0
        while True:
            rows = connection.execute(
                select(_entries).where(_entries.c.seq > last_seq).order_by(_entries.c.seq).limit(batch_size)
            ).all()
            for row in rows:
                # The entry's own hash first: a changed prev_hash is an alteration of this entry.
                if chain_hash(row.prev_hash, row.at, _entry_of(row), key) != row.entry_hash:
                    return _broken(checked, row.seq, "its contents were altered")
                if row.prev_hash != previous_hash:
                    return _broken(checked, row.seq, "the entry before it was removed or altered")
                if head is not None and first_after_head is None and row.seq > head.seq:
                    first_after_head = row.seq
                previous_hash, last_seq = row.entry_hash, row.seq
                checked += 1
            if len(rows) < batch_size:
                break
    if head is None:
        return _broken(checked, last_seq, "the head is missing")
    if head.seq > last_seq:
        return _broken(checked, head.seq, f"the last entries were removed: the head records entry {head.seq}")
    if first_after_head is not None:
        return _broken(
            checked, first_after_head, f"it was added without moving the head, which records entry {head.seq}"
        )
    if head.entry_hash != previous_hash:
        return _broken(checked, last_seq, "it does not match the head (the entry or the head was altered)")
    log.info("audit log intact: %d entries checked", checked)
    return Verification(ok=True, checked=checked)


def _entry_of(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        user_id=row.user_id,
        partnership_id=row.partnership_id,
        review_id=row.review_id,
        record_type=row.record_type,
        record_id=row.record_id,
        action=row.action,
        outcome=row.outcome,
        address=row.address,
        request_id=row.request_id,
    )


def _broken(checked: int, seq: int, reason: str) -> Verification:
    log.warning("audit log broken at entry %d after %d intact entries", seq, checked)
    return Verification(ok=False, checked=checked, broken_at=seq, reason=reason)


def entries_for_review(
    partnership_id: UUID,
    review_id: UUID,
    limit: int = 1000,
    engine: Engine | None = None,
    *,
    before: int | None = None,
) -> list[AuditRow]:
    """A review's entries in its partnership, newest first; `before` a seq to page to older ones."""
    query = _rows(partnership_id, limit, before).where(_entries.c.review_id == review_id)
    return _fetch(query, engine)


def entries_by_user(
    partnership_id: UUID,
    user_id: str,
    limit: int = 1000,
    engine: Engine | None = None,
    *,
    before: int | None = None,
) -> list[AuditRow]:
    """A user's entries in a partnership, newest first; `before` a seq to page to older ones."""
    query = _rows(partnership_id, limit, before).where(_entries.c.user_id == user_id)
    return _fetch(query, engine)


def _rows(partnership_id: UUID, limit: int, before: int | None) -> Select[Any]:
    if limit < 1:
        raise ValueError(f"limit must be 1 or more, not {limit}")
    columns = [_entries.c[field.name] for field in fields(AuditRow)]
    # Always scoped to one partnership: a data protection officer sees their own partnership only.
    query = select(*columns).where(_entries.c.partnership_id == partnership_id)
    if before is not None:
        query = query.where(_entries.c.seq < before)
    return query.order_by(_entries.c.seq.desc()).limit(limit)


def _fetch(query: Select[Any], engine: Engine | None) -> list[AuditRow]:
    with (engine or audit_engine()).connect() as connection:
        return [AuditRow(*row) for row in connection.execute(query)]


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_csv(rows: Iterable[AuditRow]) -> str:
    """The rows as CSV with a header, every cell safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([field.name for field in fields(AuditRow)])
    for row in rows:
        writer.writerow([_csv_cell(getattr(row, field.name)) for field in fields(AuditRow)])
    return out.getvalue()


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    cell = canonical_timestamp(value) if isinstance(value, datetime) else str(value)
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell
