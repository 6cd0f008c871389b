"""Live dashboards: the analytics service's `figures_changed`, fanned out to the open dashboard pages whose
figures it touches (GET /dashboards/{code}/stream), which then fetch their figures again.

One subscription per gateway process (gateway/live.py's EventSubscription). Each open page is watched with
the partnerships its figures may include: a partnership's own people their partnership, a regional analyst
the region's partnerships, a national analyst every partnership (or, for each, the one partnership chosen
in the filters). A page is told only that its figures changed, never which partnerships changed: nothing
about a partnership the viewer may not see leaves the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from uuid import UUID

from gateway.live import RECONNECT_MS, EventSubscription, paced, sse_event
from services.analytics.contract import SERVICE, FiguresChanged
from services.kernel.identity import PARTNERSHIP_CASE_ROLES, Actor, Role

log = logging.getLogger(__name__)

CHANGED = FiguresChanged.event_type.split(".", 1)[1]
# The events the gateway consumes here (the event catalogue lists it among their consumers).
CONSUMED = (FiguresChanged.event_type,)
CONNECTION_NAME = "gateway: live dashboards"
HEARTBEAT_S = 15.0
# Every partnership: what a national analyst's page watches when no partnership is chosen.
EVERY_PARTNERSHIP = None


class NotWatchable(LookupError):
    """A partnership the caller may not see the figures of: its page has no stream."""


def watched_partnerships(actor: Actor, chosen: UUID | None) -> frozenset[UUID] | None:
    """The partnerships whose changes a caller's dashboard page follows (None: every partnership), by the
    rule the analytics service answers the dashboard itself with (services/analytics/policy.py): a
    partnership's business manager, partners and executive their own; a regional analyst the region's; a
    national analyst all. `chosen` (the partnership filter) narrows it; one outside raises NotWatchable."""
    if actor.has_role(Role.NATIONAL_ANALYST):
        return frozenset({chosen}) if chosen is not None else EVERY_PARTNERSHIP
    visible: frozenset[UUID] = frozenset()
    if actor.has_role(*PARTNERSHIP_CASE_ROLES) and actor.partnership_id is not None:
        visible |= {actor.partnership_id}
    if actor.has_role(Role.REGIONAL_ANALYST):
        visible |= actor.partnerships
    if chosen is None:
        return visible
    if chosen not in visible:
        raise NotWatchable("You cannot see this partnership's figures")
    return frozenset({chosen})


def partnerships_changed(routing_key: str, body: bytes) -> frozenset[UUID] | None:
    """The partnerships a `figures_changed` event names; None for any other message or one not understood
    (only the field the gateway needs is read, so that a later version that adds fields still works)."""
    if routing_key != CHANGED:
        return None
    try:
        data = json.loads(body)["data"]
        changed = FiguresChanged.model_validate({"partnership_ids": data.get("partnership_ids")})
    except (ValueError, TypeError, KeyError, AttributeError):
        log.warning("analytics event %s not understood: ignored", routing_key)
        return None
    return frozenset(changed.partnership_ids)


class OpenDashboards:
    """The open dashboard pages' streams, each with the partnerships it watches. A stream's queue holds at
    most one pending change: a page that has not yet fetched its figures fetches them once."""

    def __init__(self) -> None:
        self._watching: dict[asyncio.Queue[bool], frozenset[UUID] | None] = {}

    def __len__(self) -> int:
        return len(self._watching)

    @contextlib.contextmanager
    def opened(self, partnerships: frozenset[UUID] | None) -> Iterator[asyncio.Queue[bool]]:
        """A stream's queue for as long as the stream is open."""
        queue: asyncio.Queue[bool] = asyncio.Queue(1)
        self._watching[queue] = partnerships
        try:
            yield queue
        finally:
            self._watching.pop(queue, None)

    def tell(self, changed: frozenset[UUID]) -> int:
        """Tell every stream that watches any of these partnerships; how many were told."""
        told = 0
        for queue, watched in list(self._watching.items()):
            if watched is EVERY_PARTNERSHIP or watched & changed:
                if not queue.full():
                    queue.put_nowait(True)
                told += 1
        return told

    def tell_everyone(self) -> None:
        """Tell every stream (after events may have been missed)."""
        for queue in list(self._watching):
            if not queue.full():
                queue.put_nowait(True)


async def figures_stream(
    changes: asyncio.Queue[bool],
    *,
    stopping: asyncio.Event,
    still_signed_in: Callable[[], Awaitable[bool]],
    heartbeat_s: float = HEARTBEAT_S,
) -> AsyncIterator[str]:
    """The events of one dashboard page: `figures-changed` (no data) whenever its figures may have changed; a
    comment every `heartbeat_s` seconds; `signed-out`, then the end, once the session has ended."""
    yield f"retry: {RECONNECT_MS}\n\n"
    async for change in paced(
        changes, stopping=stopping, still_signed_in=still_signed_in, heartbeat_s=heartbeat_s
    ):
        if isinstance(change, str):
            yield change
            continue
        yield sse_event("figures-changed", "")


class LiveFigures:
    """What the gateway process keeps for live dashboards: the open pages and the subscription. The streams
    end with the process's `stopping` (gateway/live.py's LiveUnread chains it to SIGTERM and SIGINT)."""

    def __init__(self, amqp_uri: str, stopping: asyncio.Event) -> None:
        self.pages = OpenDashboards()
        self.stopping = stopping
        self.events = EventSubscription(
            amqp_uri,
            SERVICE,
            (CHANGED,),
            self._tell,
            connection_name=CONNECTION_NAME,
            on_resubscribed=self.pages.tell_everyone,
        )

    def _tell(self, routing_key: str, body: bytes) -> None:
        changed = partnerships_changed(routing_key, body)
        if changed:
            self.pages.tell(changed)

    def start(self) -> None:
        """Subscribe in the background."""
        self.events.start()

    async def stop(self) -> None:
        """Unsubscribe."""
        await self.events.stop()
