"""Live co-editing of reports: the Yjs sync protocol (https://github.com/yjs/y-protocols) between the editors
of one section, on FastAPI's websockets, with pycrdt for the server's copy of the section's document.

Every section is a room. A process keeps a room while one of its websockets edits or reads that section: the
room's document (what the editors have sent, merged), and what the reports service is known to have kept
(`durable`). The process is otherwise stateless:

- Whatever an editor sends is applied to the room, relayed to the room's other websockets at once, published
  on the broker's `reports.live` exchange (routing key: the section's id; transient, since durability is the
  store's) for the other gateway processes serving the section, and handed to the reports service to keep
  (`save_updates`, as the editor: the service checks again that they may change the section). Until the
  service has kept it, it waits in the editor's queue and is tried again with back-off, so a reports service
  killed mid-edit loses nothing once it is back; the editor is told what is kept ("saved", message type 100,
  the state vector of what the service holds), which is when its page says "All changes saved".
- A new room binds its queue first, then loads the section's state from the service, so an update another
  process publishes meanwhile is not missed. Yjs updates are idempotent and commute: a repeat does no harm.
- Readers (a section shared with their agency) receive everything and change nothing: what they send other
  than their sync request and their caret is dropped.
- A comment added, answered, resolved or reopened on a section is announced to its pages the same way
  (message type 101, which carries nothing of the comment), and each page fetches the section's comments
  again with its own rights.

Authorisation happens before the websocket is accepted (gateway/routes/reports.py): nothing of a section
reaches a caller the reports service did not grant it to.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import uuid
from dataclasses import dataclass, field
from uuid import UUID

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from pycrdt import (
    Doc,
    YMessageType,
    YSyncMessageType,
    create_sync_message,
    create_update_message,
    handle_sync_message,
    read_message,
    write_message,
)
from starlette.websockets import WebSocket, WebSocketState

from gateway.rpc import RemoteError, RpcUnavailable
from services.kernel.broker import declare_live_relay
from services.kernel.identity import Actor
from services.reports.contract import Access, Reports, SectionUpdates

log = logging.getLogger(__name__)

EXCHANGE = "reports.live"
# The message a page is told what the reports service has kept by (not one of y-protocols' own types).
SAVED = 100
# The message that tells a page the section's comments changed (one byte, nothing of them): the page asks for
# the section's comment panel again, with its own rights (gateway/routes/report_comments.py).
COMMENTS = 101
# An update that changes nothing (what a client's sync answer holds when the server lacks nothing).
NOTHING = b"\x00\x00"
CONNECTION_NAME = "gateway: live reports"
MOST_BACKOFF_S = 10.0
# How long a websocket that closed keeps trying to hand in what it still holds.
FLUSH_ON_CLOSE_S = 30.0


@dataclass(eq=False)
class Editor:
    """One websocket on a section: who, with what access, and what it sent that is not yet kept."""

    websocket: WebSocket
    actor: Actor
    access: Access
    pending: list[bytes] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    awareness: bytes | None = None
    closed: bool = False

    async def send(self, message: bytes) -> None:
        """Send, one message at a time; a peer that has gone is not an error (its room goes on)."""
        if self.closed:
            return
        async with self.send_lock:
            try:
                if self.websocket.application_state == WebSocketState.CONNECTED:
                    await self.websocket.send_bytes(message)
            except Exception:  # the peer went away between the check and the send
                self.closed = True


@dataclass(eq=False)
class Room:
    """A section's live document in this process."""

    section_id: UUID
    doc: Doc = field(default_factory=Doc)
    durable: Doc = field(default_factory=Doc)
    editors: set[Editor] = field(default_factory=set)

    def saved_message(self) -> bytes:
        return bytes([SAVED]) + write_message(self.durable.get_state())

    async def broadcast(self, message: bytes, *, but: Editor | None = None) -> None:
        await asyncio.gather(*(editor.send(message) for editor in list(self.editors) if editor is not but))


class Relay:
    """The process's subscription to `reports.live` for the sections it serves, and its publisher."""

    def __init__(self, amqp_uri: str, rooms: dict[UUID, Room]) -> None:
        self.amqp_uri = amqp_uri
        self.rooms = rooms
        self.origin = f"{os.getpid()}-{uuid.uuid4()}"
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._queue: aio_pika.abc.AbstractQueue | None = None
        self._lock = asyncio.Lock()

    async def _ready(self) -> bool:
        async with self._lock:
            if self._exchange is not None:
                return True
            try:
                # A robust connection reconnects by itself and declares its queue and bindings again.
                self._connection = await aio_pika.connect_robust(
                    self.amqp_uri, timeout=5, client_properties={"connection_name": CONNECTION_NAME}
                )
                # Transient by design (the reports service's store is the durable path): no publisher
                # confirms, so an editor's next keystroke never waits on the broker's.
                channel = await self._connection.channel(publisher_confirms=False)
                self._exchange, self._queue = await declare_live_relay(channel, EXCHANGE)
                await self._queue.consume(self._on_message, no_ack=True)
                return True
            except Exception as exc:
                log.warning(
                    "live reports relay not connected (%s): this process serves its own", type(exc).__name__
                )
                await self.close()
                return False

    async def bind(self, section_id: UUID) -> None:
        if await self._ready() and self._queue is not None and self._exchange is not None:
            await self._queue.bind(self._exchange, routing_key=str(section_id))

    async def unbind(self, section_id: UUID) -> None:
        if self._queue is not None and self._exchange is not None:
            with contextlib.suppress(Exception):
                await self._queue.unbind(self._exchange, routing_key=str(section_id))

    async def publish(self, section_id: UUID, message: bytes) -> None:
        if self._exchange is None:
            return
        try:
            await self._exchange.publish(
                aio_pika.Message(message, headers={"origin": self.origin}), routing_key=str(section_id)
            )
        except Exception as exc:
            log.warning("live update not relayed (%s)", type(exc).__name__)

    async def announce(self, section_id: UUID, message: bytes) -> None:
        """Publish for the other processes even when this one serves no room yet (a restore asked here)."""
        if await self._ready():
            await self.publish(section_id, message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        if (message.headers or {}).get("origin") == self.origin:
            return
        try:
            room = self.rooms.get(UUID(message.routing_key or ""))
        except ValueError:
            return
        if room is None or not message.body:
            return
        body = message.body
        if body[0] == YMessageType.SYNC and len(body) > 2 and body[1] == YSyncMessageType.SYNC_UPDATE:
            room.doc.apply_update(read_message(body[2:]))
        await room.broadcast(body)

    async def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
        self._connection, self._exchange, self._queue = None, None, None


class LiveSections:
    """Every section this process serves, and its relay to the other processes."""

    def __init__(self, amqp_uri: str, reports: Reports) -> None:
        self.reports = reports
        self.rooms: dict[UUID, Room] = {}
        self.relay = Relay(amqp_uri, self.rooms)
        self._room_lock = asyncio.Lock()

    async def close(self) -> None:
        await self.relay.close()

    async def _join(self, section_id: UUID, editor: Editor, state: bytes) -> Room:
        async with self._room_lock:
            room = self.rooms.get(section_id)
            if room is None:
                room = Room(section_id)
                self.rooms[section_id] = room
                await self.relay.bind(section_id)
                # Bound first, then loaded: what another process published before the binding is in the store
                # or in the state asked for now.
                with contextlib.suppress(RpcUnavailable, RemoteError):
                    grant = await self.reports.open_section(editor.actor, section_id)
                    state = base64.b64decode(grant.state_base64)
            room.doc.apply_update(state)
            room.durable.apply_update(state)
            room.editors.add(editor)
            return room

    async def _leave(self, room: Room, editor: Editor) -> None:
        async with self._room_lock:
            room.editors.discard(editor)
            if not room.editors and self.rooms.get(room.section_id) is room:
                del self.rooms[room.section_id]
                await self.relay.unbind(room.section_id)

    async def serve(
        self, websocket: WebSocket, actor: Actor, section_id: UUID, access: Access, state: bytes
    ) -> None:
        """Serve one accepted websocket until it closes; then hand in what it still holds."""
        editor = Editor(websocket, actor, access)
        room = await self._join(section_id, editor, state)
        writer = asyncio.create_task(self._keep(room, editor), name=f"keep-{section_id}")
        try:
            await editor.send(create_sync_message(room.doc))
            await editor.send(room.saved_message())
            for other in list(room.editors):
                if other is not editor and other.awareness is not None:
                    await editor.send(other.awareness)
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                data = message.get("bytes")
                if data:
                    await self._on_message(room, editor, data)
        finally:
            editor.closed = True
            await self._leave(room, editor)
            editor.wake.set()
            # What the editor sent but the service has not kept is handed in even though the page has gone,
            # shielded from the cancellation of the websocket's task.
            with contextlib.suppress(Exception):
                await asyncio.shield(asyncio.wait_for(writer, FLUSH_ON_CLOSE_S))
            if not writer.done():
                writer.cancel()
                if editor.pending:
                    log.error("a closed editor's updates could not be kept in %ss", FLUSH_ON_CLOSE_S)

    async def _on_message(self, room: Room, editor: Editor, data: bytes) -> None:
        kind = data[0]
        if kind == YMessageType.SYNC and len(data) > 1:
            step = data[1]
            if step == YSyncMessageType.SYNC_STEP1:
                reply = handle_sync_message(data[1:], room.doc)
                if reply is not None:
                    await editor.send(reply)
                return
            if editor.access != "edit" or step not in (
                YSyncMessageType.SYNC_STEP2,
                YSyncMessageType.SYNC_UPDATE,
            ):
                return
            update = read_message(data[2:])
            if update == NOTHING:
                return
            try:
                room.doc.apply_update(update)
            except ValueError:
                await editor.websocket.close(code=1007, reason="not a Yjs update")
                return
            message = create_update_message(update)
            await room.broadcast(message, but=editor)
            await self.relay.publish(room.section_id, message)
            editor.pending.append(update)
            editor.wake.set()
        elif kind == YMessageType.AWARENESS:
            editor.awareness = data
            await room.broadcast(data, but=editor)
            await self.relay.publish(room.section_id, data)

    async def _keep(self, room: Room, editor: Editor) -> None:
        """Hand the editor's updates to the reports service until none are left and the editor has gone."""
        backoff = 0.5
        while True:
            if not editor.pending:
                if editor.closed:
                    return
                editor.wake.clear()
                await editor.wake.wait()
                continue
            batch = list(editor.pending)
            encoded = [base64.b64encode(update).decode("ascii") for update in batch]
            try:
                await self.reports.save_updates(
                    editor.actor, room.section_id, SectionUpdates(updates_base64=encoded)
                )
            except RpcUnavailable:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MOST_BACKOFF_S)
                continue
            except RemoteError as exc:
                if exc.exc_type in ("Forbidden", "NotFound", "InvalidRequest"):
                    # The editor may no longer change the section (or sent what is not an update): nothing of
                    # it is kept, and the page is told by the connection closing.
                    log.warning(
                        "updates refused by the reports service (%s): connection closed", exc.exc_type
                    )
                    editor.pending.clear()
                    with contextlib.suppress(Exception):
                        await editor.websocket.close(code=4403)
                    return
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MOST_BACKOFF_S)
                continue
            backoff = 0.5
            del editor.pending[: len(batch)]
            for update in batch:
                room.durable.apply_update(update)
            # Only this editor's page waits on these updates ("Saving…" is of its own changes), so only it
            # is told: with twenty editors typing, telling every page of every save was most of the traffic.
            await editor.send(room.saved_message())

    # -- comments --

    async def comments_changed(self, section_id: UUID) -> None:
        """Tell every page open on the section, in this process and the others, that its comments changed."""
        message = bytes([COMMENTS])
        room = self.rooms.get(section_id)
        if room is not None:
            await room.broadcast(message)
        await self.relay.announce(section_id, message)

    # -- versions --

    async def push(self, section_id: UUID, update: bytes) -> None:
        """An update the reports service made and has kept (a version restored): applied to this process's
        room and sent to its pages, and published on `reports.live` for the other processes' rooms, exactly as
        an editor's update is relayed, so every open page shows it at once."""
        message = create_update_message(update)
        room = self.rooms.get(section_id)
        if room is not None:
            room.doc.apply_update(update)
            room.durable.apply_update(update)
            await room.broadcast(message)
        await self.relay.announce(section_id, message)
