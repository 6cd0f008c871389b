"""The data protection officer's registers: subject access requests and the retention schedule.

The rules come first and are pure (the one-month deadline of UK GDPR art. 12(3), the retention periods
and when a record has outlived its period, what a form must hold); storage in schema `identity`
follows. Nothing here decides who may call it: gateway/policy.py admits the data protection officer, and
every storage function is scoped to one partnership.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gateway.identity import account_key, identity_engine
from services.kernel.calendar import add_calendar_months

_EMAIL = TypeAdapter(EmailStr)

# UK GDPR art. 12(3): respond within one month of receipt (the ICO counts to the corresponding calendar
# date, or the month's last day when there is none).
SAR_RESPONSE_MONTHS = 1
# How close a deadline must be before the register warns of it.
DUE_SOON_DAYS = 7
REFERENCE_MAX = 40
REQUESTER_MAX = 200
EMAIL_MAX = 254
MONTHS_MIN = 1
MONTHS_MAX = 600

Problem = dict[str, Any]


# -- subject access requests: rules -------------------------------------------------------------------------


def sar_due_on(received_on: date) -> date:
    """The last day to respond to a subject access request: one calendar month after its receipt."""
    return add_calendar_months(received_on, SAR_RESPONSE_MONTHS)


@dataclass(frozen=True)
class Deadline:
    """How an open request stands against its due date, in the words and colour of its tag."""

    words: str
    colour: str  # a GOV.UK tag colour: "red", "orange", "blue"


def is_overdue(due_on: date, today: date) -> bool:
    """True once the due date has passed (the due date itself is still in time)."""
    return today > due_on


def sar_deadline(due_on: date, today: date) -> Deadline:
    """Overdue after its due date, a warning within DUE_SOON_DAYS of it, otherwise plainly open."""
    days_left = (due_on - today).days
    if is_overdue(due_on, today):
        return Deadline("Overdue", "red")
    if days_left == 0:
        return Deadline("Due today", "orange")
    if days_left <= DUE_SOON_DAYS:
        return Deadline(f"Due in {days_left} day{'' if days_left == 1 else 's'}", "orange")
    return Deadline("Open", "blue")


@dataclass(frozen=True)
class NewSubjectAccessRequest:
    """A request as the officer logs it, checked."""

    reference: str
    requester: str
    subject_email: str | None
    received_on: date

    @property
    def due_on(self) -> date:
        return sar_due_on(self.received_on)


DATE_PARTS = ("day", "month", "year")


def _is_whole_number(value: str) -> bool:
    """Digits 0 to 9 only (str.isdigit alone admits "²", which int() refuses)."""
    return value.isascii() and value.isdigit()


def _date_problem(
    field: str, label: str, parts: Mapping[str, str], today: date
) -> tuple[date | None, Problem | None]:
    """A date from GOV.UK's three inputs, or the one problem to show (GOV.UK date input error messages)."""
    values = {part: parts.get(part, "").strip() for part in DATE_PARTS}
    missing = [part for part in DATE_PARTS if not values[part]]

    def problem(message: str, bad: Iterable[str]) -> tuple[None, Problem]:
        bad = list(bad)
        return None, {"field": f"{field}-{bad[0]}", "message": message, "parts": bad}

    if len(missing) == len(DATE_PARTS):
        return problem(f"Enter the {label.lower()}", DATE_PARTS)
    if missing:
        return problem(f"{label} must include a {' and a '.join(missing)}", missing)
    not_numbers = [part for part in DATE_PARTS if not _is_whole_number(values[part])]
    if not_numbers:
        return problem(f"{label} must be a real date", not_numbers)
    if len(values["year"]) != 4:
        return problem("Year must include 4 numbers", ["year"])
    try:
        day = date(int(values["year"]), int(values["month"]), int(values["day"]))
    except ValueError:
        bad = ["month"] if not 1 <= int(values["month"]) <= 12 else ["day"]
        return problem(f"{label} must be a real date", bad)
    if day > today:
        return problem(f"{label} must be today or in the past", DATE_PARTS)
    return day, None


def check_subject_access_request(
    form: Mapping[str, str], today: date
) -> tuple[NewSubjectAccessRequest | None, list[Problem]]:
    """The request a form describes, or a problem for each field that needs fixing (in the form's order)."""
    problems: list[Problem] = []
    reference = form.get("reference", "").strip()
    if not reference:
        problems.append({"field": "reference", "message": "Enter the request's reference"})
    elif len(reference) > REFERENCE_MAX:
        problems.append(
            {"field": "reference", "message": f"Reference must be {REFERENCE_MAX} characters or fewer"}
        )
    requester = form.get("requester", "").strip()
    if not requester:
        problems.append({"field": "requester", "message": "Enter who made the request"})
    elif len(requester) > REQUESTER_MAX:
        problems.append(
            {
                "field": "requester",
                "message": f"Who made the request must be {REQUESTER_MAX} characters or fewer",
            }
        )
    subject_email: str | None = form.get("subject_email", "").strip() or None
    if subject_email is not None:
        try:
            if len(subject_email) > EMAIL_MAX:
                raise ValueError("too long")
            subject_email = str(_EMAIL.validate_python(subject_email))
        except (ValidationError, ValueError):
            problems.append(
                {
                    "field": "subject_email",
                    "message": "Enter the email address in the correct format, like name@example.org",
                }
            )
    received_on, date_problem = _date_problem(
        "received_on",
        "Date received",
        {part: form.get(f"received_on-{part}", "") for part in DATE_PARTS},
        today,
    )
    if date_problem:
        problems.append(date_problem)
    if problems or received_on is None:
        return None, problems
    return NewSubjectAccessRequest(reference, requester, subject_email, received_on), []


# -- retention: rules ---------------------------------------------------------------------------------------

ACTIONS = {"review": "Review", "delete": "Delete"}
# What the officer does with a record once its period has ended.
ACTION_GUIDANCE = {
    "review": "Review it: keep it only if it is still needed, and record why",
    "delete": "Delete it",
}


@dataclass(frozen=True)
class RetentionRule:
    """How long a record type is kept, from when, and what happens when the period ends."""

    record_type: str
    label: str
    months: int
    starts: str  # when the period starts, in words ("after the review was opened")
    action: str  # a key of ACTIONS
    changed: bool = False  # True where the partnership has set its own period

    @property
    def action_label(self) -> str:
        return ACTIONS[self.action]


# The defaults, which a partnership may change (DOMAIN.md: local figures change without code).
DEFAULT_RETENTION: tuple[RetentionRule, ...] = (
    # Reviews have no closure date yet: the period runs from opening until one is recorded.
    RetentionRule("review", "Review case files", 180, "after the review was opened", "review"),
    RetentionRule("user_account", "User accounts", 12, "after the account was deactivated", "delete"),
    RetentionRule("audit_log", "Audit log", 72, "after the entry was written", "review"),
    RetentionRule("session", "Sessions and sign-in records", 1, "after the session ended", "delete"),
    RetentionRule(
        "subject_access_request", "Subject access requests", 24, "after the request was completed", "delete"
    ),
)
DEFAULT_MONTHS = {rule.record_type: rule.months for rule in DEFAULT_RETENTION}


def retention_schedule(overrides: Mapping[str, int]) -> list[RetentionRule]:
    """The partnership's schedule: the defaults, with its own periods where it has set them."""
    return [
        RetentionRule(
            rule.record_type, rule.label, overrides[rule.record_type], rule.starts, rule.action, True
        )
        if rule.record_type in overrides and overrides[rule.record_type] != rule.months
        else rule
        for rule in DEFAULT_RETENTION
    ]


def retention_ends(started_on: date, months: int) -> date:
    """The day a record's retention period ends: `months` calendar months after it started."""
    return add_calendar_months(started_on, months)


def is_past_retention(started_on: date, months: int, today: date) -> bool:
    """True once the period has ended (on its last day, the record is due)."""
    return retention_ends(started_on, months) <= today


def retention_cutoff(months: int, today: date) -> date:
    """The earliest start date still inside its period: a record that started before it is past retention.

    Roughly `today` less `months`; exact where month ends clamp (on 29 February, with one month, records
    started on 29, 30 and 31 January have all reached their end).
    """
    cutoff = add_calendar_months(today, -months)
    while is_past_retention(cutoff + timedelta(days=1), months, today):
        cutoff += timedelta(days=1)
    return cutoff + timedelta(days=1)


def field_of(record_type: str) -> str:
    """The form field that holds a record type's period."""
    return f"months-{record_type}"


def check_retention_months(form: Mapping[str, str]) -> tuple[dict[str, int], list[Problem]]:
    """The period of each record type from the form, or a problem for each that is not 1 to 600 months."""
    months: dict[str, int] = {}
    problems: list[Problem] = []
    for rule in DEFAULT_RETENTION:
        field = field_of(rule.record_type)
        value = form.get(field, "").strip()
        label = rule.label
        if not value:
            problems.append({"field": field, "message": f"Enter how many months to keep {label.lower()}"})
        elif not _is_whole_number(value):
            problems.append({"field": field, "message": f"Months for {label.lower()} must be a whole number"})
        elif not MONTHS_MIN <= int(value) <= MONTHS_MAX:
            problems.append(
                {
                    "field": field,
                    "message": f"Months for {label.lower()} must be between {MONTHS_MIN} and {MONTHS_MAX}",
                }
            )
        else:
            months[rule.record_type] = int(value)
    return (months, []) if not problems else ({}, problems)


@dataclass(frozen=True)
class DueRecord:
    """A record past its retention period, and what to do with it."""

    record_type: str
    description: str
    started_on: date
    ended_on: date
    action: str

    @property
    def action_label(self) -> str:
        return ACTIONS[self.action]

    @property
    def guidance(self) -> str:
        return ACTION_GUIDANCE[self.action]


def records_past_retention(
    rule: RetentionRule, records: Iterable[tuple[str, date]], today: date
) -> list[DueRecord]:
    """Of records of a rule's type, given as (description, day its period started), those now due."""
    return [
        DueRecord(
            rule.record_type, description, started_on, retention_ends(started_on, rule.months), rule.action
        )
        for description, started_on in records
        if is_past_retention(started_on, rule.months, today)
    ]


# -- storage: subject access requests -----------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectAccessRequest:
    """A logged subject access request."""

    id: UUID
    partnership_id: UUID
    reference: str
    requester: str
    subject_email: str | None
    received_on: date
    due_on: date
    completed_on: date | None
    logged_by: str
    logged_at: datetime


class DuplicateReference(Exception):
    """The partnership already has a request with this reference."""


_SAR_COLUMNS = (
    "id, partnership_id, reference, requester, subject_email, received_on, due_on, completed_on,"
    " logged_by, logged_at"
)


def _sar(row: Any) -> SubjectAccessRequest:
    return SubjectAccessRequest(
        row.id,
        row.partnership_id,
        row.reference,
        row.requester,
        row.subject_email,
        row.received_on,
        row.due_on,
        row.completed_on,
        row.logged_by,
        row.logged_at,
    )


def log_subject_access_request(
    partnership_id: UUID, request: NewSubjectAccessRequest, *, logged_by: str, now: datetime
) -> UUID:
    """Store a request with its due date; DuplicateReference if the reference is taken."""
    request_id = uuid.uuid4()
    try:
        with identity_engine().begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO subject_access_request (id, partnership_id, reference, requester,"
                    " subject_email, received_on, due_on, logged_by, logged_at)"
                    " VALUES (:id, :p, :ref, :req, :email, :received, :due, :by, :now)"
                ),
                {
                    "id": request_id,
                    "p": partnership_id,
                    "ref": request.reference,
                    "req": request.requester,
                    "email": request.subject_email,
                    "received": request.received_on,
                    "due": request.due_on,
                    "by": logged_by,
                    "now": now,
                },
            )
    except IntegrityError as exc:
        raise DuplicateReference(request.reference) from exc
    return request_id


def subject_access_requests(partnership_id: UUID) -> list[SubjectAccessRequest]:
    """A partnership's requests: open ones by due date, then completed ones, latest first."""
    with identity_engine().connect() as connection:
        rows = connection.execute(
            text(
                f"SELECT {_SAR_COLUMNS} FROM subject_access_request WHERE partnership_id = :p"
                " ORDER BY completed_on IS NOT NULL, due_on, completed_on DESC, reference"
            ),
            {"p": partnership_id},
        ).all()
    return [_sar(row) for row in rows]


def subject_access_request(partnership_id: UUID, request_id: UUID) -> SubjectAccessRequest | None:
    """One request of the partnership (None if it is another partnership's, or none at all)."""
    with identity_engine().connect() as connection:
        row = connection.execute(
            text(f"SELECT {_SAR_COLUMNS} FROM subject_access_request WHERE id = :id AND partnership_id = :p"),
            {"id": request_id, "p": partnership_id},
        ).first()
    return _sar(row) if row else None


def complete_subject_access_request(partnership_id: UUID, request_id: UUID, completed_on: date) -> bool:
    """Mark an open request of the partnership completed; False if there is no such open request."""
    with identity_engine().begin() as connection:
        result = connection.execute(
            text(
                "UPDATE subject_access_request SET completed_on = :on"
                " WHERE id = :id AND partnership_id = :p AND completed_on IS NULL"
            ),
            {"on": completed_on, "id": request_id, "p": partnership_id},
        )
        return result.rowcount == 1


# -- storage: retention -------------------------------------------------------------------------------------


def retention_overrides(partnership_id: UUID) -> dict[str, int]:
    """The periods a partnership has set for itself, by record type."""
    with identity_engine().connect() as connection:
        rows = connection.execute(
            text("SELECT record_type, months FROM retention_period WHERE partnership_id = :p"),
            {"p": partnership_id},
        ).all()
    return {row.record_type: row.months for row in rows}


def set_retention_periods(
    partnership_id: UUID, months: Mapping[str, int], *, changed_by: str, now: datetime
) -> None:
    """Store the partnership's periods; one equal to the default is no override (it follows the default)."""
    with identity_engine().begin() as connection:
        for record_type, value in months.items():
            if value == DEFAULT_MONTHS[record_type]:
                connection.execute(
                    text("DELETE FROM retention_period WHERE partnership_id = :p AND record_type = :t"),
                    {"p": partnership_id, "t": record_type},
                )
                continue
            connection.execute(
                text(
                    "INSERT INTO retention_period (partnership_id, record_type, months, changed_by,"
                    " changed_at) VALUES (:p, :t, :m, :by, :now)"
                    " ON CONFLICT (partnership_id, record_type) DO UPDATE SET months = EXCLUDED.months,"
                    " changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at"
                    " WHERE retention_period.months <> EXCLUDED.months"
                ),
                {"p": partnership_id, "t": record_type, "m": value, "by": changed_by, "now": now},
            )


@dataclass(frozen=True)
class DeactivatedAccount:
    """An account that no longer signs in, and since when."""

    id: UUID
    display_name: str
    deactivated_at: datetime


def deactivated_accounts(partnership_id: UUID) -> list[DeactivatedAccount]:
    """A partnership's deactivated accounts, longest deactivated first."""
    with identity_engine().connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, display_name, deactivated_at FROM user_account"
                " WHERE partnership_id = :p AND NOT active AND deactivated_at IS NOT NULL"
                " ORDER BY deactivated_at"
            ),
            {"p": partnership_id},
        ).all()
    return [DeactivatedAccount(row.id, row.display_name, row.deactivated_at) for row in rows]


# -- storage: what identity holds about a person ------------------------------------------------------------


def account_record(partnership_id: UUID, user_id: UUID) -> dict[str, Any] | None:
    """Everything schema `identity` holds about one account of the partnership, for a subject access export.

    Never a secret: no password hash, second-factor secret, recovery code, session or link token (only
    whether and when they were set).
    """
    with identity_engine().connect() as connection:
        account = connection.execute(
            text(
                "SELECT u.id, u.email, u.display_name, u.active, u.created_at, u.created_by,"
                " u.deactivated_at, u.last_signed_in_at, u.password_changed_at, u.totp_enrolled_at, u.region,"
                " p.name AS partnership, a.name AS agency, a.agency_type"
                " FROM user_account u LEFT JOIN partnership p ON p.id = u.partnership_id"
                " LEFT JOIN agency a ON a.id = u.agency_id WHERE u.id = :id AND u.partnership_id = :p"
            ),
            {"id": user_id, "p": partnership_id},
        ).first()
        if account is None:
            return None
        roles = connection.execute(
            text("SELECT role FROM user_role WHERE user_id = :u ORDER BY role"), {"u": user_id}
        ).scalars()
        memberships = connection.execute(
            text(
                "SELECT review_id, part, added_by, added_at FROM review_membership WHERE user_id = :u"
                " ORDER BY added_at"
            ),
            {"u": user_id},
        ).all()
        sessions = connection.execute(
            text(
                "SELECT stage, created_at, last_seen_at, expires_at, ended_at, address, device FROM session"
                " WHERE user_id = :u ORDER BY created_at"
            ),
            {"u": user_id},
        ).all()
        failures = connection.execute(
            text("SELECT at, address FROM signin_failure WHERE account_key = :k ORDER BY at"),
            {"k": account_key(account.email)},
        ).all()
        recovery_codes_unused = connection.execute(
            text("SELECT count(*) FROM recovery_code WHERE user_id = :u AND used_at IS NULL"), {"u": user_id}
        ).scalar_one()
    return {
        "account": {
            "id": account.id,
            "email": account.email,
            "display_name": account.display_name,
            "active": account.active,
            "created_at": account.created_at,
            "created_by": account.created_by,
            "deactivated_at": account.deactivated_at,
            "last_signed_in_at": account.last_signed_in_at,
            "password_set": account.password_changed_at is not None,
            "password_changed_at": account.password_changed_at,
            "second_factor_enrolled_at": account.totp_enrolled_at,
            "recovery_codes_unused": recovery_codes_unused,
            "partnership": account.partnership,
            "region": account.region,
        },
        "roles": list(roles),
        "agency": {"name": account.agency, "agency_type": account.agency_type} if account.agency else None,
        "review_memberships": [
            {"review_id": m.review_id, "part": m.part, "added_by": m.added_by, "added_at": m.added_at}
            for m in memberships
        ],
        "sessions": {
            "count": len(sessions),
            "last_signed_in_at": account.last_signed_in_at,
            "list": [
                {
                    "stage": s.stage,
                    "started_at": s.created_at,
                    "last_seen_at": s.last_seen_at,
                    "expires_at": s.expires_at,
                    "ended_at": s.ended_at,
                    "address": s.address,
                    "device": s.device,
                }
                for s in sessions
            ],
        },
        "sign_in_failures": [{"at": f.at, "address": f.address} for f in failures],
    }
