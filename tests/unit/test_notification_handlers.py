"""The notifications service's handlers with a fake repository in their unit of work: no database, no
monkeypatching; what a handler decides and what it asks storage to keep."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from gateway.contract import PersonChanged
from services.kernel.errors import InvalidRequest, NotFound
from services.kernel.events import Envelope, EventData
from services.kernel.identity import Actor
from services.notifications import domain
from services.notifications.contract import MarkRead, NotificationsRead, SetPreferences, SetRule
from services.notifications.handlers import centre, deliveries, intake, rule_settings
from services.notifications.rule_book import RULES
from services.notifications.unit_of_work import Unit

PARTNERSHIP, OTHER = uuid.uuid4(), uuid.uuid4()
PERSON = uuid.uuid4()


def manager(partnership: uuid.UUID = PARTNERSHIP) -> Actor:
    return Actor(user_id=str(PERSON), partnership_id=partnership, roles=["business_manager"])


@dataclass
class FakeRepository:
    """The repository's methods the tests reach, over dictionaries."""

    unread: int = 3
    read_now: int = 0
    timings_chosen: dict[str, str] = field(default_factory=dict)
    figures: dict[tuple[uuid.UUID, str], Any] = field(default_factory=dict)
    emails: dict[uuid.UUID, Any] = field(default_factory=dict)
    copies: list[Any] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)

    def learn_person(self, person: dict[str, Any]) -> None:
        self.people.append(person)

    def unread_count(self, user_id: uuid.UUID) -> int:
        return self.unread

    def mark_read(self, user_id: uuid.UUID, ids: Any, everything: bool, now: datetime) -> int:
        self.unread -= self.read_now
        return self.read_now

    def timings(self, user_id: uuid.UUID) -> dict[str, str]:
        return dict(self.timings_chosen)

    def choose_timings(self, user_id: uuid.UUID, timings: dict[str, str]) -> None:
        self.timings_chosen.update(timings)

    def rule_settings(self, partnership_id: uuid.UUID) -> dict[str, Any]:
        return {code: figure for (owner, code), figure in self.figures.items() if owner == partnership_id}

    def set_rule(
        self, partnership_id: uuid.UUID, code: str, enabled: bool, days: int | None, at: datetime, by: str
    ) -> Any:
        figure = SimpleNamespace(enabled=enabled, days=days, updated_by=by)
        self.figures[(partnership_id, code)] = figure
        return figure

    def email(self, email_id: uuid.UUID) -> Any:
        return self.emails.get(email_id)

    def send_again(self, email: Any, now: datetime, by: str) -> Any:
        copy = SimpleNamespace(id=uuid.uuid4(), copy_of=email.id, by=by)
        self.copies.append(copy)
        return copy


class FakeKernelUnit:
    """The kernel's unit of work as a handler uses it: events kept, every command run for the first time."""

    session = None

    def __init__(self) -> None:
        self.emitted: list[tuple[EventData, uuid.UUID | None]] = []
        self.remembered: list[Any] = []
        self.inbox: set[uuid.UUID] = set()

    def first_delivery(self, envelope: Envelope) -> bool:
        seen = envelope.event_id in self.inbox
        self.inbox.add(envelope.event_id)
        return not seen

    def emit(self, payload: EventData, *, partnership_id: Any = None, review_id: Any = None) -> None:
        self.emitted.append((payload, partnership_id))

    def idempotent(self, method: str, caller: Actor, key: str | None, request: Any) -> Any:
        return SimpleNamespace(done=False, result=None, remember=self.remembered.append)


def unit_with(repository: FakeRepository) -> tuple[Unit, FakeKernelUnit]:
    kernel = FakeKernelUnit()
    return Unit(kernel, repository=lambda session: repository), kernel  # type: ignore[arg-type]


def test_marking_messages_read_tells_the_persons_other_pages_the_count_left():
    repository = FakeRepository(unread=3, read_now=2)
    unit, kernel = unit_with(repository)
    assert centre.mark_read(unit, manager(), MarkRead(all=True)) == 1
    assert kernel.emitted == [(NotificationsRead(user_id=PERSON, unread=1), PARTNERSHIP)]


def test_marking_nothing_new_read_tells_nobody():
    unit, kernel = unit_with(FakeRepository(unread=3, read_now=0))
    assert centre.mark_read(unit, manager(), MarkRead(ids=[uuid.uuid4()])) == 3
    assert kernel.emitted == [], "no page needs to hear of a count that did not change"


def test_a_statutory_kind_cannot_be_put_in_the_digest_and_nothing_is_kept():
    fixed = next(kind for kind, (_label, is_fixed) in RULES.kinds().items() if is_fixed)
    repository = FakeRepository()
    unit, _ = unit_with(repository)
    with pytest.raises(InvalidRequest) as refused:
        centre.set_preferences(unit, manager(), SetPreferences(timings={fixed: "digest"}))
    assert [problem["field"] for problem in refused.value.problems] == [fixed]
    assert repository.timings_chosen == {}


def test_a_partnerships_figure_for_a_rule_is_kept_with_who_set_it_and_answered_as_the_page_shows_it():
    repository = FakeRepository()
    unit, _ = unit_with(repository)
    answer = rule_settings.set_rule(
        unit, manager(), SetRule(partnership_id=PARTNERSHIP, code="return_due_soon", days=3)
    )
    assert (answer.code, answer.days, answer.enabled) == ("return_due_soon", 3, True)
    assert repository.figures[(PARTNERSHIP, "return_due_soon")].updated_by == str(PERSON)
    shown = {setting.code: setting for setting in rule_settings.rules(unit, manager(), PARTNERSHIP)}
    assert shown["return_due_soon"].days == 3, "the settings page shows the figure kept"


def test_an_email_of_another_partnership_is_no_such_message_to_its_would_be_sender():
    email = SimpleNamespace(id=uuid.uuid4(), rule="return_overdue", partnership_id=OTHER, status="failed")
    repository = FakeRepository(emails={email.id: email})
    unit, _ = unit_with(repository)
    with pytest.raises(NotFound, match="No such message"):
        deliveries.send_again(unit, manager(), email.id, "k-1")
    assert repository.copies == []


def test_a_failed_email_is_sent_again_as_a_copy_whose_id_is_remembered_for_the_key():
    email = SimpleNamespace(
        id=uuid.uuid4(), rule="return_overdue", partnership_id=PARTNERSHIP, status="failed"
    )
    repository = FakeRepository(emails={email.id: email})
    unit, kernel = unit_with(repository)
    copy_id = deliveries.send_again(unit, manager(), email.id, "k-1")
    (copy,) = repository.copies
    assert (copy_id, copy.copy_of, copy.by) == (str(copy.id), email.id, "the business manager")
    assert kernel.remembered == [copy_id]


def test_an_email_that_was_sent_is_not_sent_again():
    email = SimpleNamespace(id=uuid.uuid4(), rule="return_overdue", partnership_id=PARTNERSHIP, status="sent")
    repository = FakeRepository(emails={email.id: email})
    unit, _ = unit_with(repository)
    with pytest.raises(InvalidRequest):
        deliveries.send_again(unit, manager(), email.id, None)
    assert repository.copies == []


def test_a_person_is_learnt_once_however_often_identitys_event_comes():
    repository = FakeRepository()
    unit, _ = unit_with(repository)
    changed = PersonChanged(
        user_id=PERSON,
        partnership_id=PARTNERSHIP,
        agency_id=None,
        display_name="Morgan Test-Manager",
        email="manager@test.example",
        roles=["business_manager"],
        active=True,
        changed_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    )
    event = Envelope.wrap(changed, partnership_id=PARTNERSHIP)
    intake.learn_person(unit, event)
    intake.learn_person(unit, event)
    assert [(person["user_id"], person["roles"]) for person in repository.people] == [
        (PERSON, ["business_manager"])
    ]


def test_the_repository_is_made_once_per_unit_and_only_when_a_handler_needs_it():
    made: list[object] = []

    def repository(session: object) -> FakeRepository:
        made.append(session)
        return FakeRepository()

    unit = Unit(FakeKernelUnit(), repository=repository)  # type: ignore[arg-type]
    assert made == []
    assert unit.repository is unit.repository
    assert made == [None]


# ------------------------------------------------------------------------- the rules moved to the domain


def test_a_statutory_rule_is_on_whatever_the_partnership_chose_and_its_days_default_to_the_rules():
    statutory = next(rule for rule in RULES.rules if rule.statutory)
    off = SimpleNamespace(enabled=False, days=None)
    assert domain.effective(statutory, off) == domain.Effective(enabled=True, days=statutory.days)
    assert domain.effective(statutory, None) == domain.Effective(enabled=True, days=statutory.days)


def test_a_rule_change_out_of_bounds_or_switching_a_statutory_alert_off_names_each_problem():
    rule = RULES.rule("return_due_soon")
    assert rule is not None and rule.bounds is not None
    low, high = rule.bounds
    assert domain.rule_change_problems(rule, True, high) == []
    assert domain.rule_change_problems(rule, True, high + 1) == [
        {"field": "days", "message": f"Enter a number of working days from {low} to {high}"}
    ]
    statutory = next(rule for rule in RULES.rules if rule.statutory)
    assert [p["field"] for p in domain.rule_change_problems(statutory, False, None)] == ["enabled"]


def test_a_timing_for_a_kind_that_does_not_exist_is_a_problem():
    assert domain.timing_problems({"return_due": ("Returns due", False)}, {"nonsense": "digest"}) == [
        {"field": "nonsense", "message": "There is no such kind of message"}
    ]
    assert domain.timing_problems({"return_due": ("Returns due", False)}, {"return_due": "digest"}) == []
