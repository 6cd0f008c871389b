"""What the business manager is told, and how e-mail delivery backs off."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.notifications import domain


def test_each_business_manager_is_told_with_a_link_and_no_case_details():
    review_id, partnership, managers = uuid.uuid4(), uuid.uuid4(), [uuid.uuid4(), uuid.uuid4()]
    messages = domain.review_opened_messages(
        review_id, partnership, "child_safeguarding", managers, "https://caserev.example/"
    )
    assert [m.contact_id for m in messages] == managers
    link = f"https://caserev.example/reviews/{review_id}?partnership_id={partnership}"
    assert all(m.link == link for m in messages)
    assert all(m.link in m.body and "child safeguarding review" in m.title for m in messages)


def test_nobody_to_tell_means_no_messages():
    assert (
        domain.review_opened_messages(uuid.uuid4(), uuid.uuid4(), "domestic_homicide", [], "http://x") == []
    )


def test_failed_email_is_retried_later_each_time_then_given_up():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    waits = [domain.next_attempt(attempt, now) for attempt in range(1, domain.MAX_SEND_ATTEMPTS)]
    assert all(wait is not None for wait in waits)
    gaps = [wait - now for wait in waits]  # type: ignore[operator]
    assert gaps == sorted(gaps) and gaps[0] == timedelta(seconds=5)
    assert domain.next_attempt(domain.MAX_SEND_ATTEMPTS, now) is None
