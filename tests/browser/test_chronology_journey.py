"""A chronology in Chromium, on the real system, by the people who make and read it: the police author of the
demo's infant review downloads the template, fills it in (with mistakes), uploads it and reads every problem,
then uploads the corrected file and imports it; the review's independent reviewer reads the merged chronology
as a table and as a timeline, filters it, confirms a likely duplicate, tags a key practice episode and exports
what the filters show. Every page is checked by `Pages.check` (screenshot, axe-core, no console or CSP
error): tests/browser/screenshots/chronology-NN-*.png read as the story.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from services.kernel.calendar import today_in_england
from tests.browser.conftest import Pages, new_context
from tests.support.system import SystemEnv

POLICE_AUTHOR = "police.author@northbridge.example"
REVIEWER = "reviewer@northbridge.example"
DEMO_REVIEW = "NB-2026-014 infant, serious harm"


def _day(days_ago: int) -> str:
    return (today_in_england() - timedelta(days=days_ago)).strftime("%d/%m/%Y")


def _fill(template: Path, rows: list[list[str]], out: Path) -> Path:
    """The downloaded template with rows typed into its Chronology sheet, as an agency would."""
    book = load_workbook(template)
    sheet = book["Chronology"]
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=number, column=column, value=value)
    book.save(out)
    return out


def _open_review(pages: Pages) -> None:
    pages.goto("/reviews")
    pages.page.get_by_role("link", name=re.compile(re.escape(DEMO_REVIEW))).first.click()
    pages.page.get_by_role("link", name="Chronology", exact=True).click()


def _until_indexed(pages: Pages, timeout: float = 30) -> None:
    """Reload the merged chronology until the newest version is indexed (seconds after its import, in the
    background): until then words and likely duplicates leave it out, and the page says so."""
    deadline = time.monotonic() + timeout
    while pages.page.locator("#chronology-settling").count():
        assert time.monotonic() < deadline, "the imported version was not indexed in time"
        pages.page.wait_for_timeout(300)
        pages.page.reload()


def test_an_agency_uploads_its_chronology_and_the_reviewer_reads_judges_and_exports_the_merged_one(
    browser: Browser, system: SystemEnv, signed_in_state: Any, tmp_path: Path
) -> None:
    author_context = new_context(
        browser,
        viewport={"width": 1280, "height": 900},
        storage_state=signed_in_state(POLICE_AUTHOR),
        accept_downloads=True,
    )
    author = Pages(author_context.new_page(), system.gateway_url, prefix="chronology-")
    _open_review(author)
    author.check("01-merged-as-the-police-author")
    author.page.get_by_role("link", name="Upload your agency's chronology").first.click()
    expect(author.page.get_by_role("heading", level=1)).to_have_text("Upload your agency's chronology")
    author.check("02-upload-form")
    with author.page.expect_download() as downloaded:
        author.page.get_by_role("link", name="Download the template (Excel workbook)").click()
    template = tmp_path / "template.xlsx"
    downloaded.value.save_as(template)
    assert load_workbook(template, read_only=True).sheetnames == [
        "Chronology",
        "Instructions",
        "Examples",
        "People",
    ]

    # With mistakes: a date that does not exist, a name not in the register, a missing event.
    mistakes = _fill(
        template,
        [
            [
                _day(140),
                "",
                "",
                "PNC/DA/2001",
                "Response officer",
                "Attended after a neighbour's call",
                "Crime report",
                "",
                "Medium",
                "",
                "Child A; Jo Bloggs",
            ],
            [
                "31/02/2025",
                "",
                "",
                "PNC/DA/2002",
                "Response officer",
                "A second call",
                "Advice given",
                "",
                "",
                "",
                "",
            ],
            [
                _day(100),
                "",
                "",
                "PNC/DA/2003",
                "Detective constable",
                "",
                "Shared with social care",
                "",
                "",
                "",
                "",
            ],
        ],
        tmp_path / "police-with-mistakes.xlsx",
    )
    author.page.get_by_label("Your filled template").set_input_files(str(mistakes))
    author.page.get_by_role("button", name="Upload and check").click()
    expect(author.page.locator("#upload-problems")).to_be_visible(timeout=30_000)
    problems = author.page.locator("#upload-problems").inner_text()
    assert "31/02/2025 is not a date" in problems and "Jo Bloggs" in problems and "give the event" in problems
    author.check("03-rejected-with-every-problem")

    corrected = _fill(
        template,
        [
            # The same call-out the health visitor heard of (the demo's health system published it).
            [
                _day(151),
                "23:10",
                "",
                "PNC/DA/2001",
                "Response officer",
                "Call to the flat after a neighbour reported shouting; officers attended",
                "Crime report",
                "",
                "Medium",
                "Yes",
                "Child A; Mother",
            ],
            [
                _day(120),
                "",
                "",
                "PNC/DA/2002",
                "Response officer",
                "A second call from the neighbour",
                "Advice given",
                "",
                "",
                "",
                "Mother",
            ],
            [
                _day(100),
                "",
                "",
                "PNC/DA/2003",
                "Detective constable",
                "Intelligence report about Mother's partner",
                "Shared with social care",
                "",
                "Low",
                "",
                "",
            ],
        ],
        tmp_path / "police-corrected.xlsx",
    )
    author.page.get_by_role("link", name="Back to versions and uploads").click()
    author.page.get_by_role("link", name="Upload your agency's chronology").first.click()
    author.page.get_by_label("Your filled template").set_input_files(str(corrected))
    author.page.get_by_role("button", name="Upload and check").click()
    expect(author.page.locator("#upload-preview")).to_be_visible(timeout=30_000)
    author.check("04-checked-preview")
    author.page.get_by_role("button", name=re.compile(r"Import 3 entries")).click()
    expect(author.page.get_by_role("heading", name="Imported")).to_be_visible()
    author.check("05-imported")
    author_context.close()

    reviewer_context = new_context(
        browser,
        viewport={"width": 1280, "height": 900},
        storage_state=signed_in_state(REVIEWER),
        accept_downloads=True,
    )
    reviewer = Pages(reviewer_context.new_page(), system.gateway_url, prefix="chronology-")
    _open_review(reviewer)
    _until_indexed(reviewer)
    table = reviewer.page.locator("#chronology-table")
    expect(table).to_contain_text("Northbridge Police: PNC/DA/2001")
    expect(table).not_to_contain_text("Amelia Demo-Infant")
    reviewer.check("06-merged-table")
    reviewer.page.get_by_role("link", name="Timeline", exact=True).click()
    expect(reviewer.page.locator("#chronology-timeline")).to_be_visible()
    reviewer.check("07-merged-timeline")
    reviewer.page.get_by_label("Words").fill("neighbour")
    reviewer.page.get_by_role("button", name="Apply filters").click()
    expect(reviewer.page.locator("#chronology-count")).to_contain_text("entries match")
    reviewer.check("08-filtered-timeline")
    with reviewer.page.expect_download() as exported:
        reviewer.page.locator("#download-csv").click()
    rows = list(csv.reader(io.StringIO(Path(exported.value.path()).read_text(encoding="utf-8-sig"))))
    assert any("PNC/DA/2001" in cell for row in rows for cell in row), "the export holds the filtered entries"
    assert not any("PNC/DA/2003" in cell for row in rows for cell in row), "and only those"

    reviewer.page.get_by_role("link", name="Likely duplicates").click()
    expect(reviewer.page.get_by_role("heading", level=1)).to_have_text("Likely duplicates")
    reviewer.check("09-likely-duplicates")
    reviewer.page.get_by_role("button", name=re.compile(r"^One event")).first.click()
    expect(reviewer.page.get_by_text("Confirmed as one event")).to_be_visible()
    reviewer.check("10-duplicate-confirmed")

    reviewer.page.get_by_role("link", name="Merged chronology").click()
    reviewer.page.get_by_label("Words").fill("intelligence")
    reviewer.page.get_by_role("button", name="Apply filters").click()
    reviewer.page.get_by_text(re.compile(r"^Tag as an episode")).first.click()
    reviewer.page.get_by_label("What this episode shows").first.fill(
        "Intelligence about the partner was not shared."
    )
    reviewer.page.get_by_role("button", name="Tag as a key practice episode").first.click()
    expect(reviewer.page.locator("#chronology-table")).to_contain_text("Key practice episode")
    reviewer.check("11-episode-tagged")
    reviewer.page.get_by_role("link", name="Key practice episodes").click()
    expect(reviewer.page.locator("#episodes")).to_contain_text(
        "Intelligence about the partner was not shared."
    )
    reviewer.check("12-episodes")
    reviewer_context.close()
