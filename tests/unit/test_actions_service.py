"""The actions service's use cases with a fake store (tests/unit/test_actions_domain.py has the rules): who
sees and changes what, every refusal naming its field with nothing stored, the events each change emits; and
its entrypoints through worker_factory (the unit of work is a mock)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from nameko.testing.services import worker_factory

from services.actions import handlers
from services.actions.contract import (
    ActionFilter,
    AddEvidence,
    AddTheme,
    AssignAction,
    MakeRecommendation,
    RecordBrief,
    RecordDissemination,
    RecordImpact,
    RecordLesson,
    UpdateAction,
)
from services.actions.domain import (
    REVIEW_NOT_KNOWN,
    Action,
    AgreedAction,
    Dissemination,
    Evidence,
    LearningBrief,
    Lesson,
    Person,
    ProgressUpdate,
    Recommendation,
    Review,
    ThemeChange,
)
from services.actions.service import ActionsService
from services.kernel.errors import Forbidden, InvalidRequest, NotFound
from services.kernel.events import EventData
from services.kernel.identity import Actor

TODAY = date(2027, 3, 10)
HOLDER, OTHER = uuid.uuid4(), uuid.uuid4()
REVIEW, EARLIER = uuid.uuid4(), uuid.uuid4()
AGENCY = uuid.uuid4()
OWNER, SOMEONE_ELSE = uuid.uuid4(), uuid.uuid4()


@dataclass
class FakePlans:
    reviews_held: dict[UUID, Review] = field(default_factory=dict)
    persons: dict[UUID, Person] = field(default_factory=dict)
    changes: list[ThemeChange] = field(default_factory=list)
    lesson_list: list[Lesson] = field(default_factory=list)
    recommendation_list: list[Recommendation] = field(default_factory=list)
    action_list: dict[UUID, Action] = field(default_factory=dict)
    written: list[ProgressUpdate] = field(default_factory=list)
    announced_ids: list[UUID] = field(default_factory=list)
    brief_list: dict[UUID, LearningBrief] = field(default_factory=dict)
    evidence_list: list[Evidence] = field(default_factory=list)
    agreed_list: dict[UUID, AgreedAction] = field(default_factory=dict)

    def review(self, review_id: UUID) -> Review | None:
        return self.reviews_held.get(review_id)

    def reviews(self, review_ids: Iterable[UUID]) -> dict[UUID, Review]:
        return {i: self.reviews_held[i] for i in review_ids if i in self.reviews_held}

    def hold_review(self, review: Review) -> None:
        held = self.reviews_held.get(review.id)
        if held is None or review.began_on < held.began_on:
            self.reviews_held[review.id] = review

    def close_review(self, review_id: UUID) -> None:
        pass

    def keep_person(self, person: Person, changed_at: datetime) -> None:
        self.persons[person.user_id] = person

    def keep_agency(self, agency_id: UUID, partnership_id: UUID, name: str, changed_at: datetime) -> None:
        pass

    def person(self, user_id: UUID) -> Person | None:
        return self.persons.get(user_id)

    def people(self, partnership_id: UUID) -> list[Person]:
        return [p for p in self.persons.values() if p.partnership_id == partnership_id]

    def names(self, user_ids: Iterable[UUID]) -> dict[UUID, str]:
        return {i: self.persons[i].display_name for i in user_ids if i in self.persons}

    def agency_names(self, agency_ids: Iterable[UUID]) -> dict[UUID, str]:
        return {i: "Northbridge Police" for i in agency_ids if i == AGENCY}

    def theme_changes(self, partnership_id: UUID) -> list[ThemeChange]:
        return list(self.changes)

    def add_theme_change(self, partnership_id: UUID, change: ThemeChange, by: str) -> None:
        self.changes.append(change)

    def lessons(self, review_id: UUID) -> list[Lesson]:
        return [lesson for lesson in self.lesson_list if lesson.review_id == review_id]

    def lessons_of_partnership(self, partnership_id: UUID) -> list[Lesson]:
        return [lesson for lesson in self.lesson_list if lesson.partnership_id == partnership_id]

    def add_lesson(self, lesson: Lesson) -> None:
        self.lesson_list.append(lesson)

    def recommendations(self, review_id: UUID) -> list[Recommendation]:
        return [r for r in self.recommendation_list if r.review_id == review_id]

    def add_recommendation(self, recommendation: Recommendation) -> None:
        self.recommendation_list.append(recommendation)

    def action(self, action_id: UUID, *, for_update: bool = False) -> Action | None:
        return self.action_list.get(action_id)

    def actions_of_review(self, review_id: UUID) -> list[Action]:
        return [a for a in self.action_list.values() if a.review_id == review_id]

    def actions_of_partnership(self, partnership_id: UUID) -> list[Action]:
        return [a for a in self.action_list.values() if a.partnership_id == partnership_id]

    def add_action(self, action: Action) -> None:
        self.action_list[action.id] = action

    def save_action(self, action: Action, update_written: ProgressUpdate | None = None) -> None:
        self.action_list[action.id] = action
        if update_written is not None:
            self.written.append(update_written)

    def to_announce(self, today: date, limit: int) -> list[tuple[Action, bool, bool]]:
        return [
            (a, True, a.due_on < today)
            for a in self.action_list.values()
            if a.is_open() and a.due_on <= today and a.id not in self.announced_ids
        ]

    def announced(self, action_id: UUID, due: date | None, overdue: date | None) -> None:
        self.announced_ids.append(action_id)

    def agreed_action(self, item_id: UUID, *, for_update: bool = False) -> AgreedAction | None:
        return self.agreed_list.get(item_id)

    def agreed_actions(self, review_id: UUID, *, waiting_only: bool = False) -> list[AgreedAction]:
        return [
            a
            for a in self.agreed_list.values()
            if a.review_id == review_id and not (waiting_only and a.action_id is not None)
        ]

    def agreed_actions_waiting_for(self, owner_ref: str) -> list[AgreedAction]:
        return [a for a in self.agreed_list.values() if a.owner_ref == owner_ref and a.action_id is None]

    def keep_agreed_action(self, agreed: AgreedAction) -> bool:
        if agreed.item_id in self.agreed_list:
            return False
        self.agreed_list[agreed.item_id] = agreed
        return True

    def save_agreed_action(self, agreed: AgreedAction) -> None:
        self.agreed_list[agreed.item_id] = agreed

    def evidence_of(self, action_id: UUID) -> list[Evidence]:
        return [e for e in self.evidence_list if e.action_id == action_id]

    def evidence(self, evidence_id: UUID) -> Evidence | None:
        return next((e for e in self.evidence_list if e.id == evidence_id), None)

    def add_evidence(self, evidence: Evidence) -> None:
        self.evidence_list.append(evidence)

    def briefs(self, review_id: UUID) -> list[LearningBrief]:
        return [b for b in self.brief_list.values() if b.review_id == review_id]

    def briefs_of_partnership(self, partnership_id: UUID) -> list[LearningBrief]:
        return [b for b in self.brief_list.values() if b.partnership_id == partnership_id]

    def add_brief(self, brief: LearningBrief, by: str) -> None:
        self.brief_list[brief.id] = brief

    def add_dissemination(self, brief_id: UUID, dissemination: Dissemination, by: str) -> None:
        brief = self.brief_list[brief_id]
        self.brief_list[brief_id] = replace(brief, dissemination=(*brief.dissemination, dissemination))


class FakeUnit:
    def __init__(self) -> None:
        self.events: list[EventData] = []
        self.seen: set[UUID] = set()

    def emit(self, payload: EventData, **_: Any) -> None:
        self.events.append(payload)

    def first_delivery(self, envelope: Any) -> bool:
        if envelope.event_id in self.seen:
            return False
        self.seen.add(envelope.event_id)
        return True

    @property
    def types(self) -> list[str]:
        return [event.event_type for event in self.events]


def actor(
    *roles: str, user: UUID | str = "someone", partnership: UUID | None = HOLDER, member: bool = False
) -> Actor:
    return Actor(
        user_id=str(user),
        partnership_id=partnership,
        roles=frozenset(roles),
        reviews=frozenset({REVIEW} if member else set()),
    )


MANAGER = actor("business_manager", user=uuid.uuid4())
EXECUTIVE = actor("executive", user=uuid.uuid4())
OWNER_ACTOR = actor("action_owner", user=OWNER, member=True)


@pytest.fixture
def plans() -> FakePlans:
    store = FakePlans()
    store.reviews_held[REVIEW] = Review(REVIEW, HOLDER, date(2026, 9, 1), "cspr")
    store.reviews_held[EARLIER] = Review(EARLIER, HOLDER, date(2025, 2, 1), "cspr")
    store.persons[OWNER] = Person(OWNER, HOLDER, AGENCY, "Alex Owner", ("action_owner",))
    store.persons[SOMEONE_ELSE] = Person(SOMEONE_ELSE, HOLDER, None, "Sam Other", ("action_owner",))
    return store


def planned(plans: FakePlans, unit: FakeUnit) -> tuple[UUID, UUID]:
    """A lesson and a recommendation on the review, recorded by the business manager."""
    lesson = handlers.record_lesson(
        unit,
        MANAGER,
        RecordLesson(review_id=REVIEW, finding="Referrals were not shared", themes=["information_sharing"]),
        plans,
        TODAY,
    )
    recommendation = handlers.make_recommendation(
        unit,
        MANAGER,
        MakeRecommendation(review_id=REVIEW, text="Share referrals the same day", lesson_ids=[lesson.id]),
        plans,
        TODAY,
    )
    return lesson.id, recommendation.id


def assigned(
    plans: FakePlans, unit: FakeUnit, recommendation_id: UUID, due_on: date = date(2027, 6, 30)
) -> UUID:
    return handlers.assign_action(
        unit,
        MANAGER,
        AssignAction(
            review_id=REVIEW,
            recommendation_id=recommendation_id,
            description="Audit referrals",
            owner_id=OWNER,
            due_on=due_on,
            success_measure="95% shared within a day",
        ),
        plans,
        TODAY,
    ).id


def test_the_chain_from_lesson_to_signed_off_action_emits_each_fact(plans: FakePlans) -> None:
    unit = FakeUnit()
    _, recommendation_id = planned(plans, unit)
    action_id = assigned(plans, unit, recommendation_id)
    view = plans.action_list[action_id]
    assert view.themes == ("information_sharing",)  # from the lessons the recommendation draws on
    handlers.update_action(
        unit,
        OWNER_ACTOR,
        UpdateAction(action_id=action_id, status="completed", note="Audit done"),
        plans,
        TODAY,
    )
    handlers.record_impact(
        unit,
        OWNER_ACTOR,
        RecordImpact(action_id=action_id, practice_changed="yes", how_tested="Case audit"),
        plans,
    )
    closed = handlers.sign_off(unit, EXECUTIVE, action_id, plans, TODAY)
    assert closed.status == "closed"
    assert unit.types == [
        "actions.lesson_recorded",
        "actions.recommendation_made",
        "actions.action_assigned",
        "actions.action_updated",
        "actions.action_completed",
        "actions.action_signed_off",
    ]


def test_an_action_owner_sees_and_updates_only_their_own_actions(plans: FakePlans) -> None:
    unit = FakeUnit()
    _, recommendation_id = planned(plans, unit)
    mine = assigned(plans, unit, recommendation_id)
    theirs = handlers.assign_action(
        unit,
        MANAGER,
        AssignAction(
            review_id=REVIEW,
            recommendation_id=recommendation_id,
            description="Train staff",
            owner_id=SOMEONE_ELSE,
            due_on=date(2027, 6, 30),
            success_measure="All trained",
        ),
        plans,
        TODAY,
    ).id
    listed = handlers.list_actions(unit, OWNER_ACTOR, ActionFilter(), plans, TODAY)
    assert [a.id for a in listed] == [mine]
    assert [a.id for a in handlers.actions_of_review(unit, OWNER_ACTOR, REVIEW, plans, TODAY)] == [mine]
    with pytest.raises(NotFound, match="No such action"):
        handlers.action_detail(unit, OWNER_ACTOR, theirs, plans, TODAY)
    with pytest.raises(NotFound):
        handlers.update_action(
            unit, OWNER_ACTOR, UpdateAction(action_id=theirs, status="on_track", note="x"), plans
        )
    with pytest.raises(NotFound):
        handlers.plan_of_review(unit, OWNER_ACTOR, REVIEW, plans, TODAY)


def test_a_status_change_by_someone_who_neither_owns_it_nor_manages_the_plan_is_forbidden(
    plans: FakePlans,
) -> None:
    unit = FakeUnit()
    _, recommendation_id = planned(plans, unit)
    action_id = assigned(plans, unit, recommendation_id)
    before = len(unit.events)
    with pytest.raises(Forbidden, match="owner or the business manager"):
        handlers.update_action(
            unit, EXECUTIVE, UpdateAction(action_id=action_id, status="at_risk", note="x"), plans
        )
    assert len(unit.events) == before and plans.written == []


@pytest.mark.parametrize(
    "role", ["regional_analyst", "national_analyst", "partnership_admin", "data_protection_officer"]
)
def test_analysts_and_administrators_see_none_of_it(plans: FakePlans, role: str) -> None:
    unit = FakeUnit()
    planned(plans, unit)
    caller = actor(role)
    with pytest.raises(NotFound):
        handlers.plan_of_review(unit, caller, REVIEW, plans)
    with pytest.raises(NotFound):
        handlers.list_actions(unit, caller, ActionFilter(), plans)
    with pytest.raises(NotFound):
        handlers.recurring_themes(unit, caller, plans)


def test_a_bad_action_is_refused_with_every_field_named_and_nothing_stored(plans: FakePlans) -> None:
    unit = FakeUnit()
    planned(plans, unit)
    before = len(unit.events)
    with pytest.raises(InvalidRequest) as refused:
        handlers.assign_action(
            unit, MANAGER, AssignAction(review_id=REVIEW, themes=["not_a_theme"]), plans, TODAY
        )
    fields = [problem["field"] for problem in refused.value.problems]
    assert fields == ["description", "owner_id", "due_on", "success_measure", "recommendation_id", "themes"]
    assert plans.action_list == {} and len(unit.events) == before


def test_a_lesson_with_a_theme_not_in_the_taxonomy_and_a_recommendation_with_no_lesson_are_refused(
    plans: FakePlans,
) -> None:
    unit = FakeUnit()
    with pytest.raises(InvalidRequest) as refused:
        handlers.record_lesson(
            unit, MANAGER, RecordLesson(review_id=REVIEW, finding="x", themes=["nope"]), plans
        )
    assert [p["field"] for p in refused.value.problems] == ["themes"]
    with pytest.raises(InvalidRequest) as refused:
        handlers.make_recommendation(unit, MANAGER, MakeRecommendation(review_id=REVIEW, text="Do it"), plans)
    assert [p["field"] for p in refused.value.problems] == ["lesson_ids"]
    assert plans.lesson_list == [] and plans.recommendation_list == [] and unit.events == []


def test_a_retired_theme_stays_on_the_lesson_that_used_it(plans: FakePlans) -> None:
    unit = FakeUnit()
    planned(plans, unit)
    handlers.retire_theme(unit, MANAGER, "information_sharing", plans)
    plan = handlers.plan_of_review(unit, MANAGER, REVIEW, plans, TODAY)
    assert plan.lessons[0].themes == ["information_sharing"]
    assert plan.lessons[0].retired_themes == ["information_sharing"]
    taxonomy = handlers.add_theme(unit, MANAGER, AddTheme(code="county_lines", label="County lines"), plans)
    assert taxonomy.version == 3


def test_a_new_review_is_warned_of_open_actions_on_its_theme_from_an_earlier_review(plans: FakePlans) -> None:
    unit = FakeUnit()
    old = Action(
        uuid.uuid4(),
        EARLIER,
        HOLDER,
        OWNER,
        date(2026, 1, 1),
        "on_track",
        "Old audit",
        "m",
        themes=("information_sharing",),
    )
    plans.action_list[old.id] = old
    planned(plans, unit)
    plan = handlers.plan_of_review(unit, MANAGER, REVIEW, plans, TODAY)
    assert [(w.theme, w.action_id, w.status) for w in plan.warnings] == [
        ("information_sharing", old.id, "overdue")
    ]
    counts = handlers.recurring_themes(unit, MANAGER, plans, TODAY)
    assert counts[0].theme == "information_sharing" and counts[0].open_actions == 1


def test_the_timer_announces_due_and_overdue_once(plans: FakePlans) -> None:
    unit = FakeUnit()
    _, recommendation_id = planned(plans, unit)
    assigned(plans, unit, recommendation_id, due_on=date(2027, 3, 1))
    unit.events.clear()
    assert handlers.announce_due_and_overdue(unit, plans, TODAY) == 1
    assert unit.types == ["actions.action_due", "actions.action_overdue"]
    assert handlers.announce_due_and_overdue(unit, plans, TODAY) == 0


def test_a_reopened_action_is_announced_and_tracked_again(plans: FakePlans) -> None:
    unit = FakeUnit()
    _, recommendation_id = planned(plans, unit)
    action_id = assigned(plans, unit, recommendation_id)
    handlers.update_action(
        unit,
        MANAGER,
        UpdateAction(action_id=action_id, status="not_implemented", note="n", reason="No budget"),
        plans,
    )
    with pytest.raises(InvalidRequest) as refused:
        handlers.update_action(
            unit, MANAGER, UpdateAction(action_id=action_id, status="on_track", note="n"), plans
        )
    assert [p["field"] for p in refused.value.problems] == ["reason"]
    handlers.update_action(
        unit, MANAGER, UpdateAction(action_id=action_id, status="on_track", note="n", reason="Funded"), plans
    )
    assert unit.types[-3:] == [
        "actions.action_not_implemented",
        "actions.action_updated",
        "actions.action_reopened",
    ]


def test_the_entrypoint_refuses_an_id_that_is_not_one() -> None:
    service = worker_factory(ActionsService)
    caller = {"user_id": "bm", "partnership_id": str(HOLDER), "roles": ["business_manager"]}
    with pytest.raises(NotFound, match="No such review"):
        service.actions_of_review(caller, "not-an-id")
    with pytest.raises(NotFound, match="No such action"):
        service.action(caller, "not-an-id")


def test_the_health_rpc_still_answers() -> None:
    service = worker_factory(ActionsService)
    service.uow.session.execute.return_value.scalar_one.return_value = 0
    assert service.health() == {"service": "actions", "status": "ok", "database": "ok", "outbox_backlog": 0}


def test_a_review_began_the_day_its_incident_became_known_whichever_event_comes_first(
    plans: FakePlans,
) -> None:
    from services.kernel.events import Envelope

    review = uuid.uuid4()
    unit = FakeUnit()
    known = Envelope(type="forms.sin_submitted", partnership_id=HOLDER, review_id=review)
    opened = Envelope(type="forms.review_opened", partnership_id=HOLDER, review_id=review)
    handlers.note_awareness(unit, known, date(2026, 6, 1), plans)
    handlers.hold_review(unit, opened, "cspr", datetime(2026, 7, 1, 9, 0, tzinfo=UTC), plans)
    assert plans.reviews_held[review].began_on == date(2026, 6, 1)
    handlers.note_awareness(unit, known, date(2026, 6, 1), plans)  # the same event again: skipped


def test_a_learning_brief_and_its_dissemination_are_counted_and_bad_ones_refused(plans: FakePlans) -> None:
    unit = FakeUnit()
    with pytest.raises(InvalidRequest) as refused:
        handlers.record_brief(unit, MANAGER, RecordBrief(review_id=REVIEW), plans, TODAY)
    assert [p["field"] for p in refused.value.problems] == ["title", "published_on"]
    with pytest.raises(Forbidden):
        handlers.record_brief(unit, EXECUTIVE, RecordBrief(review_id=REVIEW, title="t"), plans, TODAY)
    brief = handlers.record_brief(
        unit, MANAGER, RecordBrief(review_id=REVIEW, title="Learning brief", published_on=TODAY), plans, TODAY
    )
    with pytest.raises(InvalidRequest) as refused:
        handlers.record_dissemination(
            unit,
            MANAGER,
            RecordDissemination(review_id=REVIEW, brief_id=brief.id, kind="training"),
            plans,
            TODAY,
        )
    assert [p["field"] for p in refused.value.problems] == ["to_whom", "on", "people"]
    for kind, people in (("sent", None), ("acknowledged", None), ("training", 40)):
        handlers.record_dissemination(
            unit,
            MANAGER,
            RecordDissemination(
                review_id=REVIEW,
                brief_id=brief.id,
                kind=kind,
                to_whom="Northbridge Police",
                on=TODAY,
                people=people,
            ),
            plans,
            TODAY,
        )
    (counted,) = handlers.briefs_of_review(unit, MANAGER, REVIEW, plans)
    assert (counted.sent, counted.acknowledged, counted.training_events, counted.people_trained) == (
        1,
        1,
        1,
        40,
    )
    with pytest.raises(NotFound):
        handlers.briefs_of_review(unit, OWNER_ACTOR, REVIEW, plans)


class FakeFiles:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, content: bytes) -> str:
        key = uuid.uuid4().hex
        self.files[key] = content
        return key

    def get(self, key: str, sha256: str) -> bytes:
        return self.files[key]

    def delete(self, key: str) -> None:
        self.files.pop(key, None)


def test_evidence_is_checked_stored_and_read_back_only_by_those_who_see_the_action(plans: FakePlans) -> None:
    import base64

    from tests.unit.test_uploads import a_pdf

    unit, files = FakeUnit(), FakeFiles()
    _, recommendation_id = planned(plans, unit)
    action_id = assigned(plans, unit, recommendation_id)
    pdf = a_pdf()

    def add(content: bytes, name: str, caller: Actor = OWNER_ACTOR) -> object:
        command = AddEvidence(
            action_id=action_id, filename=name, content_base64=base64.b64encode(content).decode()
        )
        return handlers.add_evidence(unit, caller, command, plans, files, TODAY)

    for content, name, words in (
        (b"MZ\x90\x00" + b"\x00" * 100, "minutes.pdf", "program"),
        (b"just words", "notes.txt", ""),
        (pdf + b"%" * (10 * 1024 * 1024), "big.pdf", "the limit is 10 MB"),
    ):
        with pytest.raises(InvalidRequest) as refused:
            add(content, name)
        assert {p["field"] for p in refused.value.problems} == {"file"}
        assert words in " ".join(p["message"] for p in refused.value.problems)
    assert files.files == {} and plans.evidence_list == []
    with pytest.raises(Forbidden):
        add(pdf, "audit.pdf", EXECUTIVE)
    view = add(pdf, "audit.pdf")
    assert view.filename == "audit.pdf" and view.kind_label  # type: ignore[attr-defined]
    got = handlers.evidence_file(unit, MANAGER, action_id, view.id, plans, files)  # type: ignore[attr-defined]
    assert base64.b64decode(got.content_base64) == pdf and got.media_type == "application/pdf"
    stranger = actor("action_owner", user=SOMEONE_ELSE, member=True)
    with pytest.raises(NotFound):
        handlers.evidence_file(unit, stranger, action_id, view.id, plans, files)  # type: ignore[attr-defined]
    assert [
        e.filename for e in handlers.action_detail(unit, OWNER_ACTOR, action_id, plans, TODAY).evidence
    ] == ["audit.pdf"]


# -- actions agreed in meetings' approved minutes (meetings.action_agreed) -----------------------------------


MEETING = uuid.uuid4()
CANNOT_OWN = "The owner named in the minutes cannot own actions of the partnership"
TOO_EARLY = "The due date must be on or after the day the review began, 1 September 2026"


def agreed_in_minutes(
    review: UUID = REVIEW, owner: str | None = str(OWNER), due_on: date | None = date(2027, 4, 30)
) -> tuple[Any, AgreedAction]:
    from services.kernel.events import Envelope

    envelope = Envelope(
        type="meetings.action_agreed", partnership_id=HOLDER, review_id=review, actor_id="the-chair"
    )
    agreed = AgreedAction(
        item_id=uuid.uuid4(),
        meeting_id=MEETING,
        review_id=review,
        partnership_id=HOLDER,
        what="Share the strategy discussion notes",
        owner_ref=owner,
        due_on=due_on,
        agreed_on=TODAY,
    )
    return envelope, agreed


def test_an_action_agreed_in_minutes_joins_the_plan_once_however_often_it_comes(plans: FakePlans) -> None:
    unit = FakeUnit()
    envelope, agreed = agreed_in_minutes()
    handlers.take_up_agreed_action(unit, envelope, agreed, plans, TODAY)
    (action,) = plans.actions_of_review(REVIEW)
    assert (action.source, action.meeting_id, action.owner_id) == ("meeting", MEETING, OWNER)
    assert (action.description, action.due_on, action.owner_agency_id) == (agreed.what, agreed.due_on, AGENCY)
    assert unit.types == ["actions.action_assigned"]  # notifications tracks it like any other

    handlers.take_up_agreed_action(unit, envelope, agreed, plans, TODAY)  # redelivered
    again, _ = agreed_in_minutes()  # the same action item in a new event
    handlers.take_up_agreed_action(unit, again, agreed, plans, TODAY)
    assert len(plans.actions_of_review(REVIEW)) == 1 and unit.types == ["actions.action_assigned"]

    plan = handlers.plan_of_review(unit, MANAGER, REVIEW, plans, TODAY)
    (view,) = plan.actions
    assert (view.source, view.meeting_id, view.owner_name) == ("meeting", MEETING, "Alex Owner")
    assert plan.to_be_assigned == []


@pytest.mark.parametrize(
    ("owner", "due_on", "reasons"),
    [
        ("guest-1", date(2027, 4, 30), [CANNOT_OWN]),
        (str(uuid.uuid4()), date(2027, 4, 30), [CANNOT_OWN]),
        (None, None, ["The minutes name no owner", "Enter the date the action is due"]),
        (str(OWNER), date(2026, 1, 1), [TOO_EARLY]),
        (str(OWNER), date(2040, 1, 1), ["The due date must be within 5 years of today"]),
    ],
    ids=["a guest", "no person of the partnership", "neither owner nor date", "too early", "too late"],
)  # fmt: skip
def test_an_agreed_action_the_plan_cannot_take_as_it_stands_waits_to_be_assigned_and_is_completed(
    plans: FakePlans, owner: str | None, due_on: date | None, reasons: list[str]
) -> None:
    unit = FakeUnit()
    envelope, agreed = agreed_in_minutes(owner=owner, due_on=due_on)
    handlers.take_up_agreed_action(unit, envelope, agreed, plans, TODAY)
    assert plans.actions_of_review(REVIEW) == [] and unit.types == []
    plan = handlers.plan_of_review(unit, MANAGER, REVIEW, plans, TODAY)
    (waiting,) = plan.to_be_assigned
    assert (waiting.item_id, waiting.meeting_id, waiting.what) == (agreed.item_id, MEETING, agreed.what)
    assert (waiting.owner_id, waiting.due_on, waiting.reasons) == (owner, due_on, reasons)

    # The business manager completes it: it joins the plan from its meeting and waits no more.
    completed = AssignAction(
        review_id=REVIEW,
        source="meeting",
        agreed_item_id=agreed.item_id,
        description=agreed.what,
        owner_id=SOMEONE_ELSE,
        due_on=date(2027, 5, 31),
        success_measure="Notes shared with every agency",
    )
    view = handlers.assign_action(unit, MANAGER, completed, plans, TODAY)
    assert (view.id, view.source, view.meeting_id, view.owner_id) == (
        agreed.item_id,
        "meeting",
        MEETING,
        SOMEONE_ELSE,
    )
    assert handlers.plan_of_review(unit, MANAGER, REVIEW, plans, TODAY).to_be_assigned == []
    with pytest.raises(InvalidRequest) as twice:
        handlers.assign_action(unit, MANAGER, completed, plans, TODAY)
    assert [p["field"] for p in twice.value.problems] == ["agreed_item_id"]
    assert len(plans.actions_of_review(REVIEW)) == 1


def test_an_action_agreed_for_a_review_not_known_yet_waits_and_joins_the_plan_when_it_is(
    plans: FakePlans,
) -> None:
    from services.kernel.events import Envelope

    review = uuid.uuid4()
    unit = FakeUnit()
    envelope, agreed = agreed_in_minutes(review=review)
    handlers.take_up_agreed_action(unit, envelope, agreed, plans, TODAY)
    assert plans.agreed_list[agreed.item_id].reasons == (REVIEW_NOT_KNOWN,)
    assert plans.actions_of_review(review) == []

    opened = Envelope(type="forms.review_opened", partnership_id=HOLDER, review_id=review)
    handlers.hold_review(unit, opened, "cspr", datetime(2026, 7, 1, 9, 0, tzinfo=UTC), plans)
    (action,) = plans.actions_of_review(review)
    assert (action.id, action.source, action.meeting_id) == (agreed.item_id, "meeting", MEETING)
    assert plans.agreed_list[agreed.item_id].action_id == action.id
    assert unit.types == ["actions.action_assigned"]


def test_an_agreed_action_waiting_for_its_owner_joins_the_plan_when_their_account_arrives(
    plans: FakePlans,
) -> None:
    from services.kernel.events import Envelope

    newcomer = uuid.uuid4()
    unit = FakeUnit()
    envelope, agreed = agreed_in_minutes(owner=str(newcomer))
    handlers.take_up_agreed_action(unit, envelope, agreed, plans, TODAY)
    assert plans.agreed_list[agreed.item_id].reasons == (CANNOT_OWN,)

    announced = Envelope(type="identity.person_changed", partnership_id=HOLDER)
    person = Person(newcomer, HOLDER, AGENCY, "Kim Newcomer", ("action_owner",))
    handlers.keep_person(unit, announced, person, datetime(2026, 12, 7, 9, 0, tzinfo=UTC), plans)
    (action,) = plans.actions_of_review(REVIEW)
    assert (action.id, action.owner_id, action.meeting_id) == (agreed.item_id, newcomer, MEETING)
    assert plans.agreed_list[agreed.item_id].action_id == action.id
    assert unit.types == ["actions.action_assigned"]

    # Someone announced who still cannot own actions leaves theirs waiting, with its reason.
    _, other = agreed_in_minutes(owner=str(SOMEONE_ELSE), due_on=None)
    plans.agreed_list[other.item_id] = replace(other, reasons=("Enter the date the action is due",))
    handlers.keep_person(
        unit,
        Envelope(type="identity.person_changed", partnership_id=HOLDER),
        plans.persons[SOMEONE_ELSE],
        datetime(2026, 12, 7, 9, 5, tzinfo=UTC),
        plans,
    )
    assert plans.agreed_list[other.item_id].action_id is None
