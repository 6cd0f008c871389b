"""A factual-accuracy round in Chromium, on the demo's report in progress (caserev/demo_reports.py): the
business manager finds the version sent for checking and sees the police's confirmation and health not
answered yet; health's lead reads the sections about health and disputes one with a comment; the manager's
board then shows the dispute and its words.

Screenshots: tests/browser/screenshots/report-accuracy-NN-*.png; every page checked with axe-core and for CSP
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

HEALTH_LEAD = "health.lead@northbridge.example"
DISPUTE = "The follow-up contact was rearranged by the family, not missed."


def test_the_manager_sees_who_has_answered_and_an_agency_disputes_with_a_comment(
    browser: Browser,
    system: SystemEnv,
    signed_in_state: Callable[[str], dict[str, Any]],
) -> None:
    contexts = [
        new_context(browser, viewport=DESKTOP, storage_state=signed_in_state(email))
        for email in (BUSINESS_MANAGER, HEALTH_LEAD)
    ]
    try:
        manager, health = (
            Pages(context.new_page(), system.gateway_url, prefix="report-accuracy-") for context in contexts
        )
        page = manager.page
        manager.goto("/reviews")
        page.get_by_role("link", name=re.compile("NB-2026-014")).first.click()
        page.get_by_role("link", name="Reports written together").click()
        page.get_by_role("link", name="Rapid review report: NB-2026-014").click()
        page.get_by_role("link", name="Versions of this document").click()
        page.get_by_role("link", name="For factual accuracy", exact=True).click()
        page.get_by_role("link", name="Factual accuracy").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Factual accuracy")
        board = page.locator("table").first
        expect(board.get_by_role("row", name=re.compile("Northbridge Police"))).to_contain_text("Confirmed")
        expect(board.get_by_role("row", name=re.compile("Northbridge Health ICB"))).to_contain_text(
            "Not answered yet"
        )
        manager.check("01-board")
        accuracy_path = page.url.removeprefix(system.gateway_url)

        # Health's lead reads the sections about health and disputes one.
        health.goto(accuracy_path)
        expect(health.page.get_by_role("heading", level=2, name="Key practice episodes")).to_be_visible()
        health.page.get_by_label(re.compile("If anything in “Key practice episodes” is not accurate")).fill(
            DISPUTE
        )
        health.page.get_by_label("No, we dispute them: our comments are above").check()
        health.check("02-health-answers")
        health.page.get_by_role("button", name="Send our answer").click()
        expect(health.page.get_by_role("alert")).to_contain_text("Your agency's answer is recorded: disputed")
        health.check("03-health-answered")

        # The manager's board shows the dispute and what health said.
        manager.goto(accuracy_path)
        row = page.locator("table").first.get_by_role("row", name=re.compile("Northbridge Health ICB"))
        expect(row).to_contain_text("Disputed")
        expect(row).to_contain_text(DISPUTE)
        manager.check("04-board-after-dispute")
    finally:
        for context in contexts:
            context.close()
