"""The dashboards in Chromium, as a partnership's business manager, a regional analyst and a national analyst:
each dashboard drawn (a chart beside each table), filtered, a table downloaded as CSV, and a figure changing
on the open page when a review is opened elsewhere. Every page is checked by `Pages.check` (axe-core with
WCAG 2.2 AA, no console error, no CSP violation; screenshots in tests/browser/screenshots/dashboards-*)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import BUSINESS_MANAGER, Pages, new_context
from tests.e2e.helpers import DEMO, Database, wait_until_settled
from tests.support.system import SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")
REGIONAL = "regional.analyst@analysts.example"
NATIONAL = "national.analyst@analysts.example"
TITLES = {
    "reviews": "Reviews",
    "timeliness": "Timeliness",
    "learning": "Learning",
    "children": "Children in notifications",
    "actions": "Action plans",
}


@pytest.fixture
def as_person(
    browser: Browser, system: SystemEnv, signed_in_state: Callable[[str], dict[str, Any]]
) -> Iterator[Callable[[str, str], Pages]]:
    contexts = []

    def open_as(email: str, prefix: str) -> Pages:
        context = new_context(
            browser, viewport={"width": 1280, "height": 900}, storage_state=signed_in_state(email)
        )
        contexts.append(context)
        return Pages(context.new_page(), system.gateway_url, prefix=prefix)

    yield open_as
    for context in contexts:
        context.close()


def charts_drawn(page: Page) -> int:
    """How many figure charts have pixels on them (Chart.js drew into the canvas)."""
    drawn: int = page.evaluate(
        """() => [...document.querySelectorAll('figure:not([hidden]) canvas[data-figure-chart]')]
           .filter((canvas) => {
             const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
             for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true
             return false
           }).length"""
    )
    return drawn


def tables_text(page: Page) -> str:
    return " | ".join(page.locator("table[data-figure-table]").all_inner_texts())


def open_every_dashboard(pages: Pages, scope: str | re.Pattern[str], *, charts: bool) -> None:
    """The index, then each dashboard from it: its scope above the heading, a chart drawn for each figure that
    has figures to draw, and a table with a caption beside it. `charts`: whether some chart must be drawn (an
    analyst's view of the small demo may have every figure suppressed, and so no chart)."""
    page = pages.page
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboards")
    pages.check("00-index")
    page.locator("main").get_by_role("link", name=TITLES["reviews"], exact=True).click()
    drawn = 0
    for number, (code, title) in enumerate(TITLES.items(), start=1):
        page.get_by_role("navigation", name="Dashboards").get_by_role("link", name=title, exact=True).click()
        expect(page).to_have_url(re.compile(rf"/dashboards/{code}$"))
        expect(page.locator("h1 .govuk-caption-xl")).to_have_text(scope)
        sections = page.locator("section[data-figure]")
        expect(sections.first).to_be_visible()
        assert page.locator("table[data-figure-table] caption").count() == sections.count()
        # Every chart with figures to draw is drawn; one with none (all suppressed or none) is left out.
        page.wait_for_function(
            """() => [...document.querySelectorAll('canvas[data-figure-chart]')]
                 .every((c) => c.closest('figure').hidden || c.width > 0)"""
        )
        shown = page.locator("figure:not([hidden]) canvas[data-figure-chart]").count()
        assert charts_drawn(page) == shown, f"{code}: {charts_drawn(page)} of {shown} charts drawn"
        drawn += shown
        pages.check(f"{number:02d}-{code}")
    assert drawn or not charts, "no dashboard drew a chart"


def download_first_table(pages: Pages, step: str) -> list[list[str]]:
    page = pages.page
    with page.expect_download() as downloading:
        page.locator("section[data-figure]").first.get_by_role(
            "link", name=re.compile("Download this table")
        ).click()
    download = downloading.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    path = download.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    first = page.locator("table[data-figure-table]").first
    headings = [h.strip() for h in first.locator("thead th").all_inner_texts()]
    assert rows[0] == headings, f"{step}: the CSV's headings are not the table's"
    for line, row in zip(rows[1:], first.locator("tbody tr").all(), strict=False):
        shown = [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        assert [line[0].lstrip("'"), *line[1:]] == shown, f"{step}: the CSV's line is not the table's"
    return rows


def open_a_review(api: httpx.Client) -> None:
    opened = api.post(
        "/api/reviews",
        json={
            "review_type": "child_safeguarding",
            "partnership_id": str(NORTHBRIDGE.id),
            "title": f"NB-2026-{uuid.uuid4().hex[:4].upper()} live dashboard",
        },
    )
    assert opened.status_code == 201, opened.text[:300]


def sees_the_figures_change(pages: Pages, api: httpx.Client, db: Database) -> None:
    """On the reviews dashboard: a review opened elsewhere changes the tables in place; the page says so."""
    # (An open page's tables as one text, as tables_text reads them.)
    page = pages.page
    wait_until_settled(db)
    page.reload()
    before = tables_text(page)
    status = page.locator("[data-dashboard-status]")
    expect(status).to_have_attribute("aria-live", "polite")
    url = page.url
    open_a_review(api)
    expect(status).to_contain_text("The figures were updated", timeout=30_000)
    page.wait_for_function(
        "(before) => [...document.querySelectorAll('table[data-figure-table]')]"
        ".map((t) => t.innerText).join(' | ') !== before",
        arg=before,
        timeout=30_000,
    )
    assert page.url == url, "the page was reloaded rather than redrawn in place"


def test_a_business_manager_sees_the_partnerships_dashboards_filters_downloads_and_sees_them_change(
    as_person: Callable[[str, str], Pages], api: httpx.Client, db: Database
) -> None:
    pages = as_person(BUSINESS_MANAGER, "dashboards-manager-")
    page = pages.page
    pages.goto("/reviews")
    open_every_dashboard(pages, NORTHBRIDGE.name, charts=True)

    # Filter by period and review type: the address keeps the filters, the form shows them.
    page.get_by_role("navigation", name="Dashboards").get_by_role("link", name="Reviews", exact=True).click()
    page.locator("#period_from").fill("2020-01-01")
    review_type = page.locator("#review_type")
    if review_type.count():
        review_type.select_option(index=1)
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"period_from=2020-01-01"))
    expect(page.locator("#period_from")).to_have_value("2020-01-01")
    expect(page.get_by_role("link", name="Clear filters")).to_be_visible()
    pages.check("10-reviews-filtered")
    download_first_table(pages, "manager")

    # A date that is not a date: the error summary links to the field.
    page.goto(pages.base_url + "/dashboards/reviews?period_from=2026-13-45")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_contain_text("like 2026-04-01")
    pages.check("11-reviews-bad-filter")

    pages.goto("/dashboards/reviews")
    sees_the_figures_change(pages, api, db)
    pages.check("12-reviews-updated")


def test_a_regional_analyst_sees_the_region_chooses_a_partnership_and_downloads(
    as_person: Callable[[str, str], Pages],
) -> None:
    pages = as_person(REGIONAL, "dashboards-regional-")
    page = pages.page
    pages.goto("/dashboards")
    open_every_dashboard(pages, re.compile(r"region", re.I), charts=False)
    expect(page.locator(".govuk-inset-text")).to_contain_text("fewer than 5")
    page.get_by_role("navigation", name="Dashboards").get_by_role("link", name="Reviews", exact=True).click()
    page.locator("#partnership_id").select_option(label=NORTHBRIDGE.name)
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(rf"partnership_id={NORTHBRIDGE.id}"))
    expect(page.locator("#partnership_id")).to_have_value(str(NORTHBRIDGE.id))
    pages.check("10-reviews-northbridge")
    rows = download_first_table(pages, "regional")
    assert not any(re.fullmatch(r"[1-4]", cell) for row in rows[1:] for cell in row[1:]), rows


def test_a_national_analyst_sees_england_and_the_figures_change_live(
    as_person: Callable[[str, str], Pages], api: httpx.Client, db: Database
) -> None:
    pages = as_person(NATIONAL, "dashboards-national-")
    pages.goto("/dashboards")
    open_every_dashboard(pages, re.compile(r"England"), charts=False)
    download_first_table(pages, "national")
    pages.goto("/dashboards/reviews")
    sees_the_figures_change(pages, api, db)
    pages.check("10-reviews-updated")
