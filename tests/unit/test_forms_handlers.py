"""The forms service's seams: rules that moved into the domain (the rapid review set-up asking for returns,
the pause rules, the deadline figures' bounds), and handlers run against a fake repository."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from unittest.mock import MagicMock

import pytest

from services.forms import clock, definitions, domain, models
from services.forms.contract import (
    DeadlineChanged,
    EndPause,
    RecordPause,
    ReturnRequested,
    ReviewPaused,
    ReviewResumed,
    StepCompleted,
)
from services.forms.handlers import lifecycle
from services.forms.models import PauseRow, ReviewRecord
from services.forms.unit_of_work import FormsUnitOfWork
from services.kernel.calendar import today_in_england
from services.kernel.errors import Forbidden, InvalidRequest
from services.kernel.identity import Actor
from tests.unit.test_review_types import MANAGER, PARTNERSHIP, on, save, walk_child

AGENCIES = [
    {"agency_id": str(uuid.uuid4()), "name": "Health visiting"},
    {"agency_id": str(uuid.uuid4()), "name": "Children's social care"},
]


def set_up_rapid_review() -> domain.ReviewState:
    """A child review at its rapid review, the set-up saved (not completed) inviting AGENCIES."""
    state, _ = walk_child(until="rapid_review")
    save(state, "rapid_review", {"agencies": AGENCIES, "letters_sent_on": "2025-03-10"})
    return state


# -- rules the domain holds now ------------------------------------------------------------------------------


def test_completing_the_rapid_review_set_up_asks_each_invited_agency_and_starts_the_returns_clock():
    state = set_up_rapid_review()
    shown = {standing.rule.code for standing in domain.plan(state, date(2025, 3, 10)).standings}
    assert "returns" not in shown, "no returns clock before any agency is asked"
    already = uuid.UUID(AGENCIES[0]["agency_id"])
    completion = domain.complete(
        state, "rapid_review", MANAGER, state.steps["rapid_review"].version, on("2025-03-10"), [already]
    )
    assert [r.agency_name for r in completion.returns] == ["Children's social care"], (
        "an agency asked before must not be asked twice"
    )
    assert state.returns.requested, "the returns clock starts once the agencies are asked"
    assert "returns" in {standing.rule.code for standing in domain.plan(state, date(2025, 3, 10)).standings}
    kinds = [type(event) for event in completion.events]
    assert kinds[0] is StepCompleted and kinds[-1] is ReturnRequested, "the step's events come first"
    (asked,) = [e for e in completion.events if isinstance(e, ReturnRequested)]
    assert asked.return_id == completion.returns[0].id and asked.due_on == completion.returns[0].due_on


def test_completing_any_other_step_asks_no_agency():
    state, _ = walk_child(until="meeting")
    save(state, "meeting", {"held_on": "2025-03-21", "immediate_safety_actions": "A.", "learning": "B."})
    completion = domain.complete(
        state, "meeting", MANAGER, state.steps["meeting"].version, on("2025-03-21"), []
    )
    assert completion.returns == []
    assert not [e for e in completion.events if isinstance(e, ReturnRequested)]


PAUSE = RecordPause(
    reason="criminal_investigation",
    detail="Police investigation under way",
    starts_on=date(2025, 3, 12),
    approved_by="Lead safeguarding partner (police)",
)


def test_a_pause_is_announced_and_a_second_pause_is_refused_while_it_is_open():
    state, _ = walk_child(until="meeting")
    pause = domain.pause_clock(state, PAUSE, date(2025, 3, 14))
    assert isinstance(pause.events[0], ReviewPaused) and pause.events[0].pause_id == pause.id
    assert all(isinstance(e, DeadlineChanged) and e.reason == "paused" for e in pause.events[1:])
    assert state.pauses == [clock.PauseSpan(PAUSE.starts_on, None)]
    with pytest.raises(InvalidRequest) as refused:
        domain.pause_clock(state, PAUSE, date(2025, 3, 14))
    assert refused.value.problems == [
        {"field": "reason", "message": "The clock is already paused: end that pause first"}
    ]


def test_a_closed_review_cannot_be_paused():
    state, _ = walk_child()
    with pytest.raises(InvalidRequest) as refused:
        domain.pause_clock(state, PAUSE, date(2025, 10, 1))
    assert refused.value.problems[0]["message"] == "The review is closed: its clock cannot be paused"
    assert state.pauses == []


def test_a_pause_ends_on_a_day_from_its_start_to_today_and_only_once():
    state, _ = walk_child(until="meeting")
    pause = domain.pause_clock(state, PAUSE, date(2025, 3, 14))
    span = clock.PauseSpan(PAUSE.starts_on, None)
    for ends_on in (date(2025, 3, 11), date(2025, 3, 20)):
        with pytest.raises(InvalidRequest) as refused:
            domain.end_pause(state, pause.id, span, ends_on, date(2025, 3, 14))
        assert refused.value.problems[0]["field"] == "ends_on"
    events = domain.end_pause(state, pause.id, span, date(2025, 3, 13), date(2025, 3, 14))
    assert events[0] == ReviewResumed(review_id=state.id, pause_id=pause.id, ends_on=date(2025, 3, 13))
    assert state.pauses == [clock.PauseSpan(date(2025, 3, 12), date(2025, 3, 13))]
    with pytest.raises(InvalidRequest, match="already ended"):
        domain.end_pause(state, pause.id, state.pauses[0], date(2025, 3, 13), date(2025, 3, 14))


def test_deadline_figures_outside_their_bounds_are_each_named():
    definition = definitions.review_types()["child_safeguarding"]
    rule = definition.deadlines["returns"]
    domain.check_deadline_figures(definition, {"returns": rule.minimum})
    with pytest.raises(InvalidRequest) as refused:
        domain.check_deadline_figures(definition, {"returns": rule.maximum + 1, "no_such": 3})
    assert [p["field"] for p in refused.value.problems] == ["returns", "no_such"]


# -- a handler against a fake repository ---------------------------------------------------------------------


class FakeReviews:
    """The repository's part that pausing a review uses, in memory: one review, its state and pauses."""

    def __init__(self, state: domain.ReviewState) -> None:
        self.state_now = state
        self.record = ReviewRecord(
            id=state.id,
            partnership_id=state.partnership_id,
            review_type=state.definition.code,
            title="NB-2025-010",
            stage="rapid_review",
            opened_at=datetime(2025, 3, 3, 9, tzinfo=UTC),
            opened_by="bm-1",
            version=3,
        )
        self.pause_rows: list[PauseRow] = []

    def review_with_shares(self, review_id: uuid.UUID, *, lock: bool = False) -> Any:
        return (self.record, []) if review_id == self.record.id else None

    def ownership(self, record: ReviewRecord, shared_with: list[uuid.UUID]) -> Any:
        return models.ownership(record, shared_with)

    def state(self, record: ReviewRecord, pauses: Any = None, returns: Any = None) -> domain.ReviewState:
        return self.state_now

    def pauses(self, review_id: uuid.UUID) -> list[PauseRow]:
        return self.pause_rows

    def returns(self, review_id: uuid.UUID) -> list[Any]:
        return []

    def add_pause(self, pause: domain.Pause, by: str, now: datetime) -> None:
        self.pause_rows.append(
            PauseRow(
                id=pause.id,
                review_id=pause.review_id,
                reason=pause.reason,
                detail=pause.detail,
                starts_on=pause.starts_on,
                ends_on=pause.ends_on,
                approved_by=pause.approved_by,
                recorded_by=by,
                recorded_at=now,
            )
        )

    def changed(self, record: ReviewRecord) -> None:
        record.version += 1


def unit_of_work(reviews: FakeReviews) -> tuple[FormsUnitOfWork, MagicMock]:
    kernel = MagicMock()
    kernel.idempotent.return_value.done = False
    return FormsUnitOfWork(kernel, reviews=reviews), kernel  # type: ignore[arg-type]


def test_record_pause_stores_it_emits_its_events_and_remembers_the_key():
    state, _ = walk_child(until="meeting")
    reviews = FakeReviews(state)
    uow, kernel = unit_of_work(reviews)
    pause = PAUSE.model_copy(update={"starts_on": today_in_england()})
    review_file = lifecycle.record_pause(uow, MANAGER, state.id, pause, "k-1")
    (row,) = reviews.pause_rows
    assert (row.recorded_by, row.reason) == ("bm-1", "criminal_investigation")
    assert review_file.paused and [p.id for p in review_file.pauses] == [row.id]
    assert reviews.record.version == 4, "a pause is a change to the review"
    emitted = [call.args[0] for call in kernel.emit.call_args_list]
    assert isinstance(emitted[0], ReviewPaused) and emitted[0].pause_id == row.id
    assert all(call.kwargs["review_id"] == state.id for call in kernel.emit.call_args_list)
    assert all(call.kwargs["partnership_id"] == PARTNERSHIP for call in kernel.emit.call_args_list)
    kernel.idempotent.return_value.remember.assert_called_once_with({"pause_id": str(row.id)})


def test_record_pause_of_a_closed_review_stores_and_emits_nothing():
    state, _ = walk_child()
    reviews = FakeReviews(state)
    uow, kernel = unit_of_work(reviews)
    with pytest.raises(InvalidRequest):
        lifecycle.record_pause(uow, MANAGER, state.id, PAUSE, None)
    assert reviews.pause_rows == [] and reviews.record.version == 3
    kernel.emit.assert_not_called()
    kernel.idempotent.return_value.remember.assert_not_called()


def test_end_pause_refuses_a_caller_who_does_not_manage_the_review():
    state, _ = walk_child(until="meeting")
    reviews = FakeReviews(state)
    uow, kernel = unit_of_work(reviews)
    partner = Actor(user_id="sp-1", partnership_id=PARTNERSHIP, roles=frozenset({"safeguarding_partner"}))
    with pytest.raises(Forbidden):
        lifecycle.end_pause(uow, partner, state.id, uuid.uuid4(), EndPause(ends_on=date(2025, 3, 13)))
    kernel.emit.assert_not_called()


def test_a_repeated_idempotency_key_saves_a_step_once(monkeypatch: pytest.MonkeyPatch):
    """`make chaos` found it: a save run late after its client had retried moved the draft's version on, and
    the client's completion from the version it was given was refused as someone else's change."""
    state, _ = walk_child(until="rapid_review")
    uow, kernel = unit_of_work(FakeReviews(state))
    saved: list[str] = []
    monkeypatch.setattr(lifecycle, "save", lambda uow, caller, record, step, *rest: saved.append(step))
    monkeypatch.setattr(lifecycle.views, "review_file", lambda *args: "the review file")
    answers = {"letters_sent_on": "2025-03-10"}
    assert lifecycle.save_step(uow, MANAGER, state.id, "rapid_review", answers, 2, "k-1") == "the review file"
    kernel.idempotent.return_value.remember.assert_called_once()
    kernel.idempotent.return_value.done = True
    assert lifecycle.save_step(uow, MANAGER, state.id, "rapid_review", answers, 2, "k-1") == "the review file"
    assert saved == ["rapid_review"], "the repeat saved the draft again"
    method, caller, key, request = kernel.idempotent.call_args.args
    assert (method, caller, key) == ("save_step", MANAGER, "k-1")
    assert request["answers"] == answers and request["version"] == 2
