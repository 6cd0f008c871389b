"""The live unread count: the notifications service's events, fanned out to each person's open pages as
server-sent events (GET /notifications/stream), and the count the header shows when a page is drawn.

One subscription per gateway process: an exclusive, auto-deleted, server-named queue bound to
`notification_created` and `notifications_read` on the `notifications.events` exchange. It is made again,
with back-off, whenever the broker goes away, and every open page then asks for its count afresh (events
published while the queue did not exist are gone). Each open page holds an asyncio queue in `OpenPages`
under its person's user id: the same person in two tabs is told in both.

uvicorn runs the lifespan's shutdown only after every response has finished, and an event stream never
finishes by itself: so the streams also end when the process is asked to stop (SIGTERM, SIGINT), before
uvicorn waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from fastapi import Request
from pydantic import ValidationError
from starlette.requests import HTTPConnection

from gateway.rpc import RemoteError, RpcUnavailable
from services.kernel.broker import declare_private_subscription
from services.kernel.identity import Actor
from services.notifications.contract import SERVICE, NotificationCreated, Notifications, NotificationsRead

log = logging.getLogger(__name__)

Change = TypeVar("Change")

CREATED = NotificationCreated.event_type.split(".", 1)[1]
READ = NotificationsRead.event_type.split(".", 1)[1]
# The events the gateway consumes (the event catalogue lists it among their consumers).
CONSUMED = (NotificationCreated.event_type, NotificationsRead.event_type)
HEARTBEAT_S = 15.0
# How an operator tells the subscription's connection from the RPC client's (rabbitmqctl list_connections).
CONNECTION_NAME = "gateway: live unread count"
# How long a browser waits before it connects again after the stream ended (the gateway restarted).
RECONNECT_MS = 5000
# How long a page waits for the count before it is drawn without one; and how long pages stop asking after
# a failure, so that a notifications service that is away slows no page down more than once.
BADGE_TIMEOUT_S = 1.0
BADGE_PAUSE_S = 30.0


# -- the wire format of server-sent events ------------------------------------------------------------------


def sse_event(event: str, data: str, *, retry_ms: int | None = None) -> str:
    """One server-sent event: its name, its data (a `data:` line per line of text), and optionally how long
    the browser waits before reconnecting."""
    if not event or any(ch in event for ch in "\r\n:"):
        raise ValueError("an event name is one line without a colon")
    lines = [f"retry: {int(retry_ms)}"] if retry_ms is not None else []
    lines.append(f"event: {event}")
    lines += [f"data: {line}" for line in data.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines) + "\n\n"


def sse_comment(text: str) -> str:
    """A comment line: the browser ignores it, and proxies see the connection is in use."""
    return "".join(f": {line}\n" for line in text.splitlines() or [""]) + "\n"


# -- what an open page is told -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnreadChanged:
    """A person's unread count changed: to `unread`, or (None) by an amount only the service knows."""

    unread: int | None = None


ASK_AGAIN = UnreadChanged()


def change_of(routing_key: str, body: bytes) -> tuple[str, UnreadChanged] | None:
    """Whose count an event changes, and how; None for a message that is not one of the two events.

    The payload is the envelope's `data`; only the fields the gateway needs are read, so that a later
    version of an event that adds fields still works.
    """
    try:
        envelope = json.loads(body)
        data = envelope["data"]
        if routing_key == CREATED:
            created = NotificationCreated.model_validate(
                {name: data.get(name) for name in NotificationCreated.model_fields}
            )
            return str(created.user_id), ASK_AGAIN
        if routing_key == READ:
            read = NotificationsRead.model_validate(
                {name: data.get(name) for name in NotificationsRead.model_fields}
            )
            return str(read.user_id), UnreadChanged(max(read.unread, 0))
    except (ValueError, TypeError, KeyError, AttributeError):
        log.warning("notifications event %s not understood: ignored", routing_key)
    return None


class OpenPages:
    """The open event streams of each person, by user id: a bounded queue of changes per stream.

    A stream that falls behind loses nothing it needs: a count supersedes every count before it, so a full
    queue is emptied and given the newest change only.
    """

    def __init__(self, depth: int = 8) -> None:
        self.depth = depth
        self._by_user: dict[str, set[asyncio.Queue[UnreadChanged]]] = {}

    def __len__(self) -> int:
        return sum(len(queues) for queues in self._by_user.values())

    @contextlib.contextmanager
    def opened(self, user_id: str) -> Iterator[asyncio.Queue[UnreadChanged]]:
        """A stream's queue for as long as the stream is open."""
        queue: asyncio.Queue[UnreadChanged] = asyncio.Queue(self.depth)
        self._by_user.setdefault(user_id, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._by_user.get(user_id, set())
            queues.discard(queue)
            if not queues:
                self._by_user.pop(user_id, None)

    @staticmethod
    def _put(queue: asyncio.Queue[UnreadChanged], change: UnreadChanged) -> None:
        if queue.full():
            while not queue.empty():
                queue.get_nowait()
        queue.put_nowait(change)

    def tell(self, user_id: str, change: UnreadChanged) -> int:
        """Tell every open stream of one person; how many were told."""
        queues = list(self._by_user.get(user_id, ()))
        for queue in queues:
            self._put(queue, change)
        return len(queues)

    def tell_everyone(self, change: UnreadChanged) -> None:
        """Tell every open stream (after events may have been missed)."""
        for queues in list(self._by_user.values()):
            for queue in list(queues):
                self._put(queue, change)


# -- the subscription ---------------------------------------------------------------------------------------


class EventSubscription:
    """A process's own subscription to some events of one service, kept up while the process runs: an
    exclusive, server-named queue, made again with back-off whenever the broker goes away. After a loss,
    `on_resubscribed` is called: events published while the queue did not exist are gone."""

    def __init__(
        self,
        amqp_uri: str,
        source_service: str,
        routing_keys: tuple[str, ...],
        on_message: Callable[[str, bytes], None],
        *,
        connection_name: str,
        on_resubscribed: Callable[[], None] = lambda: None,
        most_backoff_s: float = 30.0,
    ) -> None:
        self.amqp_uri = amqp_uri
        self.source_service = source_service
        self.routing_keys = routing_keys
        self.on_message = on_message
        self.on_resubscribed = on_resubscribed
        self.connection_name = connection_name
        self.most_backoff_s = most_backoff_s
        self.subscribed = False
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def exchange(self) -> str:
        return f"{self.source_service}.events"

    def start(self) -> None:
        """Subscribe in the background (the broker may not be there yet)."""
        if self._task is None:
            self._task = asyncio.create_task(self._keep_subscribed(), name=self.connection_name)

    async def stop(self) -> None:
        """Unsubscribe and stop trying."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5)
            self._task = None

    async def _keep_subscribed(self) -> None:
        backoff, first = 1.0, True
        while not self._stop.is_set():
            connection: aio_pika.abc.AbstractConnection | None = None
            try:
                connection = await aio_pika.connect(
                    self.amqp_uri, timeout=5, client_properties={"connection_name": self.connection_name}
                )
                lost = asyncio.Event()
                connection.close_callbacks.add(lambda *_, lost=lost: lost.set())
                channel = await connection.channel()
                channel.close_callbacks.add(lambda *_, lost=lost: lost.set())
                queue = await declare_private_subscription(channel, self.source_service, self.routing_keys)
                await queue.consume(self._on_message, no_ack=True)
                self.subscribed, backoff = True, 1.0
                if not first:
                    self.on_resubscribed()
                    log.info("subscribed again to %s", self.exchange)
                first = False
                await _first_of(lost.wait(), self._stop.wait())
                if not self._stop.is_set():
                    log.warning("lost the subscription to %s: subscribing again", self.exchange)
            except Exception as exc:
                reason = type(exc).__name__
                log.warning(
                    "cannot subscribe to %s (%s): trying again in %gs", self.exchange, reason, backoff
                )
            finally:
                self.subscribed = False
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close()
            if not self._stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), backoff)
                backoff = min(backoff * 2, self.most_backoff_s)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self.on_message(message.routing_key or "", message.body)


class NotificationEvents(EventSubscription):
    """The process's subscription to the notifications service's events, kept up while the process runs."""

    def __init__(self, amqp_uri: str, pages: OpenPages, *, most_backoff_s: float = 30.0) -> None:
        self.pages = pages
        super().__init__(
            amqp_uri,
            SERVICE,
            (CREATED, READ),
            self._tell,
            connection_name=CONNECTION_NAME,
            on_resubscribed=lambda: pages.tell_everyone(ASK_AGAIN),
            most_backoff_s=most_backoff_s,
        )

    def _tell(self, routing_key: str, body: bytes) -> None:
        found = change_of(routing_key, body)
        if found is not None:
            self.pages.tell(*found)


async def _first_of(*waits: Awaitable[Any]) -> None:
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


# -- one page's stream --------------------------------------------------------------------------------------

Ask = Callable[[], Awaitable[int | None]]


async def unread_stream(
    changes: asyncio.Queue[UnreadChanged],
    ask: Ask,
    *,
    stopping: asyncio.Event,
    still_signed_in: Callable[[], Awaitable[bool]],
    heartbeat_s: float = HEARTBEAT_S,
) -> AsyncIterator[str]:
    """The events of one page: `unread` with the count at once (when the service answers) and on every
    change; a comment every `heartbeat_s` seconds; the end when the process stops or the session ends.

    `ask` is the service's count (None when it does not answer): asked at the start and for every change
    whose new count only the service knows.
    """
    last = await ask()
    if last is not None:
        yield sse_event("unread", str(last), retry_ms=RECONNECT_MS)
    else:
        yield f"retry: {RECONNECT_MS}\n\n"
    async for change in paced(
        changes, stopping=stopping, still_signed_in=still_signed_in, heartbeat_s=heartbeat_s
    ):
        if isinstance(change, str):
            yield change
            continue
        unread = change.unread if change.unread is not None else await ask()
        if unread is not None and unread != last:
            last = unread
            yield sse_event("unread", str(unread))


async def paced(
    changes: asyncio.Queue[Change],
    *,
    stopping: asyncio.Event,
    still_signed_in: Callable[[], Awaitable[bool]],
    heartbeat_s: float,
) -> AsyncIterator[Change | str]:
    """An open stream's changes as they come, and between them its own lines (str): a comment every
    `heartbeat_s` seconds, and `signed-out`, then the end, once the session has ended; the end when the
    process stops."""
    while not stopping.is_set():
        change = await next_change(changes, stopping, heartbeat_s)
        if stopping.is_set():
            return
        if change is None:
            if not await still_signed_in():
                yield sse_event("signed-out", "")
                return
            yield sse_comment("still here")
            continue
        yield change


async def next_change(
    changes: asyncio.Queue[Change], stopping: asyncio.Event, timeout: float
) -> Change | None:
    """The next change, or None when `timeout` passes (or the process stops) first."""
    getting = asyncio.ensure_future(changes.get())
    stopped = asyncio.ensure_future(stopping.wait())
    try:
        done, _ = await asyncio.wait({getting, stopped}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not getting.done():
            getting.cancel()
    return getting.result() if getting in done and not getting.cancelled() else None


# -- the process's live parts -------------------------------------------------------------------------------


class LiveUnread:
    """What the gateway process keeps for the live count: the open pages, the subscription, whether it is
    stopping, and the header's pause after the service failed to answer."""

    def __init__(self, amqp_uri: str) -> None:
        self.pages = OpenPages()
        self.events = NotificationEvents(amqp_uri, self.pages)
        self.stopping = asyncio.Event()
        self.badge_paused_until = 0.0
        self._previous_handlers: dict[int, Any] = {}

    async def start(self) -> None:
        """Subscribe, and end every stream when the process is asked to stop."""
        self._chain_exit_signals()
        self.events.start()

    async def stop(self) -> None:
        """End every stream and unsubscribe."""
        self.stopping.set()
        self._restore_exit_signals()
        await self.events.stop()

    def _chain_exit_signals(self) -> None:
        """Run before the server's own handler of SIGTERM and SIGINT (uvicorn installs it before the
        lifespan starts): set `stopping`, then let the server shut down as it would have."""
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only: nothing to chain in a test client's thread
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(number)
            if not callable(previous):
                continue  # the default action ends the process at once; nothing waits for the streams

            def on_exit(signum: int, frame: Any, previous: Callable[..., Any] = previous) -> None:
                loop.call_soon_threadsafe(self.stopping.set)
                previous(signum, frame)

            signal.signal(number, on_exit)
            self._previous_handlers[number] = (on_exit, previous)

    def _restore_exit_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for number, (ours, previous) in self._previous_handlers.items():
            if signal.getsignal(number) is ours:
                signal.signal(number, previous)
        self._previous_handlers.clear()


def live_of(request: Request) -> LiveUnread:
    """The process's live parts."""
    return request.app.state.live


async def unread_count(notifications: Notifications, actor: Actor) -> int | None:
    """A person's unread count from the notifications service; None when it does not answer."""
    try:
        count = await notifications.unread_count(actor)
    except Exception as exc:
        log.info("unread count not available (%s)", type(exc).__name__)
        return None
    return count if count >= 0 else None


def _draws_a_page(request: Request) -> bool:
    """A browser's request for a page (not the JSON API, not the event stream, not a form's answer)."""
    accept = request.headers.get("accept", "")
    return (
        request.method == "GET"
        and not request.url.path.startswith("/api/")
        and (not accept or "text/html" in accept or "*/*" in accept)
    )


async def note_unread_count(connection: HTTPConnection) -> None:
    """For a page a signed-in person asks for: the unread count its header shows (request.state.unread),
    when the notifications service answers at once. The page is never held up long or broken for it."""
    if not isinstance(connection, Request):
        return  # a websocket draws no page
    request = connection
    request.state.unread = None
    principal = getattr(request.state, "principal", None)
    if principal is None or principal.session is None or principal.session.stage != "full":
        return
    if not _draws_a_page(request):
        return
    live: LiveUnread | None = getattr(request.app.state, "live", None)
    if live is None or time.monotonic() < live.badge_paused_until:
        return  # an app run without its lifespan (a test's), or a service that did not answer just now
    notifications = Notifications.client(request.app.state.rpc, timeout=BADGE_TIMEOUT_S)
    try:
        count = await notifications.unread_count(principal.actor)
    except RpcUnavailable:
        live.badge_paused_until = time.monotonic() + BADGE_PAUSE_S
        return
    except RemoteError as exc:
        log.info("unread count refused (%s)", exc.exc_type)
        return
    except ValidationError:
        log.info("unread count not a count")  # an answer not as declared: no badge, the page is drawn
        return
    request.state.unread = count if count >= 0 else None
