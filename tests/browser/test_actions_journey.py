"""Learning into change in Chromium, on the real system, by the people who make and follow an action plan: the
business manager records a lesson and a recommendation on the demo's child review and is warned that its
theme recurs with open actions from the toddler's review; assigns an action to the agency's action owner,
whose due date has passed, so it is overdue (worked out, never typed) and the owner is chased; the owner finds
it in "my actions", adds a file of evidence and records its completion and impact check; the Executive signs
it off and builds the quarterly update, whose text the test reads back. Every page is checked by
`Pages.check` (screenshot, axe-core, no console or CSP error): tests/browser/screenshots/actions-NN-*.png
read as the story.

The services' clock is not moved: an action due a week ago, in a review begun before that, is what time
passing would make of one due later.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from docx import Document
from playwright.sync_api import Browser, expect

from services.kernel.calendar import today_in_england
from tests.browser.conftest import BUSINESS_MANAGER, Pages, new_context
from tests.support.system import SystemEnv, wait_for
from tests.unit.test_uploads import a_pdf

OWNER = "action.owner@northbridge.example"
EXECUTIVE = "executive@northbridge.example"
REVIEW = "NB-2026-009 child, serious injury"
EARLIER = "NB-2025-031 toddler, neglect"
ACTION = "Audit the sharing of referrals between health visiting and early help"


def _as(browser: Browser, system: SystemEnv, signed_in_state: Any, email: str, **options: Any) -> Pages:
    context = new_context(
        browser, viewport={"width": 1280, "height": 900}, storage_state=signed_in_state(email), **options
    )
    return Pages(context.new_page(), system.gateway_url, prefix="actions-")


def test_a_lesson_becomes_an_action_that_is_chased_completed_signed_off_and_reported(
    browser: Browser, system: SystemEnv, signed_in_state: Any, tmp_path: Path
) -> None:
    manager = _as(browser, system, signed_in_state, BUSINESS_MANAGER)
    page = manager.page
    manager.goto("/reviews")
    page.get_by_role("link", name=re.compile(re.escape(REVIEW))).first.click()
    page.get_by_role("link", name="Learning and action plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Learning and action plan")
    manager.check("01-an-empty-plan")

    # A lesson with no theme is refused, naming the field; then recorded with its theme.
    page.get_by_label("What was learned").fill(
        "The school's concerns about bruising were not shared with the GP."
    )
    page.get_by_role("button", name="Record the lesson").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose at least one theme")
    manager.check("02-a-lesson-without-a-theme")
    page.get_by_label("Information sharing").check()
    page.get_by_role("button", name="Record the lesson").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Lesson recorded")
    # The theme recurs: the earlier review's open and not-implemented actions on it are named.
    warning = page.locator("#recurring-warning")
    expect(warning).to_contain_text(EARLIER)
    expect(warning).to_contain_text("not implemented")
    manager.check("03-the-recurring-theme-warning")

    page.get_by_label("Recommendation", exact=True).fill(
        "Schools should share concerns about injuries with the GP."
    )
    page.get_by_label(re.compile("Lesson 1:")).check()
    page.get_by_role("button", name="Make the recommendation").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Recommendation made")

    due = today_in_england() - timedelta(days=7)
    answers = page.locator("#recommendation_id option", has_text="Recommendation 1").first.get_attribute(
        "value"
    )
    page.get_by_label("What the action answers").select_option(value=answers)
    page.get_by_label("What is to be done").fill(ACTION)
    owner_id = page.locator("#owner_id option", has_text="Max Demo-Owner").first.get_attribute("value")
    page.get_by_label("Owner", exact=True).select_option(value=owner_id)
    page.locator("#due_on").fill(str(due.day))
    page.locator("#due_on-month").fill(str(due.month))
    page.locator("#due_on-year").fill(str(due.year))
    page.get_by_label("How success will be measured").fill("Audit of 20 referrals shows same-day sharing")
    page.get_by_role("button", name="Assign the action").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Action assigned")
    row = page.locator("tr", has_text=ACTION)
    expect(row).to_contain_text("Overdue")
    expect(row).to_contain_text("Red")
    manager.check("04-the-plan-as-a-tree")
    page.get_by_role("link", name="Table of actions").click()
    expect(page.locator("#plan-table")).to_contain_text(ACTION)
    manager.check("05-the-plan-as-a-table")

    # The owner: chased for the overdue action, finds it in "my actions", completes it, checks its impact.
    owner = _as(browser, system, signed_in_state, OWNER)

    def chased() -> bool:
        owner.page.goto(system.gateway_url + "/notifications")
        return "An action from a review is overdue" in owner.page.content()

    wait_for(chased, timeout=90, message="the overdue chaser in the owner's messages")
    owner.check("06-the-owner-is-chased")
    owner.goto("/actions/mine")
    expect(owner.page.get_by_role("heading", level=1)).to_have_text("My actions")
    owner.check("07-my-actions")
    owner.page.get_by_role("link", name=ACTION).click()
    expect(owner.page.locator("#action-status")).to_contain_text("Overdue")
    owner.page.get_by_label("Completed").check()
    owner.page.get_by_role("button", name="Save the update").click()
    expect(owner.page.locator(".govuk-error-summary")).to_contain_text("Enter what has been done")
    owner.check("08-an-update-without-a-note")
    evidence = tmp_path / "referral-audit.pdf"
    evidence.write_bytes(a_pdf())
    owner.page.get_by_label("Add a file of evidence").set_input_files(str(evidence))
    owner.page.get_by_role("button", name="Add the evidence").click()
    expect(owner.page.locator("#evidence-list")).to_contain_text("referral-audit.pdf")
    owner.page.get_by_label("Completed").check()
    owner.page.get_by_label("What has been done").fill("All 20 referrals audited; 19 shared the same day.")
    owner.page.get_by_role("button", name="Save the update").click()
    expect(owner.page.locator("#action-status")).to_contain_text("Completed")
    owner.page.get_by_label("Yes").check()
    owner.page.get_by_label("How it was tested").fill("A second audit three months later: 20 of 20.")
    owner.page.get_by_role("button", name="Record the impact check").click()
    expect(owner.page.locator(".govuk-notification-banner")).to_contain_text("Impact check recorded")
    owner.check("09-completed-with-its-impact-check")
    action_url = owner.page.url

    # The Executive signs it off, then builds the quarterly update and reads it.
    executive = _as(browser, system, signed_in_state, EXECUTIVE, accept_downloads=True)
    executive.page.goto(action_url.split("?")[0])
    executive.page.get_by_role("button", name="Sign off and close the action").click()
    expect(executive.page.locator("#action-status")).to_contain_text("Closed")
    executive.check("10-signed-off-and-closed")
    executive.goto("/actions/reports")
    executive.check("11-the-documents")
    with executive.page.expect_download() as downloaded:
        executive.page.get_by_role(
            "link", name=re.compile("quarterly update to the Executive \\(Word\\)")
        ).click()
    expect(executive.page.locator("#report-status [aria-live]")).to_contain_text("has been downloaded")
    path = tmp_path / "quarterly.docx"
    downloaded.value.save_as(path)
    document = Document(io.BytesIO(path.read_bytes()))
    text = "\n".join(
        [p.text for p in document.paragraphs]
        + [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    )
    assert "Action plan update to the Executive" in text
    assert ACTION in text and REVIEW in text
    executive.check("12-the-quarterly-update-built")
