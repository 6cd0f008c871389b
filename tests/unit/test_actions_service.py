"""The actions service: who sees a review's actions (the handler, with a fake repository) and its
entrypoints (worker_factory; the unit of work is a mock)."""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

import pytest
from nameko.testing.services import worker_factory

from services.actions import handlers
from services.actions.domain import Action
from services.actions.service import ActionsService
from services.kernel.errors import NotFound
from services.kernel.identity import Actor

HOLDER, OTHER = uuid.uuid4(), uuid.uuid4()
REVIEW = uuid.uuid4()


class FakeActions:
    def __init__(self, *actions: Action) -> None:
        self.actions = list(actions)

    def of_review(self, review_id: UUID) -> list[Action]:
        return [action for action in self.actions if action.review_id == review_id]


def action(day: int | None, status: str = "open") -> Action:
    due = None if day is None else date(2027, 3, day)
    return Action(uuid.uuid4(), REVIEW, HOLDER, due, status)


def actor(*roles: str, partnership: UUID | None = HOLDER, reviews: tuple[UUID, ...] = ()) -> Actor:
    return Actor(
        user_id="u-1", partnership_id=partnership, roles=frozenset(roles), reviews=frozenset(reviews)
    )


ASKED = [action(None, "not_implemented"), action(20, "completed"), action(12)]


@pytest.mark.parametrize(
    "caller",
    [
        actor("business_manager"),
        actor("safeguarding_partner"),
        actor("executive"),
        actor("subgroup_member", reviews=(REVIEW,)),
        actor("agency_lead", reviews=(REVIEW,)),
        actor("system", partnership=None),
    ],
)
def test_whoever_may_see_the_review_gets_its_actions_soonest_due_first_and_undated_last(
    caller: Actor,
) -> None:
    listed = handlers.actions_of_review(None, caller, REVIEW, FakeActions(*ASKED))
    assert [a.status for a in listed] == ["open", "completed", "not_implemented"]


@pytest.mark.parametrize(
    "caller",
    [
        actor("agency_lead"),  # not a member of this review
        actor("regional_analyst", partnership=None),
        actor("national_analyst", partnership=None),
        actor("partnership_admin"),
        actor("data_protection_officer"),
    ],
)
def test_a_caller_who_may_not_see_the_review_is_told_it_is_not_found(caller: Actor) -> None:
    with pytest.raises(NotFound, match="No such review"):
        handlers.actions_of_review(None, caller, REVIEW, FakeActions(*ASKED))


def test_a_review_with_no_actions_here_is_empty_for_its_people_and_not_found_for_others() -> None:
    assert handlers.actions_of_review(None, actor("business_manager"), REVIEW, FakeActions()) == []
    with pytest.raises(NotFound):
        handlers.actions_of_review(None, actor("agency_author"), REVIEW, FakeActions())


def test_the_entrypoint_answers_json_from_the_table_and_refuses_an_id_that_is_not_one() -> None:
    service = worker_factory(ActionsService)
    service.uow.session.scalars.return_value = []
    caller = {"user_id": "bm", "partnership_id": str(HOLDER), "roles": ["business_manager"]}
    assert service.actions_of_review(caller, str(REVIEW)) == []
    with pytest.raises(NotFound, match="No such review"):
        service.actions_of_review(caller, "not-an-id")


def test_the_health_rpc_still_answers() -> None:
    service = worker_factory(ActionsService)
    service.uow.session.execute.return_value.scalar_one.return_value = 0
    assert service.health() == {"service": "actions", "status": "ok", "database": "ok", "outbox_backlog": 0}


def test_a_caller_who_could_see_no_review_is_refused_before_the_actions_are_read() -> None:
    class Untouchable(FakeActions):
        def of_review(self, review_id: UUID) -> list:  # type: ignore[override]
            raise AssertionError("the policy must refuse before any read")

    with pytest.raises(NotFound):
        handlers.actions_of_review(None, actor("national_analyst", partnership=None), REVIEW, Untouchable())


@pytest.mark.parametrize(
    "caller",
    [
        actor("business_manager", partnership=OTHER),
        actor("subgroup_member", partnership=OTHER, reviews=(REVIEW,)),
    ],
)
def test_another_partnerships_review_reads_as_one_with_nothing_here(caller: Actor) -> None:
    held = handlers.actions_of_review(None, caller, REVIEW, FakeActions(*ASKED))
    nothing = handlers.actions_of_review(None, caller, REVIEW, FakeActions())
    assert held == nothing == []
