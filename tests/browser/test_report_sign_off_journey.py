"""The partners' sign-off of a report in Chromium, on the demo's report in progress (caserev/demo_reports.py):
the business manager sees on the report's page where its sign-off stands and downloads a named version as
PDF from the versions page (no manual lock anywhere: the partners' sign-off locks a version); the
safeguarding partner, who reads no drafts, finds the version from the review's page, reads it and signs it
off; the manager's report page then counts the signature.

Screenshots: tests/browser/screenshots/report-sign-off-NN-*.png; every page checked with axe-core and for CSP
errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, expect

from tests.browser.conftest import BUSINESS_MANAGER, Pages, new_context
from tests.browser.test_reports_journey import DESKTOP
from tests.support.system import SystemEnv

PARTNER = "partner@northbridge.example"
REPORT = "Rapid review report: NB-2026-014"
VERSION = "For factual accuracy"  # the demo report's newest version


def test_the_partner_finds_signs_off_and_the_manager_sees_the_count(
    browser: Browser,
    system: SystemEnv,
    signed_in_state: Callable[[str], dict[str, Any]],
) -> None:
    contexts = [
        new_context(browser, viewport=DESKTOP, storage_state=signed_in_state(email), accept_downloads=True)
        for email in (BUSINESS_MANAGER, PARTNER)
    ]
    try:
        manager, partner = (
            Pages(context.new_page(), system.gateway_url, prefix="report-sign-off-") for context in contexts
        )
        page = manager.page
        manager.goto("/reviews")
        page.get_by_role("link", name=re.compile("NB-2026-014")).first.click()
        review_path = page.url.removeprefix(system.gateway_url)
        page.get_by_role("link", name="Reports written together").click()
        page.get_by_role("link", name=REPORT).click()
        standing = page.locator("#sign-off")
        expect(standing).to_contain_text(f"0 of 3 safeguarding partners have signed off “{VERSION}”")
        manager.check("01-report-standing")
        report_path = page.url.removeprefix(system.gateway_url)

        # The versions page: each version downloads as Word or PDF; a version has no lock button.
        page.get_by_role("link", name="Versions of this document").click()
        with page.expect_download() as downloading:
            page.get_by_role("link", name=f"PDF file of {VERSION}").click()
        pdf = downloading.value
        assert pdf.suggested_filename.endswith("-for-factual-accuracy.pdf"), pdf.suggested_filename
        with open(pdf.path(), "rb") as file:
            assert file.read(5) == b"%PDF-", "the download is a PDF"
        manager.check("02-versions-downloads")
        page.get_by_role("link", name=VERSION, exact=True).click()
        expect(page.get_by_role("button", name=re.compile("Lock"))).to_have_count(0)
        expect(page.locator("#locked")).to_contain_text("Not yet")
        manager.check("03-version-no-lock")

        # The partner reads no drafts: the review's page leads to the versions to sign off.
        partner.goto(review_path)
        partner.page.get_by_role("link", name="Partners' sign-off").click()
        expect(partner.page.get_by_role("heading", level=1)).to_have_text("Partners' sign-off")
        partner.check("04-partner-list")
        partner.page.get_by_role("button", name=f"Read and sign off “{VERSION}”").click()
        expect(partner.page.get_by_role("heading", level=1)).to_have_text("Partners' sign-off")
        expect(partner.page.locator("#sign-off-state")).to_contain_text("0 of 3")
        partner.check("05-partner-reads")
        partner.page.get_by_role("button", name="Sign this version off").click()
        expect(partner.page.get_by_role("alert")).to_contain_text("You have signed this version off.")
        partner.check("06-partner-signed")
        partner.page.get_by_role("link", name=re.compile("Back to the partners' sign-off")).click()
        expect(partner.page.locator("main")).to_contain_text("You have signed it off.")
        expect(partner.page.get_by_role("button", name=re.compile("Read and sign off"))).to_have_count(0)

        # The manager's report page counts the signature.
        manager.goto(report_path)
        expect(page.locator("#sign-off")).to_contain_text(
            f"1 of 3 safeguarding partners have signed off “{VERSION}”"
        )
        manager.check("07-report-one-signed")
    finally:
        for context in contexts:
            context.close()
