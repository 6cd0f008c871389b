"""Agency returns on the real system, driven through the gateway's pages as the demo's people: an agency's
lead drafts, saves and submits its return, which is then locked; an author drafts but cannot submit; another
agency neither sees nor changes it (by page, as JSON, or by RPC); a nil return; addenda; two submissions at
once; the business manager's board and extensions, and who cannot reach them.

Each test asks agencies for returns in a rapid review of its own (made through the forms service's RPCs as
the system, the way `caserev seed-demo` plays the demo), so that the demo's returns stay as they are for the
other suites.
"""

from __future__ import annotations

import asyncio
import html
import re
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from gateway.rpc import RemoteError, RpcClient
from services.forms.contract import today_in_england
from services.kernel.calendar import add_working_days, is_working_day, working_days_between
from tests.e2e.helpers import DEMO, Database, SignedIn, sign_in
from tests.support.system import SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")
POLICE, HEALTH, CHILDREN = "Northbridge Police", "Northbridge Health ICB", "Northbridge Children's Services"
SCHOOLS = "Northbridge Schools"  # a demo agency the test's reviews do not ask at first
POLICE_LEAD, POLICE_AUTHOR = "police.lead@northbridge.example", "police.author@northbridge.example"
HEALTH_LEAD = "health.lead@northbridge.example"
MANAGER = "business.manager@northbridge.example"
EASTMOOR_MANAGER, EASTMOOR_LEAD = "business.manager@eastmoor.example", "police.lead@eastmoor.example"
SYSTEM_ACTOR = {"user_id": "system:e2e-returns", "partnership_id": str(NORTHBRIDGE.id), "roles": ["system"]}
VERSION = re.compile(r'name="version" value="(\d+)"')


def agency_id(name: str, code: str = "NBSCP") -> uuid.UUID:
    return uuid.uuid5(DEMO.namespace, f"agency:{code}:{name}")


def user_id(email: str) -> uuid.UUID:
    return uuid.uuid5(DEMO.namespace, "user:" + email)


def working_days_ago(count: int) -> date:
    day = today_in_england()
    while count > 0:
        day -= timedelta(days=1)
        count -= is_working_day(day)
    return day


# -- the forms service, called as the gateway calls it -------------------------------------------------------


def call(system: SystemEnv, method: str, actor: dict[str, Any], *args: Any) -> Any:
    """forms.`method`(actor sealed for it, *args), over the real broker."""

    async def go() -> Any:
        client = RpcClient(system.amqp_uri, timeout=20)
        try:
            return await client.call("forms", method, system.sealed(actor, f"forms.{method}"), *args)
        finally:
            await client.close()

    return asyncio.run(go())


def referral_steps(aware: date, notified: date) -> list[tuple[str, dict[str, Any]]]:
    """The steps up to asking agencies for their returns, with synthetic answers (roles and initials only)."""
    incident = aware - timedelta(days=1)
    child = {
        "sex": "female",
        "age_years": 0,
        "ethnicity": "not_known",
        "disability": "no",
        "legal_status": [],
        "placement": "with_parents",
    }
    return [
        (
            "referral",
            {
                "referring_organisation": "Northbridge Hospital Trust",
                "referrer_role": "Named nurse for safeguarding",
                "incident_date": incident.isoformat(),
                "date_aware": aware.isoformat(),
                "nature": "serious_harm",
                "summary": "Infant E admitted with unexplained injuries (end-to-end test).",
                "senior_lead_agreed": True,
            },
        ),
        (
            "criteria_check",
            {
                "abuse_or_neglect": "suspected",
                "abuse_or_neglect_rationale": "Injuries unexplained.",
                "harm": "seriously_harmed",
                "harm_rationale": "Intensive care.",
                "looked_after_child_death": False,
                "care_leaver_death": False,
            },
        ),
        (
            "notification",
            {
                "notifying_local_authority": "Northbridge Council",
                "notifier_role": "Head of safeguarding",
                "incident_date": incident.isoformat(),
                "date_aware": aware.isoformat(),
                "notified_on": notified.isoformat(),
                "nature": "serious_harm",
                "children": [child],
                "known_to_agencies": True,
                "agencies_known": "Police, health, children's social care",
                "case_outline": "Infant E, injuries unexplained (end-to-end test).",
                "police_investigation": "yes",
                "other_local_authorities": "",
                "threshold_met": "yes",
            },
        ),
        (
            "rapid_review",
            {
                "agencies": [
                    {"agency_id": str(agency_id(name)), "name": name} for name in (POLICE, HEALTH, CHILDREN)
                ],
                "letters_sent_on": notified.isoformat(),
            },
        ),
    ]


@dataclass(frozen=True)
class RapidReview:
    """A review of the test's own at the rapid review stage, with a return asked of each of three agencies."""

    id: str
    title: str
    returns: dict[str, dict[str, Any]]  # agency name -> ReturnSummary as JSON

    def return_id(self, agency: str) -> str:
        return str(self.returns[agency]["id"])


@pytest.fixture
def new_rapid_review(system: SystemEnv) -> Callable[..., RapidReview]:
    def make(notified_working_days_ago: int = 0) -> RapidReview:
        title = f"AR-{uuid.uuid4().hex[:6].upper()} returns e2e"
        review = call(
            system,
            "open_review",
            SYSTEM_ACTOR,
            {"review_type": "child_safeguarding", "partnership_id": str(NORTHBRIDGE.id), "title": title},
            f"e2e-returns:{title}",
        )
        notified = working_days_ago(notified_working_days_ago)
        aware = notified - timedelta(days=1)
        for step, answers in referral_steps(aware, notified):
            saved = call(system, "save_step", SYSTEM_ACTOR, review["id"], step, answers, None)
            version = next(s["version"] for s in saved["steps"] if s["code"] == step)
            call(
                system,
                "complete_step",
                SYSTEM_ACTOR,
                review["id"],
                step,
                version,
                f"e2e:{review['id']}:{step}",
            )
        file = call(system, "get_review_file", SYSTEM_ACTOR, review["id"])
        returns = {r["agency_name"]: r for r in file["returns"]}
        assert set(returns) == {POLICE, HEALTH, CHILDREN}, f"returns asked: {sorted(returns)}"
        return RapidReview(review["id"], title, returns)

    return make


# -- the pages -----------------------------------------------------------------------------------------------


def person(system: SystemEnv, email: str) -> SignedIn:
    return sign_in(system, email)


def get(who: SignedIn, path: str, status: int = 200) -> httpx.Response:
    response = who.client.get(path)
    assert response.status_code == status, (
        f"GET {path} as {who.email}: {response.status_code} {text(response)[:600]}"
    )
    return response


def post(who: SignedIn, path: str, data: dict[str, Any], status: int) -> httpx.Response:
    response = who.client.post(path, data={**data, "csrf_token": who.csrf()})
    assert response.status_code == status, (
        f"POST {path} as {who.email}: {response.status_code} (wanted {status}) {text(response)[:800]}"
    )
    return response


def words_of(markup: str) -> str:
    """Markup's words, without tags, for assertions about what a page says."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def text(response: httpx.Response) -> str:
    return words_of(response.text)


def version_on(page: httpx.Response) -> str:
    found = VERSION.search(page.text)
    assert found, "the page carries no version field"
    return found.group(1)


def error_links(page: httpx.Response) -> list[str]:
    """The fields the error summary links to."""
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', page.text, re.S)
    assert summary, "the page has no error summary"
    return re.findall(r'href="#([^"]+)"', summary.group(1))


COMPLETE_BUT_RECORDS = {
    "author_role": "Detective inspector, public protection",
    "involvement_from-day": "3",
    "involvement_from-month": "2",
    "involvement_from-year": "2025",
    "summary": "Two domestic incident call-outs; the second referred to children's social care.",
    "episodes-0-what_happened": "Call-out to a domestic incident; infant present.",
    "episodes-0-went_well": "Child seen and the referral made the same day.",
    "episodes-0-could_improve": "No risk assessment of the father's history was recorded.",
    "immediate_actions": "Records secured; the officers' supervisor briefed.",
    "learning": "Babies present at domestic incidents are always referred with a risk assessment.",
}


def save(who: SignedIn, return_id: str, fields: dict[str, Any], *, status: int = 303) -> httpx.Response:
    """Open the return and save it with these fields (the version the page carried)."""
    page = get(who, f"/returns/{return_id}")
    return post(
        who, f"/returns/{return_id}", {**fields, "version": version_on(page), "action": "save"}, status
    )


def submit(who: SignedIn, return_id: str, *, status: int = 303) -> httpx.Response:
    """Check the answers, then submit with the version the check page carried."""
    check = get(who, f"/returns/{return_id}/check")
    return post(who, f"/returns/{return_id}/submit", {"version": version_on(check)}, status)


def complete_and_submit(system: SystemEnv, return_id: str) -> None:
    lead = person(system, POLICE_LEAD)
    save(lead, return_id, {**COMPLETE_BUT_RECORDS, "records_secured": "yes"})
    submit(lead, return_id)


def forms_return(system: SystemEnv, return_id: str) -> dict[str, Any]:
    return call(system, "get_return", SYSTEM_ACTOR, return_id)


# -- the agency's own people ---------------------------------------------------------------------------------


def test_an_agency_system_of_json_saves_and_submits_once_per_key(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview]
) -> None:
    review = new_rapid_review()
    return_id = review.return_id(POLICE)
    lead = person(system, POLICE_LEAD)
    assert return_id in {r["id"] for r in lead.client.get("/api/returns").json()}
    # The answers as the page would store them, read back as JSON to send again through the API.
    save(lead, return_id, {**COMPLETE_BUT_RECORDS, "records_secured": "yes"})
    current = lead.client.get(f"/api/returns/{return_id}").json()
    answers = {**current["answers"], "summary": "Two call-outs; the second referred (sent as JSON)."}

    def put(body: dict[str, Any], key: str | None) -> httpx.Response:
        headers = {"X-CSRF-Token": lead.csrf(), **({"Idempotency-Key": key} if key else {})}
        return lead.client.put(f"/api/returns/{return_id}", json=body, headers=headers)

    key = f"save-{uuid.uuid4()}"
    saved = [put({"answers": answers, "version": current["version"]}, key) for _ in range(2)]
    assert [r.status_code for r in saved] == [200, 200], saved[0].text[:500]
    assert saved[0].json() == saved[1].json(), "a repeat answers as the first save"
    assert saved[0].json()["version"] == current["version"] + 1, "one save for one key"
    assert forms_return(system, return_id)["version"] == current["version"] + 1
    stale = put({"answers": answers, "version": current["version"]}, None)
    assert stale.status_code == 409, "a save over a version that moved on is refused"
    unknown = put({"answers": answers, "version": "latest", "extra": 1}, None)
    assert unknown.status_code == 422
    assert {p["field"] for p in unknown.json()["problems"]} == {"version", "extra"}

    def submit_json(key: str) -> httpx.Response:
        headers = {"X-CSRF-Token": lead.csrf(), "Idempotency-Key": key}
        body = {"version": saved[0].json()["version"]}
        return lead.client.post(f"/api/returns/{return_id}/submit", json=body, headers=headers)

    key = f"submit-{uuid.uuid4()}"
    submitted = [submit_json(key) for _ in range(2)]
    assert [r.status_code for r in submitted] == [200, 200], submitted[0].text[:500]
    assert submitted[1].json()["status"] == "submitted"
    assert submit_json(f"submit-{uuid.uuid4()}").status_code == 409, "a new submission of a locked return"
    assert forms_return(system, return_id)["status"] == "submitted"


def test_the_lead_drafts_saves_and_submits_the_return_which_is_then_locked(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview], db: Database
) -> None:
    review = new_rapid_review()
    return_id = review.return_id(POLICE)
    lead = person(system, POLICE_LEAD)

    listed = text(get(lead, "/returns"))
    assert review.title in listed and "Not started" in listed, "the agency's list shows the new return"
    left = review.returns[POLICE]["working_days_left"]
    assert f"{left} working days left" in text(get(lead, f"/returns/{return_id}"))

    # A partial draft is saved as it stands.
    saved = save(
        lead, return_id, {"author_role": "Detective sergeant", "episodes-0-what_happened": "A call-out."}
    )
    assert saved.headers["location"] == f"/returns/{return_id}?saved=1"
    page = get(lead, saved.headers["location"])
    assert "Draft saved" in text(page) and 'value="Detective sergeant"' in page.text
    assert forms_return(system, return_id)["status"] == "draft"

    # Every answer given is checked: the error summary links to each field; nothing is stored.
    wrong = save(
        lead,
        return_id,
        {
            "author_role": "Detective sergeant",
            "involvement_from-day": "31",
            "involvement_from-month": "2",
            "involvement_from-year": "2025",
            "episodes-0-went_well": "Seen the same day",
        },
        status=422,
    )
    assert error_links(wrong) == ["involvement_from-day"], (
        "a date that does not exist is refused at the gateway"
    )
    future = (today_in_england() + timedelta(days=30)).isoformat().split("-")
    wrong = save(
        lead,
        return_id,
        {
            "involvement_from-day": future[2],
            "involvement_from-month": future[1],
            "involvement_from-year": future[0],
            "episodes-0-went_well": "Seen the same day",
        },
        status=422,
    )
    assert set(error_links(wrong)) == {"involvement_from-day", "episodes-0-what_happened"}, error_links(wrong)
    assert forms_return(system, return_id)["answers"]["author_role"] == "Detective sergeant", "nothing stored"

    # Complete but for the records: the check page lists what is missing and offers no submit button.
    save(lead, return_id, COMPLETE_BUT_RECORDS)
    check = get(lead, f"/returns/{return_id}/check")
    assert "Confirm the agency's records are secured" in text(check)
    assert f'href="/returns/{return_id}#records_secured"' in check.text
    assert "Submit return" not in check.text
    # Submitting anyway (the version as the return's page carries it) is refused with the same list.
    current = version_on(get(lead, f"/returns/{return_id}"))
    refused = post(lead, f"/returns/{return_id}/submit", {"version": current}, 422)
    assert "Confirm the agency's records are secured" in text(refused)
    assert forms_return(system, return_id)["status"] == "draft"

    save(lead, return_id, {**COMPLETE_BUT_RECORDS, "records_secured": "yes"})
    check = get(lead, f"/returns/{return_id}/check")
    assert "Submit return" in check.text and "What is still missing" not in text(check)
    submitted = post(lead, f"/returns/{return_id}/submit", {"version": version_on(check)}, 303)
    assert submitted.headers["location"] == f"/returns/{return_id}?submitted=1"
    confirmation = text(get(lead, submitted.headers["location"]))
    assert "Return submitted" in confirmation and "Two domestic incident call-outs" in confirmation

    # Locked: a save with the current version is refused, and nothing changes.
    stored = forms_return(system, return_id)
    assert stored["status"] == "submitted" and stored["submitted_by"] == str(user_id(POLICE_LEAD))
    locked = post(
        lead,
        f"/returns/{return_id}",
        {"author_role": "Changed", "version": str(stored["version"]), "action": "save"},
        409,
    )
    assert "already been submitted" in text(locked)
    assert forms_return(system, return_id)["answers"] == stored["answers"]

    # Every look and change is in the audit log, by whom and with what outcome.
    audited = db.rows(
        "SELECT action, outcome FROM audit.audit_entry WHERE record_type = 'agency_return' AND record_id = %s"
        " AND user_id = %s",
        (return_id, str(user_id(POLICE_LEAD))),
    )
    assert {("read", "allowed"), ("update", "allowed"), ("submit", "failed"), ("submit", "allowed")} <= set(
        audited
    ), sorted(set(audited))


def test_an_author_drafts_the_return_but_cannot_submit_it(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview]
) -> None:
    review = new_rapid_review()
    return_id = review.return_id(POLICE)
    author = person(system, POLICE_AUTHOR)
    save(author, return_id, {**COMPLETE_BUT_RECORDS, "records_secured": "yes"})
    check = get(author, f"/returns/{return_id}/check")
    assert "Submit return" not in check.text and "safeguarding lead submits it" in text(check)
    current = version_on(get(author, f"/returns/{return_id}"))
    post(author, f"/returns/{return_id}/submit", {"version": current}, 403)
    get(author, f"/returns/{return_id}/nil", 403)
    post(author, f"/returns/{return_id}/nil", {"confirm": "yes", "version": current}, 403)
    assert forms_return(system, return_id)["status"] == "draft"
    assert "Make a nil return" not in get(author, f"/returns/{return_id}").text
    # The lead submits what the author drafted.
    submit(person(system, POLICE_LEAD), return_id)


def test_a_save_from_a_page_opened_before_another_save_is_refused_and_nothing_is_merged(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview]
) -> None:
    review = new_rapid_review()
    return_id = review.return_id(POLICE)
    lead, author = person(system, POLICE_LEAD), person(system, POLICE_AUTHOR)
    opened_by_lead = version_on(get(lead, f"/returns/{return_id}"))
    save(author, return_id, {"author_role": "Detective constable", "summary": "The author's summary."})
    stale = post(
        lead,
        f"/returns/{return_id}",
        {"author_role": "Detective sergeant", "learning": "The lead's learning.", "version": opened_by_lead},
        409,
    )
    words = text(stale)
    assert "Someone else changed this return" in words and "nothing was merged" in words, words[:800]
    assert f'href="/returns/{return_id}"' in stale.text, "a link to reload the return"
    stored = forms_return(system, return_id)["answers"]
    assert (stored["author_role"], stored["summary"], stored["learning"]) == (
        "Detective constable",
        "The author's summary.",
        "",
    )


def test_another_agency_neither_sees_nor_changes_the_return(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview]
) -> None:
    review = new_rapid_review()
    police_return = review.return_id(POLICE)
    save(person(system, POLICE_LEAD), police_return, {"author_role": "Detective sergeant"})
    health = person(system, HEALTH_LEAD)

    assert police_return not in get(health, "/returns").text
    assert review.return_id(HEALTH) in get(health, "/returns").text
    get(health, f"/returns/{police_return}", 404)
    get(health, f"/returns/{police_return}/check", 404)
    as_json = health.client.get(f"/returns/{police_return}", headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and "problems" not in as_json.json(), as_json.text
    for path, data in (
        ("", {"author_role": "Health's words", "version": "1", "action": "save"}),
        ("/submit", {"version": "1"}),
        ("/nil", {"confirm": "yes", "version": "1"}),
        ("/addenda", {"text": "Health's addendum"}),
    ):
        post(health, f"/returns/{police_return}{path}", data, 404)
    assert forms_return(system, police_return)["answers"]["author_role"] == "Detective sergeant"

    # The service itself refuses the Health lead, whatever the gateway does.
    health_actor = {
        "user_id": str(user_id(HEALTH_LEAD)),
        "partnership_id": str(NORTHBRIDGE.id),
        "agency_id": str(agency_id(HEALTH)),
        "roles": ["agency_lead"],
    }
    for method, args in (
        ("get_return", (police_return,)),
        ("save_return", (police_return, {"author_role": "Health's words"}, 1)),
        ("submit_return", (police_return, 1)),
    ):
        with pytest.raises(RemoteError) as refused:
            call(system, method, health_actor, *args)
        assert refused.value.exc_type == "NotFound", f"forms.{method}: {refused.value.exc_type}"


def test_the_lead_makes_a_nil_return_after_confirming(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview]
) -> None:
    review = new_rapid_review()
    return_id = review.return_id(HEALTH)
    lead = person(system, HEALTH_LEAD)
    page = get(lead, f"/returns/{return_id}")
    assert f'href="/returns/{return_id}/nil"' in page.text, "the form offers a nil return"
    confirm = get(lead, f"/returns/{return_id}/nil")
    assert "Confirm your agency had no involvement with this child or family" in text(confirm)
    unanswered = post(lead, f"/returns/{return_id}/nil", {"version": version_on(confirm)}, 422)
    assert error_links(unanswered) == ["confirm"] and "Select yes to confirm" in text(unanswered)
    back = post(lead, f"/returns/{return_id}/nil", {"confirm": "no", "version": version_on(confirm)}, 303)
    assert back.headers["location"] == f"/returns/{return_id}"
    assert forms_return(system, return_id)["status"] == "requested"

    made = post(lead, f"/returns/{return_id}/nil", {"confirm": "yes", "version": version_on(confirm)}, 303)
    assert made.headers["location"] == f"/returns/{return_id}?nil=1"
    shown = text(get(lead, made.headers["location"]))
    assert "Nil return made" in shown and "no involvement" in shown
    assert forms_return(system, return_id)["status"] == "nil"
    get(lead, f"/returns/{return_id}/nil", 303)  # nothing left to confirm: back to the return


def test_an_addendum_has_its_own_author_and_time_and_leaves_the_answers_unchanged(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview], db: Database
) -> None:
    review = new_rapid_review()
    return_id = review.return_id(POLICE)
    author = person(system, POLICE_AUTHOR)
    # Before submission there is nothing to add to: change the draft instead.
    post(author, f"/returns/{return_id}/addenda", {"text": "Too early"}, 422)
    complete_and_submit(system, return_id)
    before = forms_return(system, return_id)

    empty = post(author, f"/returns/{return_id}/addenda", {"text": "  "}, 422)
    assert error_links(empty) == ["text"]
    added = post(
        author,
        f"/returns/{return_id}/addenda",
        {
            "text": "A third call-out, on 4 March 2025, was found in the archive.",
            "form_token": str(uuid.uuid4()),
        },
        303,
    )
    page = text(get(author, added.headers["location"]))
    author_name = db.scalar(
        "SELECT display_name FROM identity.user_account WHERE email = %s", (POLICE_AUTHOR,)
    )
    assert "Addendum added" in page and "A third call-out" in page and f"{author_name}," in page

    after = forms_return(system, return_id)
    assert after["answers"] == before["answers"] and after["submitted_at"] == before["submitted_at"]
    assert [(a["author"], a["text"][:15]) for a in after["addenda"]] == [
        (str(user_id(POLICE_AUTHOR)), "A third call-ou")
    ]
    assert after["addenda"][0]["added_at"] > before["submitted_at"]
    # The business manager reads it all, and cannot add to it.
    manager = person(system, MANAGER)
    shown = text(get(manager, f"/returns/{return_id}"))
    assert "A third call-out" in shown and "Two domestic incident call-outs" in shown
    assert "Add addendum" not in get(manager, f"/returns/{return_id}").text
    post(manager, f"/returns/{return_id}/addenda", {"text": "Manager's words"}, 403)


def test_two_submissions_at_once_one_wins_and_the_other_is_told(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview], db: Database
) -> None:
    review = new_rapid_review()
    return_id = review.return_id(POLICE)
    lead = person(system, POLICE_LEAD)
    save(lead, return_id, {**COMPLETE_BUT_RECORDS, "records_secured": "yes"})
    check = get(lead, f"/returns/{return_id}/check")
    form = {"version": version_on(check), "csrf_token": lead.csrf()}
    start = threading.Barrier(2)

    def send(_: int) -> httpx.Response:
        # Two browsers of the same session: the same cookies, separate connections.
        with httpx.Client(base_url=system.gateway_url, cookies=lead.client.cookies, timeout=20) as client:
            start.wait()
            return client.post(f"/returns/{return_id}/submit", data=form)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(send, range(2)))
    assert sorted(a.status_code for a in answers) == [303, 409], [a.status_code for a in answers]
    told = next(a for a in answers if a.status_code == 409)
    assert "already been submitted" in text(told) and "nothing of it was merged" in text(told)
    events = db.scalar(
        "SELECT count(*) FROM forms.outbox WHERE event_type = 'forms.return_submitted' "
        "AND envelope->'data'->>'return_id' = %s",
        (return_id,),
    )
    assert events == 1, f"{events} return_submitted events for one return"


# -- the business manager's board ----------------------------------------------------------------------------


def test_the_board_shows_every_agency_and_the_manager_extends_one(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview]
) -> None:
    review = new_rapid_review(notified_working_days_ago=15)  # returns were due 5 working days ago
    complete_and_submit(system, review.return_id(POLICE))
    health = person(system, HEALTH_LEAD)
    confirm = get(health, f"/returns/{review.return_id(HEALTH)}/nil")
    post(
        health,
        f"/returns/{review.return_id(HEALTH)}/nil",
        {"confirm": "yes", "version": version_on(confirm)},
        303,
    )

    manager = person(system, MANAGER)
    board = get(manager, f"/reviews/{review.id}/returns")
    words = text(board)
    assert "2 of 3 in" in words and "1 overdue" in words, words[:600]
    cards = {
        html.unescape(name): words_of(card)
        for name, card in re.findall(r'summary-card__title">([^<]+)</h2>(.*?)</dl>', board.text, re.S)
    }
    assert set(cards) == {POLICE, HEALTH, CHILDREN}, sorted(cards)
    due = date.fromisoformat(review.returns[CHILDREN]["due_on"])
    behind = working_days_between(due, today_in_england())  # 5 on a working day
    assert "Submitted" in cards[POLICE] and f"Late by {behind} working days" in cards[POLICE], cards[POLICE]
    assert "Nil return" in cards[HEALTH] and f"Late by {behind} working days" in cards[HEALTH], cards[HEALTH]
    assert "Not started" in cards[CHILDREN] and f"Overdue by {behind} working days" in cards[CHILDREN]
    children = review.return_id(CHILDREN)
    assert f'href="/returns/{children}/extend"' in board.text
    assert f'href="/returns/{review.return_id(POLICE)}/extend"' not in board.text, "no extending a return in"

    get(manager, f"/returns/{children}/extend")

    def date_fields(day: date) -> dict[str, str]:
        return {
            "extended_to-day": str(day.day),
            "extended_to-month": str(day.month),
            "extended_to-year": str(day.year),
        }

    no_reason = post(
        manager, f"/returns/{children}/extend", date_fields(add_working_days(today_in_england(), 5)), 422
    )
    assert error_links(no_reason) == ["reason"]
    not_later = post(
        manager, f"/returns/{children}/extend", {**date_fields(due), "reason": "Staff absence"}, 422
    )
    assert error_links(not_later) == ["extended_to-day"] and "must be after" in text(not_later)
    new_due = add_working_days(today_in_england(), 5)
    extended = post(
        manager,
        f"/returns/{children}/extend",
        {**date_fields(new_due), "reason": "Records held off site"},
        303,
    )
    board = text(get(manager, extended.headers["location"]))
    assert f"now has until {new_due:%-d %B %Y}" in board
    assert f"Extended to {new_due:%-d %B %Y}" in board and "Records held off site" in board
    assert "5 working days left" in board and "1 overdue" not in board
    stored = forms_return(system, children)
    assert stored["extended_to"] == new_due.isoformat() and stored["due_on"] == due.isoformat()


def test_the_manager_asks_one_more_agency_which_gets_at_least_five_working_days(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview]
) -> None:
    review = new_rapid_review(notified_working_days_ago=8)  # the others' returns are due in 2 working days
    manager = person(system, MANAGER)
    board = get(manager, f"/reviews/{review.id}/returns")
    assert "Ask another agency" in text(board) and SCHOOLS in text(board), "the form offers the agency"
    nothing = post(manager, f"/reviews/{review.id}/returns", {"agency_id": ""}, 422)
    assert error_links(nothing) == ["agency_id"] and "Choose the agency to ask" in text(nothing)
    asked = post(manager, f"/reviews/{review.id}/returns", {"agency_id": str(agency_id(SCHOOLS))}, 303)
    board = get(manager, asked.headers["location"])
    due = add_working_days(today_in_england(), 5)
    assert f"{SCHOOLS} has been asked for a return, due {due:%-d %B %Y}" in text(board)
    assert "0 of 4 in" in text(board)
    again = post(manager, f"/reviews/{review.id}/returns", {"agency_id": str(agency_id(SCHOOLS))}, 422)
    assert "Choose the agency to ask" in text(again), "an agency already asked is not offered again"
    health = person(system, HEALTH_LEAD)
    post(health, f"/reviews/{review.id}/returns", {"agency_id": str(agency_id(SCHOOLS))}, 403)


def test_agency_people_and_other_partnerships_cannot_reach_the_board_or_extend(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview]
) -> None:
    review = new_rapid_review()
    police_return = review.return_id(POLICE)
    lead = person(system, POLICE_LEAD)
    get(lead, f"/reviews/{review.id}/returns", 403)
    get(lead, f"/returns/{police_return}/extend", 403)
    post(lead, f"/returns/{police_return}/extend", {"reason": "More time please"}, 403)
    get(person(system, EASTMOOR_LEAD), f"/reviews/{review.id}/returns", 403)
    eastmoor_manager = person(system, EASTMOOR_MANAGER)
    get(eastmoor_manager, f"/reviews/{review.id}/returns", 404)
    get(eastmoor_manager, f"/returns/{police_return}", 404)
    get(eastmoor_manager, f"/returns/{police_return}/extend", 404)
    post(eastmoor_manager, f"/returns/{police_return}/extend", {"reason": "x"}, 404)
    # A sub-group member of another review only.
    get(person(system, "subgroup@northbridge.example"), f"/reviews/{review.id}/returns", 404)
    assert forms_return(system, police_return)["extended_to"] is None


# -- the business manager's returns across the partnership's reviews ----------------------------------------

OVERDUE_DEMO_REVIEW = "NB-2026-009 child, serious injury"
LINE = re.compile(r'<li id="return-([0-9a-f-]{36})">(.*?)</dl>', re.S)


def partnership_lines(who: SignedIn) -> list[tuple[str, str]]:
    """(return id, its card's words) of every return on the business manager's /returns, in page order."""
    page = get(who, "/returns")
    return [(return_id, words_of(card)) for return_id, card in LINE.findall(page.text)]


def test_the_business_manager_sees_every_return_of_the_partnership_overdue_first(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview]
) -> None:
    review = new_rapid_review(notified_working_days_ago=15)  # returns were due 5 working days ago
    complete_and_submit(system, review.return_id(POLICE))
    manager = person(system, MANAGER)
    menu = get(manager, "/reviews").text
    assert 'href="/returns"' in menu, "the business manager's menu offers Returns"

    lines = partnership_lines(manager)
    by_id = dict(lines)
    order = [return_id for return_id, _ in lines]
    # Every return of the partnership's open reviews, from the forms service (which already answers it).
    wanted = call(
        system,
        "partnership_returns",
        {
            "user_id": str(user_id(MANAGER)),
            "partnership_id": str(NORTHBRIDGE.id),
            "roles": ["business_manager"],
        },
    )
    assert order == [r["id"] for r in wanted], "the page keeps the forms service's order"
    assert {review.return_id(a) for a in (POLICE, HEALTH, CHILDREN)} <= set(by_id)

    # Overdue first (each overdue one says by how many working days), then by due date.
    overdue = [("Overdue by" in words) for _, words in lines]
    assert overdue == sorted(overdue, reverse=True), "an overdue return after one that is not"
    first_not_overdue = overdue.index(False) if False in overdue else len(overdue)
    dues = [date.fromisoformat(r["extended_to"] or r["due_on"]) for r in wanted]
    assert dues[:first_not_overdue] == sorted(dues[:first_not_overdue])
    assert dues[first_not_overdue:] == sorted(dues[first_not_overdue:])

    # The demo's overdue review, NB-2026-009: Health's return, not started, is first of all (it has been
    # overdue the longest); the Police's, submitted, is further down, not overdue.
    assert OVERDUE_DEMO_REVIEW in lines[0][1] and HEALTH in lines[0][1], lines[0][1]
    health_009 = next(
        r for r in wanted if r["review_title"] == OVERDUE_DEMO_REVIEW and r["agency_name"] == HEALTH
    )
    behind = health_009["overdue_by_working_days"]
    assert behind > 5 and f"Overdue by {behind} working days" in lines[0][1] and "Not started" in lines[0][1]
    police_009 = next(
        r for r in wanted if r["review_title"] == OVERDUE_DEMO_REVIEW and r["agency_name"] == POLICE
    )
    assert "Submitted" in by_id[police_009["id"]] and "Overdue by" not in by_id[police_009["id"]]

    # The test's own review: the Children's Services return overdue by 5 working days, before those in.
    due = date.fromisoformat(review.returns[CHILDREN]["due_on"])
    children = by_id[review.return_id(CHILDREN)]
    assert f"Overdue by {working_days_between(due, today_in_england())} working days" in children
    assert "Not started" in children and review.title in children and f"{due:%-d %B %Y}" in children
    assert "Submitted" in by_id[review.return_id(POLICE)]
    assert order.index(review.return_id(CHILDREN)) < order.index(review.return_id(POLICE))
    # Each return links to its review's board, which the manager reaches.
    page = get(manager, "/returns").text
    assert f'href="/reviews/{review.id}/returns"' in page
    get(manager, f"/reviews/{review.id}/returns")

    # An extended return shows the date it now has, and is no longer overdue.
    new_due = add_working_days(today_in_england(), 3)
    post(
        manager,
        f"/returns/{review.return_id(CHILDREN)}/extend",
        {
            "extended_to-day": str(new_due.day),
            "extended_to-month": str(new_due.month),
            "extended_to-year": str(new_due.year),
            "reason": "Records held off site",
        },
        303,
    )
    children = dict(partnership_lines(manager))[review.return_id(CHILDREN)]
    assert f"Extended to {new_due:%-d %B %Y}" in children and "Overdue by" not in children

    # Eastmoor's manager sees Eastmoor's returns only, none of Northbridge's.
    eastmoor = partnership_lines(person(system, EASTMOOR_MANAGER))
    assert eastmoor and all("EM-2026-007" in words for _, words in eastmoor), eastmoor
    assert not set(by_id) & {return_id for return_id, _ in eastmoor}


def test_the_agency_keeps_its_own_list_and_only_deciders_may_ask_for_the_partnership_s_returns(
    system: SystemEnv, new_rapid_review: Callable[..., RapidReview]
) -> None:
    review = new_rapid_review()
    lead = person(system, POLICE_LEAD)
    page = get(lead, "/returns")
    assert "Returns from your agency" in text(page) and review.return_id(POLICE) in page.text
    assert review.return_id(HEALTH) not in page.text and 'id="partnership-returns"' not in page.text
    for email in ("partner@northbridge.example", "reviewer@northbridge.example", "admin@northbridge.example"):
        get(person(system, email), "/returns", 403)

    # The forms service itself answers only the partnership's deciders.
    def as_role(role: str, **more: str) -> dict[str, Any]:
        return {"user_id": str(uuid.uuid4()), "partnership_id": str(NORTHBRIDGE.id), "roles": [role], **more}

    executive = call(system, "partnership_returns", as_role("executive"))
    assert review.return_id(HEALTH) in {r["id"] for r in executive}
    for refused in (
        as_role("agency_lead", agency_id=str(agency_id(POLICE))),
        as_role("subgroup_member"),
        as_role("partnership_admin"),
        {"user_id": str(uuid.uuid4()), "roles": ["national_analyst"]},
    ):
        with pytest.raises(RemoteError) as answer:
            call(system, "partnership_returns", refused)
        assert answer.value.exc_type == "Forbidden", f"{refused['roles']}: {answer.value.exc_type}"
