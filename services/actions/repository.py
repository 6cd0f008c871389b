"""The seam between the handlers and storage.

Handlers speak to `Plans`; `PlanTables` keeps everything in the schema through models.py, in the worker's
transaction, and a unit test hands the handlers a fake instead (tests/unit/test_actions_service.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Protocol, cast
from uuid import UUID

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.actions.contract import PracticeChanged, SettableStatus
from services.actions.domain import (
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
from services.actions.models import (
    ActionRecord,
    AgencyRecord,
    AgreedActionRecord,
    BriefRecord,
    DisseminationRecord,
    EvidenceRecord,
    LessonRecord,
    PersonRecord,
    ProgressRecord,
    RecommendationRecord,
    ReviewRecord,
    ThemeChangeRecord,
)


class Plans(Protocol):
    """Reviews, people, the taxonomy, lessons, recommendations and actions, as the handlers need them."""

    def review(self, review_id: UUID) -> Review | None: ...
    def reviews(self, review_ids: Iterable[UUID]) -> dict[UUID, Review]: ...
    def hold_review(self, review: Review) -> None: ...
    def close_review(self, review_id: UUID) -> None: ...
    def keep_person(self, person: Person, changed_at: datetime) -> None: ...
    def keep_agency(self, agency_id: UUID, partnership_id: UUID, name: str, changed_at: datetime) -> None: ...
    def person(self, user_id: UUID) -> Person | None: ...
    def people(self, partnership_id: UUID) -> list[Person]: ...
    def names(self, user_ids: Iterable[UUID]) -> dict[UUID, str]: ...
    def agency_names(self, agency_ids: Iterable[UUID]) -> dict[UUID, str]: ...
    def theme_changes(self, partnership_id: UUID) -> list[ThemeChange]: ...
    def add_theme_change(self, partnership_id: UUID, change: ThemeChange, by: str) -> None: ...
    def lessons(self, review_id: UUID) -> list[Lesson]: ...
    def lessons_of_partnership(self, partnership_id: UUID) -> list[Lesson]: ...
    def add_lesson(self, lesson: Lesson) -> None: ...
    def recommendations(self, review_id: UUID) -> list[Recommendation]: ...
    def add_recommendation(self, recommendation: Recommendation) -> None: ...
    def action(self, action_id: UUID, *, for_update: bool = False) -> Action | None: ...
    def actions_of_review(self, review_id: UUID) -> list[Action]: ...
    def actions_of_partnership(self, partnership_id: UUID) -> list[Action]: ...
    def add_action(self, action: Action) -> None: ...
    def save_action(self, action: Action, update_written: ProgressUpdate | None = None) -> None: ...
    def to_announce(self, today: date, limit: int) -> list[tuple[Action, bool, bool]]: ...
    def briefs(self, review_id: UUID) -> list[LearningBrief]: ...
    def briefs_of_partnership(self, partnership_id: UUID) -> list[LearningBrief]: ...
    def add_brief(self, brief: LearningBrief, by: str) -> None: ...
    def add_dissemination(self, brief_id: UUID, dissemination: Dissemination, by: str) -> None: ...
    def evidence_of(self, action_id: UUID) -> list[Evidence]: ...
    def evidence(self, evidence_id: UUID) -> Evidence | None: ...
    def add_evidence(self, evidence: Evidence) -> None: ...
    def announced(self, action_id: UUID, due: date | None, overdue: date | None) -> None: ...
    def agreed_action(self, item_id: UUID, *, for_update: bool = False) -> AgreedAction | None: ...
    def agreed_actions(self, review_id: UUID, *, waiting_only: bool = False) -> list[AgreedAction]: ...
    def agreed_actions_waiting_for(self, owner_ref: str) -> list[AgreedAction]: ...
    def keep_agreed_action(self, agreed: AgreedAction) -> bool: ...
    def save_agreed_action(self, agreed: AgreedAction) -> None: ...


def _action(record: ActionRecord, updates: Iterable[ProgressRecord] = ()) -> Action:
    return Action(
        id=record.id,
        review_id=record.review_id,
        partnership_id=record.partnership_id,
        owner_id=record.owner_id,
        due_on=record.due_on,
        status=cast(SettableStatus, record.status),
        description=record.description,
        success_measure=record.success_measure,
        recommendation_id=record.recommendation_id,
        source=record.source,
        owner_agency_id=record.owner_agency_id,
        themes=tuple(record.themes),
        assigned_on=record.assigned_on,
        last_update_on=record.last_update_on,
        completed_on=record.completed_on,
        not_implemented_reason=record.not_implemented_reason,
        practice_changed=cast(PracticeChanged | None, record.practice_changed),
        how_tested=record.how_tested,
        signed_off_on=record.signed_off_on,
        signed_off_by=record.signed_off_by,
        meeting_id=record.meeting_id,
        updates=tuple(
            ProgressUpdate(u.written_on, u.written_by, cast(SettableStatus, u.status), u.note, u.reason)
            for u in updates
        ),
    )


def _fields(action: Action) -> dict[str, Any]:
    return {
        "review_id": action.review_id,
        "partnership_id": action.partnership_id,
        "recommendation_id": action.recommendation_id,
        "source": action.source,
        "description": action.description,
        "owner_id": action.owner_id,
        "owner_agency_id": action.owner_agency_id,
        "due_on": action.due_on,
        "success_measure": action.success_measure,
        "status": action.status,
        "themes": list(action.themes),
        "assigned_on": action.assigned_on,
        "last_update_on": action.last_update_on,
        "completed_on": action.completed_on,
        "not_implemented_reason": action.not_implemented_reason,
        "practice_changed": action.practice_changed,
        "how_tested": action.how_tested,
        "signed_off_on": action.signed_off_on,
        "signed_off_by": action.signed_off_by,
        "meeting_id": action.meeting_id,
    }


def _agreed(record: AgreedActionRecord) -> AgreedAction:
    return AgreedAction(
        item_id=record.item_id,
        meeting_id=record.meeting_id,
        review_id=record.review_id,
        partnership_id=record.partnership_id,
        what=record.what,
        owner_ref=record.owner_ref,
        due_on=record.due_on,
        agreed_on=record.agreed_on,
        reasons=tuple(record.reasons),
        action_id=record.action_id,
    )


def _lesson(record: LessonRecord) -> Lesson:
    return Lesson(
        id=record.id,
        review_id=record.review_id,
        partnership_id=record.partnership_id,
        finding=record.finding,
        themes=tuple(record.themes),
        taxonomy_version=record.taxonomy_version,
        source=record.source,
        episode_entry_id=record.episode_entry_id,
        recorded_on=record.recorded_on,
        recorded_by=record.recorded_by,
    )


def _person(record: PersonRecord) -> Person:
    return Person(
        record.user_id,
        record.partnership_id,
        record.agency_id,
        record.display_name,
        tuple(record.roles),
        record.active,
    )


class PlanTables:
    """Plans in the schema `actions`, in the worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- copies of others' facts

    def review(self, review_id: UUID) -> Review | None:
        record = self.session.get(ReviewRecord, review_id)
        return (
            Review(record.id, record.partnership_id, record.began_on, record.review_type) if record else None
        )

    def reviews(self, review_ids: Iterable[UUID]) -> dict[UUID, Review]:
        ids = list(set(review_ids))
        if not ids:
            return {}
        records = self.session.scalars(select(ReviewRecord).where(ReviewRecord.id.in_(ids)))
        return {r.id: Review(r.id, r.partnership_id, r.began_on, r.review_type) for r in records}

    def hold_review(self, review: Review) -> None:
        """Keep a review; a second announcement keeps the earlier beginning (opening, or the day the
        incident became known) and the type once known. Either may arrive first."""
        statement = pg_insert(ReviewRecord).values(
            id=review.id,
            partnership_id=review.partnership_id,
            review_type=review.review_type,
            began_on=review.began_on,
            closed=False,
        )
        excluded = statement.excluded
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[ReviewRecord.id],
                set_={
                    "began_on": func.least(ReviewRecord.began_on, excluded.began_on),
                    "review_type": func.coalesce(
                        func.nullif(excluded.review_type, ""), ReviewRecord.review_type
                    ),
                },
            )
        )

    def close_review(self, review_id: UUID) -> None:
        self.session.execute(update(ReviewRecord).where(ReviewRecord.id == review_id).values(closed=True))

    def keep_person(self, person: Person, changed_at: datetime) -> None:
        """Keep a person's latest announcement (an older one arriving late changes nothing)."""
        statement = pg_insert(PersonRecord).values(
            user_id=person.user_id,
            partnership_id=person.partnership_id,
            agency_id=person.agency_id,
            display_name=person.display_name,
            roles=list(person.roles),
            active=person.active,
            changed_at=changed_at,
        )
        excluded = statement.excluded
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[PersonRecord.user_id],
                set_={
                    "partnership_id": excluded.partnership_id,
                    "agency_id": excluded.agency_id,
                    "display_name": excluded.display_name,
                    "roles": excluded.roles,
                    "active": excluded.active,
                    "changed_at": excluded.changed_at,
                },
                where=PersonRecord.changed_at < excluded.changed_at,
            )
        )

    def keep_agency(self, agency_id: UUID, partnership_id: UUID, name: str, changed_at: datetime) -> None:
        statement = pg_insert(AgencyRecord).values(
            id=agency_id, partnership_id=partnership_id, name=name, changed_at=changed_at
        )
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[AgencyRecord.id],
                set_={"name": statement.excluded.name, "changed_at": statement.excluded.changed_at},
                where=AgencyRecord.changed_at < statement.excluded.changed_at,
            )
        )

    def person(self, user_id: UUID) -> Person | None:
        record = self.session.get(PersonRecord, user_id)
        return _person(record) if record else None

    def people(self, partnership_id: UUID) -> list[Person]:
        records = self.session.scalars(
            select(PersonRecord)
            .where(PersonRecord.partnership_id == partnership_id)
            .order_by(PersonRecord.display_name)
        )
        return [_person(record) for record in records]

    def names(self, user_ids: Iterable[UUID]) -> dict[UUID, str]:
        ids = list(set(user_ids))
        if not ids:
            return {}
        rows = self.session.execute(
            select(PersonRecord.user_id, PersonRecord.display_name).where(PersonRecord.user_id.in_(ids))
        )
        return {row.user_id: row.display_name for row in rows}

    def agency_names(self, agency_ids: Iterable[UUID]) -> dict[UUID, str]:
        ids = list(set(agency_ids))
        if not ids:
            return {}
        rows = self.session.execute(
            select(AgencyRecord.id, AgencyRecord.name).where(AgencyRecord.id.in_(ids))
        )
        return {row.id: row.name for row in rows}

    # -- the taxonomy

    def theme_changes(self, partnership_id: UUID) -> list[ThemeChange]:
        records = self.session.scalars(
            select(ThemeChangeRecord)
            .where(ThemeChangeRecord.partnership_id == partnership_id)
            .order_by(ThemeChangeRecord.version)
        )
        return [ThemeChange(r.version, r.code, r.label, r.national_code, r.retired) for r in records]

    def add_theme_change(self, partnership_id: UUID, change: ThemeChange, by: str) -> None:
        # The primary key (partnership, version) refuses a concurrent change made from the same version.
        self.session.add(
            ThemeChangeRecord(
                partnership_id=partnership_id,
                version=change.version,
                code=change.code,
                label=change.label,
                national_code=change.national_code,
                retired=change.retired,
                changed_by=by,
            )
        )
        self.session.flush()

    # -- lessons and recommendations

    def lessons(self, review_id: UUID) -> list[Lesson]:
        records = self.session.scalars(
            select(LessonRecord)
            .where(LessonRecord.review_id == review_id)
            .order_by(LessonRecord.recorded_on, LessonRecord.id)
        )
        return [_lesson(record) for record in records]

    def lessons_of_partnership(self, partnership_id: UUID) -> list[Lesson]:
        records = self.session.scalars(
            select(LessonRecord).where(LessonRecord.partnership_id == partnership_id)
        )
        return [_lesson(record) for record in records]

    def add_lesson(self, lesson: Lesson) -> None:
        self.session.add(
            LessonRecord(
                id=lesson.id,
                review_id=lesson.review_id,
                partnership_id=lesson.partnership_id,
                finding=lesson.finding,
                themes=list(lesson.themes),
                taxonomy_version=lesson.taxonomy_version,
                source=lesson.source,
                episode_entry_id=lesson.episode_entry_id,
                recorded_on=lesson.recorded_on,
                recorded_by=lesson.recorded_by,
            )
        )

    def recommendations(self, review_id: UUID) -> list[Recommendation]:
        records = self.session.scalars(
            select(RecommendationRecord)
            .where(RecommendationRecord.review_id == review_id)
            .order_by(RecommendationRecord.made_on, RecommendationRecord.id)
        )
        return [
            Recommendation(
                r.id,
                r.review_id,
                r.text,
                tuple(r.lesson_ids),
                r.audience,
                tuple(r.agency_ids),
                r.made_on,
                r.made_by,
            )
            for r in records
        ]

    def add_recommendation(self, recommendation: Recommendation) -> None:
        self.session.add(
            RecommendationRecord(
                id=recommendation.id,
                review_id=recommendation.review_id,
                text=recommendation.text,
                lesson_ids=list(recommendation.lesson_ids),
                audience=recommendation.audience,
                agency_ids=list(recommendation.agency_ids),
                made_on=recommendation.made_on,
                made_by=recommendation.made_by,
            )
        )

    # -- actions

    def action(self, action_id: UUID, *, for_update: bool = False) -> Action | None:
        statement = select(ActionRecord).where(ActionRecord.id == action_id)
        record = self.session.scalar(statement.with_for_update() if for_update else statement)
        if record is None:
            return None
        updates = self.session.scalars(
            select(ProgressRecord)
            .where(ProgressRecord.action_id == action_id)
            .order_by(ProgressRecord.written_at.desc(), ProgressRecord.id)
        )
        return _action(record, updates)

    def actions_of_review(self, review_id: UUID) -> list[Action]:
        records = self.session.scalars(select(ActionRecord).where(ActionRecord.review_id == review_id))
        return [_action(record) for record in records]

    def actions_of_partnership(self, partnership_id: UUID) -> list[Action]:
        records = self.session.scalars(
            select(ActionRecord).where(ActionRecord.partnership_id == partnership_id)
        )
        return [_action(record) for record in records]

    def add_action(self, action: Action) -> None:
        self.session.add(ActionRecord(id=action.id, **_fields(action)))

    def save_action(self, action: Action, update_written: ProgressUpdate | None = None) -> None:
        """Store the action's fields, with the progress update just written (if any)."""
        self.session.execute(
            update(ActionRecord).where(ActionRecord.id == action.id).values(**_fields(action))
        )
        if update_written is not None:
            self.session.add(
                ProgressRecord(
                    id=uuid.uuid4(),
                    action_id=action.id,
                    written_on=update_written.written_on,
                    written_by=update_written.written_by,
                    status=update_written.status,
                    note=update_written.note,
                    reason=update_written.reason,
                )
            )

    def to_announce(self, today: date, limit: int) -> list[tuple[Action, bool, bool]]:
        """Open actions whose due day has come (not yet announced for their date) or passed (overdue not yet
        announced), locked for this transaction and skipped by any other process's timer."""
        records = self.session.scalars(
            select(ActionRecord)
            .where(
                ActionRecord.signed_off_on.is_(None),
                ActionRecord.status.in_(("not_started", "on_track", "at_risk")),
                ActionRecord.due_on <= today,
                or_(
                    ActionRecord.due_announced_for.is_distinct_from(ActionRecord.due_on),
                    (ActionRecord.due_on < today)
                    & ActionRecord.overdue_announced_for.is_distinct_from(ActionRecord.due_on),
                ),
            )
            .order_by(ActionRecord.due_on)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [
            (
                _action(record),
                record.due_announced_for != record.due_on,
                record.due_on < today and record.overdue_announced_for != record.due_on,
            )
            for record in records
        ]

    def announced(self, action_id: UUID, due: date | None, overdue: date | None) -> None:
        values: dict[str, Any] = {}
        if due is not None:
            values["due_announced_for"] = due
        if overdue is not None:
            values["overdue_announced_for"] = overdue
        if values:
            self.session.execute(update(ActionRecord).where(ActionRecord.id == action_id).values(**values))

    # -- actions agreed in meetings

    def agreed_action(self, item_id: UUID, *, for_update: bool = False) -> AgreedAction | None:
        statement = select(AgreedActionRecord).where(AgreedActionRecord.item_id == item_id)
        record = self.session.scalar(statement.with_for_update() if for_update else statement)
        return _agreed(record) if record else None

    def agreed_actions(self, review_id: UUID, *, waiting_only: bool = False) -> list[AgreedAction]:
        statement = select(AgreedActionRecord).where(AgreedActionRecord.review_id == review_id)
        if waiting_only:
            statement = statement.where(AgreedActionRecord.action_id.is_(None)).with_for_update(
                skip_locked=True
            )
        records = self.session.scalars(
            statement.order_by(AgreedActionRecord.agreed_on, AgreedActionRecord.item_id)
        )
        return [_agreed(record) for record in records]

    def agreed_actions_waiting_for(self, owner_ref: str) -> list[AgreedAction]:
        """The agreed actions still to be assigned whose minutes name this owner, locked (others skipped)."""
        records = self.session.scalars(
            select(AgreedActionRecord)
            .where(AgreedActionRecord.owner_ref == owner_ref, AgreedActionRecord.action_id.is_(None))
            .order_by(AgreedActionRecord.agreed_on, AgreedActionRecord.item_id)
            .with_for_update(skip_locked=True)
        )
        return [_agreed(record) for record in records]

    def keep_agreed_action(self, agreed: AgreedAction) -> bool:
        """Keep an agreed action the first time its item comes (False, and nothing changed, after that)."""
        statement = (
            pg_insert(AgreedActionRecord)
            .values(**{**agreed.__dict__, "reasons": list(agreed.reasons)})
            .on_conflict_do_nothing(index_elements=[AgreedActionRecord.item_id])
            .returning(AgreedActionRecord.item_id)
        )
        return self.session.execute(statement).first() is not None

    def save_agreed_action(self, agreed: AgreedAction) -> None:
        self.session.execute(
            update(AgreedActionRecord)
            .where(AgreedActionRecord.item_id == agreed.item_id)
            .values(
                partnership_id=agreed.partnership_id, reasons=list(agreed.reasons), action_id=agreed.action_id
            )
        )

    # -- learning briefs

    def _briefs(self, records: Iterable[BriefRecord]) -> list[LearningBrief]:
        records = list(records)
        spread: dict[UUID, list[Dissemination]] = {record.id: [] for record in records}
        if spread:
            for d in self.session.scalars(
                select(DisseminationRecord)
                .where(DisseminationRecord.brief_id.in_(list(spread)))
                .order_by(DisseminationRecord.on, DisseminationRecord.recorded_at)
            ):
                spread[d.brief_id].append(Dissemination(d.kind, d.to_whom, d.on, d.people))
        return [
            LearningBrief(r.id, r.review_id, r.partnership_id, r.title, r.published_on, tuple(spread[r.id]))
            for r in records
        ]

    def briefs(self, review_id: UUID) -> list[LearningBrief]:
        return self._briefs(
            self.session.scalars(
                select(BriefRecord)
                .where(BriefRecord.review_id == review_id)
                .order_by(BriefRecord.published_on)
            )
        )

    def briefs_of_partnership(self, partnership_id: UUID) -> list[LearningBrief]:
        return self._briefs(
            self.session.scalars(select(BriefRecord).where(BriefRecord.partnership_id == partnership_id))
        )

    def add_brief(self, brief: LearningBrief, by: str) -> None:
        self.session.add(
            BriefRecord(
                id=brief.id,
                review_id=brief.review_id,
                partnership_id=brief.partnership_id,
                title=brief.title,
                published_on=brief.published_on,
                recorded_by=by,
            )
        )
        self.session.flush()

    def add_dissemination(self, brief_id: UUID, dissemination: Dissemination, by: str) -> None:
        self.session.add(
            DisseminationRecord(
                id=uuid.uuid4(),
                brief_id=brief_id,
                kind=dissemination.kind,
                to_whom=dissemination.to_whom,
                on=dissemination.on,
                people=dissemination.people,
                recorded_by=by,
            )
        )
        self.session.flush()

    # -- evidence

    @staticmethod
    def _evidence(r: EvidenceRecord) -> Evidence:
        return Evidence(
            r.id,
            r.action_id,
            r.filename,
            r.kind,
            r.media_type,
            r.size_bytes,
            r.sha256,
            r.file_key,
            r.added_on,
            r.added_by,
        )

    def evidence_of(self, action_id: UUID) -> list[Evidence]:
        records = self.session.scalars(
            select(EvidenceRecord)
            .where(EvidenceRecord.action_id == action_id)
            .order_by(EvidenceRecord.added_on)
        )
        return [self._evidence(record) for record in records]

    def evidence(self, evidence_id: UUID) -> Evidence | None:
        record = self.session.get(EvidenceRecord, evidence_id)
        return self._evidence(record) if record else None

    def add_evidence(self, evidence: Evidence) -> None:
        self.session.add(EvidenceRecord(**evidence.__dict__))
        self.session.flush()
