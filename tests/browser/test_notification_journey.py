"""Notifications in Chromium, as Northbridge's business manager: the unread count in the header kept live by
server-sent events, the messages, the preferences, the rules and the delivery log, each page checked by
`Pages.check` (axe-core with WCAG 2.2 AA, no console error, no CSP violation; see conftest.py)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.conftest import BUSINESS_MANAGER, Pages, new_context
from tests.e2e.helpers import DEMO
from tests.support.system import SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")
RULE = "return_due_soon"  # services/notifications/rules.yml: 2 working days before, from 1 to 5


def test_the_business_manager_sees_new_messages_arrive_reads_them_and_manages_what_is_sent(
    manager: Pages, api: httpx.Client
) -> None:
    page = manager.page
    manager.prefix = "notifications-"
    menu = page.get_by_role("navigation", name="Menu")

    # Start with nothing unread: no number beside "Messages".
    manager.goto("/notifications")
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
    mark_all = page.get_by_role("button", name="Mark all as read")
    if mark_all.count():
        mark_all.click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            "All your messages are marked as read"
        )
    badge = menu.locator("[data-unread-count]")
    expect(badge).to_have_attribute("aria-live", "polite")
    expect(menu.locator(".app-unread-count")).to_have_count(0)
    manager.check("01-messages-all-read")

    # A review opened elsewhere: the message arrives, and the open page's count follows without a reload.
    title = f"NB-2026-{uuid.uuid4().hex[:4].upper()} live count"
    opened = api.post(
        "/api/reviews",
        json={"review_type": "child_safeguarding", "partnership_id": str(NORTHBRIDGE.id), "title": title},
    )
    assert opened.status_code == 201, opened.text
    review_id = opened.json()["id"]
    expect(menu.locator(".app-unread-count")).to_have_text("1", timeout=20_000)
    expect(menu.get_by_role("link", name=re.compile(r"Messages\s*1 unread"))).to_be_visible()

    page.reload()
    message = page.locator(".app-messages__item", has=page.locator(f'a[href="/reviews/{review_id}"]'))
    expect(message.get_by_text("New", exact=True)).to_be_visible()
    manager.check("02-messages-one-new")
    message.get_by_role("button", name=re.compile("Mark as read")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The message is marked as read")
    expect(menu.locator(".app-unread-count")).to_have_count(0)

    # How the messages come.
    page.get_by_role("link", name="Choose how you get messages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How you get messages")
    expect(page.locator("main")).to_contain_text("Always immediately (statutory or urgent)")
    manager.check("03-preferences")

    # The rules: a figure out of bounds is refused, its error linked to the field.
    manager.goto("/settings/notifications")
    days = page.locator(f"#{RULE}-days")
    saved_days = days.input_value()
    days.fill("99")
    page.locator(f"#rule-{RULE}").get_by_role("button").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    summary.get_by_role("link").first.click()
    expect(page.locator(f"#{RULE}-days")).to_be_focused()
    manager.check("04-rules-out-of-bounds")
    page.locator(f"#{RULE}-days").fill(saved_days)
    page.locator(f"#rule-{RULE}").get_by_role("button").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is saved")

    # What was sent about the review, with each e-mail's history.
    manager.goto(f"/reviews/{review_id}")
    page.get_by_role("link", name="Messages sent about this review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages sent about this review")
    row = page.locator("#deliveries tbody tr").first
    expect(row).to_be_visible(timeout=20_000)
    history = row.locator("details")
    if history.count():
        history.locator("summary").click()
    manager.check("05-messages-sent-about-a-review")
    page.get_by_role("link", name="All messages sent about your partnership's reviews").click()
    expect(page.locator("#deliveries")).to_be_visible()
    manager.check("06-messages-sent")


PHONE = {"width": 375, "height": 800}


def test_the_rules_and_the_messages_sent_reflow_on_a_phone(
    browser: Browser, system: SystemEnv, signed_in_state: Callable[[str], dict[str, Any]], api: httpx.Client
) -> None:
    """At 375 CSS pixels the two wide tables stack, a block for each row, and the page never scrolls
    sideways (WCAG 1.4.10 Reflow); each cell says which column it is."""
    opened = api.post(
        "/api/reviews",
        json={
            "review_type": "child_safeguarding",
            "partnership_id": str(NORTHBRIDGE.id),
            "title": f"NB-2026-{uuid.uuid4().hex[:4].upper()} on a phone",
        },
    )
    assert opened.status_code == 201, opened.text
    context = new_context(
        browser,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        storage_state=signed_in_state(BUSINESS_MANAGER),
    )
    try:
        phone = Pages(context.new_page(), system.gateway_url, prefix="phone-")
        page = phone.page

        def width() -> int:
            # Against the width asked for: mobile Chromium zooms out to fit a page that overflows.
            return int(page.evaluate("document.scrollingElement.scrollWidth"))

        phone.goto("/settings/notifications")
        expect(page.get_by_role("heading", level=1)).to_have_text("Notification rules")
        chaser = page.locator("#rule-accuracy_check_overdue-row")
        expect(chaser).to_contain_text("The agency's safeguarding lead")
        expect(chaser.get_by_text("Who is told", exact=True)).to_be_visible()
        expect(page.locator("#rules thead")).to_have_count(1)  # kept for assistive technology
        expect(page.get_by_role("columnheader", name="Who is told")).to_have_count(1)
        phone.check("01-rules")
        assert width() <= PHONE["width"], f"the rules page is {width()}px wide"

        # The review's message is sent in the background: look again until the log shows one.
        row = page.locator("#deliveries tbody tr").first
        for _ in range(20):
            phone.goto("/messages/sent")
            if row.count():
                break
            page.wait_for_timeout(1_000)
        expect(page.get_by_role("heading", level=1)).to_have_text("Messages sent")
        expect(row).to_be_visible()
        expect(row.get_by_text("Sent to", exact=True)).to_be_visible()
        history = row.locator("details")
        if history.count():
            history.locator("summary").click()
        phone.check("02-messages-sent")
        assert width() <= PHONE["width"], f"the messages sent page is {width()}px wide"
    finally:
        context.close()
