"""Saving and completing a review's steps: the form's checks, the order, the roles, the events a
completed step announces. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from services.forms import clock, policy
from services.forms.contract import (
    FORMS,
    DeadlineChanged,
    DecisionMade,
    FormAnswers,
    PanelResponded,
    ReviewClosed,
    ReviewPublished,
    SinSubmitted,
    StageChanged,
    StepCompleted,
    plain_problems,
)
from services.forms.definitions import Step
from services.forms.domain.categories import children_categories
from services.forms.domain.returns import AgencyReturn, request_returns, return_requested
from services.forms.domain.state import Plan, ReturnsProgress, ReviewState, StepRecord, plan
from services.kernel import calendar
from services.kernel.calendar import today_in_england
from services.kernel.errors import Conflict, InvalidRequest
from services.kernel.events import EventData
from services.kernel.identity import Actor


def form_answers(step: Step, answers: Any) -> FormAnswers:
    """The answers as the step's form, or InvalidRequest naming every field's problem in plain words."""
    model = FORMS[step.form]
    if isinstance(answers, dict):
        # Stored answers carry the computed ones (criteria_check.outcome): recomputed here, never asked.
        answers = {key: value for key, value in answers.items() if key not in model.model_computed_fields}
    try:
        return model.model_validate(answers)
    except ValidationError as exc:
        raise InvalidRequest(
            f"{step.label}: the answers have problems", problems=plain_problems(exc)
        ) from None


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
    # The returns asked for by completing it (the rapid review's set-up invites the agencies).
    returns: list[AgencyReturn] = field(default_factory=list)


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


def invited_agencies(state: ReviewState, step_code: str) -> list[tuple[UUID, str]]:
    """The agencies a step's saved answers invite to send a return (the rapid review's set-up), by id and
    name; none for any other step."""
    step = state.definition.step(step_code)
    if step is None or step.form != "rapid_review_setup":
        return []
    draft = state.steps.get(step_code)
    agencies = (draft.answers or {}).get("agencies", []) if draft else []
    return [(UUID(str(agency["agency_id"])), str(agency["name"])) for agency in agencies]


def complete(
    state: ReviewState,
    step_code: str,
    actor: Actor,
    version: int | None,
    now: datetime,
    asked: Iterable[UUID],
) -> Completion:
    """Complete a step (complete_step). Completing the rapid review's set-up also asks every agency it
    invites, and not `asked` before, for a return: that starts the returns clock, so the step's events
    reckon with it, and a return_requested follows them for each agency."""
    invited = invited_agencies(state, step_code)
    if invited:
        state.returns = ReturnsProgress(requested=True)  # the returns clock starts with them
    completion = complete_step(state, step_code, actor, version, now)
    if invited:
        completion.returns = request_returns(state, invited, asked, today_in_england(now))
        completion.events += [return_requested(agency_return) for agency_return in completion.returns]
    return completion


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
                children_categories=children_categories(answers),
            )
        ]
    if step.form == "panel_response":
        return [
            PanelResponded(
                review_id=state.id,
                review_type=code,
                response=answers["response"],
                local_decision=local_decision(state),
                received_on=answers["received_on"],
            )
        ]
    if step.form in DECISION_FORMS:
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


DECISION_FORMS = ("decision", "review_decision")


def local_decision(state: ReviewState) -> str | None:
    """The outcome of the review's completed decision step (decision_made's code); None if none is yet."""
    for step in state.definition.steps:
        record = state.steps.get(step.code)
        if step.form in DECISION_FORMS and record is not None and record.completed and record.answers:
            outcome = record.answers.get("outcome")
            return str(outcome) if outcome is not None else None
    return None


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
