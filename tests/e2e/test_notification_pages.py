"""Notifications through the gateway, on the whole running system: a person's messages and the unread count
(in the header, and live as server-sent events), their choices, the partnership's rules, and the delivery log.

A message is caused for real: the business manager opens a review, the forms service publishes
`forms.review_opened`, and the notifications service writes each of the partnership's business managers a
message and publishes `notifications.notification_created`, which the gateway streams to their open pages.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.helpers import DEMO, Database, SignedIn, sign_in, wait_for
from tests.support.system import SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")
BUSINESS_MANAGER = "business.manager@northbridge.example"
EXECUTIVE = "executive@northbridge.example"
PARTNER = "partner@northbridge.example"
POLICE_LEAD = "police.lead@northbridge.example"
BADGE = re.compile(r'class="app-unread-count">(\d+)<')
SUMMARY_LINKS = re.compile(r'<div class="govuk-error-summary".*?</ul>', re.S)


@pytest.fixture
def manager(system: SystemEnv) -> SignedIn:
    return sign_in(system, BUSINESS_MANAGER)


def open_review(manager: SignedIn) -> str:
    """Open a review as the business manager (its page's form is the JSON API's twin); its id."""
    title = f"NB-2026-{uuid.uuid4().hex[:4].upper()} notifications"
    response = manager.client.post(
        "/api/reviews",
        json={"review_type": "child_safeguarding", "partnership_id": str(NORTHBRIDGE.id), "title": title},
        headers={"X-CSRF-Token": manager.csrf()},
    )
    assert response.status_code == 201, f"opening a review: {response.status_code} {response.text[:300]}"
    return str(response.json()["id"])


def unread(person: SignedIn) -> int:
    """How many of the person's messages are unread, as their messages page says."""
    page = person.client.get("/notifications")
    assert page.status_code == 200, f"{person.email} opens their messages: {page.status_code}"
    found = re.search(r"You have (\d+) unread message", page.text)
    return int(found.group(1)) if found else 0


def badge_in_header(person: SignedIn) -> int | None:
    """The number beside "Messages" in the header (None: no number, as when nothing is unread)."""
    page = person.client.get("/account")
    assert 'href="/notifications"' in page.text, "the header has no link to the messages"
    found = BADGE.search(page.text)
    return int(found.group(1)) if found else None


def message_about(person: SignedIn, review_id: str) -> str | None:
    """The id of the person's message that links to a review's page, once the centre lists it."""
    page = person.client.get("/notifications")
    assert page.status_code == 200, page.text[:300]
    found = re.search(
        rf'id="message-([0-9a-f-]{{36}})">(?:(?!</li>).)*?href="/reviews/{review_id}"', page.text, re.S
    )
    return found.group(1) if found else None


def error_summary(page: str) -> list[tuple[str, str]]:
    """The error summary's lines: (the field it links to, the message)."""
    summary = SUMMARY_LINKS.search(page)
    assert summary, "the page has no error summary"
    return [
        (href, html.unescape(text)) for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary[0])
    ]


# -- the notification centre and the unread count -----------------------------------------------------------


def test_the_centre_lists_a_new_message_and_marking_it_read_lowers_the_unread_count(
    manager: SignedIn,
) -> None:
    review_id = open_review(manager)
    message_id = wait_for(
        lambda: message_about(manager, review_id),
        message="the business manager's message about the review just opened",
    )
    page = manager.client.get("/notifications").text
    item = re.search(rf'id="message-{message_id}">.*?</li>', page, re.S)
    assert item, "the message is not listed"
    assert "A new review has been opened" in item[0]
    assert '<strong class="govuk-tag govuk-tag--blue">New</strong>' in item[0], "an unread message is not New"
    assert re.search(
        r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d{1,2} \w+ \d{4} at \d\d:\d\d", item[0]
    )

    before = unread(manager)
    assert before >= 1, "an unread message is not counted"
    # The header draws the count when the service answers at once (else only the page's script shows it).
    wait_for(lambda: badge_in_header(manager) == before, timeout=45, message="the header's count")
    marked = manager.client.post(f"/notifications/{message_id}/read", data={"csrf_token": manager.csrf()})
    assert marked.status_code == 303 and marked.headers["location"].startswith("/notifications")
    assert unread(manager) == before - 1, "marking one message read did not lower the count by one"
    page = manager.client.get("/notifications").text
    item = re.search(rf'id="message-{message_id}">.*?</li>', page, re.S)
    assert item and ">New<" not in item[0], "the message read is still marked New"


def test_a_message_that_is_not_ones_own_cannot_be_marked_read(system: SystemEnv, manager: SignedIn) -> None:
    review_id = open_review(manager)
    theirs = wait_for(lambda: message_about(manager, review_id), message="the business manager's message")
    executive = sign_in(system, EXECUTIVE)
    response = executive.client.post(f"/notifications/{theirs}/read", data={"csrf_token": executive.csrf()})
    assert response.status_code == 404, f"another person's message: {response.status_code}"
    assert message_about(manager, review_id) == theirs
    assert (
        ">New<"
        in re.search(rf'id="message-{theirs}">.*?</li>', manager.client.get("/notifications").text, re.S)[0]
    )


def test_marking_all_read_needs_the_button_and_then_clears_the_count(manager: SignedIn) -> None:
    open_review(manager)
    wait_for(lambda: unread(manager) > 0, message="an unread message")
    empty = manager.client.post("/notifications/read", data={"csrf_token": manager.csrf()})
    assert empty.status_code == 422, f"an empty form: {empty.status_code}"
    assert unread(manager) > 0, "an empty form changed something"
    done = manager.client.post("/notifications/read", data={"mark": "all", "csrf_token": manager.csrf()})
    assert done.status_code == 303
    assert unread(manager) == 0
    assert badge_in_header(manager) is None, "the header shows a count with nothing unread"
    assert "All your messages are marked as read" in manager.client.get(done.headers["location"]).text


# -- the live count -----------------------------------------------------------------------------------------


def unread_events(response: httpx.Response) -> Iterator[int]:
    """The counts of the `unread` events of an open stream, as they arrive."""
    event = ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: ") and event == "unread":
            yield int(line[len("data: ") :])
        elif not line:
            event = ""


def test_the_stream_sends_the_count_at_once_and_again_when_a_message_arrives_or_is_read(
    system: SystemEnv, manager: SignedIn
) -> None:
    # A second session of the same person: their other tab, which marks the messages read.
    other_tab = sign_in(system, BUSINESS_MANAGER, fresh=True)
    timeout = httpx.Timeout(5, read=25)  # heartbeats every 15 s keep a quiet stream from timing out
    with manager.client.stream("GET", "/notifications/stream", timeout=timeout) as stream:
        assert stream.status_code == 200, stream.read()[:300]
        assert stream.headers["content-type"].startswith("text/event-stream")
        counts = unread_events(stream)
        at_connect = next(counts)
        assert at_connect == unread(other_tab), "the stream's first count is not the person's"

        open_review(other_tab)
        assert next(counts) > at_connect, "a new message did not raise the streamed count"

        done = other_tab.client.post(
            "/notifications/read", data={"mark": "all", "csrf_token": other_tab.csrf()}
        )
        assert done.status_code == 303
        # Read on until the count the other tab left: a read timeout fails the test if it never comes.
        assert 0 in counts, "marking every message read in another tab did not reach this one"
    other_tab.client.close()


def test_the_stream_is_for_people_signed_in(system: SystemEnv) -> None:
    with httpx.Client(base_url=system.gateway_url, timeout=5) as anonymous:
        response = anonymous.get("/notifications/stream")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


# -- preferences --------------------------------------------------------------------------------------------

RADIO = re.compile(r'id="[^"]+" name="([a-z_]+)" type="radio" value="(immediate|digest)"( checked)?')
FIXED = re.compile(r'<div class="govuk-form-group[^"]*" id="([a-z_]+)">')


def choices_on(page: str) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for kind, value, checked in RADIO.findall(page):
        if checked:
            chosen[kind] = value
    return chosen


def test_preferences_are_saved_and_a_fixed_kind_is_refused(system: SystemEnv) -> None:
    partner = sign_in(system, PARTNER)
    page = partner.client.get("/account/notifications")
    assert page.status_code == 200, page.text[:300]
    original = choices_on(page.text)
    fixed = FIXED.findall(page.text)
    assert original, "the page offers no kind of message to choose for"
    assert fixed, "the page shows no kind that always comes straight away"
    assert "Always immediately (statutory or urgent)" in page.text
    kind = sorted(original)[0]
    wanted = {**original, kind: "digest" if original[kind] == "immediate" else "immediate"}
    try:
        saved = partner.client.post("/account/notifications", data={**wanted, "csrf_token": partner.csrf()})
        assert saved.status_code == 303, f"saving the choices: {saved.status_code} {saved.text[:500]}"
        shown = partner.client.get(saved.headers["location"])
        assert choices_on(shown.text) == wanted
        assert "Your choices are saved" in shown.text

        refused = partner.client.post(
            "/account/notifications", data={**wanted, fixed[0]: "digest", "csrf_token": partner.csrf()}
        )
        assert refused.status_code == 422, f"a fixed kind as a digest: {refused.status_code}"
        assert [href for href, _ in error_summary(refused.text)] == [f"#{fixed[0]}"]
        assert choices_on(partner.client.get("/account/notifications").text) == wanted, "a refusal saved"

        empty = partner.client.post("/account/notifications", data={"csrf_token": partner.csrf()})
        assert empty.status_code == 422
    finally:
        partner.client.post("/account/notifications", data={**original, "csrf_token": partner.csrf()})


def test_the_account_page_links_to_the_preferences(system: SystemEnv) -> None:
    assert 'href="/account/notifications"' in sign_in(system, POLICE_LEAD).client.get("/account").text


# -- the partnership's rules --------------------------------------------------------------------------------

RULE = "return_due_soon"  # services/notifications/rules.yml: 2 working days before, from 1 to 5


def days_of(page: str, code: str) -> str:
    found = re.search(rf'id="{code}-days" name="days"[^>]*value="([^"]*)"', page)
    assert found, f"the rules page has no days input for {code}"
    return found.group(1)


def test_the_business_manager_saves_a_rules_days_and_is_told_when_they_are_out_of_bounds(
    manager: SignedIn,
) -> None:
    page = manager.client.get("/settings/notifications")
    assert page.status_code == 200, page.text[:300]
    original = days_of(page.text, RULE)
    assert "Required by statute" in page.text, "no statutory rule is shown as such"
    try:
        saved = manager.client.post(
            "/settings/notifications",
            data={"code": RULE, "days": "3", "enabled": "on", "csrf_token": manager.csrf()},
        )
        assert saved.status_code == 303, f"saving the rule: {saved.status_code} {saved.text[:500]}"
        shown = manager.client.get(saved.headers["location"]).text
        assert days_of(shown, RULE) == "3"
        assert "is saved" in shown

        refused = manager.client.post(
            "/settings/notifications",
            data={"code": RULE, "days": "99", "enabled": "on", "csrf_token": manager.csrf()},
        )
        assert refused.status_code == 422, f"99 days: {refused.status_code}"
        assert [href for href, _ in error_summary(refused.text)] == [f"#{RULE}-days"]
        assert f'id="{RULE}-days-error"' in refused.text, "the field does not show its error"
        assert days_of(refused.text, RULE) == "99", "the page does not show what was typed"
        assert days_of(manager.client.get("/settings/notifications").text, RULE) == "3", "a refusal saved"

        empty = manager.client.post("/settings/notifications", data={"csrf_token": manager.csrf()})
        assert empty.status_code == 422
    finally:
        manager.client.post(
            "/settings/notifications",
            data={"code": RULE, "days": original, "enabled": "on", "csrf_token": manager.csrf()},
        )


def test_the_rules_page_says_in_plain_words_when_a_waiting_rule_starts_working(manager: SignedIn) -> None:
    page = manager.client.get("/settings/notifications")
    assert page.status_code == 200, page.text[:300]

    def row(code: str) -> str:
        found = re.search(rf'<tr [^>]*id="rule-{code}-row".*?</tr>', page.text, re.S)
        assert found, f"the rules page has no row for {code}"
        return html.unescape(re.sub(r"\s+", " ", found.group(0)))

    # The factual-accuracy rules waited for review reports; the reports service publishes their events now.
    assert "Not active" not in row("accuracy_check_overdue")
    assert "Starts working" not in row("accuracy_requested")
    assert "Not active" not in row("meeting_invitation"), "meetings publish their events now"
    # The actions service publishes the action rules' events: they work.
    assert "Not active" not in row("action_overdue") and "Starts working" not in row("action_overdue")
    assert "Not active" not in row(RULE), "an active rule is shown as not active"
    # No event's name, nor the service's own words about one, reaches the page.
    assert "meetings.meeting_scheduled" not in page.text
    assert not re.search(r"\b(forms|meetings|actions|reports|notifications)\.[a-z_]+\b", page.text)
    assert "(yet)" not in page.text and "no service publishes" not in page.text
    assert "The people invited to the meeting" in row("meeting_invitation") and "the event" not in page.text


def test_the_executive_reads_the_rules_and_an_agency_lead_does_not(system: SystemEnv) -> None:
    executive = sign_in(system, EXECUTIVE).client.get("/settings/notifications")
    assert executive.status_code == 200
    assert f'id="{RULE}-days"' not in executive.text, "the executive is offered a change"
    assert 'action="/settings/notifications"' not in executive.text, "the executive is offered a change"
    assert sign_in(system, POLICE_LEAD).client.get("/settings/notifications").status_code == 403


# -- the delivery log ---------------------------------------------------------------------------------------


def test_the_delivery_log_is_the_business_managers_and_not_an_agency_leads(
    system: SystemEnv, manager: SignedIn
) -> None:
    review_id = open_review(manager)

    def logged() -> str | None:
        page = manager.client.get(f"/reviews/{review_id}/messages")
        assert page.status_code == 200, f"the review's log: {page.status_code} {page.text[:300]}"
        found = re.search(r'id="delivery-([0-9a-f-]{36})"', page.text)
        return found.group(1) if found else None

    delivery_id = wait_for(logged, message="the e-mail about the review just opened, in its log")

    def row_in_log() -> str | None:
        log = manager.client.get("/messages/sent")
        assert log.status_code == 200, f"the partnership's log: {log.status_code}"
        row = re.search(rf'id="delivery-{delivery_id}"[^>]*>.*?</tr>', log.text, re.S)
        return row[0] if row and ">Sent<" in row[0] else None

    row = wait_for(row_in_log, message="the e-mail about the review, sent, in the partnership's log")
    assert f'href="/reviews/{review_id}/messages"' in row
    assert '<strong class="govuk-tag govuk-tag--green">Sent</strong>' in row
    assert "E-mail to " in row
    assert "Send again" not in row, "an e-mail that went is offered to be sent again"

    sent_already = manager.client.post(
        f"/messages/sent/{delivery_id}/send-again",
        data={"form_token": str(uuid.uuid4()), "csrf_token": manager.csrf()},
    )
    assert sent_already.status_code == 422, "an e-mail already sent was sent again"
    assert "Only a failed or uncertain e-mail can be sent again" in html.unescape(sent_already.text)

    police = sign_in(system, POLICE_LEAD)
    assert police.client.get("/messages/sent").status_code == 403
    assert police.client.get(f"/reviews/{review_id}/messages").status_code == 403
    again = police.client.post(f"/messages/sent/{delivery_id}/send-again", data={"csrf_token": police.csrf()})
    assert again.status_code == 403
    assert 'href="/reviews/' + review_id + '/messages"' in manager.client.get(f"/reviews/{review_id}").text


def test_an_uncertain_email_is_sent_again_by_the_business_manager_as_a_new_email(
    system: SystemEnv, manager: SignedIn, db: Database
) -> None:
    review_id = open_review(manager)

    def sent_email() -> str | None:
        rows = db.rows(
            "SELECT id FROM notifications.email WHERE review_id = %s AND status = 'sent' AND to_address = %s",
            (review_id, BUSINESS_MANAGER),
        )
        return str(rows[0][0]) if rows else None

    first = wait_for(sent_email, message="the e-mail about the review to be sent")
    # As the sender leaves it when it stops between sending and recording (tests/integration/
    # test_email_delivery.py makes that happen for real): it may have gone, so it is not sent again by itself.
    db.rows(
        "UPDATE notifications.email SET status = 'uncertain', last_error = 'stopped while sending'"
        " WHERE id = %s RETURNING id",
        (first,),
    )
    log = manager.client.get(f"/reviews/{review_id}/messages")
    assert "Send again" in log.text and "Uncertain" in log.text
    again = manager.client.post(
        f"/messages/sent/{first}/send-again",
        data={"form_token": str(uuid.uuid4()), "csrf_token": manager.csrf()},
    )
    assert again.status_code == 303, f"send again: {again.status_code} {again.text[:400]}"

    def copies() -> list[tuple[str, str]]:
        rows = db.rows(
            "SELECT id::text, status FROM notifications.email WHERE review_id = %s AND to_address = %s"
            " AND id <> %s",
            (review_id, BUSINESS_MANAGER, first),
        )
        return rows if rows and rows[0][1] == "sent" else []

    copy = wait_for(copies, message="the copy to be sent")
    assert len(copy) == 1
    history = [
        row[0]
        for row in db.rows(
            "SELECT status FROM notifications.delivery_event WHERE email_id = %s ORDER BY id", (copy[0][0],)
        )
    ]
    assert history == ["queued", "sending", "sent"]
    assert db.scalar("SELECT status FROM notifications.email WHERE id = %s", (first,)) == "uncertain"
