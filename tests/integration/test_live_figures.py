"""The gateway's live dashboards on a real broker: `analytics.figures_changed`, published on the analytics
service's exchange as its outbox relay publishes it, reaches the open pages that show a partnership it names
and no other."""

from __future__ import annotations

import asyncio
import uuid

from gateway.live_figures import EVERY_PARTNERSHIP, LiveFigures
from services.analytics.contract import FiguresChanged
from services.kernel.broker import ConfirmedPublisher
from services.kernel.events import Envelope
from tests.support.infra import isolated_vhost

NORTHBRIDGE, EASTMOOR = uuid.uuid4(), uuid.uuid4()


def publish(amqp_uri: str, *partnership_ids: uuid.UUID) -> None:
    publisher = ConfirmedPublisher(amqp_uri)
    envelope = Envelope.wrap(FiguresChanged(partnership_ids=list(partnership_ids)))
    try:
        assert publisher.publish_events([envelope.model_dump(mode="json")]) == [True], "the broker refused it"
    finally:
        publisher.close()


def test_a_published_change_reaches_the_pages_that_show_its_partnerships_only() -> None:
    async def scenario(amqp_uri: str) -> None:
        live = LiveFigures(amqp_uri, asyncio.Event())
        live.start()
        try:
            for _ in range(100):
                if live.events.subscribed:
                    break
                await asyncio.sleep(0.1)
            assert live.events.subscribed, "the gateway did not subscribe to analytics.events"
            with (
                live.pages.opened(frozenset({NORTHBRIDGE})) as northbridge,
                live.pages.opened(frozenset({EASTMOOR})) as eastmoor,
                live.pages.opened(EVERY_PARTNERSHIP) as england,
            ):
                await asyncio.to_thread(publish, amqp_uri, NORTHBRIDGE)
                assert await asyncio.wait_for(northbridge.get(), 10) is True
                assert await asyncio.wait_for(england.get(), 10) is True
                await asyncio.to_thread(publish, amqp_uri, EASTMOOR)
                assert await asyncio.wait_for(eastmoor.get(), 10) is True
                assert northbridge.empty(), "Northbridge's page was told of Eastmoor's figures"
        finally:
            await live.stop()

    with isolated_vhost() as amqp_uri:
        asyncio.run(scenario(amqp_uri))
