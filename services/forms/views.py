"""The read models the pages show, built from storage and the domain's plan: a review's summary and its
file, the list entries, deadlines, returns, the partnership's deadline figures. Each view is decided here
(what the caller may read, may do, what is due), so a page only shows it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from services.forms import clock, domain, policy
from services.forms.contract import (
    PAUSE_REASONS,
    Addendum,
    AgencyReturnAnswers,
    DeadlineSetting,
    DeadlineView,
    PauseView,
    RetentionCandidate,
    ReturnSummary,
    ReturnView,
    ReviewFile,
    ReviewListEntry,
    ReviewSummary,
    ReviewTypeInfo,
    StageInfo,
    StageView,
    StepView,
)
from services.forms.definitions import review_types as defined_review_types
from services.forms.models import AgencyReturnRow, ReviewRecord, agency_return_of
from services.forms.repository import FormsRepository
from services.kernel.calendar import today_in_england
from services.kernel.identity import Actor


def review_types() -> list[ReviewTypeInfo]:
    """The review types a partnership can open, with their stages."""
    return [
        ReviewTypeInfo(
            code=t.code,
            label=t.label,
            hint=t.hint,
            basis=t.basis,
            stages=[StageInfo(code=stage.code, label=stage.label) for stage in t.stages],
        )
        for t in defined_review_types().values()
    ]


def _summary_fields(record: ReviewRecord, shared_with: Iterable[UUID] = ()) -> dict[str, Any]:
    review_type = domain.review_type(record.review_type)
    return {
        "id": record.id,
        "partnership_id": record.partnership_id,
        "review_type": record.review_type,
        "review_type_label": review_type.label,
        "title": record.title,
        "stage": record.stage,
        "stage_label": review_type.stage_label(record.stage),
        "opened_at": record.opened_at,
        "shared_with": list(shared_with),
    }


def summary(record: ReviewRecord, shared_with: Iterable[UUID] = ()) -> ReviewSummary:
    """A review in a line: its type and stage in words, who it is shared with."""
    return ReviewSummary(**_summary_fields(record, shared_with))


def list_entry(record: ReviewRecord, shared_with: list[UUID], current: domain.Plan) -> ReviewListEntry:
    """A review in the list: its summary, next deadline and red/amber/green."""
    return ReviewListEntry(
        **_summary_fields(record, shared_with),
        next_deadline=next_deadline(current),
        rag=current.rag,  # type: ignore[arg-type]
        paused=current.paused,
        closed=current.closed,
    )


def deadline_view(standing: clock.Standing, step: str | None) -> DeadlineView:
    """How one deadline stands today."""
    return DeadlineView(
        code=standing.rule.code,
        label=standing.rule.label,
        statutory=standing.rule.statutory,
        step=step,
        basis=standing.rule.basis,
        trigger_on=standing.trigger_on,
        due_on=standing.due_on,
        revised_due_on=standing.revised_due_on,
        done_on=standing.done_on,
        status=standing.status,  # type: ignore[arg-type]
        late_by_working_days=standing.late_by_working_days,
        working_days_left=standing.working_days_left,
        rag=standing.rag,  # type: ignore[arg-type]
        day_plan=standing.rule.amount if standing.rule.day_plan else None,
        pausable=standing.rule.pausable,
    )


def next_deadline(current: domain.Plan) -> DeadlineView | None:
    """The next deadline to meet, if any."""
    if current.next_deadline is None:
        return None
    code = current.next_deadline.rule.code
    return deadline_view(current.next_deadline, current.deadline_steps.get(code))


def review_file(
    reviews: FormsRepository, caller: Actor, record: ReviewRecord, shared_with: list[UUID]
) -> ReviewFile:
    """A review with its lifecycle as the caller may see it: steps (answers only where the caller may read
    them), stages, deadlines, pauses, and the returns the caller may read."""
    pauses = reviews.pauses(record.id)
    returns = reviews.returns(record.id)
    state = reviews.state(record, pauses=pauses, returns=returns)
    today = today_in_england()
    current = domain.plan(state, today)
    manage = policy.may_manage(caller, record.partnership_id)
    ownership = reviews.ownership(record, shared_with)
    steps = []
    for item in current.steps:
        stored = item.record
        standing = clock.by_code(current.standings).get(item.step.deadline or "")
        steps.append(
            StepView(
                code=item.step.code,
                label=item.step.label,
                stage=item.step.stage,
                form=item.step.form,
                status=item.status,  # type: ignore[arg-type]
                blocked_by=item.blocked_by,
                may_complete=item.status in ("not_started", "in_progress")
                and policy.may_complete_step(caller, record.partnership_id, item.step.by),
                done_by=policy.who_completes(item.step.by),
                deadline=item.step.deadline,
                due_on=standing.revised_due_on if standing else None,
                completed_on=stored.completed_on if stored else None,
                completed_by=stored.completed_by if stored else None,
                answers=stored.answers
                if stored and policy.may_read_answers(caller, ownership, item.step.form)
                else None,
                version=stored.version if stored else 0,
                prefill=domain.prefill(state, item.step)
                if stored is None and item.step.prefill and manage
                else None,
            )
        )
    readable_returns = [
        return_summary(row, record.title, today)
        for row in returns
        if policy.may_read_return(caller, agency_return_of(row).ownership)
    ]
    return ReviewFile(
        **_summary_fields(record, shared_with),
        steps=steps,
        stages=[
            StageView(code=code, label=label, state=mark, reached_on=reached)  # type: ignore[arg-type]
            for code, label, mark, reached in domain.stage_dates(state, today)
        ],
        deadlines=[deadline_view(s, current.deadline_steps.get(s.rule.code)) for s in current.standings],
        pauses=[
            PauseView(
                id=row.id,
                reason=row.reason,
                reason_label=PAUSE_REASONS.get(row.reason, row.reason),
                detail=row.detail,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
                approved_by=row.approved_by,
                recorded_by=row.recorded_by,
                recorded_at=row.recorded_at,
            )
            for row in pauses
        ],
        returns=readable_returns,
        next_deadline=next_deadline(current),
        rag=current.rag,  # type: ignore[arg-type]
        paused=current.paused,
        closed=current.closed,
        may_manage=manage,
        version=record.version,
    )


def return_summary(row: AgencyReturnRow, review_title: str, today: date) -> ReturnSummary:
    """A return in a list: whose, when due, how it stands."""
    overdue, behind, left = domain.return_standing(agency_return_of(row), today)
    return ReturnSummary(
        id=row.id,
        review_id=row.review_id,
        review_title=review_title,
        partnership_id=row.partnership_id,
        agency_id=row.agency_id,
        agency_name=row.agency_name,
        status=row.status,  # type: ignore[arg-type]
        due_on=row.due_on,
        extended_to=row.extended_to,
        extension_reason=row.extension_reason,
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        late_by_working_days=row.late_by_working_days,
        overdue=overdue,
        overdue_by_working_days=behind,
        working_days_left=left,
        version=row.version,
    )


def return_view(
    reviews: FormsRepository, caller: Actor, row: AgencyReturnRow, review: ReviewRecord
) -> ReturnView:
    """A return with its answers and addenda, and what the caller may do with it."""
    agency_return = agency_return_of(row)
    ownership = agency_return.ownership
    own, lead = policy.is_own_agency(caller, ownership), policy.is_agency_lead(caller, ownership)
    answers = AgencyReturnAnswers.model_validate(row.answers or {})
    return ReturnView(
        **return_summary(row, review.title, today_in_england()).model_dump(),
        answers=answers.model_dump(mode="json"),
        addenda=[
            Addendum(id=a.id, text=a.text, author=a.author, added_at=a.added_at)
            for a in reviews.addenda(row.id)
        ],
        own_agency=own,
        agency_lead=lead,
        may_edit=own and not agency_return.locked,
        may_submit=lead and not agency_return.locked,
        missing=[] if agency_return.locked else answers.missing_to_submit(),
    )


def deadline_settings(reviews: FormsRepository, partnership_id: UUID) -> list[DeadlineSetting]:
    """A partnership's deadline figures for every review type, with the bounds statute allows."""
    rows = []
    for definition in defined_review_types().values():
        own = reviews.deadline_settings(partnership_id, definition.code)
        for code, rule in definition.deadlines.items():
            rows.append(
                DeadlineSetting(
                    review_type=definition.code,
                    code=code,
                    label=rule.label,
                    unit=rule.unit,  # type: ignore[arg-type]
                    default=rule.amount,
                    minimum=rule.minimum,
                    maximum=rule.maximum,
                    value=own.get(code, rule.amount),
                    statutory=rule.statutory,
                )
            )
    return rows


def retention_candidate(review: ReviewRecord) -> RetentionCandidate:
    """A review as the retention review lists it: no more than what identifies it."""
    return RetentionCandidate(
        id=review.id,
        partnership_id=review.partnership_id,
        title=review.title,
        review_type=review.review_type,
        opened_at=review.opened_at,
    )
