"""Service entrypoints translate and delegate (nameko's worker_factory; the unit of work is a mock)."""

from __future__ import annotations

import uuid

import pytest
from nameko.testing.services import worker_factory

from services.analytics.service import AnalyticsService
from services.forms.contract import ReviewOpened
from services.forms.service import FormsService
from services.kernel.errors import Forbidden, InvalidRequest
from services.kernel.events import Envelope

PARTNERSHIP = uuid.uuid4()
ACTOR = {"user_id": "bm", "partnership_id": str(PARTNERSHIP), "roles": ["business_manager"]}
COMMAND = {"review_type": "safeguarding_adults", "partnership_id": str(PARTNERSHIP), "title": "SAR-2026-02"}


def test_open_review_stores_it_emits_review_opened_and_remembers_the_key():
    service = worker_factory(FormsService)
    service.uow.idempotent.return_value.done = False
    result = service.open_review(ACTOR, COMMAND, "key-1")
    assert result["stage"] == "referral" and result["title"] == "SAR-2026-02"
    service.uow.session.add.assert_called_once()
    (event,), kwargs = service.uow.emit.call_args
    assert isinstance(event, ReviewOpened) and kwargs["partnership_id"] == PARTNERSHIP
    (method, caller, key, request), _ = service.uow.idempotent.call_args
    assert (method, caller.user_id, key, request) == ("open_review", "bm", "key-1", COMMAND)
    service.uow.idempotent.return_value.remember.assert_called_once_with(result)


def test_open_review_repeated_with_its_key_returns_the_first_result_and_does_nothing_else():
    service = worker_factory(FormsService)
    service.uow.idempotent.return_value.done = True
    service.uow.idempotent.return_value.result = {"id": "earlier"}
    assert service.open_review(ACTOR, COMMAND, "key-1") == {"id": "earlier"}
    service.uow.emit.assert_not_called()
    service.uow.session.add.assert_not_called()


def test_open_review_with_bad_fields_names_each_problem():
    service = worker_factory(FormsService)
    service.uow.idempotent.return_value.done = False
    with pytest.raises(InvalidRequest) as refused:
        service.open_review(ACTOR, {"review_type": "nope", "partnership_id": str(PARTNERSHIP)})
    assert {p["field"] for p in refused.value.problems} == {"review_type", "title"}
    service.uow.emit.assert_not_called()


def _opened_envelope() -> dict:
    opened = ReviewOpened(
        review_id=uuid.uuid4(),
        review_type="child_safeguarding",
        stage="referral",
        opened_at="2026-01-05T10:00:00Z",
    )
    return Envelope.wrap(opened, partnership_id=PARTNERSHIP).model_dump(mode="json")


def test_analytics_keeps_and_applies_a_batch_of_events_it_has_not_seen_in_four_statements():
    service = worker_factory(AnalyticsService)
    messages = [_opened_envelope() for _ in range(5)]
    service.uow.first_deliveries.side_effect = lambda envelopes: list(envelopes)
    service.uow.session.execute.return_value.scalars.return_value = [
        Envelope.model_validate(m).event_id for m in messages
    ]
    service.count_opened_review(messages)
    # Kept in the store, written to its two projections (the review's stage, its "opened" milestone), and the
    # partnership noted for analytics.figures_changed: four statements in the handler's transaction, however
    # many events.
    assert service.uow.session.execute.call_count == 4


def test_analytics_skips_events_its_inbox_has_seen():
    service = worker_factory(AnalyticsService)
    service.uow.first_deliveries.return_value = []
    service.count_opened_review([_opened_envelope()])
    service.uow.session.execute.assert_not_called()


def test_analytics_refuses_another_partnerships_figures():
    service = worker_factory(AnalyticsService)
    with pytest.raises(Forbidden):
        service.review_counts(ACTOR, str(uuid.uuid4()))
    with pytest.raises(Forbidden):
        service.review_counts(ACTOR, None)
    service.uow.session.scalars.assert_not_called()
