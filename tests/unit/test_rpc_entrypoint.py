"""The kernel's `rpc` on top of remote.typed: what a service method gets, answers and refuses."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Annotated, Any

import pytest
from nameko.testing.services import worker_factory
from pydantic import BaseModel, ValidationInfo, field_validator

from services.kernel.entrypoints import Rpc, rpc
from services.kernel.errors import InvalidRequest
from services.kernel.identity import Actor
from services.kernel.remote import Refused, RemoteService, answered_before, run_at_once


class Title(BaseModel):
    """A command whose validator asks the service what it knows (the validation context)."""

    kind: str

    @field_validator("kind")
    @classmethod
    def _a_kind_the_service_offers(cls, value: str, info: ValidationInfo) -> str:
        offered = (info.context or {}).get("kinds")
        if offered is not None and value not in offered:
            raise ValueError("Select a kind this service offers")
        return value


Command = Annotated[Title, Refused("The title")]


class Titled(BaseModel):
    """The answer."""

    kind: str
    by: str


class Titles(RemoteService):
    """An example contract."""

    service = "titles"

    async def entitle(self, actor: Actor, command: Command, key: str | None = None) -> Titled:
        """Name a thing."""
        raise NotImplementedError


class TitlesService:
    name = "titles"
    validation_context = staticmethod(lambda: {"kinds": {"plan", "brief"}})
    earlier: dict[str, Any] = {}

    @rpc
    def entitle(self, actor: Actor, command: Command, key: str | None = None) -> Titled:
        if key in self.earlier:
            return answered_before(self.earlier[key])  # type: ignore[no-any-return]
        return Titled(kind=command.kind, by=actor.user_id)


ACTOR = {"user_id": "u-1", "roles": ["business_manager"]}


def test_a_method_gets_typed_arguments_and_answers_json() -> None:
    service = worker_factory(TitlesService)
    assert service.entitle(ACTOR, {"kind": "plan"}) == {"kind": "plan", "by": "u-1"}


def test_the_services_validation_context_reaches_the_contracts_validators() -> None:
    service = worker_factory(TitlesService)
    with pytest.raises(InvalidRequest) as refused:
        service.entitle(ACTOR, {"kind": "poster"})
    assert refused.value.message == "The title has problems"
    assert refused.value.problems == [{"field": "kind", "message": "Select a kind this service offers"}]


def test_an_answer_given_before_is_sent_again_as_it_was() -> None:
    service = worker_factory(TitlesService)
    service.earlier = {"k-1": {"kind": "plan", "by": "someone earlier", "kept": True}}
    assert service.entitle(ACTOR, {"kind": "brief"}, "k-1") == {
        "kind": "plan",
        "by": "someone earlier",
        "kept": True,
    }


def test_a_method_without_annotations_does_not_start() -> None:
    class Careless:
        name = "careless"

        @rpc
        def peek(self, actor, review_id):  # type: ignore[no-untyped-def]
            """Forgot its types."""

    (entrypoint,) = [e for e in Careless.peek.nameko_entrypoints if isinstance(e, Rpc)]  # type: ignore[attr-defined]

    class Container:
        """What an entrypoint reads of its container to check its method."""

        service_cls = Careless
        service_name = "careless"
        shared_extensions: dict[str, Any] = {}

    container = Container()  # held: an entrypoint keeps only a weak reference
    bound = entrypoint.bind(container, "peek")
    bound.check_takes_caller()
    with pytest.raises(TypeError, match="must annotate"):
        bound.check_annotated()


class Blocking:
    """A transport that answers at once, as a script's blocking proxy does."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, list[Any]]] = []

    async def call(self, service: str, method: str, *args: Any, timeout: float | None = None) -> Any:
        self.sent.append((service, method, list(args)))
        caller = args[0].model_dump(mode="json")
        return getattr(worker_factory(TitlesService), method)(caller, *args[1:])


def test_a_blocking_transport_is_called_without_an_event_loop() -> None:
    transport = Blocking()
    titles = Titles.client(transport)
    answer = run_at_once(titles.entitle(Actor(user_id="u-2", roles=[]), Title(kind="brief")))
    assert answer == Titled(kind="brief", by="u-2")
    assert transport.sent[0][:2] == ("titles", "entitle") and transport.sent[0][2][1] == {"kind": "brief"}


def test_run_at_once_refuses_a_transport_that_waits() -> None:
    async def waits() -> int:
        await asyncio.sleep(0)
        return 1

    with pytest.raises(RuntimeError, match="suspended"):
        run_at_once(waits())


def test_a_client_passes_its_timeout_to_the_transport() -> None:
    seen: list[float | None] = []

    class Timed:
        async def call(self, service: str, method: str, *args: Any, timeout: float | None = None) -> Any:
            seen.append(timeout)
            return {"kind": "plan", "by": "u-1"}

    run_at_once(
        Titles.client(Timed(), timeout=2.5).entitle(Actor(user_id="u-1", roles=[]), Title(kind="plan"))
    )
    assert seen == [2.5]


def test_every_declared_rpc_is_found_on_the_contract() -> None:
    assert set(Titles.declared()) == {"entitle", "health"}


class Steps(RemoteService):
    """A contract with optional arguments."""

    service = "steps"

    async def complete(
        self, actor: Actor, step: str, version: int | None = None, key: str | None = None
    ) -> dict[str, Any]:
        """Complete a step."""
        raise NotImplementedError


def test_a_later_keyword_is_sent_after_the_defaults_before_it() -> None:
    transport = Blocking()
    sent: list[list[Any]] = []

    async def record(service: str, method: str, *args: Any, timeout: float | None = None) -> Any:
        sent.append(list(args[1:]))
        return {}

    transport.call = record  # type: ignore[method-assign]
    steps = Steps.client(transport)
    caller = Actor(user_id="u-1", roles=[])
    run_at_once(steps.complete(caller, "sin", key="k-1"))
    run_at_once(steps.complete(caller, "sin"))
    run_at_once(steps.complete(caller, "sin", 3))
    assert sent == [["sin", None, "k-1"], ["sin"], ["sin", 3]]


# -- commands run once per idempotency key ------------------------------------------------------------------


class KeptAnswers:
    """A unit of work's idempotency keys, kept in memory (the real one keeps them in the command's own
    transaction: tests/e2e/test_json_commands.py)."""

    def __init__(self, key: str | None) -> None:
        self.worker_ctx = SimpleNamespace(context_data={"caserev_idempotency_key": key} if key else {})
        self.answers: dict[tuple[str, str, str], Any] = {}

    def idempotent(self, method: str, caller: Actor, key: str | None, request: Any) -> Any:
        unit, scope = self, (method, caller.user_id, str(key))

        class Command:
            done = scope in unit.answers
            result = unit.answers.get(scope)

            def remember(self, answer: Any) -> None:
                unit.answers[scope] = answer

        return Command()


class Counter:
    name = "counter"
    uow: Any = None
    made = 0

    @rpc(command=True)
    def make(self, actor: Actor, command: Command) -> Titled:
        type(self).made += 1
        return Titled(kind=command.kind, by=f"{actor.user_id}#{type(self).made}")


def test_a_command_with_a_key_it_has_seen_answers_as_the_first_time_without_running() -> None:
    service = Counter()
    service.uow = KeptAnswers("client-key-1")
    Counter.made = 0
    first = service.make(ACTOR, {"kind": "plan"})
    again = service.make(ACTOR, {"kind": "plan"})
    assert first == again == {"kind": "plan", "by": "u-1#1"}
    assert Counter.made == 1, "a repeat with the same key must not run the command again"


def test_a_command_without_a_key_runs_every_time() -> None:
    service = Counter()
    service.uow = KeptAnswers(None)
    Counter.made = 0
    service.make(ACTOR, {"kind": "plan"})
    service.make(ACTOR, {"kind": "plan"})
    assert Counter.made == 2


def test_a_command_in_a_service_without_a_unit_of_work_does_not_start() -> None:
    class Forgetful:
        name = "forgetful"

        @rpc(command=True)
        def make(self, actor: Actor, command: Command) -> Titled:
            """Has nowhere to keep its keys."""
            raise NotImplementedError

    (entrypoint,) = [e for e in Forgetful.make.nameko_entrypoints if isinstance(e, Rpc)]  # type: ignore[attr-defined]

    class Container:
        service_cls = Forgetful
        service_name = "forgetful"
        shared_extensions: dict[str, Any] = {}

    container = Container()
    bound = entrypoint.bind(container, "make")
    with pytest.raises(TypeError, match="has no `uow`"):
        bound.check_command_has_unit_of_work()
