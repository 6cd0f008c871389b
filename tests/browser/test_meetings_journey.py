"""A rapid review meeting in Chromium, on the real system: the business manager schedules it (offered on the
day plan's day), the police lead replies by the link in the e-mail the local SMTP catcher caught, a paper is
uploaded and downloaded, attendance is recorded, the minutes are drafted, commented on and approved by the
chair, and the review's meeting step shows as completed. Every page is checked by `Pages.check` (screenshot,
axe-core, no console or CSP error): tests/browser/screenshots/meetings-NN-*.png read as the story.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from playwright.sync_api import Browser, expect

from caserev.smtp_catcher import caught_messages
from services.kernel.calendar import ENGLAND, today_in_england
from tests.browser.conftest import BUSINESS_MANAGER, Pages, new_context
from tests.e2e.test_agency_returns import new_rapid_review  # noqa: F401 - the fixture is used by name
from tests.support.system import SystemEnv, wait_for

POLICE_LEAD = "police.lead@northbridge.example"
INVITED = ("Alex Demo-Manager", "Pat Demo-Police", "Sky Demo-Health", "Dana Demo-Reviewer")


def test_a_rapid_review_meeting_from_scheduling_to_the_reviews_step_done(
    browser: Browser,
    system: SystemEnv,
    signed_in_state: Any,
    tmp_path: Path,
    new_rapid_review: Any,  # noqa: F811
) -> None:
    starts = datetime.now(ENGLAND).replace(second=0, microsecond=0) + timedelta(minutes=10)
    if starts.hour >= 22:
        pytest.skip("a meeting later today must end before midnight, UK time")
    # The review is made over the bus with asyncio, which cannot run in Playwright's thread: in another one.
    with ThreadPoolExecutor(1) as elsewhere:
        review = elsewhere.submit(new_rapid_review).result()
    desktop = {"width": 1280, "height": 900}
    manager_context = new_context(browser, viewport=desktop, storage_state=signed_in_state(BUSINESS_MANAGER))
    manager = Pages(manager_context.new_page(), system.gateway_url, prefix="meetings-")
    page = manager.page

    manager.goto(f"/reviews/{review.id}")
    page.get_by_role("link", name="Meetings of this review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meetings")
    manager.check("01-no-meetings-yet")
    page.get_by_role("link", name="Schedule the rapid review meeting").click()
    expect(page.locator("#day-plan")).to_contain_text("day plan has the rapid review meeting on")
    manager.check("02-schedule-form")
    page.get_by_label("Date").fill(starts.date().isoformat())
    page.get_by_label("Starts at").fill(starts.strftime("%H:%M"))
    page.get_by_label("Ends at").fill((starts + timedelta(hours=1)).strftime("%H:%M"))
    page.get_by_label("Place").fill("Committee Room 2, Civic Centre")
    for name in INVITED:
        page.get_by_label(re.compile("^" + re.escape(name))).check()
    page.get_by_label("Chair").select_option(label="Alex Demo-Manager")
    page.get_by_label("Item 1", exact=True).fill("Agency summaries")
    page.get_by_role("button", name="Schedule and send the invitations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapid review meeting")
    meeting_path = page.url.removeprefix(system.gateway_url).split("#")[0]
    manager.check("03-scheduled")

    # The police lead follows the link in the invitation the SMTP catcher caught, and replies.
    def invitation() -> Any:
        return next(
            (
                m
                for m in caught_messages(system.maildir, limit=1000)
                if POLICE_LEAD in m.recipients and meeting_path in m.body
            ),
            None,
        )

    message = wait_for(invitation, message="the invitation e-mail")
    assert [name for name, _ in message.attachments] == ["invitation.ics"]
    link = re.search(r"http://\S+" + re.escape(meeting_path), message.body)
    assert link, message.body
    police_context = new_context(browser, viewport=desktop, storage_state=signed_in_state(POLICE_LEAD))
    police = Pages(police_context.new_page(), system.gateway_url, prefix="meetings-")
    police.page.goto(link.group(0))
    expect(police.page.get_by_role("heading", name="Your reply")).to_be_visible()
    police.check("04-invitee-reply-form")
    police.page.get_by_label("Yes, I will come").check()
    police.page.get_by_role("button", name="Send your reply").click()
    expect(police.page.locator("#my-reply")).to_contain_text("Accepted")

    # A paper goes up, and the invitee downloads it.
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Synthetic agency summary")
    paper = tmp_path / "agency-summary.pdf"
    paper.write_bytes(bytes(pdf.output()))
    manager.goto(meeting_path)
    page.get_by_label("Add a paper").set_input_files(str(paper))
    page.get_by_role("button", name="Upload the paper").click()
    expect(page.locator("#paper-list")).to_contain_text("agency-summary.pdf")
    manager.check("05-paper-uploaded")
    police.goto(meeting_path)
    with police.page.expect_download() as downloaded:
        police.page.get_by_role("link", name="agency-summary.pdf").click()
    assert Path(downloaded.value.path()).read_bytes() == paper.read_bytes()

    # Attendance, then the minutes: drafted, circulated, commented on, approved by the chair.
    page.locator("summary", has_text="Record attendance").click()
    for name in INVITED:
        page.get_by_role("group", name=name).get_by_label("Present").check()
    page.get_by_role("button", name="Record attendance").click()
    expect(page.locator("#quorum")).to_contain_text("Quorate")
    page.get_by_label("Minutes, against the agenda").fill("Each agency summarised its involvement.")
    page.get_by_label("Item 1: decision or action").select_option("action")
    page.get_by_label("Item 1: what").fill("Share the strategy discussion notes")
    page.get_by_label("Item 1: who (for an action)").select_option(label="Pat Demo-Police")
    page.get_by_label(re.compile("^Item 1: by when")).fill(
        (today_in_england() + timedelta(days=14)).isoformat()
    )
    manager.check("06-drafting-minutes")
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_label("Comments due by").fill(today_in_england().isoformat())
    page.get_by_role("button", name="Circulate to the attendees for comment").click()
    expect(page.locator("#minutes-state")).to_contain_text("Out for comment")
    police.goto(meeting_path)
    police.page.get_by_label("Your comment on the minutes").fill(
        "Please add the date of the strategy meeting."
    )
    police.page.get_by_role("button", name="Send your comment").click()
    police.check("07-invitee-commented")
    manager.goto(meeting_path)
    page.get_by_role("button", name="Approve and lock the minutes").click()
    expect(page.locator("#minutes-state")).to_contain_text("Approved and locked")
    manager.check("08-minutes-approved")

    # The review's meeting step is done (forms heard the minutes were approved).
    def step_done() -> bool:
        manager.goto(f"/reviews/{review.id}")
        row = page.locator(".govuk-task-list__item", has_text="Rapid review meeting")
        return "Completed" in row.inner_text()

    assert wait_for(step_done, timeout=30, interval=1, message="the review's meeting step to show as done")
    manager.check("09-review-meeting-step-done")
    manager.goto("/meetings")
    manager.check("10-calendar")
    police_context.close()
    manager_context.close()
