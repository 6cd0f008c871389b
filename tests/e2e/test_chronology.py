"""Chronologies on the real system, through the gateway's pages as the demo's people: the business manager
keeps the people register; the police author downloads the template, uploads a file with problems and sees
every one of them (nothing imported), then the corrected file, previews and imports it; the merged chronology
reads in date order with pseudonyms, names only for who may see them, filters and pages, and exports as CSV,
Excel and PDF (pseudonyms only, formulas neutralised); another agency and another partnership see nothing of
it.

Each test works on a rapid review of its own (tests/e2e/test_agency_returns.py's fixture asks three agencies
for returns, and so for chronologies), so that the demo's reviews stay as they are for the other suites.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from openpyxl import load_workbook

from services.kernel.calendar import today_in_england
from tests.e2e.helpers import SignedIn, sign_in, wait_for
from tests.e2e.test_agency_returns import RapidReview, new_rapid_review, user_id  # noqa: F401 - the fixture
from tests.support.system import SystemEnv

MANAGER = "business.manager@northbridge.example"
POLICE_AUTHOR = "police.author@northbridge.example"
HEALTH_LEAD = "health.lead@northbridge.example"
PARTNER = "partner@northbridge.example"
EASTMOOR_MANAGER = "business.manager@eastmoor.example"
HYPERLINK = '=HYPERLINK("http://evil.example","click")'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADINGS = [
    "Date",
    "Time",
    "End date",
    "Source record",
    "Practitioner role",
    "Event",
    "Action or decision",
    "Reason if no action",
    "Significance",
    "Key practice episode",
    "People",
]


def csv_file(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def upload(who: SignedIn, review: RapidReview, name: str, body: bytes) -> str:
    """Upload a file through the page; the address of its status page."""
    response = who.client.post(
        f"/reviews/{review.id}/chronology/upload",
        data={"csrf_token": who.csrf()},
        files={"file": (name, body, "text/csv")},
    )
    assert response.status_code == 303, f"uploading {name}: {response.status_code} {response.text[:500]}"
    return response.headers["location"]


def checked(who: SignedIn, status_page: str) -> httpx.Response:
    """The status page once the check is over."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        progress = who.client.get(status_page + "/progress")
        assert progress.status_code == 200, progress.text
        if progress.json()["done"]:
            return who.client.get(status_page)
        time.sleep(0.2)
    raise AssertionError(f"the check of {status_page} did not finish")


def born_years_ago(years: int) -> date:
    today = today_in_england()
    return today.replace(year=today.year - years)


@pytest.fixture
def review_with_register(system: SystemEnv, new_rapid_review: Callable[..., RapidReview]) -> RapidReview:  # noqa: F811
    review = new_rapid_review()
    manager = sign_in(system, MANAGER)
    for email, part in ((POLICE_AUTHOR, "agency_author"), (HEALTH_LEAD, "agency_lead")):
        added = manager.post_form(
            f"/reviews/{review.id}/people", {"user_id": str(user_id(email)), "part": part}
        )
        assert added.status_code == 303, f"adding {email}: {added.status_code} {added.text[:400]}"
    for label, name, role, born, subject in (
        ("Child A", "Amy Northcote", "Subject child", born_years_ago(3).isoformat(), "yes"),
        ("Mother", "Beth Northcote", "Mother", "", ""),
    ):
        response = manager.post_form(
            f"/reviews/{review.id}/chronology/people",
            {"label": label, "name": name, "role_in_family": role, "born_on": born, "subject": subject},
        )
        assert response.status_code == 303, f"adding {label}: {response.status_code} {response.text[:400]}"
    return review


@pytest.mark.slow
def test_an_agency_uploads_a_file_with_problems_then_the_corrected_one_and_the_reviewer_reads_it_merged(
    system: SystemEnv, review_with_register: RapidReview
) -> None:
    review = review_with_register
    author = sign_in(system, POLICE_AUTHOR)
    two_years_ago = born_years_ago(2).strftime("%d/%m/%Y")

    # The template, as a workbook and as CSV.
    workbook = author.client.get(f"/reviews/{review.id}/chronology/template.xlsx")
    assert workbook.status_code == 200, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", workbook.text))[-800:]
    names = zipfile.ZipFile(io.BytesIO(workbook.content)).namelist()
    assert "xl/workbook.xml" in names
    template = author.client.get(f"/reviews/{review.id}/chronology/template.csv")
    assert template.status_code == 200
    assert template.content.decode("utf-8-sig").splitlines()[0].split(",")[:3] == ["Date", "Time", "End date"]

    # A file with problems: rejected whole, each problem by row and column.
    bad = csv_file(
        [
            [
                two_years_ago,
                "",
                "",
                "PNC/1",
                "Response officer",
                "Attended a call to the home",
                "Crime report",
                "",
                "medium",
                "",
                "Child A; Jo Bloggs",
            ],
            [
                "31/02/2024",
                "",
                "",
                "PNC/2",
                "Response officer",
                "Second call",
                "Advice",
                "",
                "",
                "",
                "Jo Bloggs",
            ],
            ["about 2024", "", "", "PNC/3", "Detective constable", "", "", "", "critical", "", ""],
        ]
    )
    status_page = upload(author, review, "police-v1.csv", bad)
    page = checked(author, status_page)
    assert page.status_code == 200
    assert 'id="upload-problems"' in page.text, page.text[:2000]
    text = re.sub(r"\s+", " ", page.text)
    assert "31/02/2024 is not a date" in text
    assert "Jo Bloggs" in text
    problems = author.client.get(status_page + "/problems.csv")
    assert problems.status_code == 200
    rows = list(csv.reader(io.StringIO(problems.content.decode("utf-8-sig"))))
    assert rows[0] == ["Row", "Column", "What to fix"]
    assert {(row[0], row[1]) for row in rows[1:]} >= {
        ("3", "Date"),
        ("2", "People"),
        ("4", "Event"),
        ("4", "Significance"),
    }
    manager = sign_in(system, MANAGER)
    assert manager.client.get(f"/reviews/{review.id}/chronology").text.count("PNC/") == 0, "nothing imported"
    # The uploader hears that the file was not imported (in the notification centre; e-mail per choice).
    wait_for(
        lambda: "A chronology file was not imported" in author.client.get("/notifications").text,
        message="the police author's notification of the rejected file",
    )

    # The corrected file: checked, previewed, imported.
    good = csv_file(
        [
            [
                two_years_ago,
                "14:30",
                "",
                "PNC/1",
                "Response officer",
                "Attended a call to the home; Amy Northcote present",
                "Crime report",
                "",
                "medium",
                "Yes",
                "Child A",
            ],
            [
                "May 2024",
                "",
                "",
                "PNC/2",
                "Response officer",
                "Second call\nwith two lines",
                "",
                "Mother not at home",
                "",
                "",
                "Beth Northcote",
            ],
            [
                "about 2024",
                "",
                "",
                "PNC/3",
                "Detective constable",
                "Intelligence report",
                "Shared with social care",
                "",
                "low",
                "",
                "",
            ],
            [
                two_years_ago,
                "",
                "",
                "PNC/4",
                "Analyst",
                HYPERLINK,  # text in a CSV upload; a spreadsheet opening an export must not run it
                "Referred Amy Northcote to social care",
                "",
                "low",
                "",
                "Child A",
            ],
        ]
    )
    status_page = upload(author, review, "police-v2.csv", good)
    page = checked(author, status_page)
    assert 'id="upload-preview"' in page.text and 'id="import-upload"' in page.text, page.text[:2000]
    imported = author.post_form(status_page + "/import")
    assert imported.status_code == 303
    assert "Imported" in author.client.get(status_page).text
    wait_for(
        lambda: "Northbridge Police has uploaded its chronology" in manager.client.get("/notifications").text,
        message="the business manager's notification of the imported chronology",
    )

    # The merged chronology: date order, the agency before its source, pseudonyms. It is indexed for words
    # seconds after the import, in the background.
    wait_for(
        lambda: 'id="chronology-settling"' not in manager.client.get(f"/reviews/{review.id}/chronology").text,
        message="the imported version to be indexed for searching",
    )
    merged = manager.client.get(f"/reviews/{review.id}/chronology")
    assert merged.status_code == 200
    body = merged.text
    assert body.index("PNC/3") < body.index("PNC/1"), "about 2024 comes before a date two years ago"
    assert "Northbridge Police: PNC/1" in body
    assert "Child A present" in body and "Amy Northcote" not in body
    named = manager.client.get(f"/reviews/{review.id}/chronology/with-names")
    assert "Amy Northcote present" in named.text
    partner = sign_in(system, PARTNER)
    assert "Amy Northcote" not in partner.client.get(f"/reviews/{review.id}/chronology/with-names").text
    filtered = manager.client.get(f"/reviews/{review.id}/chronology", params={"q": "intelligence"})
    assert "PNC/3" in filtered.text and "PNC/1" not in filtered.text
    assert "1</strong> of 4 entries match" in re.sub(r"\s+", " ", filtered.text)
    assert f"/reviews/{review.id}/chronology/export.csv?q=intelligence" in filtered.text

    # The export of a filtered view: only the matching entries, pseudonyms only, and the cell the agency began
    # with "=" kept as text.
    exported = manager.client.get(
        f"/reviews/{review.id}/chronology/export.csv", params={"significance": "low"}
    )
    assert exported.status_code == 200, exported.text[:500]
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="chronology-[0-9a-f]{8}-[0-9-]{10}\.csv"',
        exported.headers["content-disposition"],
    )
    assert exported.headers["cache-control"] == "no-store"
    assert exported.content.startswith(b"\xef\xbb\xbf")
    text = exported.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1] == ["Entries: Significance: Low"] and rows[3] == ["Pseudonymised: real names removed"]
    headings = rows.index(next(row for row in rows if row[:2] == ["Date", "Agency"]))
    by_source = {row[2]: row for row in rows[headings + 1 :]}
    assert set(by_source) == {"Northbridge Police: PNC/3", "Northbridge Police: PNC/4"}, by_source.keys()
    assert by_source["Northbridge Police: PNC/4"][4] == "'" + HYPERLINK
    assert by_source["Northbridge Police: PNC/4"][5] == "Referred Child A to social care"
    assert "Amy Northcote" not in text and "Beth Northcote" not in text
    workbook = manager.client.get(f"/reviews/{review.id}/chronology/export.xlsx")
    assert workbook.status_code == 200 and workbook.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(workbook.content), read_only=True)["Chronology"]
    cells = [value for row in sheet.iter_rows(values_only=True) for value in row if value is not None]
    assert {f"Northbridge Police: PNC/{n}" for n in (1, 2, 3, 4)} <= set(cells)
    assert "'" + HYPERLINK in cells and not any(str(value).startswith("=") for value in cells)
    printable = manager.client.get(
        f"/reviews/{review.id}/chronology/export.pdf", params={"q": "intelligence"}
    )
    assert printable.status_code == 200 and printable.headers["content-type"] == "application/pdf"
    assert printable.content.startswith(b"%PDF")

    # The history: who uploaded what, and its fate.
    history = manager.client.get(f"/reviews/{review.id}/chronology/uploads").text
    assert "police-v1.csv" in history and "police-v2.csv" in history and "Rejected" in history

    # Another agency reads none of the police's entries and cannot open its upload.
    health = sign_in(system, HEALTH_LEAD)
    theirs = health.client.get(f"/reviews/{review.id}/chronology")
    assert theirs.status_code == 200 and "PNC/1" not in theirs.text
    assert health.client.get(status_page).status_code == 404
    # Nor can it act on it: an agency works only on its own agency's uploads.
    assert health.post_form(status_page + "/import").status_code == 404
    assert health.client.get(status_page + "/problems.csv").status_code == 404
    theirs_exported = health.client.get(f"/reviews/{review.id}/chronology/export.csv")
    assert theirs_exported.status_code == 200 and "PNC/" not in theirs_exported.content.decode("utf-8-sig")
    # Another partnership: no such review.
    eastmoor = sign_in(system, EASTMOOR_MANAGER)
    assert eastmoor.client.get(f"/reviews/{review.id}/chronology").status_code == 404
    for kind in ("xlsx", "csv", "pdf"):
        refused = eastmoor.client.get(f"/reviews/{review.id}/chronology/export.{kind}")
        assert refused.status_code == 404, f"another partnership's export.{kind}: {refused.status_code}"


@pytest.mark.slow
def test_the_reviewer_confirms_a_duplicate_and_tags_an_episode_that_the_rapid_review_report_lists(
    system: SystemEnv, review_with_register: RapidReview
) -> None:
    review = review_with_register
    day = born_years_ago(1).strftime("%d/%m/%Y")
    police, health = sign_in(system, POLICE_AUTHOR), sign_in(system, HEALTH_LEAD)
    for who, name, rows in (
        (
            police,
            "police.csv",
            [
                [
                    day,
                    "",
                    "",
                    "PNC/9",
                    "Response officer",
                    "Officers attended the home after a neighbour reported shouting",
                    "Referred to social care",
                    "",
                    "high",
                    "",
                    "Child A",
                ]
            ],
        ),
        (
            health,
            "health.csv",
            [
                [
                    day,
                    "",
                    "",
                    "HV/4",
                    "Health visitor",
                    "Police attended the home after a neighbour reported shouting",
                    "",
                    "Police already involved",
                    "",
                    "",
                    "Child A",
                ]
            ],
        ),
    ):
        status_page = upload(who, review, name, csv_file(rows))
        assert 'id="import-upload"' in checked(who, status_page).text
        assert who.post_form(status_page + "/import").status_code == 303

    manager = sign_in(system, MANAGER)
    wait_for(
        lambda: (
            'id="duplicates-settling"'
            not in manager.client.get(f"/reviews/{review.id}/chronology/duplicates").text
        ),
        message="both versions to be compared for likely duplicates",
    )
    duplicates = manager.client.get(f"/reviews/{review.id}/chronology/duplicates")
    assert duplicates.status_code == 200
    pair = re.search(rf"/reviews/{review.id}/chronology/duplicates/([0-9a-f-]{{36}})", duplicates.text)
    assert pair, "the same call recorded by the police and the health visitor is flagged"
    confirmed = manager.post_form(pair.group(0), {"decision": "confirm"})
    assert confirmed.status_code == 303
    assert "No likely duplicates to decide" in manager.client.get(confirmed.headers["location"]).text
    merged = manager.client.get(f"/reviews/{review.id}/chronology").text
    assert (
        "Same event as Northbridge Police: PNC/9" in merged
        or "Same event as Northbridge Health ICB: HV/4" in merged
    )
    assert police.client.get(f"/reviews/{review.id}/chronology/duplicates").status_code == 403

    entry_id = re.search(r'name="entry_id" value="([0-9a-f-]{36})"', merged)
    assert entry_id, "the business manager can tag entries"
    tagged = manager.post_form(
        f"/reviews/{review.id}/chronology/episodes",
        {
            "entry_id": entry_id.group(1),
            "learning": "Neighbour's concerns were not shared",
            "back": f"/reviews/{review.id}/chronology",
        },
    )
    assert tagged.status_code == 303 and tagged.headers["location"] == f"/reviews/{review.id}/chronology"
    episodes = manager.client.get(f"/reviews/{review.id}/chronology/episodes").text
    assert "Neighbour&#39;s concerns were not shared" in episodes
    only = manager.client.get(f"/reviews/{review.id}/chronology", params={"episodes": "1"}).text
    assert "1</strong> of 2 entries match" in re.sub(r"\s+", " ", only)

    report = manager.client.get(f"/reviews/{review.id}/documents/rapid-review-report")
    assert report.status_code == 200, report.text[:300]
    document = zipfile.ZipFile(io.BytesIO(report.content)).read("word/document.xml").decode()
    assert "Key practice episodes from the chronology" in document
    assert "concerns were not shared" in document


ADMIN = "admin@northbridge.example"
PUBLISHER = Path(__file__).resolve().parents[2] / "docs" / "examples" / "publish_chronology_entries.py"


def issued_value(page: str, name: str) -> str:
    found = re.search(rf'id="issued-{name}">([^<]+)<', page)
    assert found, f"the issued connection's {name} is not on the page"
    return html.unescape(found.group(1))


@pytest.mark.slow
def test_the_administrator_issues_a_system_connection_and_the_agencys_system_publishes_through_it(
    system: SystemEnv, review_with_register: RapidReview, tmp_path: Path
) -> None:
    review = review_with_register
    admin = sign_in(system, ADMIN)
    page = admin.client.get("/admin/system-connections")
    assert page.status_code == 200
    police_agency = re.search(r'value="([0-9a-f-]{36})"[^>]*>\s*<label[^>]*>Northbridge Police<', page.text)
    assert police_agency, "the form offers the partnership's agencies"
    issued = admin.post_form(
        "/admin/system-connections", {"name": "Police case system", "agency_id": police_agency.group(1)}
    )
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    host = urlsplit(system.amqp_uri)
    env = {
        **os.environ,
        "CASEREV_AMQP_HOST": host.hostname or "127.0.0.1",
        "CASEREV_AMQP_PORT": str(host.port or 5672),
        "CASEREV_AMQP_VHOST": issued_value(issued.text, "vhost"),
        "CASEREV_AMQP_USER": issued_value(issued.text, "user"),
        "CASEREV_AMQP_PASSWORD": issued_value(issued.text, "password"),
        "CASEREV_AMQP_EXCHANGE": issued_value(issued.text, "exchange"),
    }
    again = admin.client.get("/admin/system-connections")
    assert issued_value(issued.text, "password") not in again.text, "the password is shown once"

    def publish(entries: list[dict[str, str]]) -> None:
        path = tmp_path / f"{uuid.uuid4().hex}.json"
        path.write_text(json.dumps(entries), encoding="utf-8")
        result = subprocess.run(
            [sys.executable, str(PUBLISHER), review.id, str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr

    entry = {
        "occurred": born_years_ago(1).strftime("%d/%m/%Y"),
        "source_record": "CR/SYS/1",
        "practitioner_role": "Response officer",
        "event": "Welfare check at the home (published by the police system)",
        "action": "Information shared with social care",
        "people": "Child A",
    }
    publish([entry])
    publish([{**entry, "source_record": "CR/SYS/2", "occurred": "01/01/2999"}])

    manager = sign_in(system, MANAGER)

    def applied() -> str | None:
        history = manager.client.get(f"/reviews/{review.id}/chronology/uploads").text
        return (
            history
            if "Published by Police case system" in history and "refused-messages" in history
            else None
        )

    history = wait_for(applied, message="the system's entries applied and its bad message refused")
    assert "01/01/2999 is in the future" in history
    merged = manager.client.get(f"/reviews/{review.id}/chronology").text
    assert "Northbridge Police: CR/SYS/1" in merged and "CR/SYS/2" not in merged

    connection = re.search(r"/admin/system-connections/([0-9a-f-]{36})/revoke", again.text)
    assert connection
    revoked = admin.post_form(connection.group(0))
    assert revoked.status_code == 303
    assert "Revoked" in admin.client.get(revoked.headers["location"]).text
    refused = subprocess.run(
        [sys.executable, str(PUBLISHER), review.id], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 1, "a revoked connection can no longer publish"


def test_the_demo_has_three_agencies_chronologies_a_corrected_upload_a_system_feed_a_duplicate_and_episodes(
    system: SystemEnv,
) -> None:
    manager = sign_in(system, MANAGER)
    reviews = manager.client.get("/reviews").text
    found = re.search(r'href="/reviews/([0-9a-f-]{36})"[^>]*>\s*NB-2026-014', reviews)
    assert found, "the demo's infant review is listed"
    review = found.group(1)
    merged = manager.client.get(f"/reviews/{review}/chronology").text
    words = re.sub(r"\s+", " ", merged)
    assert "from 3 agencies" in words, words[:2000]
    for source in (
        "Northbridge Police: PNC/DA/1041",
        "Northbridge Children's Services: CSC/REF/5520",
        "Northbridge Health ICB: ED/88120",
    ):
        assert source in html.unescape(merged), source
    assert "Amelia Demo-Infant" not in merged and "Child A" in merged
    history = re.sub(r"\s+", " ", manager.client.get(f"/reviews/{review}/chronology/uploads").text)
    assert (
        "police-chronology.csv" in history
        and "Rejected" in history
        and "police-chronology-corrected.csv" in history
    )
    assert "Published by Health records system" in history
    wait_for(
        lambda: (
            'id="duplicates-settling"'
            not in manager.client.get(f"/reviews/{review}/chronology/duplicates").text
        ),
        message="the demo's versions to be compared for likely duplicates",
    )
    duplicates = manager.client.get(f"/reviews/{review}/chronology/duplicates").text
    assert "/chronology/duplicates/" in duplicates, (
        "the police call-out and the health visitor's note are flagged"
    )
    episodes = manager.client.get(f"/reviews/{review}/chronology/episodes").text
    assert episodes.count('class="govuk-table__row"') == 3, "two episodes (and the heading row)"


def test_the_business_manager_sets_the_partnerships_own_columns_and_every_template_asks_for_them(
    system: SystemEnv, review_with_register: RapidReview
) -> None:
    manager = sign_in(system, MANAGER)
    refused = manager.post_form("/settings/chronology", {"columns": "Legal status\nDate"})
    assert refused.status_code == 422 and "already has a column Date" in refused.text
    saved = manager.post_form("/settings/chronology", {"columns": "Legal status\n\n  Contact   type "})
    assert saved.status_code == 303
    assert "Legal status" in manager.client.get("/settings/chronology").text
    author = sign_in(system, POLICE_AUTHOR)
    template = author.client.get(f"/reviews/{review_with_register.id}/chronology/template.csv")
    assert template.content.decode("utf-8-sig").splitlines()[0].endswith("People,Legal status,Contact type")
    partner = sign_in(system, PARTNER)
    assert partner.post_form("/settings/chronology", {"columns": ""}).status_code == 403
    assert manager.post_form("/settings/chronology", {"columns": ""}).status_code == 303


def _zip_bomb() -> bytes:
    """A workbook whose sheet unpacks to far more than it weighs (zeros compress a thousandfold)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<sheetData>" + b"0" * 60_000_000 + b"</sheetData>")
    return out.getvalue()


@pytest.mark.slow
def test_files_made_to_break_the_upload_are_refused_whole_with_a_clear_message(
    system: SystemEnv, review_with_register: RapidReview
) -> None:
    review = review_with_register
    author = sign_in(system, POLICE_AUTHOR)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    for name, body, words in (
        ("photo.csv", png, "PNG image"),
        ("empty.csv", b"", "the file is empty"),
        ("bomb.xlsx", _zip_bomb(), "zip bomb"),
        ("headings.csv", csv_file([]), "column headings but no entries"),
        (
            "latin.csv",
            csv_file([["01/01/2024", "", "", "R/1", "Nurse", "Café visit", "Advice", "", "", "", ""]])
            .decode()
            .encode("cp1252"),
            "not UTF-8",
        ),
    ):
        page = checked(author, upload(author, review, name, body))
        assert 'id="upload-problems"' in page.text, f"{name}: {page.text[:500]}"
        assert words in html.unescape(page.text), f"{name}: expected {words!r}"
    # Over the limit: refused before anything is kept, with what to do.
    big = b"x" * (20 * 1024 * 1024 + 10)
    response = author.client.post(
        f"/reviews/{review.id}/chronology/upload",
        data={"csrf_token": author.csrf()},
        files={"file": ("big.csv", big, "text/csv")},
    )
    assert response.status_code == 422 and "larger than 20 MB" in response.text
    huge = author.client.post(
        f"/reviews/{review.id}/chronology/upload",
        data={"csrf_token": author.csrf()},
        files={"file": ("huge.csv", big + b"x" * 2_000_000, "text/csv")},
    )
    assert huge.status_code == 413 and "larger than 20 MB" in huge.json()["detail"]
    manager = sign_in(system, MANAGER)
    assert "PNC/" not in manager.client.get(f"/reviews/{review.id}/chronology").text, "nothing was kept"


def test_the_business_manager_asks_one_more_agency_for_its_chronology(
    system: SystemEnv, review_with_register: RapidReview
) -> None:
    review = review_with_register
    manager = sign_in(system, MANAGER)
    history = html.unescape(manager.client.get(f"/reviews/{review.id}/chronology/uploads").text)
    assert "Agencies asked for a chronology:" in history and "Northbridge Police" in history
    schools = re.search(r'<option value="([0-9a-f-]{36})">Northbridge Schools</option>', history)
    assert schools, "an agency not asked yet is offered"
    asked = manager.post_form(f"/reviews/{review.id}/chronology/agencies", {"agency_id": schools.group(1)})
    assert asked.status_code == 303
    again = html.unescape(manager.client.get(f"/reviews/{review.id}/chronology/uploads").text)
    assert re.search(r"Agencies asked for a chronology: [^<]*Northbridge Schools", again)
    assert (
        manager.post_form(f"/reviews/{review.id}/chronology/agencies", {"agency_id": "x"}).status_code == 422
    )
