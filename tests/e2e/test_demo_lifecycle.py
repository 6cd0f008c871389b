"""The demo's reviews stand where a newcomer needs them to (several stages, one overdue, one paused), as
the business manager's list and the forms service's business gauges report them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.helpers import DEMO, Database, wait_for, wait_until_settled
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


def test_the_dashboard_counts_each_review_at_the_stage_its_page_shows(
    api: httpx.Client, db: Database, demo_reviews: dict[str, dict[str, Any]]
) -> None:
    wait_until_settled(db)
    own = [r for r in api.get("/api/reviews").json() if r["partnership_id"] == str(NORTHBRIDGE.id)]
    by_stage: dict[tuple[str, str], int] = {}
    for review in own:
        key = (review["review_type"], review["stage"])
        by_stage[key] = by_stage.get(key, 0) + 1
    response = api.get("/api/review-counts", params={"partnership_id": str(NORTHBRIDGE.id)})
    assert response.status_code == 200, response.text
    counted = {(row["review_type"], row["stage"]): row["count"] for row in response.json()}
    assert counted == by_stage
    # The demo's story: child reviews past their referral, the domestic homicide review at its decision.
    assert (
        sum(n for (kind, stage), n in counted.items() if kind == "child_safeguarding" and stage != "referral")
        >= 3
    )
    assert counted.get(("domestic_homicide", "decision"), 0) >= 1, counted

    page = api.get("/dashboard", headers={"Accept": "text/html"})
    assert page.status_code == 200
    for label in ("Rapid review", "Local child safeguarding practice review", "Decision"):
        assert label in page.text, label


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


def test_forms_reports_reviews_by_rag_and_analytics_overdue_returns_and_deadlines(system: SystemEnv) -> None:
    northbridge = str(NORTHBRIDGE.id)

    def scrape(service: str = "forms") -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        text = httpx.get(system.metrics_url(service), timeout=10).text
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    # The gauges reuse one planning of the reviews for SCRAPE_REUSE_SECONDS: a scrape made while the
    # demo was being seeded (`caserev run` waits on the metrics port) can stand for a few seconds more.
    def planned() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        values = scrape()
        red = ("caserev_reviews_by_rag", (("partnership", northbridge), ("rag", "red")))
        return values if red in values else None

    values = wait_for(planned, timeout=15, message="the forms gauges to plan the demo's reviews")
    red = values.get(("caserev_reviews_by_rag", (("partnership", northbridge), ("rag", "red"))), 0)
    paused = values.get(("caserev_reviews_by_rag", (("partnership", northbridge), ("rag", "paused"))), 0)
    assert red >= 1 and paused >= 1, f"red {red}, paused {paused}"

    # Returns overdue and statutory deadlines are analytics' gauges, from its read models.
    def counted() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        values = scrape("analytics")
        return values if ("caserev_returns_overdue", (("partnership", northbridge),)) in values else None

    values = wait_for(counted, timeout=20, message="the analytics gauges to count the demo's returns")
    overdue = values.get(("caserev_returns_overdue", (("partnership", northbridge),)), 0)
    assert overdue >= 1, "the overdue review's Health return is past its due date"
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
