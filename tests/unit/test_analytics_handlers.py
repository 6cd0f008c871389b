"""Analytics' rule and handlers, without a broker or a database: the review stages are a fake repository."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.analytics import handlers
from services.analytics.domain import Placement, StageCount
from services.forms.contract import ReviewOpened, ReviewRestated, StageChanged
from services.kernel.errors import Forbidden
from services.kernel.events import Envelope
from services.kernel.identity import Actor

PARTNERSHIP = uuid.uuid4()
REVIEW = uuid.uuid4()
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class FakeReviewStages:
    """ReviewStages in a dict, applying the domain's rule as the table does."""

    def __init__(self) -> None:
        self.held: dict[UUID, Placement] = {}

    def place(self, placement: Placement) -> None:
        if placement.supersedes(self.held.get(placement.review_id)):
            self.held[placement.review_id] = placement

    def counts_in(self, partnership_id: UUID) -> list[StageCount]:
        return self.counts_summed(frozenset({partnership_id}))

    def counts_summed(self, partnerships: frozenset[UUID] | None) -> list[StageCount]:
        tally: dict[tuple[str, str], int] = {}
        for p in self.held.values():
            if partnerships is None or p.partnership_id in partnerships:
                tally[(p.review_type, p.stage)] = tally.get((p.review_type, p.stage), 0) + 1
        return [StageCount(review_type, stage, n) for (review_type, stage), n in sorted(tally.items())]


class FakeUnit:
    """The unit of work as the handlers use it: an inbox of event ids."""

    def __init__(self) -> None:
        self.seen: set[UUID] = set()

    def first_delivery(self, envelope: Envelope) -> bool:
        first = envelope.event_id not in self.seen
        self.seen.add(envelope.event_id)
        return first


def opened(minutes: int = 0, partnership: UUID | None = PARTNERSHIP) -> Envelope:
    fact = ReviewOpened(review_id=REVIEW, review_type="child_safeguarding", stage="referral", opened_at=START)
    return Envelope.wrap(fact, partnership_id=partnership).model_copy(
        update={"occurred_at": START + timedelta(minutes=minutes)}
    )


def changed(previous: str, stage: str, minutes: int) -> Envelope:
    fact = StageChanged(
        review_id=REVIEW, review_type="child_safeguarding", previous_stage=previous, stage=stage
    )
    return Envelope.wrap(fact, partnership_id=PARTNERSHIP).model_copy(
        update={"occurred_at": START + timedelta(minutes=minutes)}
    )


def test_the_event_that_occurred_last_places_the_review_whatever_order_they_arrive_in():
    stages, uow = FakeReviewStages(), FakeUnit()
    handlers.place_review(uow, changed("rapid_review", "local_review", 20), StageChanged, stages)
    handlers.place_review(uow, changed("referral", "rapid_review", 10), StageChanged, stages)
    handlers.place_review(uow, opened(), ReviewOpened, stages)
    assert stages.counts_in(PARTNERSHIP) == [StageCount("child_safeguarding", "local_review", 1)]


def test_an_event_delivered_twice_is_applied_once():
    stages, uow = FakeReviewStages(), FakeUnit()
    event = opened()
    handlers.place_review(uow, event, ReviewOpened, stages)
    stages.held.clear()
    handlers.place_review(uow, event, ReviewOpened, stages)
    assert stages.held == {}, "the inbox had the event: the second delivery must change nothing"


def test_an_event_of_no_partnership_is_counted_nowhere_and_not_recorded_as_seen():
    stages, uow = FakeReviewStages(), FakeUnit()
    handlers.place_review(uow, opened(partnership=None), ReviewOpened, stages)
    assert stages.held == {} and uow.seen == set()


def test_a_restated_review_is_placed_at_its_stage():
    stages, uow = FakeReviewStages(), FakeUnit()
    restated = ReviewRestated(review_id=REVIEW, review_type="child_safeguarding", stage="local_review")
    handlers.place_review(uow, Envelope.wrap(restated, partnership_id=PARTNERSHIP), ReviewRestated, stages)
    assert stages.counts_summed(None) == [StageCount("child_safeguarding", "local_review", 1)]


def test_counts_answer_one_partnership_with_its_id_and_a_sum_without():
    stages, uow = FakeReviewStages(), FakeUnit()
    handlers.place_review(uow, opened(), ReviewOpened, stages)
    manager = Actor(user_id="bm", partnership_id=PARTNERSHIP, roles=frozenset({"business_manager"}))
    (own,) = handlers.review_counts(uow, manager, PARTNERSHIP, stages)
    assert (own.partnership_id, own.stage, own.count) == (PARTNERSHIP, "referral", 1)
    national = Actor(user_id="na", roles=frozenset({"national_analyst"}))
    (summed,) = handlers.review_counts(uow, national, None, stages)
    assert (summed.partnership_id, summed.count) == (None, 1)


def test_counts_are_refused_before_the_stages_are_read():
    class Untouchable(FakeReviewStages):
        def counts_summed(self, partnerships: frozenset[UUID] | None) -> list[StageCount]:
            raise AssertionError("the policy must refuse before any read")

    author = Actor(user_id="a", partnership_id=PARTNERSHIP, roles=frozenset({"agency_author"}))
    with pytest.raises(Forbidden):
        handlers.review_counts(FakeUnit(), author, PARTNERSHIP, Untouchable())


def test_actions_are_counted_by_the_state_their_latest_event_left_them_in() -> None:
    from unittest.mock import MagicMock

    from services.analytics.domain import ActionState, action_state

    class States:
        def __init__(self) -> None:
            self.held: dict[uuid.UUID, ActionState] = {}

        def place(self, state: ActionState) -> None:
            held = self.held.get(state.action_id)
            if held is None or held.as_of < state.as_of:
                self.held[state.action_id] = state

        def counts(self, partnerships: frozenset[uuid.UUID] | None) -> list[tuple[str, int]]:
            found: dict[str, int] = {}
            for state in self.held.values():
                if partnerships is None or state.partnership_id in partnerships:
                    found[state.state] = found.get(state.state, 0) + 1
            return list(found.items())

    partnership, action = uuid.uuid4(), uuid.uuid4()
    start = datetime(2027, 1, 1, tzinfo=UTC)

    def event(kind: str, minutes: int) -> Envelope:
        return Envelope(
            type=f"actions.{kind}",
            partnership_id=partnership,
            occurred_at=start + timedelta(minutes=minutes),
            data={"action_id": str(action)},
        )

    states, unit = States(), MagicMock()
    unit.first_delivery.return_value = True
    # Out of order: the completion occurred after the overdue announcement, and wins.
    for kind, minutes in (("action_assigned", 0), ("action_completed", 20), ("action_overdue", 10)):
        handlers.place_action(unit, event(kind, minutes), states)
    manager = Actor(user_id="bm", partnership_id=partnership, roles=frozenset({"business_manager"}))
    counts = {c.state: c.count for c in handlers.action_counts(unit, manager, partnership, states)}
    assert counts == {"open": 0, "overdue": 0, "completed": 1, "not_implemented": 0, "closed": 0}
    assert action_state(Envelope(type="actions.action_updated", partnership_id=partnership)) is None
