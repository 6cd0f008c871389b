"""The audit log's hashing and its CSV export, without a database."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest

from gateway import audit as audit_module
from gateway.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditRow,
    as_csv,
    canonical_json,
    canonical_timestamp,
    chain_hash,
)

PARTNERSHIP = UUID("6f1c2e1a-8d0b-4c4e-9a55-2f4f0c9d7b01")
REVIEW = UUID("0b7d3c52-1f3e-4a9b-8c61-5d2e7f9a4c10")
AT = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)

ENTRY = AuditEntry(
    user_id="user-17",
    partnership_id=PARTNERSHIP,
    review_id=REVIEW,
    record_type="review",
    record_id=str(REVIEW),
    action="read",
    outcome="allowed",
    address="203.0.113.9",
    request_id="req-1",
)

# A different value for every field an entry hashes (and `at`, stamped by append).
CHANGES = {
    "user_id": "user-18",
    "partnership_id": UUID("6f1c2e1a-8d0b-4c4e-9a55-2f4f0c9d7b02"),
    "review_id": None,
    "record_type": "user",
    "record_id": "another",
    "action": "update",
    "outcome": "denied",
    "address": "203.0.113.10",
    "request_id": "req-2",
}


KEY = b"k" * 32


@pytest.fixture(autouse=True)
def _chain_key(monkeypatch):
    # The chain's key comes from the gateway's key; here a fixed one, so no key file is made.
    monkeypatch.setattr(audit_module, "chain_key", lambda: KEY)


def test_the_hash_is_the_same_for_the_same_entry():
    assert chain_hash(GENESIS_HASH, AT, ENTRY) == chain_hash(GENESIS_HASH, AT, dataclasses.replace(ENTRY))


def test_the_hash_is_an_hmac_sha256_of_the_previous_hash_a_newline_and_the_canonical_json():
    message = f"{GENESIS_HASH}\n{canonical_json(AT, ENTRY)}".encode()
    expected = hmac.new(KEY, message, hashlib.sha256).hexdigest()
    assert chain_hash(GENESIS_HASH, AT, ENTRY) == expected
    assert len(expected) == 64


def test_without_the_key_no_one_can_make_a_hash_that_verifies():
    unkeyed = hashlib.sha256(f"{GENESIS_HASH}\n{canonical_json(AT, ENTRY)}".encode()).hexdigest()
    assert chain_hash(GENESIS_HASH, AT, ENTRY) != unkeyed
    assert chain_hash(GENESIS_HASH, AT, ENTRY, b"x" * 32) != chain_hash(GENESIS_HASH, AT, ENTRY)


def test_every_field_of_an_entry_is_covered_by_the_hash():
    hashed = {field.name for field in dataclasses.fields(AuditEntry)}
    assert set(CHANGES) == hashed, "a field of AuditEntry has no case in CHANGES: is it hashed?"
    assert set(json.loads(canonical_json(AT, ENTRY))) == hashed | {"at"}


@pytest.mark.parametrize(("field", "value"), CHANGES.items())
def test_changing_any_field_changes_the_hash(field, value):
    original = chain_hash(GENESIS_HASH, AT, ENTRY)
    assert chain_hash(GENESIS_HASH, AT, dataclasses.replace(ENTRY, **{field: value})) != original


def test_changing_the_time_by_a_microsecond_changes_the_hash():
    later = AT + timedelta(microseconds=1)
    assert chain_hash(GENESIS_HASH, later, ENTRY) != chain_hash(GENESIS_HASH, AT, ENTRY)


def test_changing_the_previous_hash_changes_the_hash():
    assert chain_hash("1" * 64, AT, ENTRY) != chain_hash(GENESIS_HASH, AT, ENTRY)


def test_canonical_json_has_sorted_keys_no_spaces_uuids_as_text_and_none_as_null():
    entry = AuditEntry(user_id="u", review_id=REVIEW, record_type="review", action="read", outcome="allowed")
    assert canonical_json(AT, entry) == (
        '{"action":"read","address":null,"at":"2026-03-02T09:30:15.123456+00:00","outcome":"allowed",'
        '"partnership_id":null,"record_id":null,"record_type":"review","request_id":null,'
        '"review_id":"0b7d3c52-1f3e-4a9b-8c61-5d2e7f9a4c10","user_id":"u"}'
    )


def test_a_time_is_hashed_in_utc_with_microseconds_whatever_its_zone():
    london_summer = timezone(timedelta(hours=1))
    same_instant = datetime(2026, 7, 1, 13, 0, tzinfo=london_summer)
    assert canonical_timestamp(same_instant) == "2026-07-01T12:00:00.000000+00:00"
    assert chain_hash(GENESIS_HASH, same_instant, ENTRY) == chain_hash(
        GENESIS_HASH, datetime(2026, 7, 1, 12, 0, tzinfo=UTC), ENTRY
    )


def test_a_time_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        canonical_timestamp(datetime(2026, 7, 1, 12, 0))


def test_a_uuid_given_as_text_is_refused_so_it_cannot_hash_differently_from_the_stored_uuid():
    with pytest.raises(TypeError, match="partnership_id"):
        AuditEntry(
            user_id="u",
            partnership_id=str(PARTNERSHIP),  # type: ignore[arg-type]
            record_type="review",
            action="read",
            outcome="allowed",
        )


def _row(**changes: object) -> AuditRow:
    values: dict[str, object] = {
        "seq": 7,
        "at": AT,
        "user_id": "user-17",
        "partnership_id": PARTNERSHIP,
        "review_id": None,
        "record_type": "review",
        "record_id": None,
        "action": "export",
        "outcome": "allowed",
        "address": None,
    }
    return AuditRow(**{**values, **changes})  # type: ignore[arg-type]


def test_csv_has_a_header_and_one_line_per_row():
    parsed = list(csv.reader(io.StringIO(as_csv([_row(), _row(seq=8)]))))
    assert parsed[0] == [field.name for field in dataclasses.fields(AuditRow)]
    assert parsed[1] == [
        "7",
        "2026-03-02T09:30:15.123456+00:00",
        "user-17",
        str(PARTNERSHIP),
        "",
        "review",
        "",
        "export",
        "allowed",
        "",
    ]
    assert [line[0] for line in parsed[1:]] == ["7", "8"]


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_csv_cells_that_a_spreadsheet_would_run_as_a_formula_are_defused(dangerous):
    parsed = list(csv.reader(io.StringIO(as_csv([_row(user_id=dangerous, record_id=dangerous)]))))
    assert parsed[1][2] == "'" + dangerous
    assert parsed[1][6] == "'" + dangerous


def test_csv_of_no_rows_is_the_header_alone():
    assert as_csv([]).splitlines() == [",".join(field.name for field in dataclasses.fields(AuditRow))]
