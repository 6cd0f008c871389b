"""The main journeys, clicked through in Chromium as the business manager (the demo's only role until
sign-in lands). Each page is screenshotted and checked by `Pages.check` (see conftest.py)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Pages, new_context
from tests.e2e.helpers import DEMO, Database, review_total, wait_for, wait_until_settled

EASTMOOR = DEMO.partnership("ESP")
DASH = "\N{EN DASH}"  # the title separator
CHILD_SAFEGUARDING = "Child safeguarding review (rapid review, then LCSPR)"


def test_business_manager_opens_a_review_and_sees_it_counted_and_notified(
    pages: Pages, api: httpx.Client, db: Database
) -> None:
    page = pages.page
    wait_until_settled(db)
    before = review_total(api, EASTMOOR.id)
    title = f"EM-2026-{uuid.uuid4().hex[:4].upper()} adolescent, neglect"

    # The start page.
    pages.goto("/")
    expect(page).to_have_title("Case Review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Case Review")
    pages.check("01-home")

    # "Open a review", from the service navigation.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Open a review").click()
    expect(page).to_have_url(re.compile(r"/reviews/new$"))
    expect(page).to_have_title(f"Open a review {DASH} Case Review")
    current = page.get_by_role("navigation", name="Menu").get_by_role("link", name="Open a review")
    expect(current).to_have_attribute("aria-current", "true")
    pages.check("02-open-a-review")

    # Submit the empty form: the error summary is shown, focused, and links to each field.
    page.get_by_role("button", name="Open review").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page).to_have_title(f"Error: Open a review {DASH} Case Review")
    links = summary.get_by_role("link")
    expect(links).to_have_text(
        [
            "Select the type of review",
            "Select the partnership",
            "Enter a title: a case reference, not a name",
        ]
    )
    expect(page.locator(".govuk-error-message")).to_have_count(3)
    pages.check("03-errors")
    for link_text, field_id in [
        ("Select the type of review", "review_type"),
        ("Select the partnership", "partnership_id"),
        ("Enter a title: a case reference, not a name", "title"),
    ]:
        summary.get_by_role("link", name=link_text).click()
        expect(page.locator(f"#{field_id}")).to_be_focused()

    # Fill it in and send it.
    page.get_by_role("radio", name=CHILD_SAFEGUARDING).check()
    page.get_by_label("Partnership").select_option(label=EASTMOOR.name)
    page.get_by_label("Title").fill(title)
    pages.check("04-form-filled")
    page.get_by_role("button", name="Open review").click()

    # The confirmation.
    expect(page).to_have_url(re.compile(rf"/reviews/[0-9a-f-]{{36}}\?partnership_id={EASTMOOR.id}&opened=1$"))
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Review opened")
    review_id = panel.locator(".app-reference").inner_text().strip()
    assert uuid.UUID(review_id)
    summary_list = page.locator(".govuk-summary-list")
    expect(summary_list).to_contain_text(title)
    expect(summary_list).to_contain_text(CHILD_SAFEGUARDING)
    expect(summary_list).to_contain_text("Referral")
    pages.check("05-review-opened")

    # The dashboard counts it (eventually: reload until it does).
    page.get_by_role("link", name="Go to the dashboard").click()
    expect(page).to_have_url(re.compile(r"/dashboard"))
    page.get_by_label("Partnership").select_option(label=EASTMOOR.name)
    page.get_by_role("button", name="Show figures").click()
    expect(page).to_have_url(re.compile(rf"partnership_id={EASTMOOR.id}"))
    expect(page.locator("h1 .govuk-caption-xl")).to_have_text(EASTMOOR.name)

    def dashboard_total() -> int:
        total = page.locator(".app-figure-total")
        if total.count() and int(total.inner_text()) == before + 1:
            return before + 1
        page.reload()
        return 0

    wait_for(dashboard_total, timeout=20, interval=0.5, message=f"the dashboard to show {before + 1} reviews")
    expect(page.locator("tfoot")).to_contain_text(str(before + 1))
    expect(page.locator("canvas.app-chart__canvas")).to_be_visible()
    pages.check("06-dashboard")

    # The caught e-mail lists the notification to Eastmoor's business manager.
    page.get_by_role("link", name="Caught e-mail").click()
    expect(page).to_have_url(re.compile(r"/demo/mail$"))
    message = page.locator("details", has=page.locator(".app-mail-body", has_text=review_id))

    def mail_listed() -> bool:
        if message.count():
            return True
        page.reload()
        return False

    wait_for(mail_listed, timeout=20, interval=0.5, message="the e-mail to appear on the caught e-mail page")
    expect(page.locator("table")).to_contain_text(EASTMOOR.manager_email)
    # Each subject link says which message it leads to (the subjects alone repeat).
    names = [link.text_content() for link in page.locator("table a").all()]
    assert len(set(names)) == len(names), names
    expect(page.locator("body")).not_to_contain_text(title)
    pages.check("07-caught-email")
    message.locator("summary").click()
    expect(message).to_have_attribute("open", "")
    expect(message).to_contain_text(EASTMOOR.manager_email)
    expect(message.locator(".app-mail-body")).to_contain_text(f"/reviews/{review_id}")
    pages.check("08-caught-email-message")


def test_a_review_opened_by_keyboard_alone(pages: Pages, db: Database) -> None:
    """The form works without a mouse: skip link, tab order, arrow keys in the radios, Enter to send."""
    page = pages.page
    title = f"EM-2026-{uuid.uuid4().hex[:4].upper()} keyboard"
    pages.goto("/reviews/new")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#review_type")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#review_type-2")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#partnership_id")).to_be_focused()
    page.locator("#partnership_id").select_option(label=EASTMOOR.name)  # a native select: its own keys
    page.keyboard.press("Tab")
    expect(page.locator("#title")).to_be_focused()
    page.keyboard.type(title)
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-panel--confirmation")).to_be_visible()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Safeguarding Adults Review")
    assert db.scalar("SELECT count(*) FROM forms.review WHERE title = %s", (title,)) == 1


@pytest.mark.parametrize(
    ("path", "step"),
    [
        ("/", "home"),
        ("/reviews/new", "open-a-review"),
        ("/dashboard", "dashboard"),
        ("/demo/mail", "caught-email"),
    ],
)
def test_pages_reflow_at_320_css_pixels(browser: Browser, system: Any, path: str, step: str) -> None:
    """WCAG 1.4.10 Reflow: content fits 320 CSS pixels without scrolling sideways."""
    context = new_context(browser, viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    try:
        pages = Pages(context.new_page(), system.gateway_url, prefix="mobile-")
        pages.goto(path)
        overflow = pages.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        pages.check(step)
        assert overflow <= 0, f"{path} is {overflow}px wider than the 320px viewport"
    finally:
        context.close()


def test_an_unknown_page_is_a_helpful_404(pages: Pages) -> None:
    page = pages.page
    response = page.goto(f"{pages.base_url}/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("link", name="Go to the start page")).to_be_visible()
    pages.check("09-not-found")


def test_the_404_page_says_what_to_do(pages: Pages) -> None:
    pages.page.goto(f"{pages.base_url}/no-such-page")
    assert "check it is correct" in pages.page.locator("main").inner_text()


def test_the_form_keeps_the_choices_made_when_the_title_is_too_short(pages: Pages) -> None:
    """Server-side validation with values kept: wrong title length keeps the choices made."""
    page = pages.page
    pages.goto("/reviews/new")
    page.get_by_role("radio", name="Domestic Homicide Review").check()
    page.get_by_label("Partnership").select_option(label=EASTMOOR.name)
    page.get_by_label("Title").fill("EM")
    page.get_by_role("button", name="Open review").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator(".govuk-error-summary").get_by_role("link")).to_have_text(
        ["Title must be 3 characters or more"]
    )
    expect(page.get_by_role("radio", name="Domestic Homicide Review")).to_be_checked()
    expect(page.get_by_label("Partnership")).to_have_value(str(EASTMOOR.id))
    expect(page.get_by_label("Title")).to_have_value("EM")
    expect(page.locator("#title")).to_have_attribute("aria-describedby", "title-hint title-error")
    pages.check("10-title-error")
