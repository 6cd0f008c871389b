"""The kernel's entrypoints commit before they acknowledge, retry a bounded number of times, then
dead-letter."""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace
from unittest import mock

import pytest

from services.kernel import entrypoints
from services.kernel.broker import DEAD_LETTER_QUEUE, RETRY_EXCHANGE
from services.kernel.config import get_settings
from services.kernel.entrypoints import ATTEMPTS_HEADER, EventHandler, Rpc


def _failure() -> tuple:
    try:
        raise RuntimeError("the handler broke")
    except RuntimeError:
        return sys.exc_info()


def _handler(calls: list[str], commit_error: tuple | None = None) -> tuple[EventHandler, SimpleNamespace]:
    handler = EventHandler("forms", "review_opened")
    handler.queue = SimpleNamespace(name="evt-forms-review_opened--analytics.count")
    handler.container = SimpleNamespace(service_name="analytics", config={"AMQP_URI": "memory://"})
    handler.queue_consumer = mock.Mock()
    handler.queue_consumer.ack_message.side_effect = lambda m: calls.append("ack")
    handler.queue_consumer.requeue_message.side_effect = lambda m: calls.append("requeue")

    def finish(worker_ctx, exc_info):
        calls.append("commit" if exc_info is None else "rollback")
        return commit_error if exc_info is None else exc_info

    worker_ctx = SimpleNamespace()
    return handler, SimpleNamespace(worker_ctx=worker_ctx, finish=finish)


def _message(attempts: int = 0) -> SimpleNamespace:
    return SimpleNamespace(
        body=b"{}",
        headers={ATTEMPTS_HEADER: attempts} if attempts else {},
        properties={"content_type": "application/json", "message_id": "m-1"},
        delivery_info={"exchange": "forms.events", "routing_key": "review_opened"},
    )


def test_event_is_committed_before_it_is_acknowledged():
    calls: list[str] = []
    handler, ctx = _handler(calls)
    with mock.patch.object(entrypoints, "finish_units_of_work", ctx.finish):
        handler.handle_result(_message(), ctx.worker_ctx, result=None, exc_info=None)
    assert calls == ["commit", "ack"], "the unit of work must commit before the message is acknowledged"


def test_failed_event_is_rolled_back_and_sent_to_retry_with_one_more_attempt():
    calls: list[str] = []
    handler, ctx = _handler(calls)
    publisher = mock.Mock()
    with (
        mock.patch.object(entrypoints, "finish_units_of_work", ctx.finish),
        mock.patch.object(entrypoints, "publisher_for", return_value=publisher),
    ):
        handler.handle_result(_message(attempts=1), ctx.worker_ctx, exc_info=_failure())
    assert calls == ["rollback", "ack"]
    kwargs = publisher.publish_raw.call_args.kwargs
    assert kwargs["exchange"] == RETRY_EXCHANGE
    assert kwargs["routing_key"] == handler.queue.name, "a retry must come back to the handler's own queue"
    assert kwargs["headers"][ATTEMPTS_HEADER] == 2
    assert kwargs["expiration"] == pytest.approx(get_settings().event_retry_base_ms * 2 / 1000)
    assert "RuntimeError: the handler broke" in kwargs["headers"]["x-caserev-error"]


def test_event_failing_its_last_attempt_goes_to_the_dead_letter_queue_with_its_reason():
    calls: list[str] = []
    handler, ctx = _handler(calls)
    publisher = mock.Mock()
    last = get_settings().event_max_attempts - 1
    with (
        mock.patch.object(entrypoints, "finish_units_of_work", ctx.finish),
        mock.patch.object(entrypoints, "publisher_for", return_value=publisher),
    ):
        handler.handle_result(_message(attempts=last), ctx.worker_ctx, exc_info=_failure())
    kwargs = publisher.publish_raw.call_args.kwargs
    assert (kwargs["exchange"], kwargs["routing_key"]) == ("", DEAD_LETTER_QUEUE)
    headers = kwargs["headers"]
    assert headers[ATTEMPTS_HEADER] == get_settings().event_max_attempts
    assert headers["x-caserev-queue"] == handler.queue.name
    assert headers["x-caserev-original-routing-key"] == "review_opened"
    assert calls == ["rollback", "ack"]


def test_event_that_cannot_be_parked_is_requeued_not_lost():
    calls: list[str] = []
    handler, ctx = _handler(calls)
    publisher = mock.Mock()
    publisher.publish_raw.side_effect = ConnectionError("broker gone")
    with (
        mock.patch.object(entrypoints, "finish_units_of_work", ctx.finish),
        mock.patch.object(entrypoints, "publisher_for", return_value=publisher),
    ):
        handler.handle_result(_message(), ctx.worker_ctx, exc_info=_failure())
    assert calls == ["rollback", "requeue"], "a message that could not be retried must go back, not be acked"


def test_failed_commit_makes_the_event_fail_instead_of_being_acknowledged():
    calls: list[str] = []
    handler, ctx = _handler(calls, commit_error=_failure())
    publisher = mock.Mock()
    with (
        mock.patch.object(entrypoints, "finish_units_of_work", ctx.finish),
        mock.patch.object(entrypoints, "publisher_for", return_value=publisher),
    ):
        handler.handle_result(_message(), ctx.worker_ctx, exc_info=None)
    assert publisher.publish_raw.called, "an event whose commit failed must be retried"
    assert calls == ["commit", "ack"]


def test_rpc_replies_only_after_its_unit_of_work_committed():
    calls: list[str] = []
    rpc = Rpc()
    rpc.rpc_consumer = mock.Mock()
    rpc.rpc_consumer.handle_result.side_effect = lambda message, result, exc_info: (
        calls.append("reply-error" if exc_info else "reply"),
        (result, exc_info),
    )[1]

    def finish(worker_ctx, exc_info):
        calls.append("commit")
        return None

    with mock.patch.object(entrypoints, "finish_units_of_work", finish):
        result, exc_info = rpc.handle_result(object(), SimpleNamespace(), {"id": 1}, None)
    assert calls == ["commit", "reply"]
    assert result == {"id": 1} and exc_info is None


def test_rpc_whose_commit_fails_replies_with_the_error_not_the_result():
    rpc = Rpc()
    rpc.rpc_consumer = mock.Mock()
    rpc.rpc_consumer.handle_result.side_effect = lambda message, result, exc_info: (result, exc_info)
    failure = _failure()
    with mock.patch.object(entrypoints, "finish_units_of_work", lambda ctx, exc: failure):
        result, exc_info = rpc.handle_result(object(), SimpleNamespace(), {"id": 1}, None)
    assert result is None and exc_info is failure


def test_relay_prunes_only_once_its_interval_has_passed():
    from services.kernel.outbox import OutboxRelay

    calls: list[str] = []
    relay = OutboxRelay(
        "forms",
        mock.Mock(),
        mock.Mock(),
        mock.Mock(),
        prune_every_seconds=3600,
        prune_old=lambda: (calls.append("p"), (0, 0))[1],
    )
    relay._prune_when_due()
    assert calls == [], "pruning must wait for its interval"
    relay._last_prune -= 3601
    relay._prune_when_due()
    relay._prune_when_due()
    assert calls == ["p"]


def test_rpc_whose_reply_cannot_be_sent_keeps_the_service_running():
    """`make chaos` found it: a reply sent while the broker restarted raised out of the worker and nameko
    killed the whole service. The work is committed and the request, unacknowledged, comes back."""
    from kombu.exceptions import OperationalError

    rpc = Rpc()
    rpc.method_name = "open_review"
    rpc.container = SimpleNamespace(service_name="forms")
    rpc.rpc_consumer = mock.Mock()
    rpc.rpc_consumer.handle_result.side_effect = OperationalError("[Errno 111] ECONNREFUSED")
    with mock.patch.object(entrypoints, "finish_units_of_work", lambda ctx, exc: None):
        result, exc_info = rpc.handle_result(object(), SimpleNamespace(), {"id": 1}, None)
    assert result == {"id": 1} and exc_info is None


def _database_away() -> tuple:
    import psycopg2
    from sqlalchemy.exc import OperationalError

    try:
        raise OperationalError(
            "SELECT 1", {}, psycopg2.OperationalError("the database system is starting up")
        )
    except OperationalError:
        return sys.exc_info()


def test_event_failing_while_the_database_restarts_is_retried_past_its_own_attempts():
    """`make chaos` found it: events delivered while PostgreSQL restarted spent their five attempts in three
    seconds and were dead-lettered. The database's absence is not the message's fault."""
    calls: list[str] = []
    handler, ctx = _handler(calls)
    publisher = mock.Mock()
    last = get_settings().event_max_attempts - 1
    with (
        mock.patch.object(entrypoints, "finish_units_of_work", ctx.finish),
        mock.patch.object(entrypoints, "publisher_for", return_value=publisher),
    ):
        handler.handle_result(_message(attempts=last), ctx.worker_ctx, exc_info=_database_away())
    kwargs = publisher.publish_raw.call_args.kwargs
    assert kwargs["exchange"] == RETRY_EXCHANGE, "dead-lettered for the database being away"
    assert kwargs["headers"][ATTEMPTS_HEADER] == last, "the database's absence counted against the message"
    assert kwargs["headers"][entrypoints.TRANSIENT_ATTEMPTS_HEADER] == 1


def test_waits_for_an_absent_database_grow_to_a_ceiling_then_the_event_is_dead_lettered():
    settings = get_settings()
    handler, ctx = _handler([])
    publisher = mock.Mock()
    message = _message()
    message.headers[entrypoints.TRANSIENT_ATTEMPTS_HEADER] = 20
    with (
        mock.patch.object(entrypoints, "finish_units_of_work", ctx.finish),
        mock.patch.object(entrypoints, "publisher_for", return_value=publisher),
    ):
        handler.handle_result(message, ctx.worker_ctx, exc_info=_database_away())
        assert publisher.publish_raw.call_args.kwargs["expiration"] == settings.event_retry_max_ms / 1000
        message.headers[entrypoints.TRANSIENT_ATTEMPTS_HEADER] = settings.event_max_transient_attempts - 1
        handler.handle_result(message, ctx.worker_ctx, exc_info=_database_away())
    assert publisher.publish_raw.call_args.kwargs["routing_key"] == DEAD_LETTER_QUEUE


def test_an_acknowledgement_the_broker_cannot_take_keeps_the_service_running():
    """`make chaos` found it: an ack on a connection the broker restart had reset killed the service."""
    calls: list[str] = []
    handler, ctx = _handler(calls)
    handler.queue_consumer.ack_message.side_effect = ConnectionResetError(104, "Connection reset by peer")
    with mock.patch.object(entrypoints, "finish_units_of_work", ctx.finish):
        handler.handle_result(_message(), ctx.worker_ctx, exc_info=None)
    assert calls == ["commit"]


def _replies(calls: list[str]) -> tuple[entrypoints.RpcReplies, mock.Mock]:
    replies = entrypoints.RpcReplies()
    replies.container = SimpleNamespace(service_name="forms", config={"AMQP_URI": "memory://"})
    replies.queue_consumer = mock.Mock()
    replies.queue_consumer.ack_message.side_effect = lambda m: calls.append("ack")
    producer = mock.Mock()
    producer.publish.side_effect = lambda *a, **k: calls.append("reply")
    replies._producers = mock.Mock()
    replies._producers.acquire.return_value.__enter__ = mock.Mock(return_value=producer)
    replies._producers.acquire.return_value.__exit__ = mock.Mock(return_value=False)
    replies._exchange = "nameko-rpc"
    return replies, producer


def _request() -> SimpleNamespace:
    properties = {"content_type": "application/json", "reply_to": "rpc.reply-gw-1", "correlation_id": "c-7"}
    return SimpleNamespace(properties=properties)


def test_an_rpc_reply_goes_to_the_callers_queue_once_serialised_then_the_request_is_acked() -> None:
    calls: list[str] = []
    replies, producer = _replies(calls)
    result, exc_info = replies.handle_result(_request(), {"id": 1}, None)
    assert calls == ["reply", "ack"], "the request is acknowledged only once its reply is published"
    assert (result, exc_info) == ({"id": 1}, None)
    (body,), options = producer.publish.call_args
    assert json.loads(body) == {"result": {"id": 1}, "error": None}
    assert options["routing_key"] == "rpc.reply-gw-1" and options["correlation_id"] == "c-7"
    assert options["content_type"] == "application/json" and options["delivery_mode"] == 2
    assert options["retry"] is True


def test_an_rpc_error_is_replied_by_name_and_an_unserialisable_result_is_refused() -> None:
    replies, producer = _replies([])
    replies.handle_result(_request(), None, _failure())
    (body,), _ = producer.publish.call_args
    assert json.loads(body)["error"]["exc_type"] == "RuntimeError"

    result, exc_info = replies.handle_result(_request(), {"when": object()}, None)
    (body,), _ = producer.publish.call_args
    assert result is None and exc_info[0] is not None
    assert json.loads(body)["error"]["exc_type"] == "UnserializableValueError"


def test_the_kernels_rpc_entrypoints_reply_through_the_kernels_consumer() -> None:
    assert isinstance(Rpc.rpc_consumer, entrypoints.RpcReplies)
