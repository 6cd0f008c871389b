"""The rules of the review case file. Pure Python: no I/O, no framework.

A review follows its type's steps (services/forms/review_types/*.yml): a step can start when every step it
comes after is completed or not needed, is not needed when its condition on an earlier answer fails (or when
every step it follows is not needed), and once completed its answers are locked. The statutory clock
(clock.py) is computed from the dates in those answers and the pauses.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from services.forms import clock, policy
from services.forms.contract import (
    FORMS,
    AgencyReturnAnswers,
    DeadlineChanged,
    DecisionMade,
    EarlierCompletion,
    FormAnswers,
    OpenReview,
    ReviewClosed,
    ReviewOpened,
    ReviewPublished,
    ReviewShared,
    SinSubmitted,
    StageChanged,
    StepCompleted,
    plain_problems,
)
from services.forms.definitions import COMPLETED_ON, DateRef, DeadlineRule, ReviewTypeDef, Step, review_types
from services.kernel import calendar
from services.kernel.calendar import ENGLAND, today_in_england
from services.kernel.errors import Conflict, InvalidRequest, validated
from services.kernel.events import EventData
from services.kernel.identity import Actor

Model = TypeVar("Model", bound=BaseModel)


def review_type(code: str) -> ReviewTypeDef:
    """The definition of a review type; InvalidRequest naming the field if there is none of that code."""
    found = review_types().get(code)
    if found is None:
        raise InvalidRequest("No such review type", problems=[UNKNOWN_REVIEW_TYPE])
    return found


UNKNOWN_REVIEW_TYPE = {
    "field": "review_type",
    "message": "Select the type of review",
    "type": "unknown_review_type",
}


def open_review_command(payload: Any) -> OpenReview:
    """The command to open a review, or InvalidRequest listing every problem, an unknown type among them."""
    try:
        command = validated(OpenReview, payload)
    except InvalidRequest as refused:
        named = {problem["field"] for problem in refused.problems}
        unknown = isinstance(payload, dict) and isinstance(payload.get("review_type"), str)
        if unknown and "review_type" not in named and payload["review_type"] not in review_types():
            refused.problems.append(UNKNOWN_REVIEW_TYPE)
        raise
    review_type(command.review_type)
    return command


# -- opening and sharing ------------------------------------------------------------------------------------


@dataclass
class Review:
    """A statutory review in one partnership, as it is opened."""

    id: UUID
    partnership_id: UUID
    review_type: str
    title: str
    stage: str
    opened_at: datetime
    opened_by: str
    deadline_figures: dict[str, int]
    events: list[EventData] = field(default_factory=list)


def figures_for(definition: ReviewTypeDef, partnership_figures: Mapping[str, int]) -> dict[str, int]:
    """The deadline figures a new review keeps for life: the partnership's own where it set one, else the
    default. Later changes to the partnership's figures apply to reviews opened after them."""
    return {
        code: partnership_figures.get(code, rule.amount)
        for code, rule in definition.deadlines.items()
        if rule.minimum <= partnership_figures.get(code, rule.amount) <= rule.maximum
    }


def open_review(
    command: OpenReview, actor: Actor, now: datetime, partnership_figures: Mapping[str, int] | None = None
) -> Review:
    """Open a review at its type's first stage, if the actor may open reviews in that partnership."""
    policy.check_may_open(actor, command.partnership_id)
    definition = review_type(command.review_type)
    review = Review(
        id=uuid.uuid4(),
        partnership_id=command.partnership_id,
        review_type=definition.code,
        title=command.title,
        stage=definition.first_stage,
        opened_at=now,
        opened_by=actor.user_id,
        deadline_figures=figures_for(definition, partnership_figures or {}),
    )
    review.events.append(
        ReviewOpened(review_id=review.id, review_type=review.review_type, stage=review.stage, opened_at=now)
    )
    return review


@dataclass
class ReviewShare:
    """A review made readable to another partnership, by whom and when."""

    review_id: UUID
    shared_with_partnership_id: UUID
    shared_by: str
    shared_at: datetime
    events: list[ReviewShared] = field(default_factory=list)


def share_review(
    review: policy.ReviewOwnership, partnership_id: UUID, actor: Actor, now: datetime
) -> ReviewShare | None:
    """Share a review with another partnership (policy.check_may_share); None if it already is shared."""
    policy.check_may_share(actor, review, partnership_id)
    if partnership_id in review.shared_with:
        return None
    share = ReviewShare(
        review_id=review.review_id,
        shared_with_partnership_id=partnership_id,
        shared_by=actor.user_id,
        shared_at=now,
    )
    share.events.append(ReviewShared(review_id=review.review_id, shared_with_partnership_id=partnership_id))
    return share


def start_of_day(day: date) -> datetime:
    """Midnight in England at the start of a day: "opened before 1 April" means before this moment."""
    return datetime.combine(day, time.min, tzinfo=ENGLAND)


# -- the steps of a review ----------------------------------------------------------------------------------


@dataclass
class StepRecord:
    """What is stored of one step of a review: its answers (a draft, or completed and locked)."""

    code: str
    answers: dict[str, Any] | None = None
    completed_on: date | None = None
    completed_by: str | None = None
    version: int = 0

    @property
    def completed(self) -> bool:
        return self.completed_on is not None


@dataclass(frozen=True)
class ReturnsProgress:
    """The agency returns of a review, as far as its clock needs: were any asked for, and when the last came
    in if every one has."""

    requested: bool = False
    all_in_on: date | None = None


@dataclass
class ReviewState:
    """Everything the rules need of a review at one moment."""

    id: UUID
    partnership_id: UUID
    definition: ReviewTypeDef
    figures: Mapping[str, int]
    steps: dict[str, StepRecord]
    pauses: list[clock.PauseSpan] = field(default_factory=list)
    returns: ReturnsProgress = ReturnsProgress()

    def rule(self, code: str) -> DeadlineRule:
        rule = self.definition.deadlines[code]
        return rule.with_amount(self.figures.get(code, rule.amount))

    def date_of(self, ref: DateRef) -> date | None:
        """A date of the review: a completed step's answer, or the day it was completed."""
        record = self.steps.get(ref.step)
        if record is None or not record.completed:
            return None
        if ref.field == COMPLETED_ON:
            return record.completed_on
        value = (record.answers or {}).get(ref.field)
        return date.fromisoformat(value) if isinstance(value, str) else value

    def answer(self, ref: DateRef) -> Any:
        record = self.steps.get(ref.step)
        return (record.answers or {}).get(ref.field) if record and record.completed else None

    def needed_steps(self) -> dict[str, bool | None]:
        """Whether each step is needed: True, False, or None while the answers that decide it are not in.

        One pass in order: a step depends only on earlier ones. It is not needed when its condition on an
        earlier answer fails (or that earlier step is not needed), or when every step it follows is not."""
        verdicts: dict[str, bool | None] = {}
        for step in self.definition.steps:
            verdicts[step.code] = self._needed_after(step, verdicts)
        return verdicts

    def _needed_after(self, step: Step, earlier: dict[str, bool | None]) -> bool | None:
        for ref, values in step.when:
            if earlier.get(ref.step) is False:
                return False
            if not self.steps.get(ref.step, StepRecord(ref.step)).completed:
                return None
            if str(self.answer(ref)) not in values:
                return False
        # Following only steps that will not happen, it will not happen either.
        return not (step.after and all(earlier.get(p.step) is False for p in step.after))

    def needed(self, step: Step) -> bool | None:
        """Whether one step is needed (see needed_steps)."""
        return self.needed_steps()[step.code]

    def blocker(self, step: Step, needed: dict[str, bool | None] | None = None) -> str:
        """Why the step cannot start yet, or "" if it can (`needed`: needed_steps(), if already known)."""
        needed = needed if needed is not None else self.needed_steps()
        for prerequisite in step.after:
            earlier = self._step(prerequisite.step)
            if self.steps.get(earlier.code, StepRecord(earlier.code)).completed:
                continue
            if needed[earlier.code] is False:
                continue
            return prerequisite.reason or f"Complete '{earlier.label}' first"
        if needed[step.code] is None:
            return "It depends on an answer not given yet"
        return ""

    def _step(self, code: str) -> Step:
        found = self.definition.step(code)
        assert found is not None, f"{code} is checked by definitions.parse"
        return found


@dataclass(frozen=True)
class StepPlan:
    """A step as the task list shows it."""

    step: Step
    status: str  # completed, in_progress, not_started, cannot_start, not_needed
    blocked_by: str
    record: StepRecord | None


@dataclass(frozen=True)
class Plan:
    """A review's lifecycle at one moment: its steps, stage, deadlines and red/amber/green."""

    steps: list[StepPlan]
    stage: str
    closed: bool
    standings: list[clock.Standing]
    deadline_steps: dict[str, str]
    rag: str
    next_deadline: clock.Standing | None
    paused: bool


def recorded_at(earlier: EarlierCompletion) -> datetime:
    """The moment a step recorded on an earlier day is taken to be done: midday of it, in England."""
    return datetime.combine(earlier.completed_on, time(12), tzinfo=ENGLAND)


def prefill(state: ReviewState, step: Step) -> dict[str, Any]:
    """What a step's form starts with before anything is saved: the earlier answers its type names."""
    answers: dict[str, Any] = {}
    for target, source in step.prefill:
        record = state.steps.get(source.step)
        value = (record.answers or {}).get(source.field) if record is not None else None
        if value not in (None, "", []):
            answers[target] = value
    return answers


def plan(state: ReviewState, today: date) -> Plan:
    """Where the review stands: every step's status, the stage, and how each deadline stands today."""
    steps: list[StepPlan] = []
    verdicts = state.needed_steps()
    for step in state.definition.steps:
        record = state.steps.get(step.code)
        if record is not None and record.completed:
            status, blocked = "completed", ""
        elif verdicts[step.code] is False:
            status, blocked = "not_needed", ""
        else:
            blocked = state.blocker(step, verdicts)
            if blocked:
                status = "cannot_start"
            else:
                status = "in_progress" if record is not None and record.answers else "not_started"
        steps.append(StepPlan(step, status, blocked, record))
    closed = steps[-1].status == "completed"
    open_steps = [s for s in steps if s.status in ("not_started", "in_progress")]
    waiting = [s for s in steps if s.status == "cannot_start"]
    if closed:
        stage = "closed"
    elif open_steps or waiting:
        stage = (open_steps or waiting)[0].step.stage
    else:
        stage = steps[-1].step.stage

    deadline_steps = {s.step.deadline: s.step.code for s in steps if s.step.deadline}
    standings = []
    for code in state.definition.deadlines:
        rule = state.rule(code)
        step_code = deadline_steps.get(code)
        if step_code is None:
            # A deadline of no step: the agency returns, shown once they are asked for.
            if not state.returns.requested:
                continue
            done_on = state.returns.all_in_on
        else:
            step_plan = next(s for s in steps if s.step.code == step_code)
            if step_plan.status == "not_needed":
                continue
            done_on = state.date_of(DateRef(step_code, step_plan.step.done_on))
        if closed and done_on is None:
            continue  # a closed review has nothing left to chase
        trigger = state.date_of(rule.trigger)
        amber = state.definition.amber_within_working_days
        standings.append(clock.stand(rule, trigger, done_on, state.pauses, today, amber))
    paused = not closed and clock.paused_today(state.pauses, today)
    return Plan(
        steps=steps,
        stage=stage,
        closed=closed,
        standings=standings,
        deadline_steps=deadline_steps,
        rag=clock.rag_of(standings, paused),
        next_deadline=clock.next_to_meet(standings),
        paused=paused,
    )


def stage_dates(state: ReviewState, today: date) -> list[tuple[str, str, str, date | None]]:
    """The review's timeline: each stage with done, current, future or skipped, and the day it was reached."""
    current = plan(state, today)
    rows = []
    for stage in state.definition.stages:
        members = [s for s in current.steps if s.step.stage == stage.code]
        needed = [s for s in members if s.status != "not_needed"]
        # The day each step was done by its own account (the date the notification went, ...).
        reached = [
            state.date_of(DateRef(s.step.code, s.step.done_on)) or s.record.completed_on
            for s in needed
            if s.record and s.record.completed_on
        ]
        if not needed:
            mark = "skipped"
        elif all(s.status == "completed" for s in needed):
            mark = "done"
        elif stage.code == current.stage:
            mark = "current"
        else:
            mark = "future"
        days = [day for day in reached if day is not None]
        rows.append((stage.code, stage.label, mark, min(days) if days else None))
    return rows


def form_answers(step: Step, answers: Any) -> FormAnswers:
    """The answers as the step's form, or InvalidRequest naming every field's problem in plain words."""
    model = FORMS[step.form]
    if isinstance(answers, dict):
        # Stored answers carry the computed ones (criteria_check.outcome): recomputed here, never asked.
        answers = {key: value for key, value in answers.items() if key not in model.model_computed_fields}
    try:
        return model.model_validate(answers)
    except ValidationError as exc:
        raise InvalidRequest(f"{step.label}: the answers have problems", problems=problems_of(exc)) from None


def checked(model: type[Model], payload: Any, what: str) -> Model:
    """A command as its contract model, or InvalidRequest with a problem per field in plain words."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidRequest(f"{what} has problems", problems=problems_of(exc)) from None


def problems_of(error: ValidationError) -> list[dict[str, str]]:
    """One problem per field, in words that say what to fix (contract.plain_problems)."""
    return plain_problems(error)


def _check_may_act(state: ReviewState, step: Step, actor: Actor) -> None:
    policy.check_may_complete_step(actor, state.partnership_id, step.by, step.label)
    record = state.steps.get(step.code)
    if record is not None and record.completed:
        raise Conflict(f"'{step.label}' was completed on {record.completed_on:%-d %B %Y} and is locked")
    if state.needed(step) is False:
        raise InvalidRequest(
            f"'{step.label}' is not needed for this review",
            problems=[{"field": "step", "message": f"'{step.label}' is not needed for this review"}],
        )
    blocked = state.blocker(step)
    if blocked:
        raise InvalidRequest(blocked, problems=[{"field": "step", "message": blocked}])


def _check_version(record: StepRecord | None, version: int | None) -> None:
    current = record.version if record is not None else 0
    if version is not None and version != current:
        raise Conflict(
            "Someone else saved this form after you opened it: reload it to see their answers, then try again"
        )


def save_step(
    state: ReviewState, step_code: str, answers: Any, actor: Actor, version: int | None
) -> tuple[StepRecord, FormAnswers]:
    """Save a step's answers as a draft (checked in full, nothing stored if any answer is wrong)."""
    step = _find_step(state, step_code)
    _check_may_act(state, step, actor)
    record = state.steps.get(step.code)
    _check_version(record, version)
    form = form_answers(step, answers)
    saved = StepRecord(
        step.code, form.model_dump(mode="json"), None, None, (record.version if record else 0) + 1
    )
    return saved, form


@dataclass
class Completion:
    """A completed step: its record, the review's new stage, and the events to publish."""

    record: StepRecord
    stage: str
    closed: bool
    events: list[EventData]
    # The timeliness of the step's deadline, if it has one: its revised due date and how late it was.
    due_on: date | None = None
    late_by_working_days: int | None = None


def complete_step(
    state: ReviewState, step_code: str, actor: Actor, version: int | None, now: datetime
) -> Completion:
    """Complete a step from its saved draft: refused with the reason if the order, the role, a date rule
    or the form's own checklist forbids it. Emits step_completed, the step's own fact, stage_changed and
    deadline_changed for every deadline that started or was met."""
    step = _find_step(state, step_code)
    _check_may_act(state, step, actor)
    record = state.steps.get(step.code)
    _check_version(record, version)
    if record is None or not record.answers:
        raise InvalidRequest(
            f"Answer the questions of '{step.label}' first",
            problems=[{"field": "step", "message": f"Answer the questions of '{step.label}' first"}],
        )
    form = form_answers(step, record.answers)
    missing = form.missing_to_complete()
    if missing:
        raise InvalidRequest(f"'{step.label}' is not finished", problems=missing)
    today = today_in_england(now)
    if step.not_before is not None:
        rule = step.not_before
        value, start = getattr(form, rule.field, None), state.date_of(rule.trigger)
        if value is not None and start is not None:
            earliest = calendar.add_working_days(start, rule.working_days)
            if value < earliest:
                message = f"{rule.reason} (not before {earliest:%-d %B %Y})"
                raise InvalidRequest(message, problems=[{"field": rule.field, "message": message}])

    before = plan(state, today)
    completed = StepRecord(step.code, record.answers, today, actor.user_id, record.version + 1)
    state.steps[step.code] = completed
    after = plan(state, today)

    events: list[EventData] = []
    standing = clock.by_code(after.standings).get(step.deadline or "")
    events.append(
        StepCompleted(
            review_id=state.id,
            review_type=state.definition.code,
            step=step.code,
            form=step.form,
            stage=step.stage,
            completed_on=today,
            deadline=step.deadline,
            due_on=standing.due_on if standing else None,
            revised_due_on=standing.revised_due_on if standing else None,
            late_by_working_days=standing.late_by_working_days if standing else None,
        )
    )
    events += _facts_of(state, step, form, standing)
    if after.stage != before.stage:
        events.append(
            StageChanged(
                review_id=state.id,
                review_type=state.definition.code,
                previous_stage=before.stage,
                stage=after.stage,
            )
        )
    events += deadline_changes(state, before, after, "started")
    return Completion(
        completed,
        after.stage,
        after.closed,
        events,
        standing.revised_due_on if standing else None,
        standing.late_by_working_days if standing else None,
    )


def _facts_of(
    state: ReviewState, step: Step, form: FormAnswers, standing: clock.Standing | None
) -> list[EventData]:
    """The named fact a kind of form announces besides step_completed."""
    code = state.definition.code
    answers = form.model_dump()
    if step.form == "serious_incident_notification":
        return [
            SinSubmitted(
                review_id=state.id,
                notified_on=answers["notified_on"],
                date_aware=answers["date_aware"],
                due_on=standing.due_on if standing else None,
                late_by_working_days=standing.late_by_working_days if standing else None,
                children=len(answers["children"]),
                nature=answers["nature"],
            )
        ]
    if step.form in ("decision", "review_decision"):
        return [
            DecisionMade(
                review_id=state.id,
                review_type=code,
                outcome=answers["outcome"],
                decided_on=answers["decided_on"],
            )
        ]
    if step.form == "publication":
        return [
            ReviewPublished(
                review_id=state.id,
                review_type=code,
                published=answers["decision"] == "publish",
                published_on=answers["published_on"],
            )
        ]
    if step.form == "closure":
        return [ReviewClosed(review_id=state.id, review_type=code, closed_on=answers["closed_on"])]
    return []


def deadline_changes(state: ReviewState, before: Plan, after: Plan, reason: str) -> list[DeadlineChanged]:
    """A deadline_changed event for each deadline whose dates or standing moved between two plans."""
    earlier = clock.by_code(before.standings)
    events = []
    for standing in after.standings:
        old = earlier.get(standing.rule.code)
        old_key = (
            (old.due_on, old.revised_due_on, old.status in ("met", "late")) if old else (None, None, False)
        )
        new_key = (standing.due_on, standing.revised_due_on, standing.status in ("met", "late"))
        if old_key == new_key or standing.due_on is None:
            continue
        why = "met" if new_key[2] and not old_key[2] else ("started" if old_key[0] is None else reason)
        events.append(
            DeadlineChanged(
                review_id=state.id,
                review_type=state.definition.code,
                deadline=standing.rule.code,
                label=standing.rule.label,
                statutory=standing.rule.statutory,
                due_on=standing.due_on,
                revised_due_on=standing.revised_due_on,
                previous_revised_due_on=old.revised_due_on if old else None,
                status=standing.status,
                reason=why,
            )
        )
    return events


def _find_step(state: ReviewState, code: str) -> Step:
    step = state.definition.step(code)
    if step is None:
        raise InvalidRequest(
            "No such step", problems=[{"field": "step", "message": f"This review has no step {code!r}"}]
        )
    return step


# -- agency returns -----------------------------------------------------------------------------------------


@dataclass
class AgencyReturn:
    """An agency's rapid review return, as the rules see it."""

    id: UUID
    review_id: UUID
    partnership_id: UUID
    agency_id: UUID
    agency_name: str
    status: str  # requested, draft, submitted, nil
    due_on: date
    extended_to: date | None = None
    extension_reason: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    late_by_working_days: int = 0
    version: int = 0

    @property
    def effective_due(self) -> date:
        return self.extended_to or self.due_on

    @property
    def locked(self) -> bool:
        return self.status in ("submitted", "nil")

    @property
    def ownership(self) -> policy.ReturnOwnership:
        return policy.ReturnOwnership(self.review_id, self.partnership_id, self.agency_id)


# A review type with agencies' returns but no `returns` deadline gives them this many working days.
RETURNS_WITHOUT_A_DEADLINE_WORKING_DAYS = 10
# An agency asked after the others (found to have known the family later) has at least this long.
LATE_REQUEST_WORKING_DAYS = 5


def returns_due(state: ReviewState, today: date) -> date:
    """When the review's returns are due: its `returns` deadline, revised for pauses."""
    trigger = (
        state.date_of(state.rule("returns").trigger) if "returns" in state.definition.deadlines else None
    )
    if trigger is None:
        return calendar.add_working_days(today, RETURNS_WITHOUT_A_DEADLINE_WORKING_DAYS)
    return clock.revised_due(state.rule("returns"), trigger, state.pauses, today)


def request_returns(
    state: ReviewState, agencies: Iterable[tuple[UUID, str]], existing: Iterable[UUID], today: date
) -> list[AgencyReturn]:
    """A return for each invited agency not asked before, due on the review's returns deadline."""
    due = returns_due(state, today)
    asked = set(existing)
    return [
        AgencyReturn(uuid.uuid4(), state.id, state.partnership_id, agency_id, name, "requested", due)
        for agency_id, name in agencies
        if agency_id not in asked
    ]


def ask_another_agency(
    state: ReviewState, agency: tuple[UUID, str], existing: Iterable[UUID], actor: Actor, today: date
) -> AgencyReturn:
    """A return asked of one more agency once the rapid review has begun (it came to light later that the
    agency knew the family), by the business manager; due with the others, or in LATE_REQUEST_WORKING_DAYS
    working days if that is later. Refused once the review is closed, before the returns were first asked
    for, or for an agency already asked."""
    policy.check_may_manage(actor, state.partnership_id)
    setup = next((s for s in state.definition.steps if s.form == "rapid_review_setup"), None)
    if setup is None or not state.steps.get(setup.code, StepRecord(setup.code)).completed:
        message = "Ask for returns in the rapid review's first step; this asks one more agency afterwards"
        raise InvalidRequest(message, problems=[{"field": "agency_id", "message": message}])
    if plan(state, today).closed:
        message = "The review is closed: no more returns can be asked for"
        raise InvalidRequest(message, problems=[{"field": "agency_id", "message": message}])
    if agency[0] in set(existing):
        message = f"{agency[1]} has already been asked for a return"
        raise InvalidRequest(message, problems=[{"field": "agency_id", "message": message}])
    due = max(returns_due(state, today), calendar.add_working_days(today, LATE_REQUEST_WORKING_DAYS))
    return AgencyReturn(uuid.uuid4(), state.id, state.partnership_id, agency[0], agency[1], "requested", due)


def _check_return_version(agency_return: AgencyReturn, version: int | None) -> None:
    if version is None or version != agency_return.version:
        raise Conflict(
            "This return was changed by someone else after you opened it: reload it to see their changes"
        )


def _check_unlocked(agency_return: AgencyReturn) -> None:
    if agency_return.locked:
        how = " as a nil return" if agency_return.status == "nil" else ""
        when = f" on {agency_return.submitted_at:%-d %B %Y at %H:%M}" if agency_return.submitted_at else ""
        raise Conflict(
            f"This return was already submitted{how}{when} and is locked: add an addendum to correct it"
        )


def save_return(
    agency_return: AgencyReturn, answers: Any, actor: Actor, version: int | None
) -> AgencyReturnAnswers:
    """Save a draft: every answer given must be valid, missing ones may wait."""
    policy.check_may_write_return(actor, agency_return.ownership)
    _check_unlocked(agency_return)
    _check_return_version(agency_return, version)
    try:
        draft = AgencyReturnAnswers.model_validate(answers)
    except ValidationError as exc:
        raise InvalidRequest("The return has problems", problems=problems_of(exc)) from None
    agency_return.answers = draft.model_dump(mode="json")
    agency_return.status = "draft"
    agency_return.version += 1
    return draft


def submit_return(agency_return: AgencyReturn, actor: Actor, version: int | None, now: datetime) -> None:
    """Submit the saved return: complete, records secured, by the agency's lead. Locked from then on."""
    policy.check_may_submit_return(actor, agency_return.ownership)
    _check_unlocked(agency_return)
    _check_return_version(agency_return, version)
    answers = AgencyReturnAnswers.model_validate(agency_return.answers)
    missing = answers.missing_to_submit()
    if missing:
        raise InvalidRequest("The return is not complete", problems=missing)
    _lock(agency_return, "submitted", actor, now)


def nil_return(agency_return: AgencyReturn, actor: Actor, version: int | None, now: datetime) -> None:
    """Record that the agency had no involvement: one confirmed click, locked like a submitted return."""
    policy.check_may_submit_return(actor, agency_return.ownership)
    _check_unlocked(agency_return)
    _check_return_version(agency_return, version)
    _lock(agency_return, "nil", actor, now)


def _lock(agency_return: AgencyReturn, status: str, actor: Actor, now: datetime) -> None:
    agency_return.status = status
    agency_return.submitted_at = now
    agency_return.submitted_by = actor.user_id
    agency_return.late_by_working_days = max(
        0, calendar.working_days_between(agency_return.effective_due, today_in_england(now))
    )
    agency_return.version += 1


def extend_return(agency_return: AgencyReturn, actor: Actor, extended_to: date, today: date) -> date:
    """Give the agency until a later date, with a reason; returns the previous due date."""
    policy.check_may_extend_return(actor, agency_return.ownership)
    _check_unlocked(agency_return)
    previous = agency_return.effective_due
    if extended_to <= previous or extended_to < today:
        message = f"The new due date must be after {previous:%-d %B %Y} and not in the past"
        raise InvalidRequest(message, problems=[{"field": "extended_to", "message": message}])
    agency_return.extended_to = extended_to
    agency_return.version += 1
    return previous


def check_may_amend(agency_return: AgencyReturn, actor: Actor) -> None:
    """An addendum is for a submitted return only, by the agency's own people."""
    policy.check_may_write_return(actor, agency_return.ownership)
    if not agency_return.locked:
        raise InvalidRequest(
            "The return is not submitted yet: change the draft instead",
            problems=[
                {"field": "text", "message": "The return is not submitted yet: change the draft instead"}
            ],
        )


def return_standing(agency_return: AgencyReturn, today: date) -> tuple[bool, int, int | None]:
    """(overdue, working days overdue, working days left) of a return not yet in."""
    if agency_return.locked:
        return False, 0, None
    due = agency_return.effective_due
    if today > due:
        return True, calendar.working_days_between(due, today), None
    return False, 0, calendar.working_days_between(today, due)
