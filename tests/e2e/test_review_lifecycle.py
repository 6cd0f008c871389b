"""A child safeguarding review driven through the gateway's pages and JSON API on the real system: referral,
criteria check, Serious Incident Notification, the rapid review, the partners' decision, a pause of the
clock; who may do each step; what the pages say; two people completing the same step at once.

The tests of this module run in order on one review the business manager opens at the start.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.helpers import DEMO, Database, SignedIn, sign_in
from tests.support.system import SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")
TODAY = datetime.now(ZoneInfo("Europe/London")).date()
INCIDENT, AWARE, NOTIFIED = TODAY - timedelta(days=10), TODAY - timedelta(days=9), TODAY - timedelta(days=7)
EXECUTIVE = "executive@northbridge.example"
PARTNER = "partner@northbridge.example"
POLICE_LEAD = "police.lead@northbridge.example"


def agency_id(name: str) -> str:
    return str(uuid.uuid5(DEMO.namespace, f"agency:NBSCP:{name}"))


POLICE, HEALTH = agency_id("Northbridge Police"), agency_id("Northbridge Health ICB")


def words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def date_fields(name: str, day: date) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def text_of(response: httpx.Response) -> str:
    """A page's words, tags removed and entities decoded, to look for what a person reads."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def hidden(response: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', response.text)
    assert found, f"the page has no hidden {name} field"
    return found.group(1)


def headers_of(person: SignedIn) -> dict[str, str]:
    return {"X-CSRF-Token": person.csrf()}


CHILD = {
    "children-0-sex": "female",
    "children-0-age_years": "0",
    "children-0-ethnicity": "white",
    "children-0-disability": "no",
    "children-0-legal_status": "child_in_need",
    "children-0-placement": "with_parents",
}
NOTIFICATION = {
    "notifying_local_authority": "Northbridge Council",
    "notifier_role": "Head of children's services",
    **date_fields("incident_date", INCIDENT),
    **date_fields("date_aware", AWARE),
    **date_fields("notified_on", NOTIFIED),
    "nature": "serious_harm",
    **CHILD,
    "known_to_agencies": "yes",
    "agencies_known": "Health visiting and the police",
    "case_outline": "Infant A (F, 0) was admitted with injuries; the family was known to health visiting.",
    "police_investigation": "yes",
    "threshold_met": "yes",
}


@pytest.fixture(scope="module")
def review(api: httpx.Client) -> dict[str, Any]:
    """A child safeguarding review the business manager opens for this module."""
    title = f"NB-2026-2{uuid.uuid4().hex[:2]} infant, lifecycle E2E-{uuid.uuid4().hex[:6].upper()}"
    response = api.post(
        "/api/reviews",
        json={"review_type": "child_safeguarding", "partnership_id": str(NORTHBRIDGE.id), "title": title},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def executive(system: SystemEnv) -> SignedIn:
    return sign_in(system, EXECUTIVE)


@pytest.fixture(scope="module")
def partner(system: SystemEnv) -> SignedIn:
    return sign_in(system, PARTNER)


def review_file(client: httpx.Client, review_id: str) -> dict[str, Any]:
    response = client.get(f"/api/reviews/{review_id}/file")
    assert response.status_code == 200, response.text
    return response.json()


def step_of(file: dict[str, Any], code: str) -> dict[str, Any]:
    return next(step for step in file["steps"] if step["code"] == code)


def save_on_page(
    client: httpx.Client,
    review_id: str,
    step: str,
    fields: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Open the step's form as a browser would and send it with the version it showed."""
    page = client.get(f"/reviews/{review_id}/steps/{step}")
    assert page.status_code == 200, page.text
    return client.post(
        f"/reviews/{review_id}/steps/{step}",
        data={**fields, "version": hidden(page, "version")},
        headers=headers or {},
    )


def complete_on_pages(
    client: httpx.Client,
    review_id: str,
    step: str,
    fields: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Save, check and confirm a step through its pages; the check page it confirmed from."""
    saved = save_on_page(client, review_id, step, fields, headers)
    assert saved.status_code == 303, text_of(saved)[:2000]
    assert saved.headers["location"] == f"/reviews/{review_id}/steps/{step}/check"
    check = client.get(saved.headers["location"])
    assert check.status_code == 200, check.text
    assert "Check your answers" in check.text
    done = client.post(
        f"/reviews/{review_id}/steps/{step}/check",
        data={"version": hidden(check, "version"), "form_token": hidden(check, "form_token")},
        headers=headers or {},
    )
    assert done.status_code == 303, text_of(done)[:2000]
    assert done.headers["location"] == f"/reviews/{review_id}?completed={step}"
    return check


def save_json(
    client: httpx.Client, review_id: str, step: str, answers: dict[str, Any], **kw: Any
) -> httpx.Response:
    version = step_of(review_file(client, review_id), step)["version"]
    return client.post(
        f"/api/reviews/{review_id}/steps/{step}", json={"answers": answers, "version": version}, **kw
    )


def complete_json(client: httpx.Client, review_id: str, step: str, version: int, **kw: Any) -> httpx.Response:
    headers = {"Idempotency-Key": str(uuid.uuid4()), **kw.pop("headers", {})}
    return client.post(
        f"/api/reviews/{review_id}/steps/{step}/complete", json={"version": version}, headers=headers, **kw
    )


def stored_answers(db: Database, review_id: str, step: str) -> Any:
    return db.scalar(
        "SELECT answers FROM forms.review_step WHERE review_id = %s AND code = %s", (review_id, step)
    )


# -- the review page ----------------------------------------------------------------------------------------


def test_the_review_page_lists_the_steps_with_their_status(api: httpx.Client, review: dict[str, Any]) -> None:
    page = api.get(f"/reviews/{review['id']}")
    assert page.status_code == 200, page.text
    assert 'class="govuk-task-list"' in page.text
    words_on_page = text_of(page)
    assert "Referral of a possible serious incident Not yet started" in words_on_page
    assert "Criteria check" in words_on_page and "Cannot start yet" in words_on_page
    assert f'href="/reviews/{review["id"]}/steps/referral"' in page.text
    assert f'href="/reviews/{review["id"]}/steps/criteria_check"' not in page.text  # it cannot start yet
    assert "Statutory clock" in words_on_page and "Its clock has not started" in words_on_page


# -- the referral, through its pages ------------------------------------------------------------------------


def test_an_empty_referral_form_lists_every_problem(
    api: httpx.Client, review: dict[str, Any], db: Database
) -> None:
    response = api.post(f"/reviews/{review['id']}/steps/referral", data={"version": "0"})
    assert response.status_code == 422, response.text
    assert "govuk-error-summary" in response.text
    for anchor in (
        "#referring_organisation",
        "#incident_date-day",
        "#nature",
        "#summary",
        "#senior_lead_agreed",
    ):
        assert f'href="{anchor}"' in response.text, f"the error summary does not link to {anchor}"
    for message in ("Enter the date of the incident", "Select what happened to the child or adult"):
        assert message in response.text, f"an empty question should say what to enter: {message!r}"
    assert "Answer this question" not in response.text
    assert stored_answers(db, review["id"], "referral") is None


def test_the_referral_is_checked_in_words_and_completed(api: httpx.Client, review: dict[str, Any]) -> None:
    fields = {
        "referring_organisation": "Northbridge Hospital",
        "referrer_role": "Named nurse for safeguarding",
        **date_fields("incident_date", INCIDENT),
        **date_fields("date_aware", AWARE),
        "nature": "serious_harm",
        "summary": "Infant A (F, 0) admitted with unexplained injuries.\nHealth visiting knew the family.",
        "senior_lead_agreed": "yes",
    }
    check = complete_on_pages(api, review["id"], "referral", fields)
    shown = text_of(check)
    assert f"Date of the incident {words(INCIDENT)}" in shown
    assert "What happened to the child or adult the referral is about? They were seriously harmed" in shown
    assert "Has a senior safeguarding lead agreed that this should be referred? Yes" in shown
    assert f'href="/reviews/{review["id"]}/steps/referral#nature"' in check.text  # "Change" goes back to it
    page = api.get(f"/reviews/{review['id']}?completed=referral")
    assert "Referral of a possible serious incident: completed" in text_of(page)


def test_a_completed_step_shows_its_answers_locked_with_who_and_when(
    api: httpx.Client, review: dict[str, Any]
) -> None:
    page = api.get(f"/reviews/{review['id']}/steps/referral")
    assert page.status_code == 200, page.text
    shown = text_of(page)
    assert f"Completed on {words(TODAY)} by {NORTHBRIDGE.manager_name}" in shown
    assert "They were seriously harmed" in shown
    assert "<form" not in page.text.split("<main", 1)[1].split("</main>")[0]
    again = api.post(f"/reviews/{review['id']}/steps/referral", data={"version": "2", "nature": "death"})
    assert again.status_code == 409, again.text


# -- the criteria check: two people complete it at once ------------------------------------------------------


def test_two_completions_of_the_same_version_one_wins_the_other_is_told(
    api: httpx.Client, partner: SignedIn, review: dict[str, Any]
) -> None:
    answers = {
        "abuse_or_neglect": "suspected",
        "abuse_or_neglect_rationale": "Injuries without an explanation consistent with them.",
        "harm": "seriously_harmed",
        "harm_rationale": "Fractures needing hospital treatment.",
        "looked_after_child_death": False,
        "care_leaver_death": False,
    }
    saved = save_json(api, review["id"], "criteria_check", answers)
    assert saved.status_code == 200, saved.text
    version = step_of(saved.json(), "criteria_check")["version"]
    partner_headers = headers_of(partner)
    with ThreadPoolExecutor(2) as pool:
        answers_back = list(
            pool.map(
                lambda who: complete_json(who[0], review["id"], "criteria_check", version, headers=who[1]),
                [(api, {}), (partner.client, partner_headers)],
            )
        )
    assert sorted(r.status_code for r in answers_back) == [200, 409], [r.text for r in answers_back]
    loser = next(r for r in answers_back if r.status_code == 409)
    assert "completed" in loser.json()["detail"]
    assert step_of(review_file(api, review["id"]), "criteria_check")["status"] == "completed"


# -- the Serious Incident Notification ----------------------------------------------------------------------


def test_the_notification_starts_with_what_the_referral_holds(
    api: httpx.Client, review: dict[str, Any]
) -> None:
    page = api.get(f"/reviews/{review['id']}/steps/notification")
    assert page.status_code == 200, page.text[:300]
    for name, value in (
        ("incident_date-day", str(INCIDENT.day)),
        ("incident_date-year", str(INCIDENT.year)),
        ("date_aware-day", str(AWARE.day)),
    ):
        assert re.search(rf'name="{name}"[^>]*value="{value}"', page.text), (
            f"the notification form should start with the referral's {name} ({value})"
        )
    assert "Infant A (F, 0) admitted with unexplained injuries." in html.unescape(page.text), (
        "the case outline should start with the referral's summary"
    )


def test_a_notification_with_five_children_is_refused_and_nothing_is_stored(
    api: httpx.Client, review: dict[str, Any], db: Database
) -> None:
    fields = dict(NOTIFICATION)
    for number in range(1, 5):
        fields.update(
            {key.replace("children-0", f"children-{number}"): value for key, value in CHILD.items()}
        )
    response = save_on_page(api, review["id"], "notification", fields)
    assert response.status_code == 422, response.text
    assert "no more than 4 children" in text_of(response)
    assert stored_answers(db, review["id"], "notification") is None

    answers = {
        "notifying_local_authority": "Northbridge Council",
        "notifier_role": "Head of service",
        "incident_date": INCIDENT.isoformat(),
        "date_aware": AWARE.isoformat(),
        "notified_on": NOTIFIED.isoformat(),
        "nature": "serious_harm",
        "children": [
            {"sex": "male", "age_years": 3, "ethnicity": "white", "disability": "no", "placement": "none"}
        ]
        * 5,
        "known_to_agencies": False,
        "case_outline": "Five children.",
        "police_investigation": "yes",
        "threshold_met": "yes",
    }
    by_api = save_json(api, review["id"], "notification", answers)
    assert by_api.status_code == 422, by_api.text
    assert any(problem["field"] == "children" for problem in by_api.json()["problems"]), by_api.text
    assert stored_answers(db, review["id"], "notification") is None


def test_a_notification_dated_in_the_future_is_refused(
    api: httpx.Client, review: dict[str, Any], db: Database
) -> None:
    fields = {**NOTIFICATION, **date_fields("notified_on", TODAY + timedelta(days=3))}
    response = save_on_page(api, review["id"], "notification", fields)
    assert response.status_code == 422, response.text
    assert 'href="#notified_on-day"' in response.text
    assert "Date of notification must be today or in the past" in text_of(response)
    assert stored_answers(db, review["id"], "notification") is None


def test_an_oversized_outline_and_a_half_date_are_refused_together(
    api: httpx.Client, review: dict[str, Any], db: Database
) -> None:
    fields = {**NOTIFICATION, "case_outline": "x" * 5001, "incident_date-year": ""}
    response = save_on_page(api, review["id"], "notification", fields)
    assert response.status_code == 422, response.text
    shown = text_of(response)
    assert "Brief case outline: Must be 5000 characters or fewer" in shown
    assert "Date of the incident must include a year" in shown
    assert 'href="#incident_date-year"' in response.text
    typed = f'name="incident_date-day" type="text" inputmode="numeric" value="{INCIDENT.day}"'
    assert typed in response.text, "what was typed is shown again"
    assert stored_answers(db, review["id"], "notification") is None


def test_the_notification_is_completed(api: httpx.Client, review: dict[str, Any]) -> None:
    check = complete_on_pages(api, review["id"], "notification", NOTIFICATION)
    shown = text_of(check)
    assert "Child 1 Sex: Female" in shown
    assert "Legal status: Child in need plan" in shown
    assert f"Date of notification {words(NOTIFIED)}" in shown
    file = review_file(api, review["id"])
    notification = next(d for d in file["deadlines"] if d["code"] == "notification")
    assert notification["done_on"] == NOTIFIED.isoformat()


# -- the rapid review ---------------------------------------------------------------------------------------


def test_a_json_client_cannot_invite_an_agency_the_partnership_does_not_have(
    api: httpx.Client, review: dict[str, Any], db: Database
) -> None:
    answers = {
        "agencies": [{"agency_id": str(uuid.uuid4()), "name": "Invented agency"}],
        "letters_sent_on": (NOTIFIED + timedelta(days=1)).isoformat(),
    }
    response = save_json(api, review["id"], "rapid_review", answers)
    assert response.status_code == 422, response.text[:500]
    assert [p["field"] for p in response.json()["problems"]] == ["agencies.0.agency_id"]
    assert stored_answers(db, review["id"], "rapid_review") is None, "a refused invitation was stored"


def test_the_rapid_review_asks_the_police_and_health_for_returns(
    api: httpx.Client, review: dict[str, Any]
) -> None:
    page = api.get(f"/reviews/{review['id']}/steps/rapid_review")
    assert page.status_code == 200, page.text
    assert f'value="{POLICE}"' in page.text and f'value="{HEALTH}"' in page.text
    fields = {"agencies": [POLICE, HEALTH], **date_fields("letters_sent_on", NOTIFIED + timedelta(days=1))}
    check = complete_on_pages(api, review["id"], "rapid_review", fields)
    assert "Northbridge Police" in text_of(check) and "Northbridge Health ICB" in text_of(check)
    file = review_file(api, review["id"])
    assert sorted(r["agency_name"] for r in file["returns"]) == [
        "Northbridge Health ICB",
        "Northbridge Police",
    ]
    shown = text_of(api.get(f"/reviews/{review['id']}"))
    assert "Rapid review day plan" in shown
    assert "Day 1: Letters to agencies" in shown and "Day 10: Agency returns due" in shown


def test_the_meeting_is_recorded_through_the_api(api: httpx.Client, review: dict[str, Any]) -> None:
    answers = {
        "held_on": (TODAY - timedelta(days=2)).isoformat(),
        "immediate_safety_actions": "Sibling safety plan agreed.",
        "learning": "Information sharing between health visiting and the GP.",
    }
    saved = save_json(api, review["id"], "meeting", answers)
    assert saved.status_code == 200, saved.text
    step = step_of(saved.json(), "meeting")
    assert step["status"] == "in_progress"
    done = complete_json(api, review["id"], "meeting", step["version"])
    assert done.status_code == 200, done.text
    assert step_of(done.json(), "meeting")["status"] == "completed"


DECISION = {
    "outcome": "lcspr",
    "rationale": "Both criteria are met and there is learning about information sharing.",
    **date_fields("decided_on", TODAY),
}


def test_the_decision_is_refused_before_the_report_is_signed_off(
    executive: SignedIn, review: dict[str, Any], db: Database
) -> None:
    page = executive.client.get(f"/reviews/{review['id']}/steps/decision")
    assert page.status_code == 200, page.text
    reason = "The rapid review report must be signed off before the partners decide"
    assert reason in text_of(page)
    response = executive.client.post(
        f"/reviews/{review['id']}/steps/decision",
        data={**DECISION, "version": "0"},
        headers=headers_of(executive),
    )
    assert response.status_code == 422, response.text
    assert reason in text_of(response)
    by_api = executive.client.post(
        f"/api/reviews/{review['id']}/steps/decision",
        json={"answers": {"outcome": "lcspr"}, "version": 0},
        headers=headers_of(executive),
    )
    assert by_api.status_code == 422, by_api.text
    assert by_api.json()["problems"] == [{"field": "step", "message": reason}]
    assert stored_answers(db, review["id"], "decision") is None


def test_the_report_is_signed_off(api: httpx.Client, review: dict[str, Any]) -> None:
    signed = (TODAY - timedelta(days=1)).isoformat()
    answers = {
        "lived_experience": "Infant A's world: a young mother, a new partner, frequent moves.",
        "learning_under_way": "Health visiting escalation pathway reviewed.",
        "local_authority_signed_on": signed,
        "police_signed_on": signed,
        "health_signed_on": signed,
    }
    saved = save_json(api, review["id"], "report", answers)
    assert saved.status_code == 200, saved.text
    done = complete_json(api, review["id"], "report", step_of(saved.json(), "report")["version"])
    assert done.status_code == 200, done.text


def test_the_business_manager_cannot_record_the_decision(
    api: httpx.Client, review: dict[str, Any], db: Database
) -> None:
    page = api.get(f"/reviews/{review['id']}/steps/decision")
    assert page.status_code == 200 and "someone in another role completes it" in text_of(page)
    response = api.post(f"/reviews/{review['id']}/steps/decision", data={**DECISION, "version": "0"})
    assert response.status_code == 403, response.text
    by_api = api.post(f"/api/reviews/{review['id']}/steps/decision", json={"answers": {}, "version": 0})
    assert by_api.status_code == 403, by_api.text
    assert stored_answers(db, review["id"], "decision") is None


def test_the_executive_records_the_decision(executive: SignedIn, review: dict[str, Any]) -> None:
    check = complete_on_pages(executive.client, review["id"], "decision", DECISION, headers_of(executive))
    assert "Undertake a local child safeguarding practice review" in text_of(check)
    file = review_file(executive.client, review["id"])
    assert step_of(file, "decision")["status"] == "completed"
    assert step_of(file, "lcspr_setup")["status"] == "not_started"
    lcspr = next(d for d in file["deadlines"] if d["code"] == "lcspr")
    assert lcspr["status"] == "due" and lcspr["statutory"]


# -- a pause of the clock -----------------------------------------------------------------------------------


def test_only_the_business_manager_records_a_pause(executive: SignedIn, review: dict[str, Any]) -> None:
    response = executive.client.post(
        f"/reviews/{review['id']}/pauses", data={"reason": "inquest"}, headers=headers_of(executive)
    )
    assert response.status_code == 403, response.text


def test_an_empty_pause_form_is_refused(api: httpx.Client, review: dict[str, Any]) -> None:
    response = api.post(f"/reviews/{review['id']}/pauses", data={})
    assert response.status_code == 422, response.text
    assert 'href="#reason"' in response.text and 'href="#starts_on-day"' in response.text


def test_a_pause_is_shown_with_the_statutory_and_revised_dates(
    api: httpx.Client, review: dict[str, Any]
) -> None:
    before = next(d for d in review_file(api, review["id"])["deadlines"] if d["code"] == "lcspr")
    ends = TODAY + timedelta(days=27)
    response = api.post(
        f"/reviews/{review['id']}/pauses",
        data={
            "reason": "criminal_investigation",
            "detail": "Police investigation: interviews of the adults in the household.",
            **date_fields("starts_on", TODAY),
            **date_fields("ends_on", ends),
            "approved_by": "Lead safeguarding partner (police)",
            "form_token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 303, text_of(response)[:2000]
    after = next(d for d in review_file(api, review["id"])["deadlines"] if d["code"] == "lcspr")
    assert after["due_on"] == before["due_on"], "a pause never moves the statutory date"
    assert after["revised_due_on"] > before["revised_due_on"]
    page = api.get(response.headers["location"])
    assert page.status_code == 200, page.text
    shown = text_of(page)
    assert "The pause is recorded" in shown
    assert "Criminal investigation or trial" in shown
    assert f"Statutory date: {words(date.fromisoformat(after['due_on']))}" in shown
    assert f"Revised date after pauses: {words(date.fromisoformat(after['revised_due_on']))}" in shown
    review_page = text_of(api.get(f"/reviews/{review['id']}"))
    assert "Paused, not late" in review_page
    assert f"from {words(TODAY)} to {words(ends)}" in review_page


def test_an_open_ended_pause_is_ended_on_a_date(api: httpx.Client, review: dict[str, Any]) -> None:
    recorded = api.post(
        f"/reviews/{review['id']}/pauses",
        data={
            "reason": "inquest",
            "detail": "The coroner opened an inquest; the review waits for its findings.",
            **date_fields("starts_on", TODAY),
            "approved_by": "Lead safeguarding partner (local authority)",
            "form_token": str(uuid.uuid4()),
        },
    )
    assert recorded.status_code == 303, text_of(recorded)[:2000]
    (pause,) = [p for p in review_file(api, review["id"])["pauses"] if p["ends_on"] is None]
    page = api.get(f"/reviews/{review['id']}/pauses")
    assert f'action="/reviews/{review["id"]}/pauses/{pause["id"]}/end"' in page.text
    assert "Record a pause" not in text_of(page), "one open pause at a time: end it first"
    end = f"/reviews/{review['id']}/pauses/{pause['id']}/end"
    half = api.post(end, data={"ends_on-day": str(TODAY.day), "ends_on-month": str(TODAY.month)})
    assert half.status_code == 422, half.text
    assert "must include a year" in text_of(half) and f'href="#end-{pause["id"]}-ends_on-year"' in half.text
    future = api.post(end, data=date_fields("ends_on", TODAY + timedelta(days=1)))
    assert future.status_code == 422, future.text
    assert "not in the future" in text_of(future)
    assert (
        api.post(
            f"/reviews/{review['id']}/pauses/{uuid.uuid4()}/end", data=date_fields("ends_on", TODAY)
        ).status_code
        == 404
    )
    ended = api.post(end, data=date_fields("ends_on", TODAY))
    assert ended.status_code == 303, text_of(ended)[:2000]
    (after,) = [p for p in review_file(api, review["id"])["pauses"] if p["id"] == pause["id"]]
    assert after["ends_on"] == TODAY.isoformat()


# -- the list, the documents, the JSON file -----------------------------------------------------------------


def test_the_review_list_shows_the_next_deadline_and_its_state(
    api: httpx.Client, review: dict[str, Any]
) -> None:
    page = api.get("/reviews")
    assert page.status_code == 200, page.text
    (card,) = [
        c for c in page.text.split('<li class="govuk-summary-card">') if html.escape(review["title"]) in c
    ]
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", card)).split())
    assert "Next deadline" in shown and "None running" not in shown
    assert re.search(r'class="govuk-tag govuk-tag--\w+">(Overdue|Due soon|On track|Paused)<', card), shown


def test_the_notification_downloads_as_a_word_document(api: httpx.Client, review: dict[str, Any]) -> None:
    response = api.get(f"/reviews/{review['id']}/documents/panel-notification")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert re.fullmatch(
        r'attachment; filename="[A-Za-z0-9._-]+\.docx"', response.headers["content-disposition"]
    )
    assert response.content[:2] == b"PK"
    assert api.get(f"/reviews/{review['id']}/documents/no-such-kind").status_code == 404


def test_an_agency_lead_reads_the_file_but_cannot_download_documents(
    system: SystemEnv, review: dict[str, Any]
) -> None:
    lead = sign_in(system, POLICE_LEAD)
    # Not a member of this new review: it is not found; and documents are never an agency's to draw.
    for path, status in (
        ("/api/reviews/{id}/file", 404),
        ("/reviews/{id}/steps/referral", 404),
        ("/reviews/{id}/pauses", 404),
        ("/reviews/{id}/documents/panel-notification", 403),
    ):
        assert lead.client.get(path.format(id=review["id"])).status_code == status, path


def test_the_json_file_has_steps_stages_deadlines_and_pauses(
    api: httpx.Client, review: dict[str, Any]
) -> None:
    file = review_file(api, review["id"])
    assert [s["code"] for s in file["steps"]][:3] == ["referral", "criteria_check", "notification"]
    assert any(stage["state"] == "current" for stage in file["stages"])
    assert file["paused"] is True
    assert sorted(p["reason"] for p in file["pauses"]) == ["criminal_investigation", "inquest"]


# -- referring an incident ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def police_lead(system: SystemEnv) -> Iterator[SignedIn]:
    yield sign_in(system, POLICE_LEAD)


def test_an_agency_lead_refers_an_incident_and_is_not_sent_to_the_review(
    api: httpx.Client, police_lead: SignedIn
) -> None:
    page = police_lead.client.get("/referrals/new")
    assert page.status_code == 200, page.text
    assert "Refer an incident" in page.text  # in the menu
    empty = police_lead.client.post("/referrals/new", data={}, headers=headers_of(police_lead))
    assert empty.status_code == 422, empty.text
    assert 'href="#review_type"' in empty.text and 'href="#title"' in empty.text

    title = f"NB-2026-3{uuid.uuid4().hex[:2]} toddler, referral E2E-{uuid.uuid4().hex[:6].upper()}"
    response = police_lead.client.post(
        "/referrals/new",
        data={
            "review_type": "child_safeguarding",
            "title": title,
            "referring_organisation": "Northbridge Police",
            "referrer_role": "Detective inspector, child abuse investigation",
            **date_fields("incident_date", INCIDENT),
            **date_fields("date_aware", AWARE),
            "nature": "serious_harm",
            "summary": "Toddler B admitted after a head injury at home.",
            "senior_lead_agreed": "yes",
            "form_token": hidden(page, "form_token"),
        },
        headers=headers_of(police_lead),
    )
    assert response.status_code == 200, text_of(response)[:2000]
    assert "Referral sent" in response.text and html.escape(title) in response.text
    assert "Go to the review" not in response.text  # the lead is not a member of the new review
    opened = {r["title"]: r for r in api.get("/api/reviews").json()}
    assert title in opened, "the business manager does not see the referred review"
    file = review_file(api, opened[title]["id"])
    assert step_of(file, "referral")["status"] == "completed"
    assert step_of(file, "criteria_check")["status"] == "not_started"


# -- deadline settings --------------------------------------------------------------------------------------


def test_deadline_figures_are_shown_and_kept_within_statute(api: httpx.Client, partner: SignedIn) -> None:
    page = api.get("/settings/deadlines")
    assert page.status_code == 200, page.text
    shown = text_of(page)
    assert "Serious Incident Notification to the Panel (statutory)" in shown
    assert "Allowed: 1 to 5 working days" in shown
    form = page.text.split('name="review_type" value="child_safeguarding"', 1)[1].split("</form>", 1)[0]
    figures = dict(
        re.findall(r'name="(\w+)" type="text" inputmode="numeric" spellcheck="false" value="(\d+)"', form)
    )
    assert figures.get("notification") == "5", figures
    refused = api.post(
        "/settings/deadlines", data={**figures, "review_type": "child_safeguarding", "notification": "6"}
    )
    assert refused.status_code == 422, refused.text
    assert 'href="#child_safeguarding-notification"' in refused.text
    assert "enter 1 to 5 working days" in text_of(refused)
    assert api.post("/settings/deadlines", data={}).status_code == 422
    read_only = partner.client.get("/settings/deadlines")
    assert (
        read_only.status_code == 200
        and '<form method="post" action="/settings/deadlines"' not in read_only.text
    )
    assert (
        partner.client.post(
            "/settings/deadlines", data={"review_type": "child_safeguarding"}, headers=headers_of(partner)
        )
    ).status_code == 403


@pytest.mark.parametrize("kind", ["rapid-review-report", "panel-notification"])
def test_a_document_the_review_type_does_not_have_is_not_found(api: httpx.Client, kind: str) -> None:
    reviews = api.get("/api/reviews").json()
    dhr = next(r for r in reviews if r["review_type"] == "domestic_homicide")
    child = next(r for r in reviews if r["review_type"] == "child_safeguarding")
    response = api.get(f"/reviews/{dhr['id']}/documents/{kind}")
    assert response.status_code == 404, f"a DHR has no {kind}: got {response.status_code}"
    assert api.get(f"/reviews/{child['id']}/documents/{kind}").status_code == 200, (
        f"a child safeguarding review still draws its {kind}"
    )
    page = api.get(f"/reviews/{dhr['id']}").text
    assert f"/documents/{kind}" not in page, "the DHR's page must not offer a document it does not have"


def test_a_browser_asking_for_a_review_s_people_is_shown_the_page_not_json(
    api: httpx.Client, review: dict[str, Any]
) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    response = api.get(f"/reviews/{review['id']}/people", headers=browser)
    assert response.status_code == 303, response.text[:200]
    assert response.headers["location"] == f"/reviews/{review['id']}#people"
    page = api.get(response.headers["location"], headers=browser)
    assert 'id="people"' in page.text and page.headers["content-type"].startswith("text/html")
    as_json = api.get(f"/reviews/{review['id']}/people", headers={"Accept": "application/json"})
    assert isinstance(as_json.json(), list), "a JSON client still gets the members as JSON"
