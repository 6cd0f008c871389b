"""The baseline of `make bench-report`: a bare pycrdt-websocket server (its WebsocketServer behind its
ASGIServer), run by the same uvicorn as the gateway: one room per path, kept in memory (rooms are not dropped
when their last client leaves), no sign-in, no store, no relay between processes.

    uvicorn tests.perf.report_baseline:app --port 8100
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pycrdt.websocket import ASGIServer, WebsocketServer

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

server = WebsocketServer(auto_clean_rooms=False)
_websockets = ASGIServer(server)


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """The ASGI application: the websocket server runs between the lifespan's startup and shutdown."""
    if scope["type"] != "lifespan":
        await _websockets(scope, receive, send)
        return
    message = await receive()
    if message["type"] != "lifespan.startup":
        return
    async with server:
        await send({"type": "lifespan.startup.complete"})
        while (await receive())["type"] != "lifespan.shutdown":
            pass
    await send({"type": "lifespan.shutdown.complete"})
