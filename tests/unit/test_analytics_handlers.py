"""Analytics' projections and handlers, without a broker or a database: the event store is a fake that keeps
rows in dicts by the domain's own rule (Fact.supersedes), as the tables do in one statement."""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from gateway.contract import AgencyChanged, PartnershipChanged
from services.actions.contract import ActionAssigned, ActionCompleted, ActionOverdue, LessonRecorded
from services.analytics import domain, handlers
from services.analytics.domain import Fact, StageCount
from services.forms.contract import (
    ChildCategories,
    DeadlineChanged,
    DecisionMade,
    PanelResponded,
    ReturnRequested,
    ReturnSubmitted,
    ReviewOpened,
    ReviewPaused,
    ReviewRestated,
    SinSubmitted,
    StageChanged,
    StepCompleted,
)
from services.kernel.errors import Forbidden
from services.kernel.events import Envelope, EventData
from services.kernel.identity import Actor

PARTNERSHIP = uuid.uuid4()
REVIEW = uuid.uuid4()
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class FakeStore:
    """EventStore in dicts: the events kept, and each table's rows by key, by the domain's rule."""

    def __init__(self) -> None:
        self.events: dict[UUID, Envelope] = {}
        self.rows: dict[str, dict[tuple[Any, ...], Fact]] = {}
        self.touched: set[UUID] = set()

    def keep(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        kept = []
        for envelope in envelopes:
            if envelope.event_id not in self.events:
                self.events[envelope.event_id] = envelope
                kept.append(envelope)
        return kept

    def store(self, facts: Iterable[Fact]) -> None:
        for fact in facts:
            table = self.rows.setdefault(fact.table, {})
            if fact.supersedes(table.get(fact.key)):
                table[fact.key] = fact

    def touch(self, partnerships: Iterable[UUID]) -> None:
        self.touched.update(partnerships)

    def table(self, name: str) -> list[dict[str, Any]]:
        return sorted((fact.row() for fact in self.rows.get(name, {}).values()), key=repr)

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return {name: self.table(name) for name in sorted(self.rows)}


class FakeUnit:
    """The unit of work as the handlers use it: an inbox of event ids."""

    def __init__(self) -> None:
        self.seen: set[UUID] = set()

    def first_deliveries(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        fresh = []
        for envelope in envelopes:
            if envelope.event_id not in self.seen:
                self.seen.add(envelope.event_id)
                fresh.append(envelope)
        return fresh


def at(payload: EventData, minutes: int, partnership: UUID | None = PARTNERSHIP) -> Envelope:
    envelope = Envelope.wrap(
        payload, partnership_id=partnership, review_id=getattr(payload, "review_id", None)
    )
    return envelope.model_copy(update={"occurred_at": START + timedelta(minutes=minutes)})


def opened(minutes: int = 0, partnership: UUID | None = PARTNERSHIP) -> Envelope:
    fact = ReviewOpened(review_id=REVIEW, review_type="child_safeguarding", stage="referral", opened_at=START)
    return at(fact, minutes, partnership)


def changed(previous: str, stage: str, minutes: int) -> Envelope:
    return at(
        StageChanged(
            review_id=REVIEW, review_type="child_safeguarding", previous_stage=previous, stage=stage
        ),
        minutes,
    )


def apply_all(events: Iterable[Envelope], store: FakeStore | None = None) -> FakeStore:
    store = store or FakeStore()
    unit = FakeUnit()
    for event in events:
        handlers.apply_event(unit, event, store)  # type: ignore[arg-type]
    return store


def a_review_story(partnership: UUID = PARTNERSHIP, review: UUID = REVIEW) -> list[Envelope]:
    """One review's life as its events: opened, notified with two children, a rapid review, a late deadline,
    a return in late, a decision, the Panel's answer, a pause, lessons and an action completed after it was
    overdue; plus the partnership's and an agency's identity."""
    agency = uuid.uuid4()
    action = uuid.uuid4()
    child = ChildCategories(age_band="under_1", sex="female", ethnicity="white", disability="no")
    other = ChildCategories(
        age_band="5_to_9", sex="male", ethnicity="mixed", disability="yes", legal_status=["looked_after"]
    )
    deadline = {"review_id": review, "review_type": "child_safeguarding", "deadline": "rapid_review"}
    return_id = uuid.uuid4()
    return [
        at(
            PartnershipChanged(
                partnership_id=partnership, code="NB", name="Northbridge", region="North", changed_at=START
            ),
            0,
            partnership,
        ),
        at(
            AgencyChanged(
                agency_id=agency,
                partnership_id=partnership,
                name="Police",
                agency_type="police",
                changed_at=START,
            ),
            0,
            partnership,
        ),
        at(
            ReviewOpened(
                review_id=review, review_type="child_safeguarding", stage="referral", opened_at=START
            ),
            1,
            partnership,
        ),
        at(
            SinSubmitted(
                review_id=review,
                notified_on=date(2026, 11, 6),
                date_aware=date(2026, 11, 3),
                due_on=date(2026, 11, 10),
                late_by_working_days=0,
                children=2,
                nature="death",
                children_categories=[child, other],
            ),
            2,
            partnership,
        ),
        at(
            StageChanged(
                review_id=review,
                review_type="child_safeguarding",
                previous_stage="referral",
                stage="rapid_review",
            ),
            3,
            partnership,
        ),
        at(
            StepCompleted(
                review_id=review,
                review_type="child_safeguarding",
                step="rapid_review",
                form="rapid_review_setup",
                stage="rapid_review",
                completed_on=date(2026, 11, 9),
            ),
            4,
            partnership,
        ),
        at(
            ReturnRequested(
                review_id=review, return_id=return_id, agency_id=agency, due_on=date(2026, 11, 20)
            ),
            5,
            partnership,
        ),
        at(
            DeadlineChanged(
                **deadline,
                label="Rapid review report to the Panel",
                statutory=True,
                due_on=date(2026, 11, 27),
                revised_due_on=date(2026, 11, 27),
                previous_revised_due_on=None,
                status="due",
                reason="started",
            ),
            6,
            partnership,
        ),
        at(
            ReturnSubmitted(
                review_id=review,
                return_id=return_id,
                agency_id=agency,
                nil=False,
                due_on=date(2026, 11, 20),
                late_by_working_days=2,
            ),
            7,
            partnership,
        ),
        at(
            StepCompleted(
                **deadline,
                step="panel_submission",
                form="panel_submission",
                stage="decision",
                completed_on=date(2026, 12, 1),
                due_on=date(2026, 11, 27),
                revised_due_on=date(2026, 11, 27),
                late_by_working_days=2,
            ),
            8,
            partnership,
        ),
        at(
            DeadlineChanged(
                **deadline,
                label="Rapid review report to the Panel",
                statutory=True,
                due_on=date(2026, 11, 27),
                revised_due_on=date(2026, 11, 27),
                previous_revised_due_on=date(2026, 11, 27),
                status="late",
                reason="met",
            ),
            9,
            partnership,
        ),
        at(
            DecisionMade(
                review_id=review,
                review_type="child_safeguarding",
                outcome="lcspr",
                decided_on=date(2026, 11, 30),
            ),
            10,
            partnership,
        ),
        at(
            PanelResponded(
                review_id=review,
                review_type="child_safeguarding",
                response="agrees",
                local_decision="lcspr",
                received_on=date(2026, 12, 10),
            ),
            11,
            partnership,
        ),
        at(
            ReviewPaused(
                review_id=review,
                pause_id=uuid.uuid4(),
                reason="criminal_trial",
                starts_on=date(2026, 12, 11),
                ends_on=None,
            ),
            12,
            partnership,
        ),
        at(
            LessonRecorded(
                lesson_id=uuid.uuid4(), review_id=review, themes=["neglect", "information_sharing"]
            ),
            13,
            partnership,
        ),
        at(
            ActionAssigned(
                action_id=action,
                review_id=review,
                owner_id=uuid.uuid4(),
                owner_agency_id=agency,
                due_on=date(2027, 3, 1),
                themes=["neglect"],
            ),
            14,
            partnership,
        ),
        at(
            ActionOverdue(action_id=action, review_id=review, owner_id=uuid.uuid4(), due_on=date(2027, 3, 1)),
            15,
            partnership,
        ),
        at(
            ActionCompleted(
                action_id=action,
                review_id=review,
                owner_id=uuid.uuid4(),
                completed_on=date(2027, 3, 5),
                impact_check_due_on=date(2027, 6, 3),
            ),
            16,
            partnership,
        ),
    ]


# -- the rule: the event that occurred last wins, once each --------------------------------------------------


def test_the_event_that_occurred_last_places_the_review_whatever_order_they_arrive_in():
    store = apply_all(
        [changed("rapid_review", "local_review", 20), changed("referral", "rapid_review", 10), opened()]
    )
    (row,) = store.table("review_stage")
    assert (row["review_type"], row["stage"]) == ("child_safeguarding", "local_review")


def test_of_two_events_of_the_same_instant_the_greater_event_id_wins_in_either_order():
    first, second = changed("referral", "rapid_review", 5), changed("referral", "decision", 5)
    winner = max(first, second, key=lambda e: e.event_id).data["stage"]
    assert apply_all([first, second]).table("review_stage")[0]["stage"] == winner
    assert apply_all([second, first]).table("review_stage")[0]["stage"] == winner


def test_an_event_delivered_twice_is_applied_once():
    store, unit, event = FakeStore(), FakeUnit(), opened()
    assert handlers.apply_event(unit, event, store) is True  # type: ignore[arg-type]
    store.rows.clear()
    assert handlers.apply_event(unit, event, store) is False  # type: ignore[arg-type]
    assert store.rows == {}, "the inbox had the event: the second delivery must change nothing"


def test_an_event_the_store_already_keeps_is_not_applied_again_under_another_handler():
    store, event = FakeStore(), opened()
    handlers.apply_event(FakeUnit(), event, store)  # type: ignore[arg-type]
    store.rows.clear()
    assert handlers.apply_event(FakeUnit(), event, store) is False  # type: ignore[arg-type]
    assert store.rows == {}


def test_an_event_of_no_partnership_is_kept_but_counted_nowhere():
    store = apply_all([opened(partnership=None)])
    assert len(store.events) == 1 and store.rows == {} and store.touched == set()


def test_a_restated_review_is_placed_at_its_stage():
    restated = ReviewRestated(review_id=REVIEW, review_type="child_safeguarding", stage="local_review")
    (row,) = apply_all([at(restated, 0)]).table("review_stage")
    assert row["stage"] == "local_review"


@pytest.mark.parametrize("seed", range(25))
def test_any_order_with_duplicates_gives_the_same_rows_as_the_order_they_occurred_in(seed: int) -> None:
    story = a_review_story()
    expected = apply_all(story).snapshot()
    shuffled = story + random.Random(seed).sample(story, k=len(story) // 2)
    random.Random(seed).shuffle(shuffled)
    assert apply_all(shuffled).snapshot() == expected


@pytest.mark.parametrize("seed", range(10))
def test_events_applied_in_batches_with_duplicates_give_the_rows_of_one_at_a_time(seed: int) -> None:
    story = a_review_story()
    expected = apply_all(story)
    shuffled = story + random.Random(seed).sample(story, k=len(story) // 2)
    random.Random(seed).shuffle(shuffled)
    store, unit, applied = FakeStore(), FakeUnit(), 0
    for start in range(0, len(shuffled), 7):
        applied += handlers.apply_events(unit, shuffled[start : start + 7], store)  # type: ignore[arg-type]
    assert store.snapshot() == expected.snapshot()
    assert applied == len(story), "each event must count once however its copies were batched"
    assert store.touched == expected.touched


def test_a_batch_of_an_event_twice_applies_it_once():
    store, unit, event = FakeStore(), FakeUnit(), opened()
    assert handlers.apply_events(unit, [event, event], store) == 1  # type: ignore[arg-type]
    assert list(store.events) == [event.event_id]


def test_each_projection_keeps_only_its_own_tables_and_every_table_has_its_projection():
    owners = [table for projection in domain.PROJECTIONS.values() for table in projection.tables]
    assert len(owners) == len(set(owners)), "a table belongs to one projection"
    from services.analytics.models import PROJECTION_TABLES

    assert set(owners) == set(PROJECTION_TABLES)
    for envelope in a_review_story():
        for projection in domain.PROJECTIONS.values():
            assert {fact.table for fact in projection.facts_of(envelope)} <= set(projection.tables)


def test_a_review_story_fills_every_projection_with_codes_dates_and_numbers_only():
    store = apply_all(a_review_story())
    children = store.table("notified_child")
    assert [
        (c["age_band"], c["sex"], c["legal_status"]) for c in sorted(children, key=lambda c: c["ordinal"])
    ] == [
        ("under_1", "female", []),
        ("5_to_9", "male", ["looked_after"]),
    ]
    milestones = {row["milestone"]: row for row in store.table("review_milestone")}
    assert set(milestones) == {"opened", "notified", "rapid_review", "decided", "panel"}
    assert (milestones["decided"]["outcome"], milestones["decided"]["detail"]) == ("lcspr", "local_review")
    assert (milestones["panel"]["outcome"], milestones["panel"]["detail"]) == ("agrees", "lcspr")
    (met,) = store.table("deadline_met")
    assert (met["deadline"], met["late_by_working_days"]) == ("rapid_review", 2)
    (standing,) = store.table("deadline_standing")
    assert standing["status"] == "late", "the later deadline_changed (met, late) wins"
    (submitted,) = store.table("return_submitted")
    assert submitted["late_by_working_days"] == 2
    (action,) = store.table("action_state")
    assert action["state"] == "completed", "the completion occurred after the overdue announcement"
    (plan,) = store.table("action_plan")
    assert plan["themes"] == ["neglect"]
    (agency,) = store.table("agency")
    assert agency["agency_type"] == "police" and "name" not in agency
    (partnership,) = store.table("partnership")
    assert (partnership["name"], partnership["region"]) == ("Northbridge", "North")
    (pause,) = store.table("review_pause")
    assert pause["reason"] == "criminal_trial"
    assert store.touched == {PARTNERSHIP}


def test_a_rebuild_chooses_one_projection_by_name_and_refuses_one_that_is_not():
    assert [p.name for p in domain.projections_named("children")] == ["children"]
    assert len(domain.projections_named(None)) == len(domain.PROJECTIONS)
    with pytest.raises(KeyError, match="No projection 'nope'"):
        domain.projections_named("nope")


def test_a_projection_replayed_alone_gives_the_rows_it_had_live():
    story = a_review_story()
    live = apply_all(story)
    (children,) = domain.projections_named("children")
    rebuilt = FakeStore()
    rebuilt.store(fact for envelope in reversed(story) for fact in domain.facts_of(envelope, [children]))
    assert rebuilt.table("notified_child") == live.table("notified_child")


# -- the counts ---------------------------------------------------------------------------------------------


class FakeFigures:
    """Figures over a FakeStore's rows (the counts only)."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.asked: list[Any] = []

    def stage_counts(self, partnerships: frozenset[UUID] | None) -> list[StageCount]:
        self.asked.append(partnerships)
        tally: dict[tuple[str, str], int] = {}
        for row in self.store.table("review_stage"):
            if partnerships is None or row["partnership_id"] in partnerships:
                key = (row["review_type"], row["stage"])
                tally[key] = tally.get(key, 0) + 1
        return [StageCount(t, s, n) for (t, s), n in sorted(tally.items())]

    def action_counts(self, partnerships: frozenset[UUID] | None) -> list[tuple[str, int]]:
        self.asked.append(partnerships)
        tally: dict[str, int] = {}
        for row in self.store.table("action_state"):
            if partnerships is None or row["partnership_id"] in partnerships:
                tally[row["state"]] = tally.get(row["state"], 0) + 1
        return list(tally.items())


def test_counts_answer_one_partnership_with_its_id_and_a_sum_without():
    figures = FakeFigures(apply_all([opened()]))
    manager = Actor(user_id="bm", partnership_id=PARTNERSHIP, roles=frozenset({"business_manager"}))
    (own,) = handlers.review_counts(FakeUnit(), manager, PARTNERSHIP, figures)  # type: ignore[arg-type]
    assert (own.partnership_id, own.stage, own.count) == (PARTNERSHIP, "referral", 1)
    national = Actor(user_id="na", roles=frozenset({"national_analyst"}))
    (summed,) = handlers.review_counts(FakeUnit(), national, None, figures)  # type: ignore[arg-type]
    assert (summed.partnership_id, summed.count) == (None, 1)


def test_counts_are_refused_before_the_figures_are_read():
    figures = FakeFigures(FakeStore())
    author = Actor(user_id="a", partnership_id=PARTNERSHIP, roles=frozenset({"agency_author"}))
    with pytest.raises(Forbidden):
        handlers.review_counts(FakeUnit(), author, PARTNERSHIP, figures)  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        handlers.dashboard(FakeUnit(), author, "reviews", None, figures)  # type: ignore[arg-type]
    assert figures.asked == []


def test_actions_are_counted_by_the_state_their_latest_event_left_them_in():
    story = [e for e in a_review_story() if e.type.startswith("actions.action")]
    figures = FakeFigures(apply_all(reversed(story)))
    manager = Actor(user_id="bm", partnership_id=PARTNERSHIP, roles=frozenset({"business_manager"}))
    counts = {c.state: c.count for c in handlers.action_counts(FakeUnit(), manager, PARTNERSHIP, figures)}  # type: ignore[arg-type]
    assert counts == {"open": 0, "overdue": 0, "completed": 1, "not_implemented": 0, "closed": 0}


def test_wider_views_drop_every_non_empty_set_of_the_filters_chosen():
    from services.analytics.queries import Scope

    region = frozenset({PARTNERSHIP, uuid.uuid4()})
    scope = Scope(frozenset({PARTNERSHIP}), review_type="child_safeguarding", theme="neglect")
    wider = handlers.wider_scopes(scope, PARTNERSHIP, region)
    assert len(wider) == 7
    assert Scope(region) in wider, "the view with no filter at all is among them"
    assert all(view != scope for view in wider)
    assert handlers.wider_scopes(Scope(region), None, region) == []
    assert list(
        itertools.chain(handlers.wider_scopes(Scope(None, period_from=date(2025, 1, 1)), None, None))
    ) == [Scope(None)]


@pytest.mark.parametrize(
    ("status", "revised", "standing"),
    [
        ("met", date(2026, 11, 20), None),
        ("late", date(2026, 11, 20), None),
        ("paused", date(2026, 11, 20), "paused"),
        ("due", date(2026, 11, 13), "overdue"),  # its date passed since the last event: overdue now
        ("due", date(2026, 11, 19), "at_risk"),  # 3 working days after Mon 16 Nov 2026
        ("due", date(2026, 11, 20), "due"),
        ("overdue", date(2026, 11, 13), "overdue"),
    ],
)
def test_a_statutory_deadline_stands_today_by_its_dates_not_only_its_last_event(status, revised, standing):
    from services.analytics.gauges import deadline_standing

    assert deadline_standing(status, revised, date(2026, 11, 16)) == standing


def test_what_is_kept_is_given_only_at_its_mark_and_the_least_lately_asked_goes_first():
    kept: handlers.KeptWhileUnchanged[str] = handlers.KeptWhileUnchanged(size=2)
    kept.keep("a", 1, "A")
    assert kept.get("a", 1) == "A"
    assert kept.get("a", 2) is None, "the projections changed since: computed anew"
    assert kept.get("a", None) is None, "no mark: nothing is given"
    kept.keep("b", None, "B")
    assert kept.get("b", None) is None and "b" not in kept.held, "nothing is kept without a mark"
    kept.keep("b", 1, "B")
    kept.get("a", 1)  # asked lately: "b" is now the least lately asked
    kept.keep("c", 1, "C")
    assert set(kept.held) == {"a", "c"}
