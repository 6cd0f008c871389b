"""A review at one moment, as the rules see it: its steps, pauses and returns, and its plan (every
step's status, the stage, how each deadline stands, red/amber/green). Pure: no I/O.

A review follows its type's steps (services/forms/review_types/*.yml): a step can start when every step it
comes after is completed or not needed, is not needed when its condition on an earlier answer fails (or when
every step it follows is not needed), and once completed its answers are locked. The statutory clock
(clock.py) is computed from the dates in those answers and the pauses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from services.forms import clock
from services.forms.definitions import COMPLETED_ON, DateRef, DeadlineRule, ReviewTypeDef, Step
from services.kernel.calendar import ENGLAND

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


def recorded_at(day: date) -> datetime:
    """The moment a step (or a return) recorded on an earlier day is taken to be done: midday of it, in
    England."""
    return datetime.combine(day, time(12), tzinfo=ENGLAND)


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
