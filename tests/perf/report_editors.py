"""Simulated editors of a report's sections for `make bench-report`: websocket clients speaking the Yjs
sync protocol (y-protocols) with pycrdt, as the page's editor (TipTap with its Collaboration extension) does,
against any server of it: the gateway, or the bare pycrdt-websocket baseline (tests/perf/report_baseline.py).

- Loading: an editor connects, sends its sync request (step 1) and answers the server's; the section is loaded
  when the server's answer (step 2, everything the editor lacks) has been applied.
- Typing: an editor appends one character to a paragraph of its own at a time, each a Yjs update of its own,
  sent at once, as a keystroke is.
- Arrival: a keystroke is the sender's Yjs clock reaching a value; it has reached another editor when that
  editor's document's state vector holds the sender at that clock or beyond. Every editor checks on every
  message it applies, so each keystroke gives one latency per other editor: send → applied there, both on
  this process's monotonic clock.

The gateway also sends its "saved" messages (type 100, the state vector of what the reports service holds);
they are counted and otherwise ignored. Awareness (carets) is not sent: neither server does work for it here.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pycrdt import (
    Doc,
    XmlElement,
    XmlFragment,
    XmlText,
    YMessageType,
    YSyncMessageType,
    create_sync_message,
    create_update_message,
    handle_sync_message,
    read_message,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gateway.report_sync import SAVED

FRAGMENT = "default"  # the XML fragment the page's editor keeps its text in (services/reports/yjs_text.py)
SYNC, STEP1, STEP2, UPDATE = YMessageType.SYNC, YSyncMessageType.SYNC_STEP1, YSyncMessageType.SYNC_STEP2, 2


def _varuint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def state_vector(encoded: bytes) -> dict[int, int]:
    """A Yjs state vector (lib0 encoding: a count, then client and clock pairs) as {client: clock}."""
    count, at = _varuint(encoded, 0)
    vector = {}
    for _ in range(count):
        client, at = _varuint(encoded, at)
        clock, at = _varuint(encoded, at)
        vector[client] = clock
    return vector


def paragraphs_update(doc: Doc, paragraphs: list[str]) -> bytes:
    """Append paragraphs to the doc's fragment in one transaction, as pasting them would; the update made."""
    before = doc.get_state()
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    with doc.transaction():
        for text in paragraphs:
            fragment.children.append(XmlElement("paragraph")).children.append(XmlText(text))
    return doc.get_update(before)


@dataclass
class Server:
    """Where the sections are served: a websocket URL per section, and what a handshake sends."""

    url_of: Callable[[str], str]
    headers: dict[str, str] = field(default_factory=dict)
    origin: str | None = None


@dataclass
class Arrivals:
    """Keystrokes sent (sender → [(clock after it, sent at)]) and the latencies of their arrivals."""

    sent: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)  # beside each latency, when its keystroke was sent
    recording: bool = False


class Editor:
    """One websocket on one section, with its own Yjs document."""

    def __init__(self, server: Server, section: str, arrivals: Arrivals | None = None) -> None:
        self.server, self.section, self.arrivals = server, section, arrivals
        self.doc: Doc = Doc()
        self.client = self.doc.client_id
        self.socket: ClientConnection | None = None
        self.loaded = asyncio.Event()
        self.saved: dict[int, int] = {}
        self.saved_changed = asyncio.Event()
        self.saved_messages = 0
        self.messages = 0
        self.dropped = False  # the server closed the connection (a keepalive ping unanswered in time, say)
        self._reader: asyncio.Task[None] | None = None
        self._seen: dict[int, int] = {}  # per sender: how many of its keystrokes have arrived here
        self._text: XmlText | None = None
        self._typed = 0

    async def open(self, timeout: float = 60) -> float:
        """Connect and load the section; seconds from before the handshake to the server's state applied."""
        began = time.monotonic()
        self.socket = await connect(
            self.server.url_of(self.section),
            origin=self.server.origin,  # type: ignore[arg-type]
            additional_headers=self.server.headers,
            max_size=None,
            open_timeout=timeout,
            ping_interval=None,
        )
        self._reader = asyncio.create_task(self._read())
        await self.socket.send(create_sync_message(self.doc))
        await asyncio.wait_for(self.loaded.wait(), timeout)
        return time.monotonic() - began

    async def close(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def _read(self) -> None:
        try:
            await self._read_messages()
        except ConnectionClosed:
            self.dropped = True

    async def _read_messages(self) -> None:
        assert self.socket is not None
        async for message in self.socket:
            if not isinstance(message, bytes) or not message:
                continue
            self.messages += 1
            if message[0] == SYNC:
                reply = handle_sync_message(message[1:], self.doc)
                if reply is not None:
                    await self.socket.send(reply)
                if message[1] == STEP2:
                    self.loaded.set()
                if message[1] in (STEP2, UPDATE) and self.arrivals is not None and self.arrivals.recording:
                    self._arrived(time.monotonic())
            elif message[0] == SAVED:
                self.saved_messages += 1
                self.saved = state_vector(read_message(message[1:]))
                self.saved_changed.set()

    def _arrived(self, now: float) -> None:
        assert self.arrivals is not None
        vector = state_vector(self.doc.get_state())
        for sender, strokes in self.arrivals.sent.items():
            if sender == self.client:
                continue
            seen = self._seen.get(sender, 0)
            clock = vector.get(sender, 0)
            while seen < len(strokes) and strokes[seen][0] <= clock:
                self.arrivals.latencies.append(now - strokes[seen][1])
                self.arrivals.sent_at.append(strokes[seen][1])
                seen += 1
            self._seen[sender] = seen

    def arrived_from(self, sender: int) -> int:
        return self._seen.get(sender, 0)

    # -- writing --

    async def send_update(self, update: bytes) -> None:
        assert self.socket is not None
        await self.socket.send(create_update_message(update))

    async def paste(self, paragraphs: list[str]) -> None:
        """Append paragraphs to the section (one update)."""
        await self.send_update(paragraphs_update(self.doc, paragraphs))

    async def round_trip(self, timeout: float = 60) -> None:
        """Wait until the server has handled everything this editor sent before (its answer to a sync request
        comes after them: one websocket's messages are handled in order)."""
        assert self.socket is not None
        self.loaded.clear()
        await self.socket.send(create_sync_message(self.doc))
        await asyncio.wait_for(self.loaded.wait(), timeout)

    async def kept(self, timeout: float = 120) -> None:
        """Wait until the server says it has kept everything this editor wrote (the gateway's "saved")."""
        mine = state_vector(self.doc.get_state()).get(self.client, 0)
        deadline = time.monotonic() + timeout
        while self.saved.get(self.client, 0) < mine:
            self.saved_changed.clear()
            await asyncio.wait_for(self.saved_changed.wait(), max(0.1, deadline - time.monotonic()))

    async def start_paragraph(self) -> None:
        """A paragraph of this editor's own at the end of the section, to type into."""
        before = self.doc.get_state()
        fragment = self.doc.get(FRAGMENT, type=XmlFragment)
        self._text = fragment.children.append(XmlElement("paragraph")).children.append(XmlText(""))
        await self.send_update(self.doc.get_update(before))

    async def type(self, rate: float, until: float, offset: float, alphabet: str) -> int:
        """Type one character every 1/rate s (open loop, from `offset` s on) until the monotonic time `until`;
        each keystroke stamped when sent. The number typed."""
        assert self.arrivals is not None and self._text is not None
        strokes = self.arrivals.sent.setdefault(self.client, [])
        start = time.monotonic() + offset
        typed = 0
        while True:
            due = start + typed / rate
            if due >= until:
                return typed
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            before = self.doc.get_state()
            self._text.insert(self._typed, alphabet[self._typed % len(alphabet)])
            self._typed += 1
            update = self.doc.get_update(before)
            clock = state_vector(self.doc.get_state())[self.client]
            strokes.append((clock, time.monotonic()))
            try:
                await self.send_update(update)
            except ConnectionClosed:
                self.dropped = True
                return typed
            typed += 1
