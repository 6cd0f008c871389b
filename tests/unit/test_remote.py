"""Typed calls across the bus (services/kernel/remote.py): a declaration, its client, its entrypoint."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from services.kernel.errors import InvalidRequest, NotFound
from services.kernel.identity import Actor
from services.kernel.remote import Refused, Remote, found_by_id, typed


class Rename(BaseModel):
    """Command of the example contract."""

    title: str


class Named(BaseModel):
    """Answer of the example contract."""

    id: uuid.UUID
    title: str


ThingId = Annotated[uuid.UUID, found_by_id("thing")]


class Things(Remote):
    """An example contract: one RPC, caller first."""

    service = "things"

    async def rename(
        self, caller: Actor, thing_id: ThingId, command: Annotated[Rename, Refused("The name")]
    ) -> Named:
        """Rename a thing."""
        raise NotImplementedError


class ThingsService:
    """The example service: what the entrypoint gives its method, and what it answers."""

    @typed
    def rename(
        self, caller: Actor, thing_id: ThingId, command: Annotated[Rename, Refused("The name")]
    ) -> Named:
        assert isinstance(caller, Actor) and isinstance(thing_id, uuid.UUID) and isinstance(command, Rename)
        return Named(id=thing_id, title=f"{command.title} (by {caller.user_id})")


class LoopbackTransport:
    """Sends as the wire would: JSON in, the service's JSON answer back."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, list[Any]]] = []

    async def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        self.sent.append((service, method, list(args)))
        caller = args[0].model_dump(
            mode="json"
        )  # the gateway's client seals the Actor; here it travels as JSON
        return getattr(ThingsService(), method)(caller, *args[1:], **kwargs)


CALLER = Actor(user_id="u-1", roles=["business_manager"])


def test_the_client_sends_json_by_the_declaration_and_answers_the_declared_type() -> None:
    transport = LoopbackTransport()
    things = Things.client(transport)
    thing = uuid.uuid4()
    answer = asyncio.run(things.rename(CALLER, thing, Rename(title="Plan")))
    assert answer == Named(id=thing, title="Plan (by u-1)")
    assert transport.sent == [("things", "rename", [CALLER, str(thing), {"title": "Plan"}])]


def test_the_entrypoint_refuses_arguments_that_do_not_fit_before_the_method_runs() -> None:
    service = ThingsService()
    with pytest.raises(InvalidRequest) as refused:
        service.rename({"user_id": "u-1", "roles": []}, str(uuid.uuid4()), {"title": 7})
    assert refused.value.message == "The name has problems"
    assert [problem["field"] for problem in refused.value.problems] == ["title"]


def test_an_id_that_is_not_an_id_reads_as_nothing_found() -> None:
    with pytest.raises(NotFound) as refused:
        ThingsService().rename({"user_id": "u-1", "roles": []}, "not-an-id", {"title": "Plan"})
    assert refused.value.message == "No such thing"


def test_the_entrypoint_answers_json() -> None:
    thing = uuid.uuid4()
    answer = ThingsService().rename({"user_id": "u-1", "roles": []}, str(thing), {"title": "Plan"})
    assert answer == {"id": str(thing), "title": "Plan (by u-1)"}


def test_a_contract_lists_what_it_declares() -> None:
    assert list(Things.declared()) == ["rename"]
