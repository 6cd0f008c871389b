"""The live unread count: the server-sent events' wire format, reading the notifications service's events,
the fan-out to each person's open pages, and one page's stream (gateway/live.py)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from gateway.live import (
    ASK_AGAIN,
    CREATED,
    READ,
    OpenPages,
    UnreadChanged,
    change_of,
    sse_comment,
    sse_event,
    unread_stream,
)
from gateway.policy import policy_for
from services.kernel.events import Envelope
from services.notifications.contract import NotificationCreated, NotificationsRead

# -- the wire format ----------------------------------------------------------------------------------------


def test_an_event_is_its_name_and_data_lines_ended_by_a_blank_line() -> None:
    assert sse_event("unread", "3") == "event: unread\ndata: 3\n\n"


def test_data_of_several_lines_is_sent_as_a_data_line_each() -> None:
    assert sse_event("note", "one\r\ntwo\rthree\nfour") == (
        "event: note\ndata: one\ndata: two\ndata: three\ndata: four\n\n"
    )


def test_an_event_can_tell_the_browser_how_long_to_wait_before_reconnecting() -> None:
    assert sse_event("unread", "0", retry_ms=5000) == "retry: 5000\nevent: unread\ndata: 0\n\n"


@pytest.mark.parametrize("name", ["", "two\nlines", "with: colon"])
def test_an_event_name_that_would_break_the_stream_is_refused(name: str) -> None:
    with pytest.raises(ValueError):
        sse_event(name, "1")


def test_a_comment_is_a_line_starting_with_a_colon() -> None:
    assert sse_comment("still here") == ": still here\n\n"
    assert sse_comment("a\nb") == ": a\n: b\n\n"


# -- reading the service's events ---------------------------------------------------------------------------


def _body(payload: Any) -> bytes:
    return json.dumps(Envelope.wrap(payload).model_dump(mode="json")).encode()


def test_a_new_notification_asks_for_its_persons_count_again() -> None:
    user = uuid.uuid4()
    created = NotificationCreated(
        notification_id=uuid.uuid4(), user_id=user, kind="return_overdue", urgent=True
    )
    assert change_of(CREATED, _body(created)) == (str(user), ASK_AGAIN)


def test_messages_read_carry_the_persons_new_count() -> None:
    user = uuid.uuid4()
    assert change_of(READ, _body(NotificationsRead(user_id=user, unread=4))) == (str(user), UnreadChanged(4))


def test_a_later_version_of_an_event_with_more_fields_is_still_understood() -> None:
    user = uuid.uuid4()
    envelope = json.loads(_body(NotificationsRead(user_id=user, unread=1)))
    envelope["data"]["read_ids"] = [str(uuid.uuid4())]
    assert change_of(READ, json.dumps(envelope).encode()) == (str(user), UnreadChanged(1))


@pytest.mark.parametrize(
    ("routing_key", "body"),
    [
        (READ, b"not json"),
        (READ, b'{"data": {"user_id": "not a uuid", "unread": 1}}'),
        (READ, b'{"data": {"user_id": "8d0a3c3e-1f7c-4a43-9d43-5a8f0a1b2c3d"}}'),
        (CREATED, b'{"no": "data"}'),
        ("something_else", b'{"data": {"user_id": "8d0a3c3e-1f7c-4a43-9d43-5a8f0a1b2c3d", "unread": 1}}'),
    ],
)
def test_a_message_that_is_not_one_of_the_two_events_is_ignored(routing_key: str, body: bytes) -> None:
    assert change_of(routing_key, body) is None


# -- the fan-out to open pages ------------------------------------------------------------------------------


def test_the_same_person_in_two_tabs_is_told_in_both_and_nobody_else_is() -> None:
    async def scenario() -> None:
        pages = OpenPages()
        with pages.opened("ann") as first, pages.opened("ann") as second, pages.opened("bob") as other:
            assert pages.tell("ann", UnreadChanged(2)) == 2
            assert first.get_nowait() == second.get_nowait() == UnreadChanged(2)
            assert other.empty()
        assert len(pages) == 0, "a closed page is forgotten"
        assert pages.tell("ann", UnreadChanged(1)) == 0

    asyncio.run(scenario())


def test_a_page_that_falls_behind_keeps_the_newest_change_only() -> None:
    async def scenario() -> None:
        pages = OpenPages(depth=2)
        with pages.opened("ann") as queue:
            for count in (1, 2, 3):
                pages.tell("ann", UnreadChanged(count))
            assert queue.get_nowait() == UnreadChanged(3)
            assert queue.empty()

    asyncio.run(scenario())


def test_everyone_is_asked_to_count_again_after_the_subscription_was_lost() -> None:
    async def scenario() -> None:
        pages = OpenPages()
        with pages.opened("ann") as ann, pages.opened("bob") as bob:
            pages.tell_everyone(ASK_AGAIN)
            assert ann.get_nowait() == bob.get_nowait() == ASK_AGAIN

    asyncio.run(scenario())


# -- one page's stream --------------------------------------------------------------------------------------


class FakeService:
    """The notifications service's unread count, or None while it does not answer."""

    def __init__(self, count: int | None) -> None:
        self.count = count
        self.asked = 0

    async def ask(self) -> int | None:
        self.asked += 1
        return self.count


async def _signed_in() -> bool:
    return True


async def _collect(
    stream: AsyncIterator[str],
    until: Callable[[list[str]], bool],
    act: Callable[[list[str]], Awaitable[None]],
) -> list[str]:
    seen: list[str] = []
    async for event in stream:
        seen.append(event)
        await act(seen)
        if until(seen):
            break
    return seen


def test_the_stream_sends_the_count_at_once_then_each_change() -> None:
    async def scenario() -> list[str]:
        service, pages, stopping = FakeService(3), OpenPages(), asyncio.Event()
        with pages.opened("ann") as changes:
            stream = unread_stream(changes, service.ask, stopping=stopping, still_signed_in=_signed_in)

            async def act(seen: list[str]) -> None:
                if len(seen) == 1:
                    pages.tell("ann", UnreadChanged(3))  # no change: nothing sent
                    pages.tell("ann", UnreadChanged(0))
                elif len(seen) == 2:
                    service.count = 1
                    pages.tell("ann", ASK_AGAIN)

            return await asyncio.wait_for(_collect(stream, lambda seen: len(seen) == 3, act), 5)

    assert asyncio.run(scenario()) == [
        "retry: 5000\nevent: unread\ndata: 3\n\n",
        "event: unread\ndata: 0\n\n",
        "event: unread\ndata: 1\n\n",
    ]


def test_an_idle_stream_sends_a_heartbeat_comment() -> None:
    async def scenario() -> list[str]:
        service, pages = FakeService(0), OpenPages()
        with pages.opened("ann") as changes:
            stream = unread_stream(
                changes, service.ask, stopping=asyncio.Event(), still_signed_in=_signed_in, heartbeat_s=0.01
            )

            async def nothing(seen: list[str]) -> None:
                return None

            return await asyncio.wait_for(_collect(stream, lambda seen: len(seen) == 2, nothing), 5)

    assert asyncio.run(scenario())[1].startswith(": ")


def test_the_stream_says_signed_out_and_ends_once_the_session_has_ended() -> None:
    async def scenario() -> list[str]:
        pages = OpenPages()

        async def signed_out() -> bool:
            return False

        with pages.opened("ann") as changes:
            stream = unread_stream(
                changes,
                FakeService(2).ask,
                stopping=asyncio.Event(),
                still_signed_in=signed_out,
                heartbeat_s=0.01,
            )
            return await asyncio.wait_for(_all(stream), 5)

    events = asyncio.run(scenario())
    assert events[-1] == "event: signed-out\ndata: \n\n"


async def _all(stream: AsyncIterator[str]) -> list[str]:
    return [event async for event in stream]


def test_the_stream_ends_when_the_gateway_stops() -> None:
    async def scenario() -> list[str]:
        pages, stopping = OpenPages(), asyncio.Event()
        with pages.opened("ann") as changes:
            stream = unread_stream(changes, FakeService(5).ask, stopping=stopping, still_signed_in=_signed_in)
            asyncio.get_running_loop().call_later(0.05, stopping.set)
            return await asyncio.wait_for(_all(stream), 5)

    assert asyncio.run(scenario()) == ["retry: 5000\nevent: unread\ndata: 5\n\n"]


def test_without_the_service_the_stream_sends_no_count_and_waits_for_one() -> None:
    async def scenario() -> list[str]:
        service, pages = FakeService(None), OpenPages()
        with pages.opened("ann") as changes:
            stream = unread_stream(changes, service.ask, stopping=asyncio.Event(), still_signed_in=_signed_in)

            async def act(seen: list[str]) -> None:
                pages.tell("ann", UnreadChanged(2))

            return await asyncio.wait_for(_collect(stream, lambda seen: len(seen) == 2, act), 5)

    assert asyncio.run(scenario()) == ["retry: 5000\n\n", "event: unread\ndata: 2\n\n"]


def test_the_stream_does_not_keep_a_session_alive() -> None:
    rule = policy_for("GET", "/notifications/stream")
    assert rule is not None and not rule.activity, "an open tab must not defeat the idle time-out"


# -- the centre's words -------------------------------------------------------------------------------------


def test_a_message_links_only_to_a_page_of_this_site() -> None:
    from gateway.routes.notifications import _message
    from services.notifications.contract import InAppNotification

    def shown(link: str | None) -> str:
        message = InAppNotification(
            id=uuid.uuid4(),
            partnership_id=uuid.uuid4(),
            review_id=None,
            kind="review_opened",
            title="A new review has been opened",
            body="Sign in to see it.",
            link=link,
            read=False,
        )
        return _message(message, {})["link"]

    assert shown("/reviews/1") == "/reviews/1"
    assert shown("https://elsewhere.example/") == ""
    assert shown("//elsewhere.example/") == ""
    assert shown(None) == ""


# -- stopping -----------------------------------------------------------------------------------------------


def test_the_streams_end_when_the_process_is_asked_to_stop_and_the_server_still_hears_it() -> None:
    """uvicorn waits for every response before the lifespan ends, and an event stream never finishes: the
    gateway ends its streams on SIGTERM, before uvicorn's own handler (which must still run)."""
    import signal
    import threading

    from gateway.live import LiveUnread

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    heard: list[int] = []

    def servers_handler(number: int, frame: object) -> None:
        heard.append(number)

    original = signal.signal(signal.SIGTERM, servers_handler)

    async def scenario() -> bool:
        live = LiveUnread("amqp://guest:guest@127.0.0.1:1/")  # no broker: the subscription keeps trying
        await live.start()
        try:
            assert signal.getsignal(signal.SIGTERM) is not servers_handler, (
                "the gateway did not chain SIGTERM"
            )
            signal.raise_signal(signal.SIGTERM)
            await asyncio.wait_for(live.stopping.wait(), 2)
            return live.stopping.is_set()
        finally:
            await live.stop()

    try:
        assert asyncio.run(scenario())
        assert heard == [signal.SIGTERM], "the server's own handler did not run"
        assert signal.getsignal(signal.SIGTERM) is servers_handler, "the server's handler was not put back"
    finally:
        signal.signal(signal.SIGTERM, original)
