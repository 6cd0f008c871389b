"""The event envelope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.forms.contract import ReviewOpened
from services.kernel.events import Envelope


def test_envelope_wraps_a_payload_and_gives_it_back():
    opened = ReviewOpened(
        review_id=uuid.uuid4(),
        review_type="child_safeguarding",
        stage="referral",
        opened_at=datetime.now(UTC),
    )
    envelope = Envelope.wrap(opened, partnership_id=uuid.uuid4(), review_id=opened.review_id, actor_id="u1")
    again = Envelope.model_validate(envelope.model_dump(mode="json"))
    assert again.payload(ReviewOpened) == opened
    assert (again.source, again.name, again.version) == ("forms", "review_opened", 1)


@pytest.mark.parametrize(
    "event_type", ["review_opened", "Forms.ReviewOpened", "forms.", "forms.review-opened"]
)
def test_event_type_must_be_service_dot_fact(event_type):
    with pytest.raises(ValidationError):
        Envelope(type=event_type)


def test_envelope_refuses_a_time_without_zone():
    with pytest.raises(ValidationError):
        Envelope(type="forms.review_opened", occurred_at=datetime(2026, 1, 1))


def test_payload_of_another_type_is_refused():
    envelope = Envelope(type="forms.something_else", data={})
    with pytest.raises(ValueError, match=r"forms\.something_else"):
        envelope.payload(ReviewOpened)
