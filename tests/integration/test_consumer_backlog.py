"""Poison and slow consumers, against real processes on the real broker and database.

A message a handler can never take is dead-lettered after its bounded retries while the rest of its queue
flows on; a consumer stopped while events pile up (a minute here, an hour in life) catches up without
losing or repeating any, and `caserev queue-metrics` shows the backlog and its age meanwhile.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from caserev.dead_letters import list_dead_letters
from tests.integration.reliability_harness import (
    DEAD_LETTER_QUEUE,
    HANDLER,
    HANDLER_QUEUE,
    event_publisher,
    publish_events,
    review_opened,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def queue_figures(harness, queue: str) -> dict[str, float]:
    """`caserev queue-metrics`' figures for one queue, by metric name."""
    text = httpx.get(harness.system.metrics_url("queues"), timeout=30).text
    figures = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("queue") == queue or sample.name == "caserev_queue_broker_up":
                figures[sample.name] = sample.value
    return figures


def test_poison_messages_are_dead_lettered_after_bounded_retries_while_the_rest_flow(make_harness) -> None:
    attempts, good, poison = 3, 200, 5
    harness = make_harness(CASEREV_EVENT_MAX_ATTEMPTS=str(attempts), CASEREV_EVENT_RETRY_BASE_MS="100")
    harness.start("analytics")
    partnership = uuid.uuid4()
    envelopes, poisoned = [], set()
    for index in range(good):
        envelopes.append(review_opened(partnership))
        if index % (good // poison) == 0:
            # One kind of message the handler can never take: an opening without a date.
            bad = review_opened(partnership)
            bad["data"]["opened_at"] = "not a date"
            envelopes.append(bad)
            poisoned.add(bad["event_id"])
    assert len(poisoned) == poison
    publish_events(harness.amqp_uri, envelopes)

    harness.wait_for(lambda: harness.review_count(partnership) == good, 60, f"all {good} good events counted")

    def all_dead_lettered() -> str | None:
        out = harness.caserev("dead-letters")
        return out if f"{poison} dead letters" in out else None

    listing = harness.wait_for(
        all_dead_lettered,
        timeout=60,
        interval=0.5,
        message=f"the {poison} poison messages to be dead-lettered",
    )
    letters = list_dead_letters(harness.amqp_uri)
    assert {letter.message_id for letter in letters} == poisoned, (
        f"not exactly the poison messages:\n{listing}"
    )
    assert all(letter.attempts == attempts and letter.queue == HANDLER_QUEUE for letter in letters), listing
    # Refused by the contract type of the payload (forms.contract.ReviewOpened), not by a parse by hand.
    assert all(letter.error.startswith("ValidationError") for letter in letters), listing
    assert harness.review_count(partnership) == good
    assert harness.inbox_rows() == good, "a poison message left an inbox row (a replay would be skipped)"
    assert harness.metric("analytics", "caserev_event_retries_total", queue=HANDLER_QUEUE) == poison * (
        attempts - 1
    )
    assert harness.metric("analytics", "caserev_dead_letters_total", queue=HANDLER_QUEUE) == poison
    assert harness.settled_ready(HANDLER_QUEUE) == 0
    assert harness.settled_ready(DEAD_LETTER_QUEUE) == poison


def test_a_consumer_stopped_while_events_pile_up_catches_up_and_its_backlog_shows_meanwhile(
    make_harness,
) -> None:
    total, pile_up_s = 300, 60.0  # a minute stands in for an hour
    harness = make_harness()
    harness.start("queues")
    partnership = uuid.uuid4()
    quiet = queue_figures(harness, HANDLER_QUEUE)
    assert quiet["caserev_queue_broker_up"] == 1, quiet
    assert (
        quiet["caserev_queue_messages_ready"] == 0 and quiet["caserev_queue_oldest_message_age_seconds"] == 0
    )

    # analytics is stopped (never started): events of the next minute pile up in its queue.
    began = time.monotonic()
    with event_publisher(harness.amqp_uri) as publish:
        for index in range(total):
            publish(review_opened(partnership))
            time.sleep(max(0.0, began + pile_up_s * (index + 1) / total - time.monotonic()))
    backlog = queue_figures(harness, HANDLER_QUEUE)
    print(f"\nafter {time.monotonic() - began:.0f}s with analytics stopped: {backlog}")
    assert backlog["caserev_queue_messages_ready"] == total, backlog
    assert backlog["caserev_queue_consumers"] == 0, backlog
    assert backlog["caserev_queue_oldest_message_age_seconds"] >= pile_up_s - 2, backlog
    # Looking at the head took nothing away.
    assert harness.settled_ready(HANDLER_QUEUE) == total

    restarted_at = time.monotonic()
    harness.start("analytics")
    harness.wait_for(
        lambda: harness.review_count(partnership) >= total, 120, f"analytics to apply all {total}"
    )
    print(f"caught up with {total} events in {time.monotonic() - restarted_at:.1f}s")
    assert harness.settled_ready(HANDLER_QUEUE) == 0
    assert harness.review_count(partnership) == total
    assert harness.inbox_rows() == total
    assert harness.metric("analytics", "caserev_inbox_duplicates_skipped_total", handler=HANDLER) == 0, (
        "an event came twice: looking at the head of the queue must give it back unhandled"
    )
    after = queue_figures(harness, HANDLER_QUEUE)
    assert (
        after["caserev_queue_messages_ready"] == 0 and after["caserev_queue_oldest_message_age_seconds"] == 0
    )
    assert after["caserev_queue_consumers"] >= 1, after
