"""The kernel's batched event handler on a real broker and database (analytics' handlers use it): a backlog is
applied many events a transaction, and a poison message in a batch is dead-lettered alone while every other
event of its batch is applied exactly once."""

from __future__ import annotations

import json
import uuid

import pytest
from kombu import Connection

from tests.integration.reliability_harness import (
    DEAD_LETTER_QUEUE,
    HANDLER,
    HANDLER_QUEUE,
    publish_events,
    review_opened,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]


def dead_letters(amqp_uri: str) -> list[dict]:
    """The dead-letter queue's messages (bodies and headers), taken off it."""
    taken = []
    with Connection(amqp_uri, connect_timeout=10) as conn:
        queue = conn.SimpleQueue(DEAD_LETTER_QUEUE, no_ack=True)
        try:
            while True:
                message = queue.get(timeout=1)
                taken.append({"body": json.loads(message.body), "headers": dict(message.headers)})
        except queue.Empty:
            return taken
        finally:
            queue.close()


def test_a_poison_message_in_a_batch_is_dead_lettered_alone_and_the_rest_are_applied_once(
    make_harness,
) -> None:
    good = 150
    max_attempts = 2
    harness = make_harness(
        private_broker=True,  # its own node: the test counts every message of the dead-letter queue
        CASEREV_EVENT_MAX_ATTEMPTS=str(max_attempts),
        CASEREV_EVENT_RETRY_BASE_MS="50",
        CASEREV_EVENT_BATCH_SIZE="50",
    )
    partnership = uuid.uuid4()
    envelopes = [review_opened(partnership) for _ in range(good)]
    poison = review_opened(partnership)
    poison["data"] = {"review_id": poison["review_id"]}  # no review type, stage or date: not a ReviewOpened
    # A backlog waiting before the handler starts, the poison in its middle: it arrives inside a batch.
    publish_events(harness.amqp_uri, [*envelopes[: good // 2], poison, *envelopes[good // 2 :]])

    harness.start("analytics")
    harness.wait_for(
        lambda: harness.metric("analytics", "caserev_dead_letters_total", queue=HANDLER_QUEUE) >= 1,
        timeout=60,
        message="the poison message to be dead-lettered",
    )
    harness.wait_for(lambda: harness.review_count(partnership) >= good, 30, f"all {good} good events applied")

    batches = harness.metric("analytics", "caserev_event_batch_size_count", entrypoint="count_opened_review")
    assert batches < good, f"{batches} transactions for {good + 1} events: the backlog was not batched"
    assert (
        harness.metric("analytics", "caserev_event_batch_fallbacks_total", entrypoint="count_opened_review")
        >= 1
    ), (
        "no batch failed: the poison never shared a batch, so the test proved nothing\n"
        + harness.diagnostics()
    )
    assert harness.review_count(partnership) == good, harness.diagnostics()
    assert harness.inbox_rows() == good, "every good event once in the inbox, the poison not at all"
    assert harness.metric("analytics", "caserev_inbox_duplicates_skipped_total", handler=HANDLER) == 0, (
        "a good event was applied by its failed batch and again alone"
    )
    assert (
        harness.metric("analytics", "caserev_event_retries_total", queue=HANDLER_QUEUE) == max_attempts - 1
    ), "only the poison may be retried"
    assert harness.ready(HANDLER_QUEUE) == 0
    (dead,) = dead_letters(harness.amqp_uri)
    assert dead["body"]["event_id"] == poison["event_id"], "the dead letter must be the poison, and only it"
    assert "ValidationError" in dead["headers"]["x-caserev-error"]
