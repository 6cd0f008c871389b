"""The JSON API's commands of the meetings and actions services on the real system: a command sent again
with its Idempotency-Key (a client retrying after a lost answer) answers as the first time and changes
nothing more; the same key with another request is refused; bad bodies are refused whole, naming each
problem; a body cannot point the command at another review than its address.

Agency returns' save and submit by JSON are in test_agency_returns.py, beside their pages.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import DEMO, SignedIn, sign_in
from tests.support.system import SystemEnv

MANAGER = "business.manager@northbridge.example"
POLICE_LEAD = "police.lead@northbridge.example"
OWNER = "action.owner@northbridge.example"
INFANT = "NB-2026-014 infant, serious harm"
TODDLER = "NB-2025-031 toddler, neglect"


@pytest.fixture(scope="module")
def manager(system: SystemEnv) -> SignedIn:
    return sign_in(system, MANAGER)


def user_id(email: str) -> uuid.UUID:
    """A demo person's account id (caserev/demo.py makes them from the e-mail)."""
    return uuid.uuid5(DEMO.namespace, "user:" + email)


def review_id(person: SignedIn, title: str) -> str:
    reviews = person.client.get("/api/reviews").json()
    return next(str(r["id"]) for r in reviews if r["title"] == title)


def send(person: SignedIn, path: str, body: Any, key: str | None = None) -> httpx.Response:
    headers = {"X-CSRF-Token": person.csrf()}
    if key is not None:
        headers["Idempotency-Key"] = key
    return person.client.post(path, json=body, headers=headers)


def lessons_of(person: SignedIn, review: str) -> list[dict[str, Any]]:
    plan = person.client.get(f"/api/reviews/{review}/plan")
    assert plan.status_code == 200, plan.text[:300]
    return plan.json()["lessons"]


def test_a_lesson_sent_again_with_its_key_is_recorded_once(manager: SignedIn) -> None:
    review = review_id(manager, INFANT)
    before = len(lessons_of(manager, review))
    body = {"finding": f"Synthetic finding {uuid.uuid4().hex[:6]}", "themes": ["information_sharing"]}
    key = f"lesson-{uuid.uuid4()}"
    first = send(manager, f"/api/reviews/{review}/lessons", body, key)
    assert first.status_code == 201, first.text[:500]
    again = send(manager, f"/api/reviews/{review}/lessons", body, key)
    assert again.status_code == 201, again.text[:500]
    assert again.json() == first.json(), "a repeat must answer with the lesson first recorded"
    lessons = lessons_of(manager, review)
    assert len(lessons) == before + 1, f"one lesson for one key, found {len(lessons) - before}"
    assert [lesson["finding"] for lesson in lessons].count(body["finding"]) == 1

    other = send(manager, f"/api/reviews/{review}/lessons", {**body, "finding": "Another finding"}, key)
    assert other.status_code == 409, other.text[:500]
    assert "different request" in other.json()["detail"]
    assert len(lessons_of(manager, review)) == before + 1


def test_without_a_key_each_request_is_its_own_command(manager: SignedIn) -> None:
    review = review_id(manager, INFANT)
    before = len(lessons_of(manager, review))
    body = {"finding": f"Synthetic finding {uuid.uuid4().hex[:6]}", "themes": ["neglect"]}
    for _ in range(2):
        assert send(manager, f"/api/reviews/{review}/lessons", body).status_code == 201
    assert len(lessons_of(manager, review)) == before + 2


def test_a_recommendation_and_its_action_sent_again_are_made_once(manager: SignedIn) -> None:
    review = review_id(manager, INFANT)
    lesson = send(
        manager,
        f"/api/reviews/{review}/lessons",
        {"finding": "Synthetic finding for a recommendation", "themes": ["risk_assessment"]},
        f"lesson-{uuid.uuid4()}",
    ).json()
    body = {"text": f"Synthetic recommendation {uuid.uuid4().hex[:6]}", "lesson_ids": [lesson["id"]]}
    key = f"recommendation-{uuid.uuid4()}"
    made = [send(manager, f"/api/reviews/{review}/recommendations", body, key) for _ in range(2)]
    assert [r.status_code for r in made] == [201, 201], made[0].text[:500]
    assert made[0].json()["id"] == made[1].json()["id"]
    plan = manager.client.get(f"/api/reviews/{review}/plan").json()
    assert [r["text"] for r in plan["recommendations"]].count(body["text"]) == 1

    action = {
        "recommendation_id": made[0].json()["id"],
        "description": f"Synthetic action {uuid.uuid4().hex[:6]}",
        "owner_id": str(user_id(OWNER)),
        "due_on": (datetime.now().date() + timedelta(days=90)).isoformat(),
        "success_measure": "An audit shows the change in practice.",
    }
    key = f"action-{uuid.uuid4()}"
    assigned = [send(manager, f"/api/reviews/{review}/actions", action, key) for _ in range(2)]
    assert [r.status_code for r in assigned] == [201, 201], assigned[0].text[:500]
    assert assigned[0].json()["id"] == assigned[1].json()["id"]
    plan = manager.client.get(f"/api/reviews/{review}/plan").json()
    assert [a["description"] for a in plan["actions"]].count(action["description"]) == 1


def test_a_bad_body_is_refused_whole_naming_each_problem(manager: SignedIn) -> None:
    review = review_id(manager, INFANT)
    before = len(lessons_of(manager, review))
    refused = send(
        manager, f"/api/reviews/{review}/lessons", {"finding": 5, "source": "hearsay", "themes": "neglect"}
    )
    assert refused.status_code == 422, refused.text[:500]
    fields = {problem["field"] for problem in refused.json()["problems"]}
    assert {"finding", "source", "themes"} <= fields, refused.json()
    not_json = manager.client.post(
        f"/api/reviews/{review}/lessons",
        content=b"{not json",
        headers={"X-CSRF-Token": manager.csrf(), "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422 and "not valid JSON" in not_json.text
    elsewhere = send(
        manager,
        f"/api/reviews/{review}/lessons",
        {"review_id": review_id(manager, TODDLER), "finding": "Aimed elsewhere", "themes": ["neglect"]},
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["problems"][0]["message"].startswith("review_id must be the review")
    assert len(lessons_of(manager, review)) == before, "a refused request must store nothing"


def test_a_meeting_scheduled_again_with_its_key_invites_once(manager: SignedIn) -> None:
    review = review_id(manager, INFANT)
    count_before = len(manager.client.get(f"/api/reviews/{review}/meetings").json())
    starts = (datetime.now() + timedelta(days=21)).replace(hour=10, minute=0, second=0, microsecond=0)
    body = {
        "kind": "panel",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "place": "Room 2, Northbridge Civic Centre",
        "chair_id": str(user_id(MANAGER)),
        "agenda": [{"title": "Terms of reference"}],
        # The name a client writes is not what the invitation says: the register names each person.
        "invitees": [
            {"user_id": str(user_id(MANAGER)), "name": "whatever the client wrote"},
            {"user_id": str(user_id(POLICE_LEAD)), "name": "whatever the client wrote"},
        ],
    }
    key = f"meeting-{uuid.uuid4()}"
    scheduled = [send(manager, f"/api/reviews/{review}/meetings", body, key) for _ in range(2)]
    assert [r.status_code for r in scheduled] == [201, 201], scheduled[0].text[:500]
    first, again = (r.json() for r in scheduled)
    assert first["id"] == again["id"], "a repeat must answer with the meeting first scheduled"
    assert "whatever the client wrote" not in {i["name"] for i in first["invitees"]}
    meetings = manager.client.get(f"/api/reviews/{review}/meetings").json()
    assert len(meetings) == count_before + 1, "one meeting (and one set of invitations) for one key"

    stranger = {**body, "invitees": [{"user_id": str(uuid.uuid4()), "name": "Nobody"}]}
    refused = send(manager, f"/api/reviews/{review}/meetings", stranger)
    assert refused.status_code == 422
    assert refused.json()["problems"] == [
        {"field": "invitees.0.user_id", "message": "No person of the partnership has this id"}
    ]
