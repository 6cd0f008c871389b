"""The main journeys, clicked through in Chromium by Northbridge's business manager, signed in through the
real sign-in form. Each page is screenshotted and checked by `Pages.check` (see conftest.py)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import BUSINESS_MANAGER, Pages, new_context, sign_in_on_page
from tests.e2e.helpers import DEMO, Database, wait_for, wait_until_settled
from tests.support.system import SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")
DASH = "\N{EN DASH}"  # the title separator
CHILD_SAFEGUARDING = "Child safeguarding review (rapid review, then LCSPR)"


def dashboard_total(page: Page) -> int:
    """The total the dashboard shows (0 when it says there are no reviews yet)."""
    total = page.locator(".app-figure-total")
    return int(total.inner_text()) if total.count() else 0


def test_business_manager_signs_in_opens_a_review_and_sees_it_counted_and_notified(
    pages: Pages, system: SystemEnv, db: Database
) -> None:
    page = pages.page
    title = f"NB-2026-{uuid.uuid4().hex[:4].upper()} adolescent, neglect"

    # The start page, before signing in: the way in is the sign-in button; the menu offers no case pages.
    pages.goto("/")
    expect(page).to_have_title("Case Review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Case Review")
    menu = page.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link", name="Open a review")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)
    pages.check("01-home")

    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page).to_have_title(f"Sign in {DASH} Case Review")
    pages.check("01-sign-in")
    sign_in_on_page(page, system, BUSINESS_MANAGER)

    # Signed in: the reviews list, with the person's name and the way out in the header.
    expect(page).to_have_url(re.compile(r"/reviews$"))
    expect(page.locator(".app-header__account")).to_contain_text(NORTHBRIDGE.manager_name)
    expect(page.locator("main")).to_contain_text("NB-2026-014 infant, serious harm")
    expect(page.locator("body")).not_to_contain_text("EM-2026-007")  # Eastmoor's review is not shown
    pages.check("01-reviews")

    # The dashboard's count before (once analytics has applied every event, it is final).
    wait_until_settled(db)
    pages.goto("/dashboard")
    expect(page.locator("h1 .govuk-caption-xl")).to_have_text(NORTHBRIDGE.name)
    before = dashboard_total(page)

    # "Open a review", from the service navigation.
    menu.get_by_role("link", name="Open a review").click()
    expect(page).to_have_url(re.compile(r"/reviews/new$"))
    expect(page).to_have_title(f"Open a review {DASH} Case Review")
    expect(menu.get_by_role("link", name="Open a review")).to_have_attribute("aria-current", "true")
    # The review opens in the business manager's own partnership: there is nothing to choose.
    expect(page.locator("main")).to_contain_text(f"The review opens in {NORTHBRIDGE.name}.")
    expect(page.locator("#partnership_id")).to_have_count(0)
    pages.check("02-open-a-review")

    # Submit the empty form: the error summary is shown, focused, and links to each field.
    page.get_by_role("button", name="Open review").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page).to_have_title(f"Error: Open a review {DASH} Case Review")
    expect(summary.get_by_role("link")).to_have_text(
        ["Select the type of review", "Enter a title: a case reference, not a name"]
    )
    expect(page.locator(".govuk-error-message")).to_have_count(2)
    pages.check("03-errors")
    for link_text, field_id in [
        ("Select the type of review", "review_type"),
        ("Enter a title: a case reference, not a name", "title"),
    ]:
        summary.get_by_role("link", name=link_text).click()
        expect(page.locator(f"#{field_id}")).to_be_focused()

    # Fill it in and send it.
    page.get_by_role("radio", name=CHILD_SAFEGUARDING).check()
    page.get_by_label("Title").fill(title)
    pages.check("04-form-filled")
    page.get_by_role("button", name="Open review").click()

    # The confirmation.
    expect(page).to_have_url(re.compile(r"/reviews/[0-9a-f-]{36}\?opened=1$"))
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Review opened")
    review_id = panel.locator(".app-reference").inner_text().strip()
    assert uuid.UUID(review_id)
    summary_list = page.locator(".govuk-summary-list")
    expect(summary_list).to_contain_text(title)
    expect(summary_list).to_contain_text(CHILD_SAFEGUARDING)
    expect(summary_list).to_contain_text("Referral")
    stored_in = db.scalar("SELECT partnership_id FROM forms.review WHERE id = %s", (review_id,))
    assert str(stored_in) == str(NORTHBRIDGE.id), f"the review opened in {stored_in}, not Northbridge"
    pages.check("05-review-opened")

    # The dashboard counts it (eventually: reload until it does).
    pages.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/dashboard"))
    expect(page.locator("h1 .govuk-caption-xl")).to_have_text(NORTHBRIDGE.name)

    def counted() -> bool:
        if dashboard_total(page) == before + 1:
            return True
        page.reload()
        return False

    wait_for(counted, timeout=20, interval=0.5, message=f"the dashboard to show {before + 1} reviews")
    expect(page.locator("tfoot")).to_contain_text(str(before + 1))
    expect(page.locator("canvas.app-chart__canvas")).to_be_visible()
    pages.check("06-dashboard")

    # The caught e-mail lists the notification to Northbridge's business manager.
    menu.get_by_role("link", name="Caught e-mail").click()
    expect(page).to_have_url(re.compile(r"/demo/mail$"))
    message = page.locator("details", has=page.locator(".app-mail-body", has_text=review_id))

    def mail_listed() -> bool:
        if message.count():
            return True
        page.reload()
        return False

    wait_for(mail_listed, timeout=20, interval=0.5, message="the e-mail to appear on the caught e-mail page")
    expect(page.locator("table")).to_contain_text(NORTHBRIDGE.manager_email)
    # Each subject link says which message it leads to (the subjects alone repeat).
    names = [link.text_content() for link in page.locator("table a").all()]
    assert len(set(names)) == len(names), names
    expect(page.locator("body")).not_to_contain_text(title)
    pages.check("07-caught-email")
    message.locator("summary").click()
    expect(message).to_have_attribute("open", "")
    expect(message).to_contain_text(NORTHBRIDGE.manager_email)
    expect(message.locator(".app-mail-body")).to_contain_text(f"/reviews/{review_id}")
    pages.check("08-caught-email-message")


def test_a_page_that_needs_sign_in_sends_a_visitor_to_sign_in_and_back(pages: Pages) -> None:
    page = pages.page
    page.goto(f"{pages.base_url}/reviews/new")
    expect(page).to_have_url(re.compile(rf"/sign-in\?next={re.escape(quote('/reviews/new', safe=''))}$"))
    expect(page.locator("input[name=next]")).to_have_value("/reviews/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Case Review")


def test_a_review_opened_by_keyboard_alone(manager: Pages, db: Database) -> None:
    """The form works without a mouse: skip link, tab order, arrow keys in the radios, Enter to send."""
    page = manager.page
    title = f"NB-2026-{uuid.uuid4().hex[:4].upper()} keyboard"
    manager.goto("/reviews/new")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#review_type")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#review_type-2")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#title")).to_be_focused()
    page.keyboard.type(title)
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-panel--confirmation")).to_be_visible()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Safeguarding Adults Review")
    assert db.scalar("SELECT count(*) FROM forms.review WHERE title = %s", (title,)) == 1


@pytest.mark.parametrize(
    ("path", "step", "signed_in"),
    [
        ("/", "home", False),
        ("/sign-in", "sign-in", False),
        ("/reviews", "reviews", True),
        ("/reviews/new", "open-a-review", True),
        ("/dashboard", "dashboard", True),
        ("/dashboards/reviews", "dashboards-reviews", True),
        ("/dashboards/learning", "dashboards-learning", True),
        ("/account", "account", True),
        ("/demo/mail", "caught-email", True),
    ],
)
def test_pages_reflow_at_320_css_pixels(
    browser: Browser,
    system: SystemEnv,
    signed_in_state: Callable[[str], dict[str, Any]],
    path: str,
    step: str,
    signed_in: bool,
) -> None:
    """WCAG 1.4.10 Reflow: content fits 320 CSS pixels without scrolling sideways (the header's name and
    "Sign out" included)."""
    state = signed_in_state(BUSINESS_MANAGER) if signed_in else None
    context = new_context(
        browser, viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True, storage_state=state
    )
    try:
        pages = Pages(context.new_page(), system.gateway_url, prefix="mobile-")
        pages.goto(path)
        if signed_in:
            expect(pages.page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
        # Against the width asked for, not window.innerWidth: mobile Chromium zooms out to fit a page that
        # overflows, and innerWidth grows with it.
        overflow = pages.page.evaluate("document.documentElement.scrollWidth") - 320
        pages.check(step)
        assert overflow <= 0, f"{path} is {overflow}px wider than the 320px viewport"
    finally:
        context.close()


def test_an_unknown_page_is_a_helpful_404(manager: Pages) -> None:
    page = manager.page
    response = page.goto(f"{manager.base_url}/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("link", name="Go to the start page")).to_be_visible()
    manager.check("09-not-found")


def test_a_signed_in_person_still_sees_their_name_and_menu_on_the_404_page(manager: Pages) -> None:
    page = manager.page
    page.goto(f"{manager.base_url}/no-such-page")
    expect(page.locator(".app-header__account")).to_contain_text(NORTHBRIDGE.manager_name, timeout=2000)
    expect(page.get_by_role("navigation", name="Menu")).to_contain_text("Open a review", timeout=2000)


def test_the_404_page_says_what_to_do(pages: Pages) -> None:
    pages.page.goto(f"{pages.base_url}/no-such-page")
    assert "check it is correct" in pages.page.locator("main").inner_text()


def test_a_page_the_role_does_not_reach_is_a_plain_403(manager: Pages) -> None:
    """The business manager is signed in but is not the partnership's administrator."""
    page = manager.page
    response = page.goto(f"{manager.base_url}/admin/users")
    assert response is not None and response.status == 403, response and response.status
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot see this page")
    expect(page.locator("main")).to_contain_text("Your account does not give you access to this page.")
    manager.check("09-forbidden")


def test_the_form_keeps_the_choices_made_when_the_title_is_too_short(manager: Pages) -> None:
    """Server-side validation with values kept: wrong title length keeps the choices made."""
    page = manager.page
    manager.goto("/reviews/new")
    page.get_by_role("radio", name="Domestic Homicide Review").check()
    page.get_by_label("Title").fill("NB")
    page.get_by_role("button", name="Open review").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator(".govuk-error-summary").get_by_role("link")).to_have_text(
        ["Title must be 3 characters or more"]
    )
    expect(page.get_by_role("radio", name="Domestic Homicide Review")).to_be_checked()
    expect(page.get_by_label("Title")).to_have_value("NB")
    expect(page.locator("#title")).to_have_attribute("aria-describedby", "title-hint title-error")
    manager.check("10-title-error")
