"""The gateway's typed clients on the wire: what its asyncio RPC client publishes for a call through a
contract is exactly what a nameko service expects (routing key `service.method`, `{"args": [...], "kwargs":
{}}`, the caller sealed for that method, each argument as JSON that fits the declaration), and a command a
page builds that does not fit is refused as the service would refuse it (gateway/rpc.py)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from gateway.rpc import RemoteError, RpcClient, command_for
from services.forms.contract import EndPause, ExtendReturn, Forms, RecordPause, ReviewFile
from services.kernel import caller_seal
from services.kernel.identity import Actor
from services.kernel.remote import Marshal
from services.notifications.contract import MarkRead, Notifications

PARTNERSHIP = uuid.uuid4()
CALLER = Actor(user_id="u-bm", partnership_id=PARTNERSHIP, roles=frozenset({"business_manager"}))


class Broker:
    """Stands in for RabbitMQ: records what the gateway's client publishes, and answers each call at once
    with the service's JSON answer (as nameko's reply: `result` and `error`)."""

    def __init__(self, client: RpcClient, answer: Any) -> None:
        self.client = client
        self.answer = answer
        self.published: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, message: Any, routing_key: str) -> None:
        self.published.append((routing_key, json.loads(message.body)))
        reply = json.dumps({"result": self.answer, "error": None}).encode()
        await self.client._on_reply(SimpleNamespace(correlation_id=message.correlation_id, body=reply))  # type: ignore[arg-type]


def _on_the_wire(answer: Any, call: Any) -> tuple[Any, str, dict[str, Any]]:
    """What `call(client)` returns, and the one message it published: its routing key and its body."""

    async def scenario() -> tuple[Any, Broker]:
        client = RpcClient("amqp://nowhere/", timeout=5)
        broker = Broker(client, answer)
        client._exchange = broker  # type: ignore[assignment]  # connected: publish goes to the stand-in
        return await call(client), broker

    result, broker = asyncio.run(scenario())
    assert len(broker.published) == 1, f"one call publishes one message, not {len(broker.published)}"
    routing_key, body = broker.published[0]
    return result, routing_key, body


@pytest.fixture(autouse=True)
def gateway_key(monkeypatch: pytest.MonkeyPatch) -> None:
    signing, _verify = caller_seal.new_key_pair()
    monkeypatch.setenv("CASEREV_CALLER_SIGNING_KEY", signing)


def _review_file(review_id: uuid.UUID) -> dict[str, Any]:
    return {
        "id": str(review_id),
        "partnership_id": str(PARTNERSHIP),
        "review_type": "child_safeguarding",
        "review_type_label": "Child safeguarding",
        "title": "NB-2026-001",
        "stage": "notification",
        "stage_label": "Notification",
        "opened_at": datetime(2026, 11, 30, 9, tzinfo=UTC).isoformat(),
        "steps": [],
        "stages": [],
        "deadlines": [],
        "pauses": [],
        "returns": [],
        "next_deadline": None,
        "rag": "green",
        "paused": False,
        "closed": False,
        "may_manage": True,
        "version": 3,
    }


def test_complete_step_sends_nameko_s_wire_with_the_caller_sealed_for_that_method() -> None:
    review_id = uuid.uuid4()

    async def call(client: RpcClient) -> ReviewFile:
        return await Forms.client(client).complete_step(CALLER, review_id, "referral", 2, "key-1")

    answer, routing_key, body = _on_the_wire(_review_file(review_id), call)

    assert routing_key == "forms.complete_step"
    assert set(body) == {"args", "kwargs"} and body["kwargs"] == {}
    sealed, *rest = body["args"]
    assert rest == [str(review_id), "referral", 2, "key-1"]
    assert caller_seal.unseal(sealed, "forms.complete_step") == CALLER.model_dump(mode="json")
    # What the service's entrypoint makes of it: the declared types, as the service method receives them.
    bound = Marshal.of(Forms.complete_step).incoming((CALLER.model_dump(mode="json"), *rest), {})
    assert bound.arguments["review_id"] == review_id and bound.arguments["version"] == 2
    assert isinstance(answer, ReviewFile) and answer.id == review_id and answer.version == 3


def test_a_command_travels_as_its_json_and_the_answer_comes_back_as_declared() -> None:
    read = uuid.uuid4()

    async def call(client: RpcClient) -> int:
        return await Notifications.client(client).mark_read(CALLER, MarkRead(ids=[read]))

    unread, routing_key, body = _on_the_wire(4, call)

    assert routing_key == "notifications.mark_read"
    assert body["args"][1:] == [{"ids": [str(read)], "all": False}]
    assert caller_seal.unseal(body["args"][0], "notifications.mark_read")["user_id"] == "u-bm"
    assert unread == 4


def test_a_public_rpc_sends_no_caller() -> None:
    async def call(client: RpcClient) -> Any:
        return await Forms.client(client).review_types()

    types, routing_key, body = _on_the_wire([], call)
    assert (routing_key, body, types) == ("forms.review_types", {"args": [], "kwargs": {}}, [])


def test_a_pause_sent_as_its_command_is_what_the_service_reads() -> None:
    review_id = uuid.uuid4()
    pause = RecordPause.model_validate(
        {
            "reason": "inquest",
            "detail": "  Coroner's inquest listed  ",
            "starts_on": "2026-11-02",
            "approved_by": "Lead safeguarding partner (police)",
        }
    )

    async def call(client: RpcClient) -> ReviewFile:
        return await Forms.client(client).record_pause(CALLER, review_id, pause, "key-2")

    _answer, _routing_key, body = _on_the_wire(_review_file(review_id), call)
    sent = body["args"][2]
    assert sent["starts_on"] == "2026-11-02" and sent["detail"] == "Coroner's inquest listed"
    assert RecordPause.model_validate(sent) == pause


def test_a_command_a_page_built_that_does_not_fit_is_refused_in_the_service_s_words() -> None:
    with pytest.raises(RemoteError) as refused:
        command_for(Forms.end_pause, EndPause, {"ends_on": "1850-01-01"})
    assert refused.value.exc_type == "InvalidRequest"
    assert refused.value.message == "The end of the pause has problems"
    assert [problem["field"] for problem in refused.value.problems] == ["ends_on"]


def test_a_command_that_fits_is_the_declared_model() -> None:
    command = command_for(
        Forms.extend_return, ExtendReturn, {"extended_to": "2026-12-18", "reason": " Trial "}
    )
    assert command == ExtendReturn.model_validate({"extended_to": "2026-12-18", "reason": "Trial"})
