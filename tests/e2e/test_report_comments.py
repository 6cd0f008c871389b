"""Comments on a report's sections, on the real system through the gateway: the business manager begins a
rapid review report and gives its first section to the police, shared with health to read. Health comments on
the police's text mentioning the police lead, who is told in-app (with a link to the comment, none of its
words); the police reply mentioning the business manager, who is told; the comment is resolved and reopened;
the page without JavaScript shows it all. A person with no part in the review, or an agency on a section not
its own, can neither comment, reply, resolve nor see the comments; a comment that is empty or too long is
refused saying what to fix, and nothing is kept."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from caserev.smtp_catcher import caught_messages
from services.reports.contract import MAX_COMMENT
from tests.e2e.helpers import Database, SignedIn, sign_in
from tests.e2e.test_agency_returns import (
    HEALTH,
    HEALTH_LEAD,
    MANAGER,
    POLICE,
    POLICE_LEAD,
    agency_id,
    user_id,
)
from tests.e2e.test_reports import EASTMOOR_MANAGER, SUBGROUP, Report
from tests.support.system import SystemEnv, wait_for


@pytest.fixture(scope="module")
def report(system: SystemEnv) -> Iterator[Report]:
    manager = sign_in(system, MANAGER)
    reviews = manager.client.get("/reviews").text
    found = re.search(r'href="/reviews/([0-9a-f-]{36})"[^>]*>\s*NB-2026-014', reviews)
    assert found, "the demo's infant review is listed"
    review = found.group(1)
    begun = manager.post_form(
        f"/reviews/{review}/reports", {"kind": "rapid_review_report", "title": "Comments"}
    )
    assert begun.status_code == 303, begun.text[:2000]
    document = begun.headers["location"].rsplit("/", 1)[1]
    page = manager.client.get(f"/reviews/{review}/reports/{document}").text
    sections = re.findall(r'data-report-section="([0-9a-f-]{36})"', page)
    police, health = agency_id(POLICE), agency_id(HEALTH)
    wait_for(
        lambda: str(police) in manager.client.get(f"/reviews/{review}/reports/{document}").text,
        timeout=30,
        message="the reports service to know the demo's agencies",
    )
    assigned = manager.post_form(
        f"/reviews/{review}/reports/{document}/sections/{sections[0]}/assignment",
        {"assigned_agency_id": str(police), "shared_with_agency_ids": [str(health)]},
    )
    assert assigned.status_code == 303, assigned.text[:2000]
    yield Report(review, document, sections)


def name_of(db: Database, email: str) -> str:
    query = "SELECT display_name FROM reports.person WHERE user_id = %s"
    return str(db.scalar(query, (str(user_id(email)),)))


def comment(person: SignedIn, report: Report, section: int, body: str, quote: str = "the first visit") -> Any:
    return person.post_form(
        f"{report.page}/sections/{report.sections[section]}/comments",
        {"anchor_id": str(uuid.uuid4()), "quote": quote, "body": body},
    )


def mentions_of(db: Database, email: str, document: str) -> list[tuple[Any, ...]]:
    return db.rows(
        "SELECT n.title, n.body, n.link FROM notifications.notification n"
        " JOIN notifications.person p ON p.user_id = n.user_id"
        " WHERE p.email = %s AND n.rule = 'comment_mentioned' AND n.link LIKE %s",
        (email, f"%{document}%"),
    )


def test_a_mention_tells_the_person_mentioned_with_a_link_and_none_of_the_words(
    system: SystemEnv, report: Report, db: Database
) -> None:
    health = sign_in(system, HEALTH_LEAD)
    police_lead = name_of(db, POLICE_LEAD)
    added = comment(health, report, 0, f"@{police_lead} is the date of the first visit right?")
    assert added.status_code == 303, added.text[:2000]
    comment_id = added.headers["location"].rsplit("#comment-", 1)[1]
    link = f"{report.page}#comment-{comment_id}"

    rows = wait_for(
        lambda: mentions_of(db, POLICE_LEAD, report.document), message="the police lead's message"
    )
    assert len(rows) == 1
    title, body, page = rows[0]
    assert (title, page) == ("You have been mentioned in a comment on a review report", link)
    assert "first visit" not in body
    messages = wait_for(
        lambda: [m for m in caught_messages(system.maildir, limit=1000) if link in m.body],
        message="the e-mail to the police lead (mentions are sent at once unless a digest is chosen)",
    )
    assert all(POLICE_LEAD in m.recipients and "first visit" not in m.body for m in messages)
    assert not mentions_of(db, HEALTH_LEAD, report.document), "the author is not told of their own comment"

    # The police read it beside their section, on the page drawn without JavaScript.
    police_page = sign_in(system, POLICE_LEAD).client.get(report.page).text
    assert f'id="comment-{comment_id}"' in police_page
    assert "is the date of the first visit right?" in html.unescape(police_page)
    assert "the first visit" in police_page


def test_a_reply_mentions_resolve_and_reopen_on_the_police_section(
    system: SystemEnv, report: Report, db: Database
) -> None:
    manager, police = sign_in(system, MANAGER), sign_in(system, POLICE_LEAD)
    added = comment(manager, report, 0, "Please add the GP's view.")
    comment_id = added.headers["location"].rsplit("#comment-", 1)[1]
    base = f"{report.page}/comments/{comment_id}"
    replied = police.post_form(f"{base}/replies", {"body": f"Added, @{name_of(db, MANAGER)}."})
    assert replied.status_code == 303, replied.text[:2000]
    wait_for(lambda: mentions_of(db, MANAGER, report.document), message="the business manager's message")

    resolved = police.post_form(f"{base}/resolution", {"resolved": "true"})
    assert resolved.status_code == 303
    page = html.unescape(manager.client.get(report.page).text)
    assert f"Resolved by {name_of(db, POLICE_LEAD)}" in page and "Added, @" in page
    assert police.post_form(f"{base}/resolution", {"resolved": "false"}).status_code == 303
    page = html.unescape(manager.client.get(report.page).text)
    assert f"Resolved by {name_of(db, POLICE_LEAD)}" not in page
    rows = db.rows(
        "SELECT resolved_at IS NULL, (SELECT count(*) FROM reports.comment_reply WHERE comment_id = c.id)"
        " FROM reports.comment c WHERE id = %s",
        (comment_id,),
    )
    assert rows == [(True, 1)]


@pytest.mark.parametrize(
    ("who", "section", "why"),
    [
        (POLICE_LEAD, 1, "an agency on a section not its own"),
        (HEALTH_LEAD, 1, "an agency on a section neither its own nor shared with it"),
        (SUBGROUP, 0, "a member of the review with no section"),
        (EASTMOOR_MANAGER, 0, "a person with no part in the review"),
    ],
)
def test_whoever_may_not_read_a_section_can_neither_comment_reply_resolve_nor_see_its_comments(
    system: SystemEnv, report: Report, db: Database, who: str, section: int, why: str
) -> None:
    manager = sign_in(system, MANAGER)
    added = comment(manager, report, section, f"Only for the section's readers {uuid.uuid4()}")
    comment_id = added.headers["location"].rsplit("#comment-", 1)[1]
    before = db.scalar("SELECT count(*) FROM reports.comment")
    outsider = sign_in(system, who)
    assert comment(outsider, report, section, "Let me in").status_code == 404, why
    base = f"{report.page}/comments/{comment_id}"
    assert outsider.post_form(f"{base}/replies", {"body": "Hello"}).status_code == 404, why
    assert outsider.post_form(f"{base}/resolution", {"resolved": "true"}).status_code == 404, why
    assert db.scalar("SELECT count(*) FROM reports.comment") == before
    assert db.rows("SELECT resolved_at, body FROM reports.comment WHERE id = %s", (comment_id,))[0][0] is None
    assert not db.rows("SELECT 1 FROM reports.comment_reply WHERE comment_id = %s", (comment_id,))
    page = outsider.client.get(report.page)
    assert comment_id not in page.text, why


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   ", "Write the comment"),
        ("x" * (MAX_COMMENT + 1), f"The comment must be {MAX_COMMENT} characters or fewer"),
    ],
)
def test_an_empty_or_overlong_comment_is_refused_saying_what_to_fix_and_nothing_is_kept(
    system: SystemEnv, report: Report, db: Database, body: str, message: str
) -> None:
    police = sign_in(system, POLICE_LEAD)
    before = db.scalar("SELECT count(*) FROM reports.comment")
    refused = comment(police, report, 0, body)
    assert refused.status_code == 422
    assert message in html.unescape(refused.text)
    assert 'class="govuk-error-summary"' in refused.text
    assert db.scalar("SELECT count(*) FROM reports.comment") == before


def test_the_demo_has_a_report_in_progress_with_comments_versions_and_a_confirmation(
    system: SystemEnv,
) -> None:
    manager = sign_in(system, "business.manager@northbridge.example")
    reviews = manager.client.get("/api/reviews").json()
    review = next(str(r["id"]) for r in reviews if r["title"] == "NB-2026-014 infant, serious harm")
    listing = manager.client.get(f"/reviews/{review}/reports")
    assert listing.status_code == 200
    found = re.search(
        rf'href="/reviews/{review}/reports/([0-9a-f-]{{36}})"[^>]*>\s*Rapid review report: NB-2026-014',
        listing.text,
    )
    assert found, "the demo's rapid review report is listed"
    document = f"/reviews/{review}/reports/{found.group(1)}"
    page = html.unescape(manager.client.get(document).text)
    assert "was a referral considered after the second visit" in page, (
        "the demo's comment is beside its section"
    )
    assert "we will add the reasons" in page, "and the police lead's reply"
    versions = manager.client.get(f"{document}/versions").text
    assert "First draft" in versions and "For factual accuracy" in versions
    checked = re.search(rf'href="{document}/versions/([0-9a-f-]{{36}})">For factual accuracy', versions)
    assert checked, "the version sent for checking is listed"
    accuracy = html.unescape(manager.client.get(f"{document}/versions/{checked.group(1)}/accuracy").text)
    assert "Northbridge Police" in accuracy and "Confirmed" in accuracy, "the police confirmed their sections"
