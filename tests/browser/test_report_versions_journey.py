"""Named versions of a report in Chromium: the business manager writes in a learning brief, names the text
"For factual accuracy", changes it, sees what changed (words inserted and deleted marked), and restores the
version while the independent reviewer has the document open: the reviewer's editor shows the restored text
at once, without reloading, and a reloaded page reads as the version.

Screenshots: tests/browser/screenshots/report-versions-NN-*.png; every page checked with axe-core and for CSP
errors.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, expect

from tests.browser.conftest import BUSINESS_MANAGER, Pages, new_context
from tests.browser.test_reports_journey import DESKTOP, REVIEWER, editor_of, status_of, text_of
from tests.support.system import SystemEnv


def test_name_a_version_change_the_text_compare_and_restore_it_live(
    browser: Browser,
    system: SystemEnv,
    signed_in_state: Callable[[str], dict[str, Any]],
) -> None:
    contexts = [
        new_context(browser, viewport=DESKTOP, storage_state=signed_in_state(email))
        for email in (BUSINESS_MANAGER, REVIEWER)
    ]
    try:
        manager, reviewer = (
            Pages(context.new_page(), system.gateway_url, prefix="report-versions-") for context in contexts
        )
        page = manager.page
        manager.goto("/reviews")
        page.get_by_role("link", name=re.compile("NB-2026-014")).first.click()
        page.get_by_role("link", name="Reports written together").click()
        page.get_by_label("Learning brief").check()
        title = f"Learning brief {uuid.uuid4().hex[:4]}"
        page.get_by_label("Title (optional)").fill(title)
        page.get_by_role("button", name="Begin the document").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        section = page.locator("[data-report-section]").first.get_attribute("data-report-section")
        assert section
        document_path = page.url.removeprefix(system.gateway_url)

        first = "Practitioners did not share what they knew about the baby's injuries."
        editor_of(manager, section).click()
        page.keyboard.type(first)
        expect(status_of(manager, section)).to_have_text("All changes saved")
        manager.check("01-written")

        # Name the current text.
        page.get_by_role("link", name="Versions of this document").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Versions")
        page.get_by_label("Name of the version").fill("For factual accuracy")
        page.get_by_role("button", name="Name this version").click()
        expect(page.locator("#named")).to_contain_text("For factual accuracy")
        expect(page.locator("#versions")).to_contain_text("Alex Demo-Manager")
        manager.check("02-version-named")

        # The reviewer opens the document and keeps it open.
        reviewer.goto(document_path)
        expect(status_of(reviewer, section)).to_have_text("All changes saved")
        expect(editor_of(reviewer, section)).to_contain_text(first)

        # The manager changes the text: a word replaced and a sentence added.
        manager.goto(document_path)
        editor_of(manager, section).click()
        page.keyboard.press("Control+End")
        page.keyboard.type(" Nobody asked the health visitor.")
        page.keyboard.press("Control+Home")
        page.keyboard.press("Control+Shift+ArrowRight")
        page.keyboard.type("Professionals")
        expect(status_of(manager, section)).to_have_text("All changes saved")
        changed = text_of(manager, section)
        assert "Nobody asked the health visitor." in changed and changed != first
        expect(editor_of(reviewer, section)).to_contain_text("Nobody asked the health visitor.")

        # What changed, chosen on the versions page.
        page.get_by_role("link", name="Versions of this document").click()
        page.get_by_label("Earlier text").select_option(label="For factual accuracy")
        page.get_by_label("Later text").select_option(label="The current text")
        page.get_by_role("button", name="Show what changed").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("What changed")
        expect(page.locator("#changed-sections")).to_contain_text("What happened")
        diff = page.locator(f"#diff-{section}")
        expect(diff.locator("ins").first).to_contain_text("Professionals")
        expect(diff.locator("ins").last).to_contain_text("Nobody asked the health visitor.")
        expect(diff.locator("del").first).to_contain_text("Practitioners")
        expect(diff).to_contain_text("Changed paragraph")
        manager.check("03-what-changed")

        # Restore the version, asked first.
        manager.goto(document_path + "/versions")
        page.get_by_role("link", name="For factual accuracy", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("For factual accuracy")
        manager.check("04-version")
        page.get_by_role("button", name="Restore this version").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Restore “For factual accuracy”?")
        manager.check("05-restore-asked")
        page.get_by_role("button", name="Restore this version").click()
        expect(page.locator("#restored")).to_contain_text("For factual accuracy")
        manager.check("06-restored")

        # The reviewer's open editor shows the restored text at once; a reloaded page reads as the version.
        expect(editor_of(reviewer, section)).not_to_contain_text("Nobody asked the health visitor.")
        expect(editor_of(reviewer, section)).to_have_text(first)
        expect(status_of(reviewer, section)).to_have_text("All changes saved")
        reviewer.check("07-reviewer-sees-the-restore-live")
        manager.goto(document_path)
        expect(editor_of(manager, section)).to_be_visible()
        expect(status_of(manager, section)).to_have_text("All changes saved")
        assert text_of(manager, section) == first
        manager.check("08-reloaded-after-restore")
    finally:
        for context in contexts:
            context.close()
