"""Opening a review: who may, where it starts, what it announces, and what input is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.forms import domain
from services.forms.contract import OpenReview, ReviewOpened
from services.forms.definitions import review_types
from services.kernel.errors import Forbidden, InvalidRequest
from services.kernel.identity import Actor

PARTNERSHIP = uuid.uuid4()
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
MANAGER = Actor(user_id="bm-1", partnership_id=PARTNERSHIP, roles=frozenset({"business_manager"}))


def command(**changes) -> OpenReview:
    fields = {"review_type": "child_safeguarding", "partnership_id": PARTNERSHIP, "title": "NB-2026-001"}
    return OpenReview.model_validate({**fields, **changes})


@pytest.mark.parametrize(
    ("review_type", "first_stage"),
    [
        ("child_safeguarding", "referral"),
        ("safeguarding_adults", "referral"),
        ("domestic_homicide", "notification"),
    ],
)
def test_review_opens_at_its_types_first_stage_and_announces_it(review_type, first_stage):
    review = domain.open_review(command(review_type=review_type), MANAGER, NOW)
    assert review.stage == first_stage
    assert review.events == [
        ReviewOpened(review_id=review.id, review_type=review_type, stage=first_stage, opened_at=NOW)
    ]


def test_event_of_an_opened_review_carries_no_title():
    review = domain.open_review(command(title="NB-2026-001 sensitive words"), MANAGER, NOW)
    assert "sensitive" not in review.events[0].model_dump_json(), "events carry facts, not free text"


def test_only_a_business_manager_opens_a_review():
    agency_lead = Actor(user_id="al-1", partnership_id=PARTNERSHIP, roles=frozenset({"agency_lead"}))
    with pytest.raises(Forbidden):
        domain.open_review(command(), agency_lead, NOW)


def test_a_business_manager_cannot_open_a_review_in_another_partnership():
    with pytest.raises(Forbidden):
        domain.open_review(command(partnership_id=uuid.uuid4()), MANAGER, NOW)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": "ab"}, "title"),
        ({"title": "line one\nline two"}, "title"),
        ({"partnership_id": "not-a-uuid"}, "partnership_id"),
        ({"child_name": "anything"}, "child_name"),
    ],
)
def test_bad_open_review_command_is_refused_naming_the_field(changes, field):
    with pytest.raises(ValidationError) as refused:
        command(**changes)
    assert field in {str(error["loc"][0]) for error in refused.value.errors()}


def test_a_review_type_that_is_not_defined_is_refused_naming_the_field():
    with pytest.raises(InvalidRequest) as refused:
        domain.open_review(command(review_type="inquest"), MANAGER, NOW)
    assert [p["field"] for p in refused.value.problems] == ["review_type"]


def test_every_review_type_has_stages_with_labels():
    for review_type in review_types().values():
        assert review_type.stages, review_type.code
        assert all(stage.label for stage in review_type.stages)
