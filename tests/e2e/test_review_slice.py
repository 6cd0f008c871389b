"""The first vertical slice on the real broker and database, driven through the gateway: a business
manager opens a review; forms stores it and emits forms.review_opened through its outbox; analytics
counts it; notifications tells the partnership's business manager in the app and by e-mail."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from caserev.smtp_catcher import CaughtMessage, caught_messages
from tests.e2e.helpers import DEMO, Database, review_total, wait_for, wait_until_settled
from tests.support.system import SERVICES, SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")
EASTMOOR = DEMO.partnership("ESP")
UUID_IN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


def open_review(
    api: httpx.Client, title: str, *, key: str | None = None, partnership_id: uuid.UUID = NORTHBRIDGE.id
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    body = {"review_type": "child_safeguarding", "partnership_id": str(partnership_id), "title": title}
    return api.post("/api/reviews", json=body, headers=headers)


def unique_title(prefix: str) -> str:
    """A case reference no other test uses, so that its effects can be told apart."""
    return f"{prefix} E2E-{uuid.uuid4().hex[:8].upper()}"


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """The samples of a Prometheus text exposition: (name, labels, value)."""
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def has_sample(text: str, name: str, **labels: str) -> bool:
    return any(n == name and labels.items() <= lbls.items() for n, lbls, _ in samples(text))


def mail_about(system: SystemEnv, review_id: str) -> list[CaughtMessage]:
    """E-mail to the demo's business manager about the review (other suites may add stand-in managers)."""
    return [
        m
        for m in caught_messages(system.maildir)
        if f"/reviews/{review_id}" in m.body and NORTHBRIDGE.manager_email in m.recipients
    ]


@pytest.fixture(scope="module")
def opened(api: httpx.Client, db: Database) -> dict[str, Any]:
    """One review opened through the API, with the analytics count just before it."""
    wait_until_settled(db)
    before = review_total(api, NORTHBRIDGE.id)
    title = unique_title("NB-2026-101 child, serious injury")
    response = open_review(api, title, key=str(uuid.uuid4()))
    return {"response": response, "title": title, "count_before": before}


def test_opening_a_review_answers_201_with_its_summary(opened: dict[str, Any]) -> None:
    response = opened["response"]
    assert response.status_code == 201, response.text
    review = response.json()
    assert uuid.UUID(review["id"])
    assert review["partnership_id"] == str(NORTHBRIDGE.id)
    assert review["review_type"] == "child_safeguarding"
    assert review["title"] == opened["title"]
    assert review["stage"] == "referral"
    assert review["stage_label"] == "Referral"
    assert review["review_type_label"]
    assert response.headers["cache-control"] == "no-store"


def test_the_review_reads_back(api: httpx.Client, opened: dict[str, Any]) -> None:
    created = opened["response"].json()
    response = api.get(f"/api/reviews/{created['id']}")
    assert response.status_code == 200, response.text
    assert response.json() == created


def test_a_business_manager_cannot_open_a_review_in_another_partnership(api: httpx.Client) -> None:
    response = open_review(api, unique_title("EM-2026-107"), partnership_id=EASTMOOR.id)
    assert response.status_code == 403, response.text


def test_another_partnership_cannot_read_it(eastmoor_api: httpx.Client, opened: dict[str, Any]) -> None:
    created = opened["response"].json()
    response = eastmoor_api.get(f"/api/reviews/{created['id']}")
    assert response.status_code == 404, response.text
    assert opened["title"] not in response.text


def test_the_review_and_its_event_are_stored_once(db: Database, opened: dict[str, Any]) -> None:
    review_id = opened["response"].json()["id"]
    assert db.scalar("SELECT count(*) FROM forms.review WHERE id = %s", (review_id,)) == 1
    events = db.events_of_review(review_id)
    assert [event_type for _, event_type, _ in events] == ["forms.review_opened"]
    wait_for(
        lambda: all(published for _, _, published in db.events_of_review(review_id)),
        message="the outbox relay to publish forms.review_opened",
    )


def test_the_analytics_count_rises_by_one(api: httpx.Client, db: Database, opened: dict[str, Any]) -> None:
    expected = opened["count_before"] + 1
    wait_for(
        lambda: review_total(api, NORTHBRIDGE.id) >= expected,
        message=f"the review count of {NORTHBRIDGE.code} to reach {expected}",
    )
    wait_until_settled(db)
    assert review_total(api, NORTHBRIDGE.id) == expected


def test_the_business_manager_gets_an_in_app_notification(db: Database, opened: dict[str, Any]) -> None:
    review_id = opened["response"].json()["id"]

    def notifications() -> list[tuple[Any, ...]]:
        return db.rows(
            """
            SELECT p.email, p.roles, n.kind, n.title, n.body, n.partnership_id
            FROM notifications.notification n
            JOIN notifications.person p ON p.user_id = n.user_id
            WHERE n.review_id = %s AND p.email = %s
            """,
            (review_id, NORTHBRIDGE.manager_email),
        )

    rows = wait_for(notifications, message="the business manager's in-app notification")
    assert len(rows) == 1, rows
    _, roles, kind, title, body, partnership_id = rows[0]
    assert "business_manager" in roles
    assert kind == "review_opened"
    assert str(partnership_id) == str(NORTHBRIDGE.id)
    assert opened["title"] not in title and opened["title"] not in body


def test_the_business_manager_gets_an_email_without_case_details(
    system: SystemEnv, opened: dict[str, Any]
) -> None:
    review_id = opened["response"].json()["id"]
    messages = wait_for(lambda: mail_about(system, review_id), message="the e-mail to the business manager")
    assert len(messages) == 1, [m.subject for m in messages]
    message = messages[0]
    assert NORTHBRIDGE.manager_email in message.recipients
    assert f"{system.gateway_url}/reviews/{review_id}" in message.body
    # No case details in e-mail: neither the title nor any part of it.
    for text in (message.subject, message.body):
        assert opened["title"] not in text
        assert "NB-2026-101" not in text
        assert "serious injury" not in text


def test_the_link_in_the_email_opens_the_review(
    system: SystemEnv, api: httpx.Client, opened: dict[str, Any]
) -> None:
    review_id = opened["response"].json()["id"]
    message = wait_for(lambda: mail_about(system, review_id), message="the e-mail")[0]
    link = next(word for word in message.body.split() if f"/reviews/{review_id}" in word)
    response = api.get(link.removeprefix(system.gateway_url))
    assert response.status_code == 200, response.status_code


def test_repeating_a_request_with_its_idempotency_key_opens_one_review(
    api: httpx.Client, db: Database
) -> None:
    wait_until_settled(db)
    before = review_total(api, NORTHBRIDGE.id)
    title, key = unique_title("NB-2026-102"), str(uuid.uuid4())

    first = open_review(api, title, key=key)
    second = open_review(api, title, key=key)

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert second.json() == first.json()
    assert db.scalar("SELECT count(*) FROM forms.review WHERE title = %s", (title,)) == 1
    assert len(db.events_of_review(first.json()["id"])) == 1
    # Once analytics has applied every event written, the count is final: it rose once.
    wait_until_settled(db)
    assert review_total(api, NORTHBRIDGE.id) == before + 1


def test_without_an_idempotency_key_each_request_opens_a_review(api: httpx.Client) -> None:
    title = unique_title("NB-2026-103")
    first, second = open_review(api, title), open_review(api, title)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_concurrent_requests_with_one_idempotency_key_all_get_the_review(
    system: SystemEnv, api: httpx.Client, db: Database
) -> None:
    failures: list[int] = []
    clients = [
        httpx.Client(base_url=system.gateway_url, timeout=20, cookies=api.cookies, headers=api.headers)
        for _ in range(8)
    ]
    try:
        for _ in range(5):
            title, key = unique_title("NB-2026-104"), str(uuid.uuid4())
            start = threading.Barrier(len(clients))

            def post(client: httpx.Client, title: str = title, key: str = key, start=start) -> httpx.Response:
                start.wait()
                return open_review(client, title, key=key)

            with ThreadPoolExecutor(len(clients)) as pool:
                responses = list(pool.map(post, clients))
            assert db.scalar("SELECT count(*) FROM forms.review WHERE title = %s", (title,)) == 1
            failures += [r.status_code for r in responses if r.status_code != 201]
            assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    finally:
        for client in clients:
            client.close()
    assert failures == []


def test_an_idempotency_key_is_scoped_to_the_caller(api: httpx.Client, eastmoor_api: httpx.Client) -> None:
    key = str(uuid.uuid4())
    northbridge = open_review(api, unique_title("NB-2026-105"), key=key)
    eastmoor = open_review(eastmoor_api, unique_title("EM-2026-105"), key=key, partnership_id=EASTMOOR.id)
    assert northbridge.status_code == 201
    assert eastmoor.status_code in (201, 409, 422)
    assert eastmoor.json().get("partnership_id") != str(NORTHBRIDGE.id)
    assert "NB-2026-105" not in eastmoor.text


def test_the_longest_idempotency_key_the_gateway_accepts_works(api: httpx.Client) -> None:
    response = open_review(api, unique_title("NB-2026-106"), key="k" * 200)
    assert response.status_code == 201, response.text


def test_an_unknown_review_is_404_in_plain_words(api: httpx.Client) -> None:
    response = api.get(f"/api/reviews/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such review"


def test_review_types_list_each_type_with_its_stages(api: httpx.Client) -> None:
    response = api.get("/api/review-types")
    assert response.status_code == 200
    types = {t["code"]: t for t in response.json()}
    assert set(types) == {"child_safeguarding", "safeguarding_adults", "domestic_homicide"}
    assert all(t["label"] and t["stages"] for t in types.values())


def test_health_reports_every_part_ok(api: httpx.Client) -> None:
    response = api.get("/healthz")
    report = response.json()
    assert response.status_code == 200, report
    assert report["status"] == "ok"
    assert report["broker"] == "ok"
    assert report["database"] == "ok"
    assert set(report["services"]) == set(SERVICES)
    for name, service in report["services"].items():
        assert service["status"] == "ok", (name, service)
        assert service["database"] == "ok", (name, service)


def test_the_gateway_exposes_its_metrics(api: httpx.Client) -> None:
    api.get("/api/review-types")
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert has_sample(
        text, "caserev_gateway_requests_total", method="GET", route="/api/review-types", status="200"
    )
    assert has_sample(text, "caserev_gateway_request_seconds_bucket", route="/api/review-types")
    # Routes are labelled by their template, never by a concrete id (ids are not labels).
    routes = {lbls["route"] for name, lbls, _ in samples(text) if name == "caserev_gateway_requests_total"}
    assert not [route for route in routes if UUID_IN.search(route)], routes


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_exposes_its_metrics(system: SystemEnv, service: str) -> None:
    response = httpx.get(system.metrics_url(service), timeout=10)
    assert response.status_code == 200
    text = response.text
    # /healthz has called each service's health RPC by now (caserev run waits for it).
    assert has_sample(
        text, "caserev_entrypoint_calls_total", service=service, entrypoint="health", outcome="ok"
    )
    assert has_sample(text, "caserev_entrypoint_seconds_bucket", service=service)
    assert has_sample(text, "caserev_outbox_backlog", service=service)


def test_the_forms_metrics_count_opened_reviews_and_published_events(
    system: SystemEnv, opened: dict[str, Any]
) -> None:
    assert opened["response"].status_code == 201
    text = httpx.get(system.metrics_url("forms"), timeout=10).text
    assert has_sample(
        text, "caserev_entrypoint_calls_total", service="forms", entrypoint="open_review", outcome="ok"
    )
    published = [v for n, lbls, v in samples(text) if n == "caserev_outbox_published_total"]
    assert published and published[0] >= 1


def test_the_openapi_document_lists_the_reviews_api(api: httpx.Client) -> None:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Case Review"
    assert "post" in document["paths"]["/api/reviews"]
    assert "get" in document["paths"]["/api/reviews/{review_id}"]
    assert "/api/review-counts" in document["paths"]
    assert "/reviews/new" not in document["paths"]  # pages are not API


def test_the_asyncapi_document_beside_it_describes_review_opened(api: httpx.Client) -> None:
    response = api.get("/asyncapi.json")
    assert response.status_code == 200, "the event catalogue is published beside /openapi.json"
    document = response.json()
    assert document["asyncapi"].startswith("2.")
    assert any("review_opened" in channel for channel in document["channels"]), list(document["channels"])
