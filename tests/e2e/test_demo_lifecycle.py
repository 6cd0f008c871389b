"""The demo's reviews stand where a newcomer needs them to (several stages, one overdue, one paused), as
the business manager's list and the forms service's business gauges report them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.helpers import DEMO
from tests.support.system import SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")


@pytest.fixture(scope="module")
def demo_reviews(api: httpx.Client) -> dict[str, dict[str, Any]]:
    response = api.get("/api/reviews")
    assert response.status_code == 200, response.text[:300]
    return {review["title"]: review for review in response.json()}


def test_the_demo_has_reviews_at_several_stages(demo_reviews: dict[str, dict[str, Any]]) -> None:
    stages = {review["stage"] for review in demo_reviews.values()}
    assert {"rapid_review", "lcspr", "referral", "decision"} <= stages, f"the demo's stages: {sorted(stages)}"


def test_one_demo_review_is_overdue_and_says_which_deadline(demo_reviews: dict[str, dict[str, Any]]) -> None:
    overdue = demo_reviews["NB-2026-009 child, serious injury"]
    assert overdue["rag"] == "red", overdue
    assert overdue["next_deadline"]["status"] == "overdue", overdue["next_deadline"]
    assert overdue["next_deadline"]["late_by_working_days"] > 0


def test_one_demo_review_is_paused_not_late(demo_reviews: dict[str, dict[str, Any]]) -> None:
    paused = demo_reviews["NB-2025-031 toddler, neglect"]
    assert paused["paused"] is True and paused["rag"] == "paused", paused
    deadline = paused["next_deadline"]
    assert deadline["code"] == "lcspr" and deadline["status"] == "paused", deadline
    assert deadline["revised_due_on"] > deadline["due_on"], "the revised date moves on with the pause"


def test_the_forms_service_reports_overdue_returns_and_reviews_by_rag(system: SystemEnv) -> None:
    text = httpx.get(system.metrics_url("forms"), timeout=10).text
    values = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    northbridge = str(NORTHBRIDGE.id)
    overdue = values.get(("caserev_returns_overdue", (("partnership", northbridge),)), 0)
    assert overdue >= 1, "the overdue review's Health return is past its due date"
    red = values.get(("caserev_reviews_by_rag", (("partnership", northbridge), ("rag", "red"))), 0)
    paused = values.get(("caserev_reviews_by_rag", (("partnership", northbridge), ("rag", "paused"))), 0)
    assert red >= 1 and paused >= 1, f"red {red}, paused {paused}"
    statutory_overdue = values.get(
        ("caserev_statutory_deadlines", (("partnership", northbridge), ("status", "overdue"))), 0
    )
    assert statutory_overdue >= 1, "the overdue review's rapid review report is a statutory deadline missed"


def test_the_demo_s_steps_are_recorded_on_the_days_their_stories_date_them(
    api: httpx.Client, demo_reviews: dict[str, dict[str, Any]]
) -> None:
    paused = demo_reviews["NB-2025-031 toddler, neglect"]
    file = api.get(f"/api/reviews/{paused['id']}/file").json()
    steps = {step["code"]: step for step in file["steps"]}
    notification = steps["notification"]
    assert notification["completed_on"] == notification["answers"]["notified_on"], (
        "the notification is recorded on the day it was sent, not the day the demo was loaded"
    )
    assert steps["decision"]["completed_on"] == steps["decision"]["answers"]["decided_on"]
    completed = [
        steps[code]["completed_on"] for code in ("referral", "notification", "decision", "lcspr_setup")
    ]
    assert completed == sorted(completed) and len(set(completed)) == 4, completed
    returns = {deadline["code"]: deadline for deadline in file["deadlines"]}["returns"]
    assert returns["status"] == "met", f"the story's returns came in on time: {returns}"


def test_the_demo_s_steps_name_the_person_who_recorded_them(
    api: httpx.Client, demo_reviews: dict[str, dict[str, Any]]
) -> None:
    paused = demo_reviews["NB-2025-031 toddler, neglect"]
    page = api.get(f"/reviews/{paused['id']}/steps/decision")
    assert "by Kit Demo-Executive" in page.text, "the decision is recorded by the demo's executive"
    assert "by the system" not in page.text
