"""The gateway's asyncio RPC client on the real broker and a real forms service: results, remote errors by
name, an absent broker. (Requests that expire unrun: tests/integration/test_reliability.py.)"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from gateway.rpc import RemoteError, RpcClient, RpcUnavailable
from tests.support.system import processes

ACTOR_PARTNERSHIP = uuid.uuid4()
ACTOR = {"user_id": "bm", "partnership_id": str(ACTOR_PARTNERSHIP), "roles": ["business_manager"]}


def _call(amqp_uri: str, service: str, method: str, *args, timeout: float = 10):
    async def go():
        client = RpcClient(amqp_uri, timeout=timeout)
        try:
            return await client.call(service, method, *args)
        finally:
            await client.close()

    return asyncio.run(go())


def test_rpc_client_returns_results_and_raises_remote_errors_by_name(make_harness):
    harness = make_harness()
    with processes(harness.system, "forms"):
        command = {
            "review_type": "domestic_homicide",
            "partnership_id": str(ACTOR_PARTNERSHIP),
            "title": "DHR-1",
        }
        review = _call(harness.amqp_uri, "forms", "open_review", ACTOR, command, "key-1")
        assert review["stage"] == "notification"
        with pytest.raises(RemoteError) as refused:
            _call(harness.amqp_uri, "forms", "open_review", ACTOR, {"review_type": "x"}, None)
        assert refused.value.exc_type == "InvalidRequest"
        assert {p["field"] for p in refused.value.problems} == {"review_type", "partnership_id", "title"}


def test_call_with_no_broker_says_the_broker_cannot_be_reached():
    with pytest.raises(RpcUnavailable, match="cannot reach the message broker"):
        _call("amqp://guest:guest@127.0.0.1:1/", "forms", "health", timeout=2)
