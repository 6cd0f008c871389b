"""The gateway's asyncio RPC client on the real broker and a real forms service: results, remote errors by
name, an absent broker. (Requests that expire unrun: tests/integration/test_reliability.py.)"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from gateway.rpc import RemoteError, RpcClient, RpcUnavailable
from services.forms.contract import Forms, OpenReview, ReviewSummary
from services.kernel import caller_seal
from services.kernel.config import Settings
from services.kernel.identity import Actor, Role
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
        sealed = harness.system.sealed(ACTOR, "forms.open_review")
        review = _call(harness.amqp_uri, "forms", "open_review", sealed, command, "key-1")
        assert review["stage"] == "notification"
        with pytest.raises(RemoteError) as refused:
            _call(harness.amqp_uri, "forms", "open_review", sealed, {"review_type": "x"}, None)
        assert refused.value.exc_type == "InvalidRequest"
        assert {p["field"] for p in refused.value.problems} == {"review_type", "partnership_id", "title"}


def test_service_refuses_a_caller_without_the_gateways_seal_for_that_method(make_harness):
    harness = make_harness()
    partnership = str(ACTOR_PARTNERSHIP)
    command = {"review_type": "domestic_homicide", "partnership_id": partnership, "title": "DHR-forged"}
    system = {"user_id": "forger", "roles": ["system"]}
    other_key = Settings(caller_signing_key=caller_seal.new_key_pair()[0])
    attempts = {
        "no seal": system,
        "sealed for another method": harness.system.sealed(system, "forms.list_reviews"),
        "sealed with another key": caller_seal.seal(system, "forms.open_review", settings=other_key),
        "roles changed after sealing": {
            **harness.system.sealed(ACTOR, "forms.open_review"),
            "roles": ["business_manager", "system"],
        },
        "expired": caller_seal.seal(
            ACTOR,
            "forms.open_review",
            settings=Settings(caller_signing_key=harness.system.env["CASEREV_CALLER_SIGNING_KEY"]),
            now=time.time() - 3600,
        ),
    }
    with processes(harness.system, "forms"):
        for why, actor in attempts.items():
            with pytest.raises(RemoteError) as refused:
                _call(harness.amqp_uri, "forms", "open_review", actor, command, f"key-{why}")
            assert refused.value.exc_type == "Forbidden", why
        # Nothing was opened by any of them; the same caller properly sealed is served.
        assert (
            _call(
                harness.amqp_uri, "forms", "list_reviews", harness.system.sealed(ACTOR, "forms.list_reviews")
            )
            == []
        )
        assert _call(harness.amqp_uri, "forms", "review_types"), "a public method needs no caller"
        metrics = httpx.get(harness.system.metrics_url("forms"), timeout=5).text
    refused_count = next(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("caserev_rpc_unsealed_calls_total{") and 'method="open_review"' in line
    )
    assert refused_count == len(attempts)


def test_call_with_no_broker_says_the_broker_cannot_be_reached():
    with pytest.raises(RpcUnavailable, match="cannot reach the message broker"):
        _call("amqp://guest:guest@127.0.0.1:1/", "forms", "health", timeout=2)


def test_the_typed_client_over_the_gateways_client_is_served_by_a_real_service(make_harness, monkeypatch):
    harness = make_harness()
    # The gateway seals with its process's key: here, this system's.
    monkeypatch.setenv("CASEREV_CALLER_SIGNING_KEY", harness.system.env["CASEREV_CALLER_SIGNING_KEY"])
    manager = Actor(user_id="bm", partnership_id=ACTOR_PARTNERSHIP, roles=frozenset({Role.BUSINESS_MANAGER}))
    command = OpenReview(review_type="domestic_homicide", partnership_id=ACTOR_PARTNERSHIP, title="DHR-typed")

    async def go():
        client = RpcClient(harness.amqp_uri, timeout=10)
        forms = Forms.client(client)
        try:
            opened = await forms.open_review(manager, command, "key-typed")
            listed = await forms.list_reviews(manager)
            with pytest.raises(RemoteError) as refused:
                await forms.get_review(manager, uuid.uuid4())
            return opened, listed, refused.value
        finally:
            await client.close()

    with processes(harness.system, "forms"):
        opened, listed, refused = asyncio.run(go())
    assert isinstance(opened, ReviewSummary) and opened.title == "DHR-typed"
    assert [entry.id for entry in listed] == [opened.id]
    assert refused.exc_type == "NotFound"
