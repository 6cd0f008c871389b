"""A batched event handler applies the messages delivered together in one transaction, acknowledges them all
after its commit, and when the batch fails applies each alone, so that only the message at fault is retried
and dead-lettered."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from unittest import mock

import psycopg2
import pytest

from services.kernel import entrypoints, event_batches
from services.kernel.broker import DEAD_LETTER_QUEUE, RETRY_EXCHANGE
from services.kernel.config import get_settings
from services.kernel.entrypoints import ATTEMPTS_HEADER, TRANSIENT_ATTEMPTS_HEADER
from services.kernel.event_batches import BatchEventHandler


class Container:
    """nameko's container as the handler uses it: a worker runs the method on its bodies, then hands its
    result to the entrypoint; threads run when `run_threads` is called (as eventlet would, later)."""

    service_name = "analytics"
    config = {"AMQP_URI": "memory://"}

    def __init__(self, method: Callable[[list[Any]], None], log: list[str]) -> None:
        self.method, self.log = method, log
        self.workers: list[list[Any]] = []
        self.threads: list[Callable[[], None]] = []

    def spawn_worker(
        self, entrypoint: Any, args: tuple, kwargs: dict, context_data: Any, handle_result: Any
    ) -> None:
        bodies = list(args[0])
        self.workers.append(bodies)
        exc_info = None
        try:
            self.method(bodies)
        except Exception:
            exc_info = sys.exc_info()
        handle_result(SimpleNamespace(failed=exc_info), None, exc_info)

    def spawn_managed_thread(self, fn: Callable[[], None], identifier: str | None = None) -> None:
        self.threads.append(fn)

    def run_threads(self) -> None:
        while self.threads:
            self.threads.pop(0)()


def _finish(log: list[str]) -> Callable[[Any, Any], Any]:
    def finish(worker_ctx: Any, exc_info: Any) -> Any:
        log.append("commit" if exc_info is None else "rollback")
        return exc_info

    return finish


def _handler(method: Callable[[list[Any]], None], log: list[str], batch_size: int = 50) -> BatchEventHandler:
    handler = BatchEventHandler("forms", "review_opened")
    handler.method_name = "count_opened_review"
    handler.queue = SimpleNamespace(name="evt-forms-review_opened--analytics.count_opened_review")
    handler.container = Container(method, log)
    handler.batch_size, handler._held, handler._taking = batch_size, [], False
    handler.queue_consumer = mock.Mock()
    handler.queue_consumer.ack_message.side_effect = lambda m: log.append(f"ack {m.body}")
    handler.queue_consumer.requeue_message.side_effect = lambda m: log.append(f"requeue {m.body}")
    return handler


def _message(name: str) -> SimpleNamespace:
    return SimpleNamespace(
        body=name,
        headers={},
        properties={"content_type": "application/json", "message_id": name},
        delivery_info={"exchange": "forms.events", "routing_key": "review_opened"},
    )


def _deliver(handler: BatchEventHandler, names: list[str]) -> None:
    for name in names:
        handler.handle_message(name, _message(name))
    handler.container.run_threads()


@pytest.fixture
def publisher() -> Any:
    publisher = mock.Mock()
    with (
        mock.patch.object(entrypoints, "publisher_for", return_value=publisher),
        mock.patch.object(event_batches, "finish_units_of_work", _finish(log := [])),
    ):
        publisher.log = log
        yield publisher


def test_messages_delivered_together_are_applied_in_one_transaction_and_acknowledged_after_it(publisher):
    log: list[str] = publisher.log
    handler = _handler(lambda bodies: log.append(f"apply {' '.join(bodies)}"), log)
    _deliver(handler, ["a", "b", "c"])
    assert handler.container.workers == [["a", "b", "c"]]
    assert log == ["apply a b c", "commit", "ack a", "ack b", "ack c"], "acknowledge only after the commit"


def test_a_full_batch_is_applied_at_once_and_the_rest_make_the_next():
    log: list[str] = []
    with mock.patch.object(event_batches, "finish_units_of_work", _finish(log)):
        handler = _handler(lambda bodies: None, log, batch_size=2)
        _deliver(handler, ["a", "b", "c", "d", "e"])
    assert handler.container.workers == [["a", "b"], ["c", "d"], ["e"]]


def test_a_poison_message_in_a_batch_is_retried_alone_and_the_others_are_applied_once(publisher):
    log: list[str] = publisher.log
    applied: list[str] = []

    def apply(bodies: list[str]) -> None:
        if "poison" in bodies:
            raise ValueError("not a review_opened payload")
        applied.extend(bodies)

    handler = _handler(apply, log)
    _deliver(handler, ["a", "poison", "b"])
    assert handler.container.workers == [["a", "poison", "b"], ["a"], ["poison"], ["b"]]
    assert applied == ["a", "b"], (
        "each good message must be applied exactly once, alone, after the batch failed"
    )
    assert [c for c in log if c.startswith("ack")] == ["ack a", "ack poison", "ack b"]
    (retry,) = publisher.publish_raw.call_args_list
    assert retry.args[0] == "poison" and retry.kwargs["exchange"] == RETRY_EXCHANGE
    assert retry.kwargs["headers"][ATTEMPTS_HEADER] == 1
    assert log.index("rollback") < log.index("ack a"), "nothing is acknowledged before the batch rolled back"


def test_a_poison_message_out_of_attempts_is_dead_lettered_alone(publisher):
    log: list[str] = publisher.log

    def apply(bodies: list[str]) -> None:
        if "poison" in bodies:
            raise ValueError("not a review_opened payload")

    handler = _handler(apply, log)
    poison = _message("poison")
    poison.headers = {ATTEMPTS_HEADER: get_settings().event_max_attempts - 1}
    handler.handle_message("a", _message("a"))
    handler.handle_message("poison", poison)
    handler.container.run_threads()
    (dead,) = publisher.publish_raw.call_args_list
    assert (dead.args[0], dead.kwargs["routing_key"]) == ("poison", DEAD_LETTER_QUEUE)
    assert "ValueError" in dead.kwargs["headers"]["x-caserev-error"]


def test_a_batch_the_database_failed_is_retried_message_by_message_without_trying_each(publisher):
    log: list[str] = publisher.log

    def apply(bodies: list[str]) -> None:
        raise psycopg2.OperationalError("server closed the connection unexpectedly")

    handler = _handler(apply, log)
    _deliver(handler, ["a", "b"])
    assert handler.container.workers == [["a", "b"]], "no point trying each against a database that is away"
    retried = [
        (c.args[0], c.kwargs["headers"][TRANSIENT_ATTEMPTS_HEADER])
        for c in publisher.publish_raw.call_args_list
    ]
    assert retried == [("a", 1), ("b", 1)]
