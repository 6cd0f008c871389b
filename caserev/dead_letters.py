"""The dead-letter queue as an operator sees it: list what failed and why, replay once mended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kombu import Connection

from services.kernel.broker import declare_dead_letter_queue
from services.kernel.entrypoints import ATTEMPTS_HEADER


@dataclass
class DeadLetter:
    """One message that kept failing."""

    message_id: str
    event_type: str
    queue: str
    attempts: int
    failed_at: str
    error: str


def _describe(message: Any) -> DeadLetter:
    headers = message.headers or {}
    return DeadLetter(
        message_id=str(message.properties.get("message_id") or ""),
        event_type=str(message.properties.get("type") or headers.get("x-caserev-original-routing-key", "")),
        queue=str(headers.get("x-caserev-queue", "")),
        attempts=int(headers.get(ATTEMPTS_HEADER, 0)),
        failed_at=str(headers.get("x-caserev-failed-at", "")),
        error=str(headers.get("x-caserev-error", "")),
    )


def _drain(connection: Connection) -> tuple[Any, list[Any]]:
    """Take every dead letter without acknowledging it (closing the channel gives them back)."""
    channel = connection.channel()
    queue = declare_dead_letter_queue(channel)
    messages = []
    while (message := queue.get(no_ack=False)) is not None:
        messages.append(message)
    return channel, messages


def list_dead_letters(amqp_uri: str) -> list[DeadLetter]:
    """Every message in the dead-letter queue, oldest first; the queue is left as it was."""
    with Connection(amqp_uri) as connection:
        channel, messages = _drain(connection)
        letters = [_describe(message) for message in messages]
        channel.close()
        return letters


def replay_dead_letters(amqp_uri: str, message_id: str | None = None) -> list[DeadLetter]:
    """Send dead letters (one by message id, or all) back to the queue they failed on, with a fresh count.

    Each is acknowledged only after the broker confirmed its replay, so none is lost on the way.
    """
    replayed = []
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel, messages = _drain(connection)
        producer = connection.Producer()
        for message in messages:
            letter = _describe(message)
            if message_id is not None and letter.message_id != message_id:
                continue
            if not letter.queue:
                continue
            headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-caserev-")}
            producer.publish(
                message.body,
                exchange="",
                routing_key=letter.queue,
                headers=headers,
                delivery_mode=2,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                message_id=message.properties.get("message_id"),
                type=message.properties.get("type"),
                retry=False,
            )
            message.ack()
            replayed.append(letter)
        channel.close()
    return replayed
