"""Factual accuracy, the family's comments and the partners' sign-off of a report version on the real system,
through the gateway: the business manager asks the police and health to check a version; each agency sees only
the sections about it and confirms or disputes with comments; the manager's page shows who has answered; the
police lead's e-mail reaches the SMTP catcher with a link and nothing of the report; an agency answering for
sections not its own, people with no part and an agency lead signing off are refused; the partners' last
signature locks the version and closes the round."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from caserev.smtp_catcher import caught_messages
from gateway.rpc import RemoteError
from services.kernel.calendar import today_in_england
from tests.e2e.helpers import DEMO, Database, sign_in
from tests.e2e.signing_off import NORTHBRIDGE, PARTNER, call, partner
from tests.e2e.test_agency_returns import HEALTH, HEALTH_LEAD, MANAGER, POLICE, POLICE_LEAD, agency_id
from tests.e2e.test_report_versions import name
from tests.e2e.test_reports import EASTMOOR_MANAGER, SUBGROUP, Report
from tests.support.system import SystemEnv, wait_for

DISPUTE = "The second strategy meeting was on 14 March, not 12 March."


@pytest.fixture(scope="module")
def report(system: SystemEnv) -> Iterator[Report]:
    """A rapid review report of its own: its first section the police's (shared with health), its second
    health's."""
    manager = sign_in(system, MANAGER)
    reviews = manager.client.get("/reviews").text
    found = re.search(r'href="/reviews/([0-9a-f-]{36})"[^>]*>\s*NB-2026-014', reviews)
    assert found, "the demo's infant review is listed"
    review = found.group(1)
    begun = manager.post_form(
        f"/reviews/{review}/reports", {"kind": "rapid_review_report", "title": "Accuracy test report"}
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
    for section, data in (
        (sections[0], {"assigned_agency_id": str(police), "shared_with_agency_ids": [str(health)]}),
        (sections[1], {"assigned_agency_id": str(health)}),
    ):
        assigned = manager.post_form(
            f"/reviews/{review}/reports/{document}/sections/{section}/assignment", data
        )
        assert assigned.status_code == 303, assigned.text[:2000]
    yield Report(review, document, sections)


@pytest.fixture(scope="module")
def version(system: SystemEnv, report: Report) -> str:
    return name(sign_in(system, MANAGER), report, "For factual accuracy")


def text(response: Any) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.text))


def test_a_round_is_opened_answered_by_each_agency_and_shown_to_the_manager(
    system: SystemEnv, report: Report, version: str, db: Database
) -> None:
    manager, police, health = (
        sign_in(system, MANAGER),
        sign_in(system, POLICE_LEAD),
        sign_in(system, HEALTH_LEAD),
    )
    accuracy = f"{report.page}/versions/{version}/accuracy"
    form = manager.client.get(accuracy)
    assert form.status_code == 200, form.text[:2000]
    # Both agencies the sections are assigned to or shared with are asked by default.
    for agency in (POLICE, HEALTH):
        assert re.search(rf'value="{agency_id(agency)}" checked', form.text), (
            f"{agency} is not asked by default"
        )
    opened = manager.post_form(
        accuracy,
        {"due_on": "", "agency_ids": [str(agency_id(POLICE)), str(agency_id(HEALTH))], "form_token": "t1"},
    )
    assert opened.status_code == 303, opened.text[:2000]
    board = text(manager.client.get(accuracy))
    assert board.count("Not answered yet") == 2 and "0 confirmed, 0 disputed, 2 not answered" in board

    # The police see the section about them only; health sees both (one shared with it).
    police_page = police.client.get(accuracy)
    assert police_page.status_code == 200, police_page.text[:2000]
    assert f"comment-{report.sections[0]}" in police_page.text
    assert f"comment-{report.sections[1]}" not in police_page.text
    round_id = re.search(r'action="[^"]*/accuracy/([0-9a-f-]{36})/answer"', police_page.text)
    assert round_id, "the police's page has the answer form"
    answer = f"{accuracy}/{round_id.group(1)}/answer"
    confirmed = police.post_form(answer, {"answer": "confirmed"})
    assert confirmed.status_code == 303, confirmed.text[:2000]

    # A dispute says what is not accurate; without a comment it is refused, saying so.
    empty = health.post_form(answer, {"answer": "disputed"})
    assert empty.status_code == 422 and "Say what is not accurate" in text(empty)
    disputed = health.post_form(answer, {"answer": "disputed", f"comment-{report.sections[1]}": DISPUTE})
    assert disputed.status_code == 303, disputed.text[:2000]

    board = text(manager.client.get(accuracy))
    assert "1 confirmed, 1 disputed, 0 not answered" in board
    assert "Pat Demo-Police" in board and "Sky Demo-Health" in board and DISPUTE in board
    # The police see their own answer, never health's comment.
    assert DISPUTE not in text(police.client.get(accuracy))
    # Events carry ids, never the comment's words.
    leaked = db.rows(
        "SELECT count(*) FROM reports.outbox"
        " WHERE event_type LIKE 'reports.accuracy%%' AND envelope::text LIKE %s",
        (f"%{DISPUTE[:30]}%",),
    )
    assert leaked == [(0,)]
    # The police lead was told by e-mail (the SMTP catcher), with a link to the round and nothing of it
    # (the demo's own round on this review mails them too: the link of this round's is the one to find).
    link = f"/reviews/{report.review}/accuracy-requests/"

    def this_rounds_mail() -> Any:
        for message in caught_messages(system.maildir, limit=1000):
            if POLICE_LEAD not in message.recipients or link not in message.body:
                continue
            followed = police.client.get(link + message.body.split(link, 1)[1][:36])
            assert followed.status_code == 303, followed.text[:500]
            if followed.headers["location"].endswith(f"/versions/{version}/accuracy"):
                return message
        return None

    message = wait_for(this_rounds_mail, timeout=60, message="the police lead's e-mail about the check")
    assert "Accuracy test report" not in message.body and "strategy meeting" not in message.body


def test_people_without_a_part_and_agencies_on_others_sections_are_refused(
    system: SystemEnv, report: Report, version: str
) -> None:
    accuracy = f"{report.page}/versions/{version}/accuracy"
    manager_page = sign_in(system, MANAGER).client.get(accuracy).text
    round_id = re.search(r'action="[^"]*/accuracy/([0-9a-f-]{36})/close"', manager_page)
    assert round_id, "the round is open"
    # Another partnership's manager: not found. A sub-group member (no part in checking): refused by role.
    assert sign_in(system, EASTMOOR_MANAGER).client.get(accuracy).status_code == 404
    assert sign_in(system, SUBGROUP).client.get(accuracy).status_code == 403
    # An agency lead cannot sign off, nor read the family's comments.
    police = sign_in(system, POLICE_LEAD)
    assert police.post_form(f"{report.page}/versions/{version}/sign-off").status_code == 403
    assert police.client.get(f"{report.page}/versions/{version}/family").status_code == 403
    # The police commenting on health's section: refused by the service itself.
    police_actor = {
        "user_id": str(uuid.uuid5(DEMO.namespace, "user:" + POLICE_LEAD)),
        "partnership_id": str(NORTHBRIDGE.id),
        "agency_id": str(agency_id(POLICE)),
        "roles": ["agency_lead"],
        "reviews": [report.review],
    }
    with pytest.raises(RemoteError) as refused:
        call(
            system,
            "answer_accuracy",
            police_actor,
            round_id.group(1),
            {"answer": "disputed", "comments": [{"section_id": report.sections[1], "text": "Not ours"}]},
        )
    assert refused.value.exc_type == "InvalidRequest"


def test_the_family_comments_are_kept_with_the_version(
    system: SystemEnv, report: Report, version: str
) -> None:
    manager = sign_in(system, MANAGER)
    family = f"{report.page}/versions/{version}/family"
    future = manager.post_form(family, {"shown_on": "2999-01-01", "comments": "x"})
    assert future.status_code == 422 and "today or before" in text(future)
    recorded = manager.post_form(
        family,
        {
            "shown_on": today_in_england().isoformat(),
            "comments": "The family asked that their son's football be mentioned.",
            "response": "Added to the section on the child's lived experience.",
        },
    )
    assert recorded.status_code == 303, recorded.text[:2000]
    page = text(manager.client.get(family))
    assert "football be mentioned" in page and "Added to the section" in page and "Alex Demo-Manager" in page


def test_the_partners_last_signature_locks_the_version_and_closes_the_round(
    system: SystemEnv, report: Report, version: str
) -> None:
    jo, manager = sign_in(system, PARTNER), sign_in(system, MANAGER)
    sign_off = f"{report.page}/versions/{version}/sign-off"
    page = jo.client.get(sign_off)
    assert page.status_code == 200 and "0 of 3 safeguarding partners" in text(page)
    signed = jo.post_form(sign_off)
    assert signed.status_code == 303, signed.text[:2000]
    assert "1 of 3 safeguarding partners" in text(jo.client.get(sign_off))
    assert jo.post_form(sign_off).status_code == 409  # one signature per partner
    call(system, "sign_off_version", partner(POLICE), version)
    assert call(system, "sign_off_version", partner(HEALTH), version)["complete"] is True
    seen = text(manager.client.get(sign_off))
    assert "Signed off and locked" in seen and "Jo Demo-Partner" in seen and POLICE in seen
    assert "Locked" in text(manager.client.get(f"{report.page}/versions/{version}"))
    renamed = manager.post_form(f"{report.page}/versions/{version}/name", {"name": "Changed"})
    assert renamed.status_code == 409
    assert "Closed round" in text(manager.client.get(f"{report.page}/versions/{version}/accuracy"))
