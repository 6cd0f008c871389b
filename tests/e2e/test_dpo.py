"""The data protection officer on the running system: the audit of their own partnership only, subject
access requests with their one-month deadline and export, and the retention schedule."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from tests.e2e.helpers import DEMO, Database, SignedIn, sign_in
from tests.support.system import SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")
EASTMOOR = DEMO.partnership("ESP")
NB_DPO = "dpo@northbridge.example"
EM_DPO = "dpo@eastmoor.example"
NB_MANAGER = "business.manager@northbridge.example"
NB_REVIEW_TITLE = next(title for code, _, title in DEMO.reviews if code == "NBSCP")


def today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def unique_reference(prefix: str = "SAR") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def row_of(html: str, text: str) -> str:
    """The table row of a page that contains a text."""
    rows = [row for row in re.findall(r"<tr class=\"govuk-table__row\">.*?</tr>", html, re.S) if text in row]
    assert rows, f"no table row on the page contains {text!r}"
    return rows[0]


def date_form(day: date | None = None, /, **changes: str) -> dict[str, str]:
    day = day or date(2025, 1, 31)
    values = {
        "reference": unique_reference(),
        "requester": "Pat Requester, by their solicitor",
        "subject_email": "",
        "received_on-day": str(day.day),
        "received_on-month": str(day.month),
        "received_on-year": str(day.year),
    }
    return {**values, **changes}


@pytest.fixture(scope="module")
def nb_dpo(system: SystemEnv) -> SignedIn:
    return sign_in(system, NB_DPO)


@pytest.fixture(scope="module")
def em_dpo(system: SystemEnv) -> SignedIn:
    return sign_in(system, EM_DPO)


@pytest.fixture(scope="module")
def manager(system: SystemEnv) -> SignedIn:
    return sign_in(system, NB_MANAGER)


@pytest.fixture(scope="module")
def manager_id(db: Database) -> str:
    return str(db.scalar("SELECT id FROM identity.user_account WHERE email = %s", (NB_MANAGER,)))


@pytest.fixture(scope="module")
def read_review(manager: SignedIn, db: Database) -> str:
    """A Northbridge review that its business manager has just read: its id."""
    review_id = db.scalar(
        "SELECT id FROM forms.review WHERE partnership_id = %s AND title = %s",
        (str(NORTHBRIDGE.id), NB_REVIEW_TITLE),
    )
    assert review_id, f"the demo review {NB_REVIEW_TITLE!r} is not in the forms schema"
    response = manager.client.get(f"/reviews/{review_id}")
    assert response.status_code == 200, (
        f"the business manager could not read the review: {response.status_code}"
    )
    return str(review_id)


# -- who may come in ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/dpo", "/dpo/audit", "/dpo/audit.csv?user_id=x", "/dpo/subject-access-requests", "/dpo/retention"],
)
def test_a_business_manager_cannot_open_the_data_protection_pages(manager: SignedIn, path: str) -> None:
    response = manager.client.get(path)
    assert response.status_code == 403, f"{path} answered {response.status_code} to a business manager"


def test_a_business_manager_cannot_log_a_subject_access_request(manager: SignedIn, db: Database) -> None:
    values = date_form()
    response = manager.post_form("/dpo/subject-access-requests", values)
    assert response.status_code == 403
    assert not db.scalar(
        "SELECT count(*) FROM identity.subject_access_request WHERE reference = %s", (values["reference"],)
    )


def test_the_start_page_links_to_each_tool_with_counts(nb_dpo: SignedIn) -> None:
    response = nb_dpo.client.get("/dpo")
    assert response.status_code == 200, response.text[:500]
    for link in ("/dpo/audit", "/dpo/subject-access-requests", "/dpo/retention"):
        assert f'href="{link}"' in response.text, f"the start page does not link to {link}"
    assert re.search(r"\d+ open request", response.text)
    assert re.search(r"\d+ records? due for review or deletion", response.text)


# -- the audit ----------------------------------------------------------------------------------------------


def test_the_officer_sees_who_accessed_a_review(nb_dpo: SignedIn, read_review: str) -> None:
    response = nb_dpo.client.get("/dpo/audit", params={"review_id": read_review})
    assert response.status_code == 200, response.text[:500]
    assert f"Who accessed review {read_review}" in response.text
    row = row_of(response.text, NORTHBRIDGE.manager_name)
    assert "review" in row and "read" in row and "Allowed" in row


def test_the_audit_of_a_review_downloads_as_csv(nb_dpo: SignedIn, read_review: str, manager_id: str) -> None:
    response = nb_dpo.client.get("/dpo/audit.csv", params={"review_id": read_review})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and today().isoformat() in disposition, disposition
    rows = list(csv.DictReader(io.StringIO(response.text)))
    reads = [
        r
        for r in rows
        if r["user_id"] == manager_id and r["record_type"] == "review" and r["action"] == "read"
    ]
    assert reads, f"the CSV has no read of the review by the business manager: {rows[:5]}"
    assert all(r["review_id"] == read_review and r["partnership_id"] == str(NORTHBRIDGE.id) for r in reads)


def test_the_officer_sees_what_a_person_accessed(nb_dpo: SignedIn, read_review: str, manager_id: str) -> None:
    page = nb_dpo.client.get("/dpo/audit")
    assert page.status_code == 200
    assert f'<option value="{manager_id}">{NORTHBRIDGE.manager_name}</option>' in page.text
    response = nb_dpo.client.get("/dpo/audit", params={"user_id": manager_id})
    assert response.status_code == 200
    assert f"What {NORTHBRIDGE.manager_name} accessed" in response.text
    assert read_review in response.text


def test_another_partnerships_officer_sees_none_of_its_entries(
    em_dpo: SignedIn, read_review: str, manager_id: str
) -> None:
    by_review = em_dpo.client.get("/dpo/audit", params={"review_id": read_review})
    assert by_review.status_code == 200
    assert NORTHBRIDGE.manager_name not in by_review.text
    by_user = em_dpo.client.get("/dpo/audit", params={"user_id": manager_id})
    assert by_user.status_code == 200
    assert "No entries in your partnership" in by_user.text
    exported = em_dpo.client.get("/dpo/audit.csv", params={"review_id": read_review})
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert all(r["partnership_id"] == str(EASTMOOR.id) for r in rows), (
        "Eastmoor's officer got Northbridge entries"
    )
    assert not any(r["user_id"] == manager_id for r in rows)


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/dpo/audit", {"review_id": "not-a-uuid"}, "Enter the review&#39;s ID in the correct format"),
        ("/dpo/audit", {"review_id": ""}, "Enter the review&#39;s ID"),
        ("/dpo/audit", {"user_id": "42"}, "Choose the person whose access you want to see"),
        ("/dpo/audit.csv", {}, "Enter a review&#39;s ID, or choose a person"),
        ("/dpo/audit.csv", {"user_id": "nobody"}, "Choose the person whose access you want to see"),
    ],
)
def test_a_bad_or_missing_id_is_refused_with_what_to_fix(
    nb_dpo: SignedIn, path: str, params: dict[str, str], message: str
) -> None:
    response = nb_dpo.client.get(path, params=params)
    assert response.status_code == 422, f"{path} {params} answered {response.status_code}"
    assert "govuk-error-summary" in response.text
    assert message in response.text


# -- subject access requests --------------------------------------------------------------------------------


def test_a_request_is_logged_due_one_calendar_month_after_receipt(nb_dpo: SignedIn, db: Database) -> None:
    values = date_form(date(2025, 1, 31))
    response = nb_dpo.post_form("/dpo/subject-access-requests", values)
    assert response.status_code == 303, response.text[:500]
    stored = db.rows(
        "SELECT received_on, due_on, completed_on, partnership_id FROM identity.subject_access_request"
        " WHERE reference = %s",
        (values["reference"],),
    )
    assert stored == [(date(2025, 1, 31), date(2025, 2, 28), None, str(NORTHBRIDGE.id))]
    page = nb_dpo.client.get(response.headers["location"])
    assert f"Request {values['reference']} logged" in page.text
    row = row_of(page.text, values["reference"])
    assert "28 February 2025" in row and "Overdue" in row


def test_a_request_due_within_a_week_is_flagged(nb_dpo: SignedIn) -> None:
    received = today() - relativedelta(months=1) + relativedelta(days=3)
    due = received + relativedelta(months=1)
    values = date_form(received)
    assert nb_dpo.post_form("/dpo/subject-access-requests", values).status_code == 303
    row = row_of(nb_dpo.client.get("/dpo/subject-access-requests").text, values["reference"])
    assert f"Due in {(due - today()).days} days" in row, row


def test_a_reference_is_used_once_per_partnership(nb_dpo: SignedIn, em_dpo: SignedIn) -> None:
    values = date_form()
    assert nb_dpo.post_form("/dpo/subject-access-requests", values).status_code == 303
    again = nb_dpo.post_form("/dpo/subject-access-requests", values)
    assert again.status_code == 422
    assert "A request with this reference is already logged" in again.text
    assert em_dpo.post_form("/dpo/subject-access-requests", values).status_code == 303


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        ({"received_on-day": "30", "received_on-month": "2"}, ["Date received must be a real date"]),
        (
            {"received_on-month": "", "requester": ""},
            ["Enter who made the request", "Date received must include a month"],
        ),
        ({"received_on-year": "2999"}, ["Date received must be today or in the past"]),
        (
            {"reference": "", "received_on-year": "25"},
            ["Enter the request&#39;s reference", "Year must include 4 numbers"],
        ),
    ],
)
def test_a_bad_request_is_refused_naming_each_field_and_nothing_is_stored(
    nb_dpo: SignedIn, db: Database, changes: dict[str, str], messages: list[str]
) -> None:
    values = date_form(**changes)
    before = db.count("identity.subject_access_request")
    response = nb_dpo.post_form("/dpo/subject-access-requests", values)
    assert response.status_code == 422, response.status_code
    assert "govuk-error-summary" in response.text
    for message in messages:
        assert message in response.text, f"the page does not say {message!r}"
    assert db.count("identity.subject_access_request") == before, "a refused request was stored"


def test_the_export_holds_the_account_and_its_audit_but_no_secret(
    nb_dpo: SignedIn, db: Database, read_review: str, manager_id: str
) -> None:
    values = date_form(today(), subject_email=NB_MANAGER)
    response = nb_dpo.post_form("/dpo/subject-access-requests", values)
    assert response.status_code == 303
    request_id = response.headers["location"].rsplit("=", 1)[1]
    exported = nb_dpo.client.get(f"/dpo/subject-access-requests/{request_id}/export")
    assert exported.status_code == 200, exported.text[:500]
    assert exported.headers["content-type"].startswith("application/json")
    assert exported.headers["content-disposition"].startswith("attachment;")
    document = json.loads(exported.text)
    assert set(document) >= {"subject", "generated_at", "sources"}
    sources = document["sources"]
    assert set(sources) == {"identity", "audit", "forms", "notifications"}
    assert sources["identity"]["account"]["email"] == NB_MANAGER
    assert sources["identity"]["account"]["id"] == manager_id
    assert "business_manager" in sources["identity"]["roles"]
    assert sources["identity"]["sessions"]["count"] >= 1
    # The device each session was on, in the words the person saw ("Unknown device" for this test client).
    assert {s["device"] for s in sources["identity"]["sessions"]["list"]} <= {"Unknown device", None}
    assert any(s["device"] == "Unknown device" for s in sources["identity"]["sessions"]["list"])
    assert any(e["review_id"] == read_review and e["action"] == "read" for e in sources["audit"])
    assert isinstance(sources["forms"], list) and isinstance(sources["notifications"], list)
    password_hash, totp_secret = db.rows(
        "SELECT password_hash, totp_secret FROM identity.user_account WHERE id = %s", (manager_id,)
    )[0]
    for secret in ("password_hash", "totp_secret", password_hash, totp_secret):
        assert secret not in exported.text, "the export gives away a secret"


def test_the_export_lists_the_persons_work_on_a_review_without_its_answers(
    nb_dpo: SignedIn, manager: SignedIn, manager_id: str
) -> None:
    client = manager.client
    # The token per request: the signed-in client is shared with other tests, which send their own.
    csrf = {"X-CSRF-Token": manager.csrf()}
    title = f"NB-2026-DPO-{uuid.uuid4().hex[:6]}"
    body = {"review_type": "child_safeguarding", "partnership_id": str(NORTHBRIDGE.id), "title": title}
    opened = client.post("/api/reviews", json=body, headers=csrf)
    assert opened.status_code == 201, opened.text[:300]
    review_id = opened.json()["id"]
    outline = "Synthetic outline for the subject access test"
    referral = {
        "referring_organisation": "Northbridge Hospital Trust",
        "referrer_role": "Named nurse",
        "incident_date": "2026-01-05",
        "date_aware": "2026-01-06",
        "nature": "serious_harm",
        "summary": outline,
        "senior_lead_agreed": True,
    }
    saved = client.post(
        f"/api/reviews/{review_id}/steps/referral", json={"answers": referral, "version": 0}, headers=csrf
    )
    assert saved.status_code == 200, saved.text[:500]
    values = date_form(today(), subject_email=NB_MANAGER)
    response = nb_dpo.post_form("/dpo/subject-access-requests", values)
    request_id = response.headers["location"].rsplit("=", 1)[1]
    exported = nb_dpo.client.get(f"/dpo/subject-access-requests/{request_id}/export")
    forms_records = json.loads(exported.text)["sources"]["forms"]
    steps = [r for r in forms_records if r["record_type"] == "review_step"]
    assert any(r["record_id"] == f"{review_id}:referral" and title in r["summary"] for r in steps), (
        f"the step the manager saved is not among their records: {forms_records}"
    )
    assert outline not in exported.text, "the export describes the work, it does not copy the case's answers"


def test_a_request_is_marked_completed_today(nb_dpo: SignedIn, db: Database) -> None:
    values = date_form()
    request_id = (
        nb_dpo.post_form("/dpo/subject-access-requests", values).headers["location"].rsplit("=", 1)[1]
    )
    response = nb_dpo.post_form(f"/dpo/subject-access-requests/{request_id}/complete")
    assert response.status_code == 303
    completed = db.scalar(
        "SELECT completed_on FROM identity.subject_access_request WHERE id = %s", (request_id,)
    )
    assert completed == today()
    row = row_of(nb_dpo.client.get("/dpo/subject-access-requests").text, values["reference"])
    assert today().strftime("%-d %B %Y") in row and "Overdue" not in row


def test_another_partnerships_request_is_not_found(nb_dpo: SignedIn, em_dpo: SignedIn, db: Database) -> None:
    request_id = (
        nb_dpo.post_form("/dpo/subject-access-requests", date_form()).headers["location"].rsplit("=", 1)[1]
    )
    assert em_dpo.client.get(f"/dpo/subject-access-requests/{request_id}/export").status_code == 404
    assert em_dpo.post_form(f"/dpo/subject-access-requests/{request_id}/complete").status_code == 404
    assert (
        db.scalar("SELECT completed_on FROM identity.subject_access_request WHERE id = %s", (request_id,))
        is None
    )
    assert nb_dpo.client.get("/dpo/subject-access-requests/not-an-id/export").status_code == 404


# -- retention ----------------------------------------------------------------------------------------------


def test_the_retention_page_lists_the_defaults(em_dpo: SignedIn) -> None:
    response = em_dpo.client.get("/dpo/retention")
    assert response.status_code == 200, response.text[:500]
    for label, months, action in (
        ("Review case files", "180", "Review"),
        ("User accounts", "12", "Delete"),
        ("Audit log", "72", "Review"),
        ("Sessions and sign-in records", "1", "Delete"),
        ("Subject access requests", "24", "Delete"),
    ):
        row = row_of(response.text, f">{label}<")
        assert f">{months}<" in row and action in row and "Default" in row, row
    assert "Due for review or deletion" in response.text


def test_a_partnership_sets_its_own_retention_period(nb_dpo: SignedIn, db: Database) -> None:
    form = {
        "months-review": "180",
        "months-user_account": "36",
        "months-audit_log": "72",
        "months-session": "1",
        "months-subject_access_request": "24",
    }
    response = nb_dpo.post_form("/dpo/retention", form)
    assert response.status_code == 303, response.text[:500]
    stored = db.rows(
        "SELECT record_type, months FROM identity.retention_period WHERE partnership_id = %s",
        (str(NORTHBRIDGE.id),),
    )
    assert stored == [("user_account", 36)]
    row = row_of(nb_dpo.client.get("/dpo/retention").text, ">User accounts<")
    assert ">36<" in row and "Set by your partnership" in row


def test_a_bad_retention_period_is_refused_per_field(nb_dpo: SignedIn, db: Database) -> None:
    before = db.rows("SELECT record_type, months FROM identity.retention_period ORDER BY 1")
    form = {
        "months-review": "0",
        "months-user_account": "601",
        "months-audit_log": "six",
        "months-session": "1",
        "months-subject_access_request": "24",
    }
    response = nb_dpo.post_form("/dpo/retention", form)
    assert response.status_code == 422
    for message in (
        "Months for review case files must be between 1 and 600",
        "Months for user accounts must be between 1 and 600",
        "Months for audit log must be a whole number",
    ):
        assert message in response.text
    assert 'href="#months-review"' in response.text
    assert db.rows("SELECT record_type, months FROM identity.retention_period ORDER BY 1") == before
