"""Where `caserev seed-synthetic` sends each event, and where it refuses to."""

from __future__ import annotations

import json
from datetime import date

import pytest

from caserev.seed_synthetic import _messages, analytics_queues, seed_synthetic
from caserev.synthetic import national_set
from services.analytics.service import AnalyticsService
from services.kernel.config import OperatorSettings
from services.kernel.handler_queues import event_handler_queues

NATIONAL = national_set(1, 3, 2, date(2026, 11, 30))


def test_analytics_queues_are_its_handler_queues_by_the_event_they_apply() -> None:
    queues = analytics_queues()
    assert queues["forms.review_opened"] == ["evt-forms-review_opened--analytics.count_opened_review"]
    names = sorted(name for names in queues.values() for name in names)
    assert names == sorted(queue.name for queue in event_handler_queues(AnalyticsService))


def test_to_analytics_each_event_goes_through_the_default_exchange_to_the_queues_that_apply_it() -> None:
    queues = analytics_queues()
    messages, not_applied = _messages(NATIONAL, "analytics", queues)
    assert messages
    for event_type, event_id, body, exchange, routing_keys in messages:
        assert exchange == ""
        assert routing_keys == queues[event_type]
        envelope = json.loads(body)
        assert (envelope["type"], envelope["event_id"]) == (event_type, event_id)
    every = [e.type for e in NATIONAL.events()]
    assert len(messages) + sum(not_applied.values()) == len(every)
    assert set(not_applied).isdisjoint(queues)
    assert {t for t in every if t not in queues} == set(not_applied)


def test_to_the_exchanges_each_event_goes_on_its_sources_exchange_by_its_name() -> None:
    messages, not_applied = _messages(NATIONAL, "exchanges", {})
    assert not not_applied
    assert len(messages) == sum(1 for _ in NATIONAL.events())
    for event_type, _, _, exchange, routing_keys in messages:
        source, name = event_type.split(".", 1)
        assert (exchange, routing_keys) == (f"{source}.events", [name])


def test_production_is_refused_before_anything_is_written() -> None:
    settings = OperatorSettings(environment="production")
    with pytest.raises(ValueError, match="does not belong in production"):
        seed_synthetic(settings, years=1, partnerships=1, seed=1, until=date(2026, 11, 30))
