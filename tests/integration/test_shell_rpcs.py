"""The meetings and actions services answer their typed RPCs on the real broker, through the contract's typed
client over the gateway's asyncio RPC client, from their own tables."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway.rpc import RemoteError, RpcClient
from services.actions.contract import Actions
from services.kernel.identity import Actor
from services.meetings.contract import Meetings
from tests.support.system import SystemEnv, processes

HOLDER, OTHER = uuid.uuid4(), uuid.uuid4()


class SealedWith:
    """The gateway's RPC client, sealing the caller with the test system's key (as the gateway seals it)."""

    def __init__(self, client: RpcClient, system: SystemEnv) -> None:
        self.client, self.system = client, system

    async def call(self, service: str, method: str, *args: Any, timeout: float | None = None) -> Any:
        if args and isinstance(args[0], Actor):
            args = (self.system.sealed(args[0].model_dump(mode="json"), f"{service}.{method}"), *args[1:])
        return await self.client.call(service, method, *args, timeout=timeout)


def _with_transport(harness: Any, work: Callable[[SealedWith], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        client = RpcClient(harness.amqp_uri, timeout=10)
        try:
            return await work(SealedWith(client, harness.system))
        finally:
            await client.close()

    return asyncio.run(go())


async def _not_found(call: Awaitable[Any]) -> str:
    try:
        await call
    except RemoteError as error:
        return "not found" if error.exc_type == "NotFound" else str(error)
    return "answered"


def manager(partnership: uuid.UUID) -> Actor:
    return Actor(user_id="bm", partnership_id=partnership, roles=frozenset({"business_manager"}))


@pytest.mark.slow
def test_meetings_and_actions_answer_their_typed_rpcs_and_tell_another_partnership_nothing(
    make_harness,
) -> None:
    harness = make_harness()
    review, empty = uuid.uuid4(), uuid.uuid4()
    harness.sql(
        "INSERT INTO meetings.meeting (id, review_id, partnership_id, kind, starts_at, status)"
        " VALUES (%s, %s, %s, 'rapid_review_meeting', '2026-11-12T10:00:00Z', 'scheduled')",
        (str(uuid.uuid4()), str(review), str(HOLDER)),
    )
    harness.sql(
        "INSERT INTO actions.review (id, partnership_id, review_type, began_on, closed)"
        " VALUES (%s, %s, 'cspr', '2026-09-01', false)",
        (str(review), str(HOLDER)),
    )
    harness.sql(
        "INSERT INTO actions.action (id, review_id, partnership_id, source, description, owner_id, due_on,"
        " success_measure, status, themes, assigned_on)"
        " VALUES (%s, %s, %s, 'rapid_review', 'Audit', %s, '2027-03-01', '95%%', 'on_track', '{}',"
        " '2026-09-02')",
        (str(uuid.uuid4()), str(review), str(HOLDER), str(uuid.uuid4())),
    )

    async def ask(transport: SealedWith) -> dict[str, Any]:
        meetings, actions = Meetings.client(transport), Actions.client(transport)
        answers: dict[str, Any] = {
            "meetings": await meetings.meetings_of_review(manager(HOLDER), review),
            "actions": await actions.actions_of_review(manager(HOLDER), review),
            "none yet": await meetings.meetings_of_review(manager(HOLDER), empty),
            "health": [await meetings.health(), await actions.health()],
            # Another partnership's manager: answered exactly as for a review with nothing here.
            "other partnership's meetings": await meetings.meetings_of_review(manager(OTHER), review),
            # The actions service knows the review: to another partnership it is not found.
            "other partnership's actions": await _not_found(
                actions.actions_of_review(manager(OTHER), review)
            ),
            "other partnership's none yet": await meetings.meetings_of_review(manager(OTHER), empty),
        }
        return answers

    with processes(harness.system, "meetings", "actions"):
        answers = _with_transport(harness, ask)
    (meeting,) = answers["meetings"]
    (action,) = answers["actions"]
    assert (meeting.review_id, meeting.kind, meeting.status) == (review, "rapid_review_meeting", "scheduled")
    assert (action.review_id, str(action.due_on), action.status) == (review, "2027-03-01", "on_track")
    assert answers["none yet"] == []
    assert [h["status"] for h in answers["health"]] == ["ok", "ok"]
    assert answers["other partnership's meetings"] == []
    assert answers["other partnership's actions"] == "not found"
    assert answers["other partnership's none yet"] == []
