"""A child safeguarding review walked from referral to publication in Chromium, on the real system, by the
people who do each part: Northbridge's business manager, the police and health agency leads, and the
executive, each signed in through the sign-in form in a browser context of their own and clicking the pages
as a person would (labels, buttons and links by their accessible names; no form is posted directly).

Every page reached is checked by `Pages.check` (screenshot, axe-core WCAG 2.2 AA, no console or CSP error)
under a number in the order of the walk: tests/browser/screenshots/walk-NN-*.png read as the story.

The dates are in the past as the forms require. The referral is recorded after its notification deadline
(overdue until the notification is recorded), then every deadline is met: the notification went 9 working
days ago, so the agencies' returns are due on the next working day and are in on time today; the final report
went 8 working days ago, so that publication today is allowed (at least 7 working days after it).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from services.forms.contract import today_in_england
from services.kernel.calendar import add_working_days, is_working_day
from tests.browser.conftest import BUSINESS_MANAGER, Pages, new_context, sign_in
from tests.support.system import SystemEnv

EXECUTIVE = "executive@northbridge.example"
POLICE_LEAD = "police.lead@northbridge.example"
HEALTH_LEAD = "health.lead@northbridge.example"
POLICE, HEALTH = "Northbridge Police", "Northbridge Health ICB"
CHILD_SAFEGUARDING = "Child safeguarding review (rapid review, then LCSPR)"
DEMO_REVIEW = "NB-2026-014 infant, serious harm"  # the demo's rapid review with its agencies' returns

# The steps of a child safeguarding review as its task list names them (review_types/child_safeguarding.yml).
REFERRAL = "Referral of a possible serious incident"
CRITERIA = "Criteria check"
NOTIFICATION = "Serious Incident Notification"
ASK_AGENCIES = "Ask agencies for their returns"
MEETING = "Rapid review meeting"
REPORT = "Rapid review report and sign-off"
DECISION = "Decision on a local review"
TO_PANEL = "Send the rapid review report to the Panel"
PANEL_RESPONSE = "The Panel's response"
SET_UP = "Set up the local review"
FINAL_REPORT = "Send the final report to the Panel and the Secretary of State"
PUBLICATION = "Publication"
CLOSURE = "Close the review"
UNDERTAKE_LCSPR = "Undertake a local child safeguarding practice review"
STEPS = (
    REFERRAL,
    CRITERIA,
    NOTIFICATION,
    ASK_AGENCIES,
    MEETING,
    REPORT,
    DECISION,
    TO_PANEL,
    PANEL_RESPONSE,
    SET_UP,
    FINAL_REPORT,
    PUBLICATION,
    CLOSURE,
)


def working_days_ago(count: int) -> date:
    """The working day `count` working days before today (England and Wales)."""
    day = today_in_england()
    while count > 0:
        day -= timedelta(days=1)
        count -= is_working_day(day)
    return day


TODAY = today_in_england()
INCIDENT, AWARE, NOTIFIED = working_days_ago(12), working_days_ago(11), working_days_ago(9)
MET = working_days_ago(9)  # letters, the meeting, the sign-offs, the decision, the report to the Panel
LATER = working_days_ago(8)  # the Panel's response, the set-up, the pause's end, the final report


def words(day: date) -> str:
    """A date as the pages show it: 5 May 2026."""
    return f"{day.day} {day:%B %Y}"


# -- what a person does on a page ---------------------------------------------------------------------------


class Walk:
    """Numbers the pages in the order they are reached, so that the screenshots read as a story."""

    def __init__(self) -> None:
        self.number = 0

    def check(self, pages: Pages, what: str) -> None:
        self.number += 1
        pages.check(f"walk-{self.number:02d}-{what}")


def write(field: Locator, text: str) -> None:
    """Type an answer as a person would: the GOV.UK character count updates on a key, not on a paste."""
    field.fill(text)
    field.press("End")


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def fill_date(scope: Page | Locator, legend: str, day: date) -> None:
    """Type a date into the GOV.UK date input whose fieldset has this legend."""
    group = scope.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def choose(scope: Page | Locator, question: str, option: str) -> None:
    """Choose a radio of the question whose fieldset has this legend."""
    scope.get_by_role("group", name=question).get_by_label(option, exact=True).check()


def task_status(page: Page, step: str) -> Locator:
    """The status of a step in the review page's task list (the step's name a link or not)."""
    name = page.locator(
        ".govuk-task-list__name-and-hint > :first-child", has_text=re.compile(rf"^{re.escape(step)}$")
    )
    return page.locator(".govuk-task-list__item").filter(has=name).locator(".govuk-task-list__status")


def notice(page: Page) -> Locator:
    return page.locator(".govuk-notification-banner")


def open_step(pages: Pages, step: str, title: str) -> None:
    """From the review page, open a step of its task list."""
    page = pages.page
    page.get_by_role("link", name=step, exact=True).click()
    expect(heading(page)).to_have_text(step)
    expect(page.locator(".govuk-caption-l")).to_have_text(title)


def check_and_complete(
    walk: Walk, pages: Pages, step: str, slug: str, shown: dict[str, str], done: str = ""
) -> None:
    """Save the step's form, check the answers in words (`shown`: question -> answer) and complete it; back on
    the review page, the banner says so (`done`, or "<step>: completed") and the step is "Completed"."""
    page = pages.page
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text("Check your answers")
    expect(page.locator(".govuk-caption-l")).to_have_text(step)
    for question, answer in shown.items():
        expect(summary_value(page.locator("#answers"), question)).to_contain_text(answer)
    walk.check(pages, f"{slug}-check")
    page.get_by_role("button", name="Confirm and complete").click()
    expect(notice(page)).to_have_text(re.compile(re.escape(done or f"{step}: completed")))
    expect(task_status(page, step)).to_have_text("Completed")


def open_review(pages: Pages, title: str) -> None:
    """Find the review in the list of reviews (from the menu) and open it."""
    pages.page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reviews").click()
    expect(heading(pages.page)).to_have_text("Reviews")
    pages.page.get_by_role("link", name=title, exact=True).click()
    expect(heading(pages.page)).to_have_text(title)


def review_card(page: Page, title: str) -> Locator:
    """A review's card in the list of reviews."""
    return page.locator("li.govuk-summary-card").filter(has=page.get_by_role("link", name=title, exact=True))


def summary_value(scope: Page | Locator, key: str) -> Locator:
    """The value of a summary list row by its key."""
    page = scope if isinstance(scope, Page) else scope.page
    row = scope.locator(".govuk-summary-list__row").filter(
        has=page.locator("dt", has_text=re.compile(rf"^{re.escape(key)}$"))
    )
    return row.locator(".govuk-summary-list__value")


@pytest.fixture
def person(browser: Browser, system: SystemEnv) -> Iterator[Callable[[str], Pages]]:
    """A desktop browser context of one person, signed in through the sign-in form."""
    contexts: list[BrowserContext] = []

    def signed_in(email: str) -> Pages:
        context = new_context(browser, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        sign_in(context, system, email)
        return Pages(context.new_page(), system.gateway_url)

    yield signed_in
    for context in contexts:
        context.close()


# -- the walk -----------------------------------------------------------------------------------------------


def test_a_child_safeguarding_review_is_walked_from_referral_to_publication_by_its_people(
    person: Callable[[str], Pages], tmp_path: Path
) -> None:
    walk = Walk()
    title = f"NB-2026-W{uuid.uuid4().hex[:4].upper()} infant, walk-through"
    manager, police, health, executive = (
        person(BUSINESS_MANAGER),
        person(POLICE_LEAD),
        person(HEALTH_LEAD),
        person(EXECUTIVE),
    )
    page = manager.page

    # 1. The business manager opens the review.
    manager.goto("/reviews/new")
    expect(heading(page)).to_have_text("Open a review")
    page.get_by_role("radio", name=CHILD_SAFEGUARDING).check()
    write(page.get_by_label("Title"), title)
    walk.check(manager, "open-a-review")
    page.get_by_role("button", name="Open review").click()
    expect(page.locator(".govuk-panel--confirmation")).to_contain_text("Review opened")
    expect(task_status(page, REFERRAL)).to_have_text("Not yet started")
    expect(task_status(page, CRITERIA)).to_have_text("Cannot start yet")
    expect(page.get_by_role("link", name=CRITERIA, exact=True)).to_have_count(0)
    walk.check(manager, "review-opened")

    # The referral, with its dates typed into the day, month and year of GOV.UK's date inputs.
    open_step(manager, REFERRAL, title)
    write(page.get_by_label("Which organisation is making the referral?"), "Northbridge Hospital Trust")
    write(page.get_by_label("Referrer's role"), "Named nurse for safeguarding")
    fill_date(page, "Date of the incident", INCIDENT)
    fill_date(page, "Date the local authority became aware", AWARE)
    choose(page, "What happened to the child or adult the referral is about?", "They were seriously harmed")
    write(
        page.get_by_label("Brief outline"),
        "Infant A (F, 0) admitted with unexplained injuries.\nHealth visiting and the police knew them.",
    )
    choose(page, "Has a senior safeguarding lead agreed that this should be referred?", "Yes")
    walk.check(manager, "referral")
    check_and_complete(
        walk,
        manager,
        REFERRAL,
        "referral",
        {
            "Date of the incident": words(INCIDENT),
            "Date the local authority became aware": words(AWARE),
            "What happened to the child or adult the referral is about?": "They were seriously harmed",
            "Has a senior safeguarding lead agreed that this should be referred?": "Yes",
        },
    )
    # The notification was due 5 working days after the local authority became aware: already overdue.
    notification_due = add_working_days(AWARE, 5)
    sin = page.locator("#deadlines li").filter(
        has=page.get_by_role("heading", name="Serious Incident Notification to the Panel")
    )
    expect(sin).to_contain_text(f"Statutory date: {words(notification_due)}")
    expect(sin).to_contain_text(re.compile(r"Overdue by \d+ working days?"))
    walk.check(manager, "referral-completed")

    # The criteria check: abuse suspected, the child seriously harmed.
    open_step(manager, CRITERIA, title)
    choose(page, "Is abuse or neglect known or suspected?", "Suspected")
    choose(page, "Did the child die or was the child seriously harmed?", "Seriously harmed")
    write(page.get_by_label("Your reasons on abuse or neglect"), "Injuries without a consistent explanation.")
    write(page.get_by_label("Your reasons on death or serious harm"), "Fractures needing hospital treatment.")
    choose(page, "Is this the death of a looked-after child?", "No")
    choose(page, "Is this the death of a care leaver under 25?", "No")
    walk.check(manager, "criteria-check")
    check_and_complete(
        walk,
        manager,
        CRITERIA,
        "criteria-check",
        {
            "Is abuse or neglect known or suspected?": "Suspected",
            "Did the child die or was the child seriously harmed?": "Seriously harmed",
        },
    )

    # The Serious Incident Notification, for one child.
    open_step(manager, NOTIFICATION, title)
    expect(page.locator("main")).to_contain_text(
        re.compile(rf"Due by {words(notification_due)}: overdue by \d+ working days?\.")
    )
    write(page.get_by_label("Notifying local authority"), "Northbridge Council")
    write(page.get_by_label("Notifier's role"), "Head of children's services")
    fill_date(page, "Date of the incident", INCIDENT)
    fill_date(page, "Date the local authority became aware", AWARE)
    fill_date(page, "Date of notification", NOTIFIED)
    choose(page, "Nature of the incident", "The child was seriously harmed")
    child = page.get_by_role("group", name="Child 1")
    choose(child, "Sex", "Female")
    write(child.get_by_label("Age in years"), "0")
    choose(child, "Ethnicity", "White")
    choose(child, "Disabled?", "No")
    child.get_by_label("Child in need plan").check()
    choose(child, "Where the child lived", "With parents")
    choose(page, "Were the children known to agencies?", "Yes")
    write(page.get_by_label("Which agencies knew the children?"), "Health visiting and the police")
    write(
        page.get_by_label("Brief case outline"),
        "Infant A (F, 0) was admitted with injuries; the family was known to health visiting.",
    )
    choose(page, "Is there a police investigation?", "Yes")
    choose(page, "Is the rapid review threshold considered met?", "Yes")
    walk.check(manager, "notification")
    check_and_complete(
        walk,
        manager,
        NOTIFICATION,
        "notification",
        {
            "Date of notification": words(NOTIFIED),
            "Child 1": "Sex: Female",
            "Nature of the incident": "The child was seriously harmed",
        },
    )

    # The rapid review begins: the police and health are asked for their returns.
    open_step(manager, ASK_AGENCIES, title)
    agencies = page.get_by_role("group", name="Which agencies knew the child and family?")
    agencies.get_by_label(POLICE, exact=True).check()
    agencies.get_by_label(HEALTH, exact=True).check()
    fill_date(page, "Date the letters to agencies were sent", MET)
    walk.check(manager, "ask-agencies")
    check_and_complete(
        walk,
        manager,
        ASK_AGENCIES,
        "ask-agencies",
        {
            "Which agencies knew the child and family?": POLICE,
            "Date the letters to agencies were sent": words(MET),
        },
    )
    expect(page.locator("#day-plan")).to_contain_text("Day 10: Agency returns due")
    expect(page.get_by_role("link", name="Agency returns (2)")).to_be_visible()
    walk.check(manager, "rapid-review-under-way")

    # The list of reviews: the next deadline is the agencies' returns, due the next working day: "Due soon".
    returns_due = add_working_days(NOTIFIED, 10)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reviews").click()
    card = review_card(page, title)
    expect(summary_value(card, "Stage")).to_have_text("Rapid review")
    expect(summary_value(card, "Next deadline")).to_contain_text(f"Agency returns due: {words(returns_due)}")
    expect(card.locator(".govuk-summary-card__actions .govuk-tag")).to_have_text("Due soon")
    walk.check(manager, "reviews-list-due-soon")

    # 2. The police lead finds the return asked of Northbridge Police, drafts it, and submits it.
    page = police.page
    police.goto("/returns")
    expect(heading(page)).to_have_text("Returns from your agency")
    asked = page.locator("#returns-to-do .govuk-summary-card").filter(
        has=page.get_by_role("heading", name=title)
    )
    expect(summary_value(asked, "Status")).to_have_text("Not started")
    walk.check(police, "police-returns")
    asked.get_by_role("link", name=f"Open return for {title}").click()
    expect(heading(page)).to_have_text(f"Return from {POLICE}")
    write(page.get_by_label("Author's role"), "Detective inspector, child abuse investigation team")
    fill_date(page, "Involvement from", INCIDENT - timedelta(days=200))
    write(
        page.get_by_label("Summary of the agency's involvement"),
        "Two domestic abuse call-outs to the home in the six months before the incident; "
        "no referral to children's social care after the second.",
    )
    episode = page.get_by_role("group", name="Key practice episode 1")
    write(episode.get_by_label("What happened"), "Second call-out: the infant was present; no referral made.")
    write(episode.get_by_label("What went well"), "Officers attended within the hour.")
    write(episode.get_by_label("What could have been better"), "A referral to children's social care.")
    write(page.get_by_label("Immediate actions taken"), "Records secured; briefing to response officers.")
    write(
        page.get_by_label("Single-agency learning"),
        "Infants present at domestic abuse call-outs are referred.",
    )
    walk.check(police, "police-return-draft")
    page.get_by_role("button", name="Save draft").click()
    expect(notice(page)).to_contain_text("Draft saved")
    expect(summary_value(page.locator("#return-status"), "Status")).to_have_text("Draft")
    walk.check(police, "police-return-saved")
    page.get_by_label("The agency's records about the child and family are secured").check()
    page.get_by_role("button", name="Continue").click()
    expect(heading(page)).to_have_text("Check your answers before submitting")
    expect(summary_value(page, "Involvement from")).to_have_text(words(INCIDENT - timedelta(days=200)))
    expect(summary_value(page, "Involvement to")).to_have_text("Still involved")
    expect(summary_value(page, "The agency's records about the child and family are secured")).to_have_text(
        "Yes"
    )
    walk.check(police, "police-return-check")
    page.get_by_role("button", name="Submit return").click()
    expect(page.locator(".govuk-panel--confirmation")).to_contain_text("Return submitted")
    expect(summary_value(page.locator("#return-status"), "Status")).to_have_text("Submitted")
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    walk.check(police, "police-return-submitted")

    # 3. The health lead makes a nil return, which is then locked.
    page = health.page
    health.goto("/returns")
    asked = page.locator(".govuk-summary-card").filter(has=page.get_by_role("heading", name=title))
    asked.get_by_role("link", name=f"Open return for {title}").click()
    expect(heading(page)).to_have_text(f"Return from {HEALTH}")
    walk.check(health, "health-return")
    page.get_by_role("link", name="No involvement? Make a nil return").click()
    expect(heading(page)).to_have_text("Confirm your agency had no involvement with this child or family")
    page.get_by_label("Yes, my agency had no involvement").check()
    walk.check(health, "health-nil-return")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-panel--confirmation")).to_contain_text("Nil return made")
    expect(summary_value(page.locator("#return-status"), "Status")).to_have_text("Nil return")
    expect(page.locator("form[action$='/nil']")).to_have_count(0)
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    expect(page.get_by_role("link", name="No involvement? Make a nil return")).to_have_count(0)
    walk.check(health, "health-nil-return-locked")
    health.goto("/returns")
    locked = page.locator("#returns-returned .govuk-summary-card").filter(
        has=page.get_by_role("heading", name=title)
    )
    expect(locked.get_by_role("link", name=f"View return for {title}")).to_be_visible()

    # 4. The business manager sees both returns in, and goes on with the rapid review.
    page = manager.page
    open_review(manager, title)
    page.get_by_role("link", name="Agency returns (2)").click()
    expect(heading(page)).to_have_text("Agency returns")
    expect(page.locator("#returns-count")).to_have_text("2 of 2 in")
    board = page.locator("#returns-board")
    for agency, status in ((POLICE, "Submitted"), (HEALTH, "Nil return")):
        card = board.locator(".govuk-summary-card").filter(has=page.get_by_role("heading", name=agency))
        expect(summary_value(card, "Status")).to_have_text(status)
        expect(summary_value(card, "Timeliness")).to_have_text("On time")
    walk.check(manager, "returns-board")
    page.get_by_role("link", name="Back to the review").click()

    open_step(manager, MEETING, title)
    fill_date(page, "Date of the meeting", MET)
    write(
        page.get_by_label("Immediate safeguarding actions agreed"), "A safety plan for the infant's sibling."
    )
    write(
        page.get_by_label("Learning identified so far"), "Information sharing between the police and health."
    )
    walk.check(manager, "meeting")
    check_and_complete(walk, manager, MEETING, "meeting", {"Date of the meeting": words(MET)})

    open_step(manager, REPORT, title)
    write(
        page.get_by_label("The child's lived experience"),
        "A young mother, a new partner, three moves in a year; a White British infant without disability.",
    )
    write(
        page.get_by_label("Learning and actions already under way"),
        "The police now refer every infant present.",
    )
    write(page.get_by_label("Parallel processes"), "A police investigation.")
    fill_date(page, "Date the local authority signed off", MET)
    fill_date(page, "Date the police signed off", MET)
    fill_date(page, "Date the integrated care board signed off", MET)
    walk.check(manager, "report")
    check_and_complete(walk, manager, REPORT, "report", {"Date the police signed off": words(MET)})

    # The decision is the partners' to make: the business manager can read the step but not record it.
    expect(task_status(page, DECISION)).to_have_text("Not yet started")
    open_step(manager, DECISION, title)
    expect(page.locator("#questions")).to_contain_text("someone in another role completes it")
    expect(page.get_by_role("button", name="Save and continue")).to_have_count(0)
    expect(page.get_by_role("radio")).to_have_count(0)
    walk.check(manager, "decision-not-theirs")
    page.get_by_role("link", name="Back to the review").click()

    # The rapid review report as a Word document, from the review page's link.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Rapid review report (Word document)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".docx"), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK", "the rapid review report is not a Word (zip) document"

    # 5. The executive records the decision: a local child safeguarding practice review.
    page = executive.page
    executive.goto("/reviews")
    open_review(executive, title)
    walk.check(executive, "executive-review")
    open_step(executive, DECISION, title)
    choose(
        page,
        "What have the safeguarding partners decided?",
        UNDERTAKE_LCSPR,
    )
    write(
        page.get_by_label("Rationale, against the criteria"),
        "Both criteria are met, and there is learning for the partnership about information sharing.",
    )
    fill_date(page, "Date of the decision", MET)
    walk.check(executive, "decision")
    check_and_complete(
        walk,
        executive,
        DECISION,
        "decision",
        {"What have the safeguarding partners decided?": UNDERTAKE_LCSPR},
    )

    # 6. The business manager sends the report to the Panel and records its response.
    page = manager.page
    page.reload()
    open_step(manager, TO_PANEL, title)
    fill_date(page, "Date the report was sent to the Panel", MET)
    choose(page, "Was it shared with Ofsted and the Department for Education?", "Yes")
    walk.check(manager, "to-panel")
    check_and_complete(
        walk, manager, TO_PANEL, "to-panel", {"Date the report was sent to the Panel": words(MET)}
    )

    open_step(manager, PANEL_RESPONSE, title)
    fill_date(page, "Date of the Panel's response", LATER)
    choose(page, "What did the Panel say?", "It agrees with the decision")
    walk.check(manager, "panel-response")
    check_and_complete(
        walk,
        manager,
        PANEL_RESPONSE,
        "panel-response",
        {"What did the Panel say?": "It agrees with the decision"},
    )

    # The local review's set-up: refused while a box of its checklist is unticked, then completed.
    open_step(manager, SET_UP, title)
    write(page.get_by_label("Lead reviewer", exact=True), "Independent reviewer R.")
    fill_date(page, "Date the lead reviewer was appointed", LATER)
    for item in (
        "Review group formed",
        "Practitioner group formed",
        "Terms of reference agreed",
        "Chronology template issued to agencies",
    ):
        page.get_by_label(item).check()
    walk.check(manager, "set-up")
    page.get_by_role("button", name="Save and continue").click()
    expect(heading(page)).to_have_text("Check your answers")
    expect(summary_value(page, "Family informed of the review")).to_have_text("No")
    page.get_by_role("button", name="Confirm and complete").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        [re.compile("Inform the family before completing the set-up")]
    )
    expect(page).to_have_title(re.compile(r"^Error: "))
    walk.check(manager, "set-up-refused")
    summary.get_by_role("link").click()
    expect(heading(page)).to_have_text(SET_UP)
    page.get_by_label("Family informed of the review").check()
    check_and_complete(walk, manager, SET_UP, "set-up", {"Family informed of the review": "Yes"})

    # A pause for the police investigation, recorded and ended on the pauses page.
    page.get_by_role("link", name="Record or end a pause").click()
    expect(heading(page)).to_have_text("Pauses of the clock")
    choose(page, "Why is the review paused?", "Criminal investigation or trial")
    write(page.get_by_label("Details"), "Police interviews of the adults in the household.")
    fill_date(page, "Pause starts on", MET)
    write(page.get_by_label("Who agreed the pause?"), "Lead safeguarding partner (police)")
    walk.check(manager, "pause")
    page.get_by_role("button", name="Record the pause").click()
    expect(notice(page)).to_contain_text("The pause is recorded")
    expect(
        page.locator(".govuk-summary-card").filter(has_text="Criminal investigation or trial")
    ).to_contain_text("Paused now")
    walk.check(manager, "pause-recorded")
    fill_date(page, "Date the pause ended", LATER)
    page.get_by_role("button", name="End the pause").click()
    expect(notice(page)).to_contain_text("The pause is ended")
    lcspr = page.locator("#deadlines li").filter(
        has=page.get_by_role("heading", name="Local review completed and sent to the Panel")
    )
    expect(lcspr).to_contain_text(re.compile(r"Statutory date: \d{1,2} [A-Z][a-z]+ \d{4}"))
    expect(lcspr).to_contain_text(re.compile(r"Revised date after pauses: \d{1,2} [A-Z][a-z]+ \d{4}"))
    walk.check(manager, "pause-ended")
    page.get_by_role("link", name="Back to the review").click()

    # The final report, sent 8 working days ago: publication today is then allowed.
    open_step(manager, FINAL_REPORT, title)
    fill_date(page, "Date the final report was sent", LATER)
    write(page.get_by_label("Sent to"), "The Panel and the Secretary of State for Education")
    walk.check(manager, "final-report")
    check_and_complete(
        walk, manager, FINAL_REPORT, "final-report", {"Date the final report was sent": words(LATER)}
    )

    # 7. The executive records the publication.
    page = executive.page
    page.reload()
    open_step(executive, PUBLICATION, title)
    choose(page, "Is the report published?", "Published")
    fill_date(page, "Date of publication", TODAY)
    write(
        page.get_by_label("Web address where it is published"), "https://northbridge.example/lcspr/infant-a"
    )
    choose(page, "Has a learning brief been published?", "Yes")
    walk.check(executive, "publication")
    check_and_complete(walk, executive, PUBLICATION, "publication", {"Date of publication": words(TODAY)})

    # The business manager closes the review: every stage done, the stage "Closed".
    page = manager.page
    page.reload()
    open_step(manager, CLOSURE, title)
    fill_date(page, "Date of closure", TODAY)
    walk.check(manager, "closure")
    check_and_complete(
        walk, manager, CLOSURE, "closure", {"Date of closure": words(TODAY)}, done="The review is closed"
    )
    expect(summary_value(page, "Stage")).to_have_text("Closed")
    expect(summary_value(page, "Status")).to_have_text("Closed")
    for step in STEPS:
        expect(task_status(page, step)).to_have_text("Completed")
    stages = page.locator("#stages + ol > li")
    expect(stages).to_have_count(7)
    for stage in stages.all():
        expect(stage).to_contain_text(": done")
    # A closed review's clock can no longer be paused: its pauses are there to read.
    expect(page.get_by_role("link", name="Record or end a pause")).to_have_count(0)
    expect(page.get_by_role("link", name="Pauses, with statutory and revised dates")).to_be_visible()
    walk.check(manager, "review-closed")

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reviews").click()
    card = review_card(page, title)
    expect(summary_value(card, "Stage")).to_have_text("Closed")
    expect(summary_value(card, "Next deadline")).to_have_text("None running")
    expect(card.locator(".govuk-summary-card__actions .govuk-tag")).to_have_text("Closed")
    walk.check(manager, "reviews-list-closed")


# -- reflow -------------------------------------------------------------------------------------------------


def overflow_at_320(page: Page) -> int:
    """How far the page is wider than 320 CSS pixels (test_journeys.py's measure: against the width asked for,
    since mobile Chromium zooms out to fit a page that overflows and innerWidth grows with it)."""
    return int(page.evaluate("document.documentElement.scrollWidth")) - 320


def test_the_review_page_and_the_returns_board_reflow_at_320_css_pixels(
    browser: Browser,
    system: SystemEnv,
    signed_in_state: Callable[[str], dict[str, Any]],
) -> None:
    """WCAG 1.4.10 Reflow: a review with its task list, clock and returns, and the returns board, fit 320 CSS
    pixels without scrolling sideways."""
    context = new_context(
        browser,
        viewport={"width": 320, "height": 640},
        is_mobile=True,
        has_touch=True,
        storage_state=signed_in_state(BUSINESS_MANAGER),
    )
    try:
        pages = Pages(context.new_page(), system.gateway_url, prefix="mobile-walk-")
        page = pages.page
        pages.goto("/reviews")
        page.get_by_role("link", name=DEMO_REVIEW, exact=True).click()
        expect(heading(page)).to_have_text(DEMO_REVIEW)
        expect(page.locator(".govuk-task-list").first).to_be_visible()
        review_overflow = overflow_at_320(page)
        pages.check("review")
        page.get_by_role("link", name=re.compile(r"^Agency returns \(\d+\)$")).click()
        expect(heading(page)).to_have_text("Agency returns")
        expect(page.locator("#returns-board .govuk-summary-card").first).to_be_visible()
        board_overflow = overflow_at_320(page)
        pages.check("returns-board")
        assert review_overflow <= 0, f"the review page is {review_overflow}px wider than the 320px viewport"
        assert board_overflow <= 0, f"the returns board is {board_overflow}px wider than the 320px viewport"
    finally:
        context.close()
