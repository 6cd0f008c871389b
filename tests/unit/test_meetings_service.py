"""The meetings service: who sees a review's meetings (the handler, with a fake repository) and its
entrypoints (worker_factory; the unit of work is a mock)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

import pytest
from nameko.testing.services import worker_factory

from services.kernel.errors import NotFound
from services.kernel.identity import Actor
from services.meetings import handlers
from services.meetings.domain import Invited, Meeting
from services.meetings.service import MeetingsService

HOLDER, OTHER = uuid.uuid4(), uuid.uuid4()
REVIEW = uuid.uuid4()


class FakeMeetings:
    def __init__(self, *meetings: Meeting) -> None:
        self.meetings = list(meetings)

    def of_review(self, review_id: UUID) -> list[Meeting]:
        return [meeting for meeting in self.meetings if meeting.review_id == review_id]


def meeting(day: int, kind: str = "rapid_review_meeting") -> Meeting:
    starts = datetime(2026, 11, day, 10, 0, tzinfo=UTC)
    return Meeting(
        id=uuid.uuid4(),
        review_id=REVIEW,
        partnership_id=HOLDER,
        kind=kind,
        starts_at=starts,
        status="scheduled",
        invitees=[Invited(user_id="invited-lead", name="An invited lead")],
    )


def actor(
    *roles: str, partnership: UUID | None = HOLDER, reviews: tuple[UUID, ...] = (), user: str = "u-1"
) -> Actor:
    return Actor(user_id=user, partnership_id=partnership, roles=frozenset(roles), reviews=frozenset(reviews))


ASKED = [meeting(20, "panel"), meeting(12)]


@pytest.mark.parametrize(
    "caller",
    [
        actor("business_manager"),
        actor("safeguarding_partner"),
        actor("executive"),
        actor("independent_reviewer", reviews=(REVIEW,)),
        actor("agency_lead", reviews=(REVIEW,), user="invited-lead"),
        actor("system", partnership=None),
    ],
)
def test_whoever_may_see_the_review_gets_its_meetings_soonest_first(caller: Actor) -> None:
    listed = handlers.meetings_of_review(None, caller, REVIEW, FakeMeetings(*ASKED))
    assert [m.kind for m in listed] == ["rapid_review_meeting", "panel"]


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
        handlers.meetings_of_review(None, caller, REVIEW, FakeMeetings(*ASKED))


@pytest.mark.parametrize(
    "caller",
    [actor("subgroup_member", reviews=(REVIEW,)), actor("agency_lead", reviews=(REVIEW,))],
)
def test_a_member_of_the_review_sees_only_the_meetings_they_are_invited_to(caller: Actor) -> None:
    assert handlers.meetings_of_review(None, caller, REVIEW, FakeMeetings(*ASKED)) == []


def test_a_review_with_no_meetings_here_is_empty_for_its_people_and_not_found_for_others() -> None:
    assert handlers.meetings_of_review(None, actor("business_manager"), REVIEW, FakeMeetings()) == []
    with pytest.raises(NotFound):
        handlers.meetings_of_review(None, actor("agency_author"), REVIEW, FakeMeetings())


def test_the_entrypoint_answers_json_from_the_table_and_refuses_an_id_that_is_not_one() -> None:
    service = worker_factory(MeetingsService)
    service.uow.session.scalars.return_value = []
    caller = {"user_id": "bm", "partnership_id": str(HOLDER), "roles": ["business_manager"]}
    assert service.meetings_of_review(caller, str(REVIEW)) == []
    with pytest.raises(NotFound, match="No such review"):
        service.meetings_of_review(caller, "not-an-id")


def test_the_health_rpc_still_answers() -> None:
    service = worker_factory(MeetingsService)
    service.uow.session.execute.return_value.scalar_one.return_value = 0
    assert service.health() == {"service": "meetings", "status": "ok", "database": "ok", "outbox_backlog": 0}


def test_a_caller_who_could_see_no_review_is_refused_before_the_meetings_are_read() -> None:
    class Untouchable(FakeMeetings):
        def of_review(self, review_id: UUID) -> list:  # type: ignore[override]
            raise AssertionError("the policy must refuse before any read")

    with pytest.raises(NotFound):
        handlers.meetings_of_review(None, actor("national_analyst", partnership=None), REVIEW, Untouchable())


@pytest.mark.parametrize(
    "caller",
    [
        actor("business_manager", partnership=OTHER),
        actor("subgroup_member", partnership=OTHER, reviews=(REVIEW,)),
    ],
)
def test_another_partnerships_review_reads_as_one_with_nothing_here(caller: Actor) -> None:
    held = handlers.meetings_of_review(None, caller, REVIEW, FakeMeetings(*ASKED))
    nothing = handlers.meetings_of_review(None, caller, REVIEW, FakeMeetings())
    assert held == nothing == []
