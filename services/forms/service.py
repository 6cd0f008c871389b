"""The forms service: the review case file. Entrypoints translate and delegate; the domain decides."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from services.forms import clock, documents, domain, models, policy
from services.forms.contract import (
    PAUSE_REASONS,
    SERVICE,
    AddAddendum,
    Addendum,
    AgencyReturnAnswers,
    AskAgency,
    ChangeDeadlineSettings,
    DeadlineSetting,
    DeadlineView,
    DocumentFile,
    EarlierCompletion,
    EndPause,
    ExtendReturn,
    OpenReview,
    PauseView,
    RecordPause,
    Refer,
    RetentionCandidate,
    RetentionQuery,
    ReturnAmended,
    ReturnExtended,
    ReturnRequested,
    ReturnSubmitted,
    ReturnSummary,
    ReturnView,
    ReviewFile,
    ReviewListEntry,
    ReviewPaused,
    ReviewResumed,
    ReviewSummary,
    ReviewTypeInfo,
    ShareReview,
    StageInfo,
    StageView,
    StepView,
)
from services.forms.definitions import review_types
from services.forms.figures import BusinessFigures
from services.forms.models import Base, ReviewRecord, ReviewShareRecord
from services.kernel.calendar import today_in_england
from services.kernel.data_protection import PersonQuery, person_record
from services.kernel.entrypoints import rpc
from services.kernel.errors import InvalidRequest, NotFound, validated
from services.kernel.events import EventData
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork

# A list page shows at most this many reviews (newest first).
LIST_LIMIT = 500


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


def _summary(record: ReviewRecord, shared_with: Iterable[UUID] = ()) -> dict[str, Any]:
    return ReviewSummary(**_summary_fields(record, shared_with)).model_dump(mode="json")


def _readable_review(
    session: Session, caller: Actor, review_id: Any, *, lock: bool = False
) -> tuple[ReviewRecord, list[UUID]]:
    """The review and its shares if the caller may read it; NotFound otherwise, so existence is not told."""
    try:
        wanted = UUID(str(review_id))
    except ValueError:
        raise NotFound("No such review") from None
    found = models.review_with_shares(session, wanted, lock=lock)
    if found is None or not policy.may_read(caller, models.ownership(*found)):
        raise NotFound("No such review")
    return found


class FormsService(ServiceBase):
    """Reviews and their lifecycle: steps and forms, the statutory clock, pauses and agency returns."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]
    figures = BusinessFigures()

    @rpc(public=True)
    def review_types(self) -> list[dict[str, Any]]:
        """The review types a partnership can open."""
        return [
            ReviewTypeInfo(
                code=t.code,
                label=t.label,
                hint=t.hint,
                basis=t.basis,
                stages=[StageInfo(code=stage.code, label=stage.label) for stage in t.stages],
            ).model_dump()
            for t in review_types().values()
        ]

    @rpc
    def open_review(
        self, actor: dict[str, Any], command: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Open a review (OpenReview); emits forms.review_opened.

        Repeating an idempotency key returns the first result and changes nothing.
        """
        caller = Actor.model_validate(actor)
        command_once = self.uow.idempotent("open_review", caller, idempotency_key, command)
        if command_once.done:
            return command_once.result
        record = self._open(domain.open_review_command(command), caller)
        result = _summary(record)
        command_once.remember(result)
        return result

    def _open(self, command: OpenReview, caller: Actor) -> ReviewRecord:
        definition = domain.review_type(command.review_type)
        figures = models.deadline_settings(self.uow.session, command.partnership_id, definition.code)
        review = domain.open_review(command, caller, datetime.now(UTC), figures)
        record = ReviewRecord(
            id=review.id,
            partnership_id=review.partnership_id,
            review_type=review.review_type,
            title=review.title,
            stage=review.stage,
            opened_at=review.opened_at,
            opened_by=review.opened_by,
            deadline_figures=review.deadline_figures,
        )
        self.uow.session.add(record)
        self.uow.session.flush()
        self._emit(record, caller, review.events)
        return record

    def _emit(self, record: ReviewRecord, caller: Actor, events: Iterable[EventData]) -> None:
        for event in events:
            self.uow.emit(
                event, partnership_id=record.partnership_id, review_id=record.id, actor_id=caller.user_id
            )

    @rpc
    def get_review(self, actor: dict[str, Any], review_id: str) -> dict[str, Any]:
        """One review (ReviewSummary), if the caller may read it (policy.may_read); else NotFound."""
        caller = Actor.model_validate(actor)
        return _summary(*_readable_review(self.uow.session, caller, review_id))

    @rpc
    def list_reviews(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The reviews the caller may read (ReviewListEntry: with the next deadline and red/amber/green),
        newest first, at most LIST_LIMIT."""
        caller = Actor.model_validate(actor)
        scope = policy.read_scope(caller)
        session = self.uow.session
        # The query renders the scope in SQL; checking each row again means one slip there leaks nothing.
        found = [
            (record, shared_with)
            for record, shared_with in models.readable_reviews(session, scope, LIST_LIMIT)
            if scope.admits(models.ownership(record, shared_with))
        ]
        states = models.review_states(session, [record for record, _ in found])
        today = today_in_england()
        entries = []
        for record, shared_with in found:
            current = domain.plan(states[record.id], today)
            entries.append(
                ReviewListEntry(
                    **_summary_fields(record, shared_with),
                    next_deadline=_next_deadline(current),
                    rag=current.rag,  # type: ignore[arg-type]
                    paused=current.paused,
                    closed=current.closed,
                ).model_dump(mode="json")
            )
        return entries

    @rpc
    def share_review(
        self,
        actor: dict[str, Any],
        review_id: str,
        partnership_id: str,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Share a review with another partnership (policy.check_may_share); emits forms.review_shared.

        Returns the review (ReviewSummary). Sharing it again with the same partnership changes nothing;
        repeating an idempotency key returns the first result. NotFound if the caller cannot see it.
        """
        caller = Actor.model_validate(actor)
        request = {"review_id": review_id, "partnership_id": partnership_id}
        command_once = self.uow.idempotent("share_review", caller, idempotency_key, request)
        if command_once.done:
            return command_once.result
        record, shared_with = _readable_review(self.uow.session, caller, review_id, lock=True)
        command = validated(ShareReview, request, "The share")
        share = domain.share_review(
            models.ownership(record, shared_with), command.partnership_id, caller, datetime.now(UTC)
        )
        if share is not None:
            self.uow.session.add(
                ReviewShareRecord(
                    review_id=share.review_id,
                    shared_with_partnership_id=share.shared_with_partnership_id,
                    shared_by=share.shared_by,
                    shared_at=share.shared_at,
                )
            )
            for event in share.events:
                self.uow.emit(
                    event, partnership_id=record.partnership_id, review_id=record.id, actor_id=caller.user_id
                )
            shared_with = [*shared_with, share.shared_with_partnership_id]
        result = _summary(record, shared_with)
        command_once.remember(result)
        return result

    @rpc
    def records_about_person(self, actor: dict[str, Any], person: dict[str, Any]) -> list[dict[str, Any]]:
        """Data protection: every forms record that refers to a person (PersonQuery), as PersonRecords.

        Reviews the user opened, shares they made, and their work on reviews' lifecycles (steps, returns,
        addenda, pauses: models.work_of_person), in the caller's partnership. Only its data
        protection officer, or the system, may ask (policy.data_protection_scope); others are Forbidden.
        Forms holds no e-mail addresses, so a query by e-mail alone finds nothing here.
        """
        caller = Actor.model_validate(actor)
        partnership_id = policy.data_protection_scope(caller)
        wanted = validated(PersonQuery, person, "The person")
        if wanted.user_id is None:
            return []
        session = self.uow.session
        records = [
            person_record(
                SERVICE,
                "review",
                review.id,
                partnership_id=review.partnership_id,
                summary=f"Opened the review {review.title} ({domain.review_type(review.review_type).label})",
                recorded_at=review.opened_at,
            )
            for review in models.reviews_opened_by(session, wanted.user_id, partnership_id)
        ]
        records += [
            person_record(
                SERVICE,
                "review_share",
                f"{share.review_id}:{share.shared_with_partnership_id}",
                partnership_id=owner,
                summary=f"Shared a review with the partnership {share.shared_with_partnership_id}",
                recorded_at=share.shared_at,
            )
            for share, owner in models.shares_made_by(session, wanted.user_id, partnership_id)
        ]
        records += [
            person_record(SERVICE, *work)
            for work in models.work_of_person(session, wanted.user_id, partnership_id)
        ]
        records.sort(key=lambda record: record.recorded_at or datetime.min.replace(tzinfo=UTC))
        return [record.model_dump(mode="json") for record in records]

    @rpc
    def reviews_for_retention(self, actor: dict[str, Any], opened_before: str) -> list[dict[str, Any]]:
        """Data protection: the partnership's reviews opened before a date (ISO), oldest first.

        RetentionCandidates, for the retention review. Only the partnership's data protection officer,
        or the system, may ask (policy.data_protection_scope); others are Forbidden.
        """
        caller = Actor.model_validate(actor)
        partnership_id = policy.data_protection_scope(caller)
        query = validated(RetentionQuery, {"opened_before": opened_before}, "The date")
        before = domain.start_of_day(query.opened_before)
        return [
            RetentionCandidate(
                id=review.id,
                partnership_id=review.partnership_id,
                title=review.title,
                review_type=review.review_type,
                opened_at=review.opened_at,
            ).model_dump(mode="json")
            for review in models.reviews_opened_before(self.uow.session, before, partnership_id)
        ]

    # -- the lifecycle ------------------------------------------------------------------------------------

    def _review_file(self, caller: Actor, record: ReviewRecord, shared_with: list[UUID]) -> dict[str, Any]:
        session = self.uow.session
        pauses = models.pauses_of(session, [record.id]).get(record.id, [])
        returns = models.returns_of(session, [record.id]).get(record.id, [])
        state = _state(session, record, pauses=pauses, returns=returns)
        today = today_in_england()
        current = domain.plan(state, today)
        manage = policy.may_manage(caller, record.partnership_id)
        ownership = models.ownership(record, shared_with)
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
            _return_summary(row, record.title, today)
            for row in returns
            if policy.may_read_return(caller, _agency_return(row).ownership)
        ]
        return ReviewFile(
            **_summary_fields(record, shared_with),
            steps=steps,
            stages=[
                StageView(code=code, label=label, state=mark, reached_on=reached)  # type: ignore[arg-type]
                for code, label, mark, reached in domain.stage_dates(state, today)
            ],
            deadlines=[_deadline_view(s, current.deadline_steps.get(s.rule.code)) for s in current.standings],
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
            next_deadline=_next_deadline(current),
            rag=current.rag,  # type: ignore[arg-type]
            paused=current.paused,
            closed=current.closed,
            may_manage=manage,
            version=record.version,
        ).model_dump(mode="json")

    @rpc
    def get_review_file(self, actor: dict[str, Any], review_id: str) -> dict[str, Any]:
        """A review with its lifecycle (ReviewFile): steps, stages, deadlines, pauses, and the returns the
        caller may read (policy.may_read_return). NotFound if the caller may not read the review."""
        caller = Actor.model_validate(actor)
        record, shared_with = _readable_review(self.uow.session, caller, review_id)
        return self._review_file(caller, record, shared_with)

    @rpc
    def refer(
        self, actor: dict[str, Any], command: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Refer a possible serious incident (Refer): opens a review and completes its first step with the
        referral's answers. Anyone with a case role in the partnership (policy.check_may_refer). Returns the
        review (ReviewSummary); nothing is stored if any answer is wrong."""
        caller = Actor.model_validate(actor)
        command_once = self.uow.idempotent("refer", caller, idempotency_key, command)
        if command_once.done:
            return command_once.result
        referral = domain.checked(Refer, command, "The referral")
        policy.check_may_refer(caller, referral.partnership_id)
        definition = domain.review_type(referral.review_type)
        first = definition.steps[0]
        domain.form_answers(first, referral.referral)  # every answer checked before anything is stored
        # The referrer opens the review as the system would: the business manager takes it from here.
        opener = Actor(
            user_id=caller.user_id, partnership_id=referral.partnership_id, roles=frozenset({"system"})
        )
        record = self._open(
            OpenReview(
                review_type=referral.review_type, partnership_id=referral.partnership_id, title=referral.title
            ),
            opener,
        )
        self._save(opener, record, first.code, referral.referral, None)
        self._complete(opener, record, first.code, None, actor_id=caller.user_id)
        result = _summary(record)
        command_once.remember(result)
        return result

    def _save(
        self, caller: Actor, record: ReviewRecord, step: str, answers: Any, version: int | None
    ) -> models.StepRecordRow:
        session = self.uow.session
        state = _state(session, record)
        saved, _ = domain.save_step(state, step, answers, caller, version)
        row = session.get(models.StepRecordRow, (record.id, step))
        now = datetime.now(UTC)
        if row is None:
            row = models.StepRecordRow(review_id=record.id, code=step)
            session.add(row)
        row.answers, row.version, row.saved_at, row.saved_by = (
            saved.answers or {},
            saved.version,
            now,
            caller.user_id,
        )
        session.flush()
        return row

    def _complete(
        self,
        caller: Actor,
        record: ReviewRecord,
        step: str,
        version: int | None,
        actor_id: str | None = None,
        now: datetime | None = None,
    ) -> None:
        session = self.uow.session
        state = _state(session, record)
        definition = state.definition
        step_def = definition.step(step)
        invited: list[tuple[UUID, str]] = []
        if step_def is not None and step_def.form == "rapid_review_setup":
            draft = state.steps.get(step)
            invited = [
                (UUID(str(agency["agency_id"])), str(agency["name"]))
                for agency in ((draft.answers or {}).get("agencies", []) if draft else [])
            ]
            if invited:
                state.returns = domain.ReturnsProgress(requested=True)  # the returns clock starts with them
        now = now or datetime.now(UTC)
        completion = domain.complete_step(state, step, caller, version, now)
        row = session.get(models.StepRecordRow, (record.id, step))
        assert row is not None, "complete_step refuses a step with no saved answers"
        row.completed_on, row.completed_by = completion.record.completed_on, actor_id or caller.user_id
        row.version = completion.record.version
        row.due_on, row.late_by_working_days = completion.due_on, completion.late_by_working_days
        record.stage = completion.stage
        record.version += 1
        events: list[EventData] = list(completion.events)
        if invited:
            existing = [r.agency_id for r in models.returns_of(session, [record.id]).get(record.id, [])]
            for agency_return in domain.request_returns(state, invited, existing, today_in_england(now)):
                events.append(self._add_return(agency_return, actor_id or caller.user_id, now))
        session.flush()
        for event in events:
            self.uow.emit(
                event,
                partnership_id=record.partnership_id,
                review_id=record.id,
                actor_id=actor_id or caller.user_id,
            )

    def _add_return(self, agency_return: domain.AgencyReturn, by: str, now: datetime) -> ReturnRequested:
        """Store a newly asked return; the event that tells the agency."""
        self.uow.session.add(
            models.AgencyReturnRow(
                id=agency_return.id,
                review_id=agency_return.review_id,
                partnership_id=agency_return.partnership_id,
                agency_id=agency_return.agency_id,
                agency_name=agency_return.agency_name,
                status="requested",
                due_on=agency_return.due_on,
                extension_reason="",
                answers={},
                requested_at=now,
                requested_by=by,
                updated_at=now,
                updated_by=by,
                late_by_working_days=0,
                version=0,
            )
        )
        return ReturnRequested(
            review_id=agency_return.review_id,
            return_id=agency_return.id,
            agency_id=agency_return.agency_id,
            due_on=agency_return.due_on,
        )

    @rpc
    def ask_agency(
        self,
        actor: dict[str, Any],
        review_id: str,
        command: dict[str, Any],
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Ask one more agency for a return (AskAgency) once the rapid review has begun, by the business
        manager (domain.ask_another_agency); emits return_requested. Returns the ReviewFile."""
        caller = Actor.model_validate(actor)
        command_once = self.uow.idempotent(
            "ask_agency", caller, idempotency_key, {"id": review_id, **command}
        )
        session = self.uow.session
        record, shared_with = _readable_review(session, caller, review_id, lock=True)
        if command_once.done:
            return self._review_file(caller, record, shared_with)
        policy.check_may_manage(caller, record.partnership_id)
        asked = domain.checked(AskAgency, command, "The agency")
        existing = [row.agency_id for row in models.returns_of(session, [record.id]).get(record.id, [])]
        agency_return = domain.ask_another_agency(
            _state(session, record),
            (asked.agency.agency_id, asked.agency.name),
            existing,
            caller,
            today_in_england(),
        )
        event = self._add_return(agency_return, caller.user_id, datetime.now(UTC))
        record.version += 1
        session.flush()
        self._emit(record, caller, [event])
        command_once.remember({"return_id": str(agency_return.id)})
        return self._review_file(caller, record, shared_with)

    @rpc
    def save_step(
        self,
        actor: dict[str, Any],
        review_id: str,
        step: str,
        answers: dict[str, Any],
        version: int | None = None,
    ) -> dict[str, Any]:
        """Save the answers of a step as a draft, checked in full (InvalidRequest with a problem per field,
        nothing stored). Refused with the reason if the step cannot start yet, is not needed, is completed
        (Conflict) or the caller's role does not do it (Forbidden). `version`: the draft's version the caller
        saw; another save since is a Conflict. Returns the review (ReviewFile)."""
        caller = Actor.model_validate(actor)
        record, shared_with = _readable_review(self.uow.session, caller, review_id, lock=True)
        self._save(caller, record, step, answers, version)
        return self._review_file(caller, record, shared_with)

    @rpc
    def complete_step(
        self,
        actor: dict[str, Any],
        review_id: str,
        step: str,
        version: int | None = None,
        idempotency_key: str | None = None,
        completed_on: str | None = None,
    ) -> dict[str, Any]:
        """Complete a step from its saved answers (after "check your answers"): locks them, records the
        timeliness, moves the stage and emits the step's events. `version` is the draft's version the caller
        checked: a save since is a Conflict. `completed_on` (ISO date, the system only) records it as done
        on an earlier day. Returns the review (ReviewFile)."""
        caller = Actor.model_validate(actor)
        earlier = None
        if completed_on is not None:
            policy.check_may_record_earlier(caller)
            earlier = domain.recorded_at(
                validated(EarlierCompletion, {"completed_on": completed_on}, "The date").completed_on
            )
        command_once = self.uow.idempotent(
            "complete_step",
            caller,
            idempotency_key,
            {"review_id": review_id, "step": step, "version": version},
        )
        record, shared_with = _readable_review(self.uow.session, caller, review_id, lock=True)
        if command_once.done:  # a repeat: the review as it stands now
            return self._review_file(caller, record, shared_with)
        self._complete(caller, record, step, version, now=earlier)
        result = self._review_file(caller, record, shared_with)
        command_once.remember({"id": str(record.id), "step": step})
        return result

    @rpc
    def record_pause(
        self, actor: dict[str, Any], review_id: str, pause: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Pause a review's clock for a parallel process (RecordPause), by the partnership's business manager.
        Emits review_paused and deadline_changed for every deadline it moves. Returns the ReviewFile."""
        caller = Actor.model_validate(actor)
        command_once = self.uow.idempotent("record_pause", caller, idempotency_key, pause)
        session = self.uow.session
        record, shared_with = _readable_review(session, caller, review_id, lock=True)
        if command_once.done:
            return self._review_file(caller, record, shared_with)
        policy.check_may_manage(caller, record.partnership_id)
        command = domain.checked(RecordPause, pause, "The pause")
        state = _state(session, record)
        today = today_in_england()
        before = domain.plan(state, today)
        if before.closed:
            raise _problem("reason", "The review is closed: its clock cannot be paused")
        if any(span.ends_on is None for span in state.pauses):
            raise _problem("reason", "The clock is already paused: end that pause first")
        row = models.PauseRow(
            id=uuid.uuid4(),
            review_id=record.id,
            reason=command.reason,
            detail=command.detail,
            starts_on=command.starts_on,
            ends_on=command.ends_on,
            approved_by=command.approved_by,
            recorded_by=caller.user_id,
            recorded_at=datetime.now(UTC),
        )
        session.add(row)
        state.pauses.append(clock.PauseSpan(row.starts_on, row.ends_on))
        after = domain.plan(state, today)
        events: list[EventData] = [
            ReviewPaused(
                review_id=record.id,
                pause_id=row.id,
                reason=row.reason,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
            )
        ]
        events += domain.deadline_changes(state, before, after, "paused")
        record.version += 1
        session.flush()
        self._emit(record, caller, events)
        command_once.remember({"pause_id": str(row.id)})
        return self._review_file(caller, record, shared_with)

    @rpc
    def end_pause(
        self, actor: dict[str, Any], review_id: str, pause_id: str, command: dict[str, Any]
    ) -> dict[str, Any]:
        """End an open pause on a date (EndPause), by the business manager; emits review_resumed and
        deadline_changed for the deadlines it fixes. Returns the ReviewFile."""
        caller = Actor.model_validate(actor)
        session = self.uow.session
        record, shared_with = _readable_review(session, caller, review_id, lock=True)
        policy.check_may_manage(caller, record.partnership_id)
        row = session.get(models.PauseRow, _uuid(pause_id, "pause"))
        if row is None or row.review_id != record.id:
            raise NotFound("No such pause")
        ending = domain.checked(EndPause, command, "The end of the pause")
        if row.ends_on is not None:
            raise _problem("ends_on", f"This pause already ended on {row.ends_on:%-d %B %Y}")
        if ending.ends_on < row.starts_on or ending.ends_on > today_in_england():
            raise _problem(
                "ends_on", "The pause must end on or after the day it started, and not in the future"
            )
        state = _state(session, record)
        today = today_in_england()
        before = domain.plan(state, today)
        row.ends_on = ending.ends_on
        session.flush()
        state = _state(session, record)
        after = domain.plan(state, today)
        events: list[EventData] = [
            ReviewResumed(review_id=record.id, pause_id=row.id, ends_on=ending.ends_on)
        ]
        events += domain.deadline_changes(state, before, after, "resumed")
        record.version += 1
        self._emit(record, caller, events)
        return self._review_file(caller, record, shared_with)

    # -- agency returns -----------------------------------------------------------------------------------

    def _readable_return(
        self, caller: Actor, return_id: Any, *, lock: bool = False
    ) -> tuple[models.AgencyReturnRow, ReviewRecord]:
        """The return if the caller may read it (policy.may_read_return); NotFound otherwise."""
        session = self.uow.session
        row = session.get(models.AgencyReturnRow, _uuid(return_id, "return"), with_for_update=lock or None)
        if row is None or not policy.may_read_return(caller, _agency_return(row).ownership):
            raise NotFound("No such return")
        review = session.get(ReviewRecord, row.review_id)
        assert review is not None
        return row, review

    def _return_view(
        self, caller: Actor, row: models.AgencyReturnRow, review: ReviewRecord
    ) -> dict[str, Any]:
        agency_return = _agency_return(row)
        ownership = agency_return.ownership
        own, lead = policy.is_own_agency(caller, ownership), policy.is_agency_lead(caller, ownership)
        answers = AgencyReturnAnswers.model_validate(row.answers or {})
        return ReturnView(
            **_return_summary(row, review.title, today_in_england()).model_dump(),
            answers=answers.model_dump(mode="json"),
            addenda=[
                Addendum(id=a.id, text=a.text, author=a.author, added_at=a.added_at)
                for a in models.addenda_of(self.uow.session, row.id)
            ],
            own_agency=own,
            agency_lead=lead,
            may_edit=own and not agency_return.locked,
            may_submit=lead and not agency_return.locked,
            missing=[] if agency_return.locked else answers.missing_to_submit(),
        ).model_dump(mode="json")

    @rpc
    def list_returns(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The returns asked of the caller's agency (ReturnSummary), soonest due first; empty for anyone
        who is not an agency lead or author."""
        caller = Actor.model_validate(actor)
        mine = policy.agency_of(caller)
        if mine is None:
            return []
        session = self.uow.session
        rows = [
            row
            for row in models.returns_of_agency(session, *mine)
            if policy.may_read_return(caller, _agency_return(row).ownership)
        ]
        titles = {}
        for row in rows:
            review = session.get(ReviewRecord, row.review_id)
            titles[row.review_id] = review.title if review is not None else ""
        today = today_in_england()
        return [_return_summary(row, titles[row.review_id], today).model_dump(mode="json") for row in rows]

    @rpc
    def partnership_returns(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Every agency's return (ReturnSummary) across the caller's own partnership's open reviews: overdue
        first, then by due date (the extended date where there is one). Only the partnership's business
        manager, partners and executive (policy.returns_partnership); Forbidden for anyone else. Reviews
        shared with the partnership and closed reviews are left out."""
        caller = Actor.model_validate(actor)
        partnership_id = policy.returns_partnership(caller)
        session = self.uow.session
        found = [
            (row, review)
            for row, review in models.returns_of_partnership(session, partnership_id)
            if policy.may_read_return(caller, _agency_return(row).ownership)
        ]
        reviews = list({review.id: review for _, review in found}.values())
        states = models.review_states(session, reviews)
        today = today_in_england()
        open_reviews = {review.id for review in reviews if not domain.plan(states[review.id], today).closed}
        summaries = [
            _return_summary(row, review.title, today) for row, review in found if review.id in open_reviews
        ]
        summaries.sort(
            key=lambda r: (not r.overdue, r.extended_to or r.due_on, r.review_title, r.agency_name)
        )
        return [summary.model_dump(mode="json") for summary in summaries]

    @rpc
    def get_return(self, actor: dict[str, Any], return_id: str) -> dict[str, Any]:
        """One return (ReturnView) if the caller may read it; NotFound for another agency's."""
        caller = Actor.model_validate(actor)
        row, review = self._readable_return(caller, return_id)
        return self._return_view(caller, row, review)

    def _store_return(
        self, row: models.AgencyReturnRow, agency_return: domain.AgencyReturn, caller: Actor
    ) -> None:
        row.status, row.answers, row.version = (
            agency_return.status,
            agency_return.answers,
            agency_return.version,
        )
        row.extended_to = agency_return.extended_to
        row.submitted_at, row.submitted_by = agency_return.submitted_at, agency_return.submitted_by
        row.late_by_working_days = agency_return.late_by_working_days
        row.updated_at, row.updated_by = datetime.now(UTC), caller.user_id

    @rpc
    def save_return(
        self, actor: dict[str, Any], return_id: str, answers: dict[str, Any], version: int | None = None
    ) -> dict[str, Any]:
        """Save a draft of the agency's return (AgencyReturnAnswers; missing answers may wait). Only the
        agency's own lead or author; a submitted return is locked (Conflict); `version` must be the one the
        caller opened (Conflict otherwise). Returns the ReturnView."""
        caller = Actor.model_validate(actor)
        row, review = self._readable_return(caller, return_id, lock=True)
        agency_return = _agency_return(row)
        domain.save_return(agency_return, answers, caller, version)
        self._store_return(row, agency_return, caller)
        return self._return_view(caller, row, review)

    def _lock_return(
        self, caller: Actor, return_id: str, version: int | None, nil: bool, submitted_on: str | None
    ) -> dict[str, Any]:
        session = self.uow.session
        row, review = self._readable_return(caller, return_id, lock=True)
        agency_return = _agency_return(row)
        now = datetime.now(UTC)
        if submitted_on is not None:
            policy.check_may_record_earlier(caller)
            now = domain.recorded_at(
                validated(EarlierCompletion, {"completed_on": submitted_on}, "The date").completed_on
            )
        state = _state(session, review)
        today = today_in_england()
        before = domain.plan(state, today)
        if nil:
            domain.nil_return(agency_return, caller, version, now)
        else:
            domain.submit_return(agency_return, caller, version, now)
        self._store_return(row, agency_return, caller)
        session.flush()
        state = _state(session, review)
        after = domain.plan(state, today)
        events: list[EventData] = [
            ReturnSubmitted(
                review_id=review.id,
                return_id=row.id,
                agency_id=row.agency_id,
                nil=nil,
                due_on=agency_return.effective_due,
                late_by_working_days=agency_return.late_by_working_days,
            )
        ]
        events += domain.deadline_changes(state, before, after, "met")
        self._emit(review, caller, events)
        return self._return_view(caller, row, review)

    @rpc
    def submit_return(
        self,
        actor: dict[str, Any],
        return_id: str,
        version: int | None = None,
        submitted_on: str | None = None,
    ) -> dict[str, Any]:
        """Submit the saved return: complete and records secured (InvalidRequest listing what is missing),
        by the agency's lead. Locked from then on; two submissions at once: one wins, the other gets a
        Conflict. Emits return_submitted. `submitted_on` (ISO date, the system only) records it as sent on
        an earlier day. Returns the ReturnView."""
        return self._lock_return(Actor.model_validate(actor), return_id, version, False, submitted_on)

    @rpc
    def nil_return(
        self,
        actor: dict[str, Any],
        return_id: str,
        version: int | None = None,
        submitted_on: str | None = None,
    ) -> dict[str, Any]:
        """Record that the agency had no involvement (a nil return), by its lead; locked like a submission.
        `submitted_on` as for submit_return."""
        return self._lock_return(Actor.model_validate(actor), return_id, version, True, submitted_on)

    @rpc
    def add_addendum(
        self,
        actor: dict[str, Any],
        return_id: str,
        command: dict[str, Any],
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Add a correction (AddAddendum) to a submitted return, with its own author and time; the return
        itself never changes. Emits return_amended. Returns the ReturnView."""
        caller = Actor.model_validate(actor)
        command_once = self.uow.idempotent(
            "add_addendum", caller, idempotency_key, {"id": return_id, **command}
        )
        row, review = self._readable_return(caller, return_id, lock=True)
        if command_once.done:
            return self._return_view(caller, row, review)
        domain.check_may_amend(_agency_return(row), caller)
        addendum = domain.checked(AddAddendum, command, "The addendum")
        added = models.AddendumRow(
            id=uuid.uuid4(),
            return_id=row.id,
            text=addendum.text,
            author=caller.user_id,
            added_at=datetime.now(UTC),
        )
        self.uow.session.add(added)
        self.uow.session.flush()
        self._emit(
            review,
            caller,
            [
                ReturnAmended(
                    review_id=review.id, return_id=row.id, agency_id=row.agency_id, addendum_id=added.id
                )
            ],
        )
        command_once.remember({"addendum_id": str(added.id)})
        return self._return_view(caller, row, review)

    @rpc
    def extend_return(self, actor: dict[str, Any], return_id: str, command: dict[str, Any]) -> dict[str, Any]:
        """Give an agency more time (ExtendReturn: a later date and the reason), by the business manager.
        Emits return_extended. Returns the ReturnView."""
        caller = Actor.model_validate(actor)
        row, review = self._readable_return(caller, return_id, lock=True)
        agency_return = _agency_return(row)
        policy.check_may_extend_return(caller, agency_return.ownership)
        extension = domain.checked(ExtendReturn, command, "The extension")
        previous = domain.extend_return(agency_return, caller, extension.extended_to, today_in_england())
        self._store_return(row, agency_return, caller)
        row.extension_reason = extension.reason
        self._emit(
            review,
            caller,
            [
                ReturnExtended(
                    review_id=review.id,
                    return_id=row.id,
                    agency_id=row.agency_id,
                    previous_due_on=previous,
                    due_on=extension.extended_to,
                )
            ],
        )
        return self._return_view(caller, row, review)

    # -- deadline figures and documents -------------------------------------------------------------------

    @rpc
    def deadline_settings(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The caller's partnership's deadline figures for every review type (DeadlineSetting), with the
        bounds statute allows. Its business manager, partners and executive only."""
        caller = Actor.model_validate(actor)
        partnership_id = policy.figures_partnership(caller)
        rows = []
        for definition in review_types().values():
            own = models.deadline_settings(self.uow.session, partnership_id, definition.code)
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
                    ).model_dump()
                )
        return rows

    @rpc
    def change_deadline_settings(
        self, actor: dict[str, Any], command: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Set the partnership's figures for one review type (ChangeDeadlineSettings), each within its
        bounds (InvalidRequest naming every figure out of bounds; nothing stored). Reviews opened from then
        on use them; open reviews keep theirs. Business manager only."""
        caller = Actor.model_validate(actor)
        partnership_id = policy.figures_partnership(caller)
        policy.check_may_manage(caller, partnership_id)
        change = domain.checked(ChangeDeadlineSettings, command, "The figures")
        definition = domain.review_type(change.review_type)
        problems = []
        for code, value in change.values.items():
            rule = definition.deadlines.get(code)
            if rule is None:
                problems.append({"field": code, "message": "This review type has no such deadline"})
            elif not rule.minimum <= value <= rule.maximum:
                unit = "working days" if rule.unit == "working_days" else "months"
                problems.append(
                    {"field": code, "message": f"{rule.label}: enter {rule.minimum} to {rule.maximum} {unit}"}
                )
        if problems:
            raise InvalidRequest("Some figures are outside what statute allows", problems=problems)
        now = datetime.now(UTC)
        session = self.uow.session
        for code, value in change.values.items():
            key = (partnership_id, definition.code, code)
            row = session.get(models.DeadlineSettingRow, key)
            if row is None:
                row = models.DeadlineSettingRow(partnership_id=key[0], review_type=key[1], code=key[2])
                session.add(row)
            row.value, row.updated_by, row.updated_at = value, caller.user_id, now
        session.flush()
        return self.deadline_settings(actor)

    @rpc
    def document(
        self, actor: dict[str, Any], review_id: str, kind: str, partnership_name: str
    ) -> dict[str, Any]:
        """A document assembled from the review (DocumentFile, DOCX): `kind` is one of documents.KINDS
        ("rapid-review-report", "panel-notification"). The partnership's business manager, partners and
        executive only; NotFound if the caller may not read the review or its type has no such document."""
        caller = Actor.model_validate(actor)
        record, shared_with = _readable_review(self.uow.session, caller, review_id)
        policy.check_may_draw_documents(caller, record.partnership_id)
        review = ReviewFile.model_validate(self._review_file(caller, record, shared_with))
        if kind not in documents.kinds_of({step.form for step in review.steps}):
            raise NotFound("No such document for this review")
        returns = [
            ReturnView.model_validate(self._return_view(caller, row, record))
            for row in models.returns_of(self.uow.session, [record.id]).get(record.id, [])
        ]
        content = documents.KINDS[kind][2](review, returns, partnership_name, today_in_england())
        slug = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in record.title)[:60]
        return DocumentFile(
            filename=f"{slug}-{kind}.docx",
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            content_base64=base64.b64encode(content).decode(),
        ).model_dump()


# -- the lifecycle: reading a review's state from storage ---------------------------------------------------


def _state(
    session: Session,
    record: ReviewRecord,
    steps: list[models.StepRecordRow] | None = None,
    pauses: list[models.PauseRow] | None = None,
    returns: list[models.AgencyReturnRow] | None = None,
) -> domain.ReviewState:
    """The review as the domain sees it (each part loaded unless the caller already has it)."""
    if steps is None:
        steps = models.steps_of(session, [record.id]).get(record.id, [])
    if pauses is None:
        pauses = models.pauses_of(session, [record.id]).get(record.id, [])
    if returns is None:
        returns = models.returns_of(session, [record.id]).get(record.id, [])
    return models.review_state(record, steps, pauses, returns)


def _deadline_view(standing: clock.Standing, step: str | None) -> DeadlineView:
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


def _next_deadline(current: domain.Plan) -> DeadlineView | None:
    if current.next_deadline is None:
        return None
    code = current.next_deadline.rule.code
    return _deadline_view(current.next_deadline, current.deadline_steps.get(code))


def _agency_return(row: models.AgencyReturnRow) -> domain.AgencyReturn:
    return domain.AgencyReturn(
        id=row.id,
        review_id=row.review_id,
        partnership_id=row.partnership_id,
        agency_id=row.agency_id,
        agency_name=row.agency_name,
        status=row.status,
        due_on=row.due_on,
        extended_to=row.extended_to,
        extension_reason=row.extension_reason,
        answers=dict(row.answers or {}),
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        late_by_working_days=row.late_by_working_days,
        version=row.version,
    )


def _return_summary(row: models.AgencyReturnRow, review_title: str, today: date) -> ReturnSummary:
    overdue, behind, left = domain.return_standing(_agency_return(row), today)
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


def _problem(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, problems=[{"field": field, "message": message}])


def _uuid(value: Any, what: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound(f"No such {what}") from None
