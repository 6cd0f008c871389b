"""Live dashboards: which open pages `analytics.figures_changed` reaches, and what their stream says (that
their figures changed, never which partnerships did)."""

from __future__ import annotations

import asyncio
import json
import uuid
from uuid import UUID

import pytest

from gateway.live_figures import (
    CHANGED,
    EVERY_PARTNERSHIP,
    NotWatchable,
    OpenDashboards,
    figures_stream,
    partnerships_changed,
    watched_partnerships,
)
from gateway.policy import policy_for
from services.analytics.contract import FiguresChanged
from services.kernel.events import Envelope
from services.kernel.identity import Actor, Role

NORTHBRIDGE, EASTMOOR, SOUTHPORT = (uuid.uuid4() for _ in range(3))


def person(*roles: str, partnership: UUID | None = None, region: frozenset[UUID] = frozenset()) -> Actor:
    return Actor(user_id="u", partnership_id=partnership, roles=frozenset(roles), partnerships=region)


def _body(*ids: UUID) -> bytes:
    payload = FiguresChanged(partnership_ids=list(ids))
    return json.dumps(Envelope.wrap(payload).model_dump(mode="json")).encode()


# -- whose figures a page follows ---------------------------------------------------------------------------


def test_a_partnerships_own_people_follow_their_partnership_only() -> None:
    manager = person(Role.BUSINESS_MANAGER, partnership=NORTHBRIDGE)
    assert watched_partnerships(manager, None) == {NORTHBRIDGE}
    assert watched_partnerships(manager, NORTHBRIDGE) == {NORTHBRIDGE}
    with pytest.raises(NotWatchable):
        watched_partnerships(manager, EASTMOOR)


def test_a_regional_analyst_follows_the_region_or_one_partnership_of_it() -> None:
    analyst = person(Role.REGIONAL_ANALYST, region=frozenset({NORTHBRIDGE, EASTMOOR}))
    assert watched_partnerships(analyst, None) == {NORTHBRIDGE, EASTMOOR}
    assert watched_partnerships(analyst, EASTMOOR) == {EASTMOOR}
    with pytest.raises(NotWatchable):
        watched_partnerships(analyst, SOUTHPORT)


def test_a_national_analyst_follows_every_partnership_or_the_one_chosen() -> None:
    analyst = person(Role.NATIONAL_ANALYST)
    assert watched_partnerships(analyst, None) is EVERY_PARTNERSHIP
    assert watched_partnerships(analyst, SOUTHPORT) == {SOUTHPORT}


def test_someone_who_sees_no_figures_follows_nothing() -> None:
    assert watched_partnerships(person(Role.AGENCY_LEAD, partnership=NORTHBRIDGE), None) == frozenset()


# -- reading the event --------------------------------------------------------------------------------------


def test_the_event_names_the_partnerships_whose_figures_changed() -> None:
    assert partnerships_changed(CHANGED, _body(NORTHBRIDGE, EASTMOOR)) == {NORTHBRIDGE, EASTMOOR}


def test_a_later_version_with_more_fields_is_understood_and_anything_else_ignored() -> None:
    envelope = json.loads(_body(NORTHBRIDGE))
    envelope["data"]["tables"] = ["reviews"]
    assert partnerships_changed(CHANGED, json.dumps(envelope).encode()) == {NORTHBRIDGE}
    assert partnerships_changed("review_opened", _body(NORTHBRIDGE)) is None
    assert partnerships_changed(CHANGED, b"not json") is None
    assert partnerships_changed(CHANGED, json.dumps({"data": {"partnership_ids": ["x"]}}).encode()) is None


# -- telling the open pages ---------------------------------------------------------------------------------


def test_only_pages_that_show_a_changed_partnership_are_told() -> None:
    async def scenario() -> None:
        pages = OpenDashboards()
        with (
            pages.opened(frozenset({NORTHBRIDGE})) as northbridge,
            pages.opened(frozenset({EASTMOOR})) as eastmoor,
            pages.opened(EVERY_PARTNERSHIP) as england,
        ):
            assert pages.tell(frozenset({NORTHBRIDGE})) == 2
            assert northbridge.qsize() == 1 and england.qsize() == 1
            assert eastmoor.empty()
            # A page not yet caught up is told once, however many changes come meanwhile.
            pages.tell(frozenset({NORTHBRIDGE}))
            assert northbridge.qsize() == 1
        assert len(pages) == 0

    asyncio.run(scenario())


def test_the_stream_says_only_that_the_figures_changed_and_ends_when_signed_out() -> None:
    async def scenario() -> list[str]:
        pages = OpenDashboards()
        stopping = asyncio.Event()
        answers = iter([True, False])

        async def still_signed_in() -> bool:
            return next(answers)

        sent: list[str] = []
        with pages.opened(frozenset({NORTHBRIDGE})) as changes:
            pages.tell(frozenset({NORTHBRIDGE, EASTMOOR}))
            async for event in figures_stream(
                changes, stopping=stopping, still_signed_in=still_signed_in, heartbeat_s=0.01
            ):
                sent.append(event)
        return sent

    sent = asyncio.run(scenario())
    assert sent == [
        "retry: 5000\n\n",
        "event: figures-changed\ndata: \n\n",
        ": still here\n\n",
        "event: signed-out\ndata: \n\n",
    ]
    assert not any(str(NORTHBRIDGE) in event or str(EASTMOOR) in event for event in sent)


def test_a_stream_does_not_keep_a_session_alive() -> None:
    policy = policy_for("GET", "/dashboards/{code}/stream")
    assert policy is not None and policy.activity is False
