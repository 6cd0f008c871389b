"""Reliability of messaging, against real processes: nothing lost, nothing applied twice.

Each test runs real service processes (started from the Procfile, as `make run` does) on its own
database. Tests that stop the broker run their own PrivateRabbit; the others use a fresh vhost of the
machine's RabbitMQ. Effects are read from analytics' `review_stage` (an exactly-once-countable effect)
and its inbox, as the PostgreSQL superuser.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid

import pytest

from tests.integration.reliability_harness import (
    DEAD_LETTER_QUEUE,
    HANDLER,
    HANDLER_QUEUE,
    event_publisher,
    publish_events,
    review_opened,
)
from tests.support.system import ROOT

pytestmark = pytest.mark.timeout(150)


def business_manager(partnership_id: uuid.UUID) -> dict:
    return {
        "user_id": f"bm-{uuid.uuid4().hex[:8]}",
        "partnership_id": str(partnership_id),
        "roles": ["business_manager"],
    }


def open_review_without_broker(harness, partnership_id: uuid.UUID) -> dict:
    """Commit a review through FormsService.open_review itself, in a subprocess, with no broker needed."""
    request = {
        "actor": business_manager(partnership_id),
        "command": {
            "review_type": "child_safeguarding",
            "partnership_id": str(partnership_id),
            "title": "RR/2031/offline",
        },
        "idempotency_key": str(uuid.uuid4()),
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.integration.open_review_offline", json.dumps(request)],
        cwd=ROOT,
        env=harness.system.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"open_review without the broker failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_review_written_while_broker_is_down_is_published_when_it_returns(make_harness) -> None:
    harness = make_harness(private_broker=True)
    harness.start("forms")
    harness.start("analytics")
    partnership = uuid.uuid4()

    harness.rabbit.stop()
    # The forms service's own code path (FormsService.open_review with its UnitOfWork: review row, outbox
    # row and idempotency key in one transaction as the `forms` role), run without its RPC transport,
    # which cannot deliver a call while the broker is down.
    opened = open_review_without_broker(harness, partnership)
    (event_id,) = opened["event_ids"]
    review_id = opened["review"]["id"]
    assert harness.sql("SELECT count(*) FROM forms.review WHERE id = %s", (review_id,)) == [(1,)]
    assert harness.sql(
        "SELECT event_type, published_at FROM forms.outbox WHERE event_id = %s", (event_id,)
    ) == [("forms.review_opened", None)]
    # The running forms process tries to relay it and fails while the broker is away.
    harness.wait_for(
        lambda: harness.metric("forms", "caserev_outbox_relay_errors_total", service="forms") >= 1,
        timeout=20,
        message="the forms outbox relay to fail while the broker is down",
    )
    assert harness.sql("SELECT published_at FROM forms.outbox WHERE event_id = %s", (event_id,)) == [(None,)]

    down_at = time.monotonic()
    harness.rabbit.start()
    back_at = time.monotonic()
    harness.wait_for(
        lambda: harness.review_count(partnership) == 1,
        timeout=60,
        message="analytics to count the review written while the broker was down",
    )
    print(
        f"\nbroker restarted in {back_at - down_at:.1f}s;"
        f" event counted {time.monotonic() - back_at:.1f}s later"
    )
    published = harness.sql(
        "SELECT published_at IS NOT NULL, attempts FROM forms.outbox WHERE event_id = %s", (event_id,)
    )
    assert published[0][0], f"outbox row not marked published: {published}\n{harness.diagnostics()}"
    assert harness.sql("SELECT event_id::text FROM analytics.inbox WHERE handler = %s", (HANDLER,)) == [
        (event_id,)
    ]


def test_same_event_delivered_twice_has_one_effect(make_harness) -> None:
    harness = make_harness()
    analytics = harness.start("analytics")
    partnership = uuid.uuid4()
    envelope = review_opened(partnership)

    with event_publisher(harness.amqp_uri) as publish:
        publish(envelope)
        publish(envelope)

    harness.wait_for(
        lambda: harness.metric("analytics", "caserev_inbox_duplicates_skipped_total", handler=HANDLER) >= 1,
        timeout=30,
        message="analytics to skip the second delivery",
    )
    skipped = harness.metric(
        "analytics", "caserev_inbox_duplicates_skipped_total", service="analytics", handler=HANDLER
    )
    analytics.stop()  # workers finish; anything not acknowledged goes back to the queue
    assert harness.settled_ready(HANDLER_QUEUE) == 0, harness.diagnostics()
    assert harness.review_count(partnership) == 1, harness.diagnostics()
    assert harness.inbox_rows() == 1
    assert skipped == 1, f"caserev_inbox_duplicates_skipped_total = {skipped}\n{harness.diagnostics()}"


@pytest.mark.slow
def test_service_killed_mid_stream_applies_every_event_exactly_once(make_harness) -> None:
    total, kill_at = 1000, 250
    harness = make_harness()
    analytics = harness.start("analytics")
    partnership = uuid.uuid4()
    envelopes = [review_opened(partnership) for _ in range(total)]

    published: list[int] = []
    errors: list[BaseException] = []

    def publish_all() -> None:
        try:
            with event_publisher(harness.amqp_uri) as publish:
                for envelope in envelopes:
                    publish(envelope)
                    published.append(1)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    publisher = threading.Thread(target=publish_all, name="publisher", daemon=True)
    publisher.start()
    applied_at_kill = harness.wait_for(
        lambda: (n := harness.review_count(partnership)) >= kill_at and n,
        timeout=60,
        interval=0.02,
        message=f"analytics to apply {kill_at} events",
    )
    analytics.kill()
    published_at_kill = len(published)
    applied_after_kill = harness.review_count(partnership)
    print(
        f"\nanalytics SIGKILLed with {applied_at_kill} of {total} events applied"
        f" ({applied_after_kill} committed, {published_at_kill} published by then)"
    )
    assert applied_after_kill < total, "every event was applied before the kill: the test proved nothing"

    publisher.join(60)
    assert not errors, f"publishing failed: {errors!r}"
    assert len(published) == total

    restarted = harness.start("analytics")
    harness.wait_for(
        lambda: harness.review_count(partnership) >= total,
        timeout=60,
        message=f"the restarted analytics to apply all {total} events",
    )
    duplicates = harness.metric("analytics", "caserev_inbox_duplicates_skipped_total", handler=HANDLER)
    assert restarted.running, harness.diagnostics()
    restarted.stop()
    left = harness.settled_ready(HANDLER_QUEUE)
    count, inbox = harness.review_count(partnership), harness.inbox_rows()
    print(f"after restart: count={count} inbox={inbox} duplicates skipped by the new process={duplicates:g}")
    assert left == 0, f"{left} events left in {HANDLER_QUEUE}\n{harness.diagnostics()}"
    assert count == total, f"count {count} != {total}\n{harness.diagnostics()}"
    assert inbox == total, f"inbox rows {inbox} != {total}\n{harness.diagnostics()}"


@pytest.mark.slow
def test_failing_handler_dead_letters_after_bounded_retries_and_replays_once_mended(make_harness) -> None:
    max_attempts = 3
    harness = make_harness(CASEREV_EVENT_MAX_ATTEMPTS=str(max_attempts), CASEREV_EVENT_RETRY_BASE_MS="50")
    harness.start("analytics")
    partnership = uuid.uuid4()
    envelope = review_opened(partnership)

    # The fault: the handler's table is gone (renamed by the superuser), so every attempt fails.
    harness.sql("ALTER TABLE analytics.review_stage RENAME TO review_stage_broken")
    publish_events(harness.amqp_uri, [envelope])

    def listed() -> str | None:
        out = harness.caserev("dead-letters")
        return out if envelope["event_id"] in out else None

    listing = harness.wait_for(listed, timeout=30, interval=0.5, message="`caserev dead-letters` to list it")
    assert "1 dead letters" in listing, listing
    assert HANDLER_QUEUE in listing, listing
    assert "forms.review_opened" in listing, listing
    assert f"attempts={max_attempts}" in listing, listing
    assert "UndefinedTable" in listing, listing
    assert 'relation "analytics.review_stage" does not exist' in listing, listing
    assert harness.review_count(partnership, table="analytics.review_stage_broken") == 0
    assert harness.inbox_rows() == 0, "a failed attempt left its inbox row: a replay would be skipped"
    assert harness.metric("analytics", "caserev_event_retries_total", queue=HANDLER_QUEUE) == max_attempts - 1
    assert harness.metric("analytics", "caserev_dead_letters_total", queue=HANDLER_QUEUE) == 1
    assert harness.settled_ready(DEAD_LETTER_QUEUE) == 1
    assert harness.ready(HANDLER_QUEUE) == 0

    harness.sql("ALTER TABLE analytics.review_stage_broken RENAME TO review_stage")
    replay = harness.caserev("dead-letters", "replay", "--all")
    assert "1 replayed" in replay, replay
    assert f"replayed {envelope['event_id']}" in replay, replay

    harness.wait_for(lambda: harness.review_count(partnership) == 1, 30, "the replayed event to be counted")
    assert harness.inbox_rows() == 1
    assert harness.settled_ready(DEAD_LETTER_QUEUE) == 0
    assert "0 dead letters" in harness.caserev("dead-letters")


@pytest.mark.slow
def test_broker_restart_keeps_a_thousand_queued_events(make_harness) -> None:
    total = 1000
    harness = make_harness(private_broker=True)  # migrated: every handler queue is declared
    partnership = uuid.uuid4()
    began = time.monotonic()
    assert publish_events(harness.amqp_uri, (review_opened(partnership) for _ in range(total))) == total
    published_at = time.monotonic()
    assert harness.ready(HANDLER_QUEUE) == total

    harness.rabbit.stop()
    harness.rabbit.start()
    restarted_at = time.monotonic()
    assert harness.ready(HANDLER_QUEUE) == total, harness.rabbit.log_tail()

    analytics = harness.start("analytics")
    harness.wait_for(
        lambda: harness.review_count(partnership) >= total,
        timeout=60,
        message=f"analytics to apply all {total} events kept across the broker restart",
    )
    print(
        f"\npublished {total} in {published_at - began:.1f}s;"
        f" broker restart {restarted_at - published_at:.1f}s;"
        f" analytics started and applied {total} events in {time.monotonic() - restarted_at:.1f}s"
    )
    analytics.stop()
    assert harness.settled_ready(HANDLER_QUEUE) == 0, harness.diagnostics()
    assert harness.review_count(partnership) == total
    assert harness.inbox_rows() == total


@pytest.mark.slow
def test_rpc_sent_while_service_is_down_expires_instead_of_running_late(make_harness) -> None:
    from gateway.rpc import RpcClient, RpcUnavailable

    harness = make_harness()
    forms = harness.start("forms")
    partnership = uuid.uuid4()
    actor = business_manager(partnership)
    command = {"review_type": "child_safeguarding", "partnership_id": str(partnership), "title": "RR/late"}

    async def call(method: str, *args, timeout: float):
        client = RpcClient(harness.amqp_uri, timeout=timeout)
        try:
            return await client.call("forms", method, *args, timeout=timeout)
        finally:
            await client.close()

    async def call_while_down() -> tuple[int, BaseException | None]:
        sealed = harness.system.sealed(actor, "forms.open_review")
        task = asyncio.create_task(call("open_review", sealed, command, timeout=2.0))
        await asyncio.sleep(0.5)
        waiting = await asyncio.to_thread(harness.ready, "rpc-forms")
        try:
            await task
        except RpcUnavailable as exc:
            return waiting, exc
        return waiting, None

    # forms declared its durable RPC queue and answers on it.
    assert asyncio.run(call("review_types", timeout=10)), harness.diagnostics()
    forms.stop()

    waiting, error = asyncio.run(call_while_down())
    assert waiting == 1, f"the request was not queued for forms ({waiting} ready in rpc-forms)"
    assert error is not None, "open_review answered although forms was stopped"
    # The gateway gave up after 2 s; the broker drops the request when its expiration (the same) passes.
    harness.wait_for(lambda: harness.ready("rpc-forms") == 0, 10, "the expired request to be dropped")

    harness.start("forms")
    # A call queued behind where the abandoned one was is answered: forms consumes rpc-forms again.
    assert asyncio.run(call("review_types", timeout=10)), harness.diagnostics()
    time.sleep(0.5)
    late_calls = harness.metric("forms", "caserev_entrypoint_calls_total", entrypoint="open_review")
    assert late_calls == 0, f"the abandoned open_review ran late\n{harness.diagnostics()}"
    assert harness.sql("SELECT count(*) FROM forms.review") == [(0,)], "the abandoned call ran late"
    assert harness.sql("SELECT count(*) FROM forms.outbox") == [(0,)], "the abandoned call ran late"
