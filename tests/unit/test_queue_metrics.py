"""caserev queue-metrics: the figures it serves, and the alert rules written on them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace
from unittest import mock

import yaml

from caserev import queue_metrics
from caserev.queue_metrics import QueueCollector, QueueFigures, occurred_at
from tests.support.system import ROOT


def test_the_age_of_an_event_is_from_its_envelope_or_else_its_timestamp() -> None:
    when = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert occurred_at(SimpleNamespace(body=f'{{"occurred_at": "{when.isoformat()}"}}', properties={})) == (
        when.timestamp()
    )
    assert occurred_at(SimpleNamespace(body=b"not json", properties={"timestamp": when})) == when.timestamp()
    assert occurred_at(SimpleNamespace(body=b"{}", properties={})) is None


def samples(collector: QueueCollector) -> dict[tuple[str, str], float]:
    return {
        (sample.name, sample.labels.get("queue", "")): sample.value
        for family in collector.collect()
        for sample in family.samples
    }


def test_each_queue_has_its_backlog_consumers_and_age() -> None:
    figures = [QueueFigures("evt-forms-review_opened--analytics.count", "analytics", 7, 0, 61.5)]
    with mock.patch.object(queue_metrics, "read_queues", return_value=iter(figures)):
        found = samples(QueueCollector("memory://", []))
    queue = figures[0].queue
    assert found[("caserev_queue_messages_ready", queue)] == 7
    assert found[("caserev_queue_consumers", queue)] == 0
    assert found[("caserev_queue_oldest_message_age_seconds", queue)] == 61.5
    assert found[("caserev_queue_broker_up", "")] == 1


def test_a_broker_that_does_not_answer_is_reported_not_hidden() -> None:
    with mock.patch.object(queue_metrics, "read_queues", side_effect=OSError("refused")):
        found = samples(QueueCollector("memory://", []))
    assert found == {("caserev_queue_broker_up", ""): 0}


def test_every_metric_an_alert_uses_is_one_that_is_served() -> None:
    served = {
        "caserev_queue_messages_ready",
        "caserev_queue_consumers",
        "caserev_queue_oldest_message_age_seconds",
    }
    served |= {"caserev_queue_broker_up", "up"}
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus-rules.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {rule["alert"] for rule in alerts} >= {
        "HandlerQueueBehind",
        "HandlerQueueWithoutConsumer",
        "DeadLettersWaiting",
    }
    for rule in alerts:
        used = set(re.findall(r"\b(caserev_[a-z_]+|up)\{", rule["expr"])) | set(
            re.findall(r"\((caserev_[a-z_]+)\)", rule["expr"])
        )
        assert used, f"{rule['alert']} uses no metric: {rule['expr']}"
        assert used <= served, f"{rule['alert']} uses metrics nobody serves: {used - served}"
        assert rule["annotations"]["description"], rule["alert"]
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    assert "prometheus-rules.yml" in prometheus["rule_files"]
    assert any(job["job_name"] == "queues" for job in prometheus["scrape_configs"])
