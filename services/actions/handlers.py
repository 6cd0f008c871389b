"""The actions use cases. Each takes the worker's unit of work (one transaction, committed by the entrypoint
before it replies) and, last, the plans (the tables, unless a test hands in a fake). Each checks the policy,
asks the domain, stores, and emits its events into the outbox in the same transaction."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.actions import documents, domain, policy
from services.actions.contract import (
    ActionAssigned,
    ActionCompleted,
    ActionDetail,
    ActionDue,
    ActionFilter,
    ActionNotImplemented,
    ActionOverdue,
    ActionReopened,
    ActionSignedOff,
    ActionSummary,
    ActionUpdated,
    ActionView,
    AddEvidence,
    AddTheme,
    AgreedActionView,
    AssignAction,
    BriefView,
    DisseminationView,
    EvidenceFile,
    EvidenceView,
    LessonRecorded,
    LessonView,
    MakeRecommendation,
    PersonChoice,
    ProgressView,
    RecommendationMade,
    RecommendationView,
    RecordBrief,
    RecordDissemination,
    RecordImpact,
    RecordLesson,
    RecurringWarning,
    ReportFile,
    ReviewPlan,
    Taxonomy,
    ThemeCount,
    UpdateAction,
)
from services.actions.domain import Action, AgreedAction, Lesson, Person, Recommendation, Review
from services.actions.models import Base
from services.actions.repository import Plans, PlanTables
from services.actions.settings import actions_settings
from services.kernel.calendar import today_in_england
from services.kernel.errors import NotFound
from services.kernel.events import Envelope, EventData
from services.kernel.file_store import FileStore, file_store
from services.kernel.identity import Actor, Role
from services.kernel.uploads import FileKind, check_upload

# Actions announced due or overdue per timer tick (the rest wait for the next).
ANNOUNCE_BATCH = 200


def _plans(uow: Any, plans: Plans | None) -> Plans:
    return PlanTables(uow.session) if plans is None else plans


def _emit(uow: Any, event: EventData, review: Review, actor_id: str | None) -> None:
    uow.emit(event, partnership_id=review.partnership_id, review_id=review.id, actor_id=actor_id)


def _readable_review(plans: Plans, actor: Actor, review_id: UUID) -> Review:
    review = plans.review(review_id)
    policy.check_reads_plan(actor, review_id, review.partnership_id if review else None)
    if review is None:  # only the system reaches here without a review
        raise NotFound("No such review")
    return review


def _review_of_learning(plans: Plans, actor: Actor, review_id: UUID) -> Review:
    review = plans.review(review_id)
    holder = review.partnership_id if review else None
    if review is None or not (
        policy.may_read_plan(actor, review_id, holder) or policy.may_record_learning(actor, review_id, holder)
    ):
        raise NotFound("No such review")
    return review


def _taxonomy(plans: Plans, partnership_id: UUID) -> domain.Taxonomy:
    return domain.Taxonomy.of(plans.theme_changes(partnership_id))


# -- what other parts announce -----------------------------------------------------------------------------


def hold_review(
    uow: Any, envelope: Envelope, review_type: str, opened_at: datetime, plans: Plans | None = None
) -> None:
    """forms opened a review: who holds it decides who sees its plan; the day it began bounds due dates."""
    if envelope.review_id is None or envelope.partnership_id is None or not uow.first_delivery(envelope):
        return
    store = _plans(uow, plans)
    store.hold_review(
        Review(envelope.review_id, envelope.partnership_id, today_in_england(opened_at), review_type)
    )
    _take_up_waiting(uow, store, envelope.review_id)


def note_awareness(uow: Any, envelope: Envelope, date_aware: date, plans: Plans | None = None) -> None:
    """forms sent the review's Serious Incident Notification: the review began the day the incident became
    known (step 3's clock), which bounds due dates from below."""
    if envelope.review_id is None or envelope.partnership_id is None or not uow.first_delivery(envelope):
        return
    store = _plans(uow, plans)
    store.hold_review(Review(envelope.review_id, envelope.partnership_id, date_aware))
    _take_up_waiting(uow, store, envelope.review_id)


def take_up_agreed_action(
    uow: Any,
    envelope: Envelope,
    agreed: AgreedAction,
    plans: Plans | None = None,
    today: date | None = None,
) -> None:
    """meetings approved minutes with an action arising: once per event (and once per action item however
    often it comes), it joins the review's plan as an action of source "meeting", assigned to the owner the
    minutes name and due when they say; or, when that owner cannot own the partnership's actions or the due
    date is missing or not allowed, it waits on the plan "to be assigned" by the business manager, with the
    reasons. An action agreed for a review this service does not know yet waits too, and is taken up when
    forms announces the review. Nothing agreed is lost."""
    if not uow.first_delivery(envelope):
        return
    store = _plans(uow, plans)
    review = store.review(agreed.review_id)
    if not store.keep_agreed_action(agreed):
        return  # the same action item again (minutes re-approved after an amendment, say): nothing more
    _take_up(uow, store, agreed, review, today or today_in_england(), envelope.actor_id)


def _take_up(
    uow: Any, store: Plans, agreed: AgreedAction, review: Review | None, day: date, actor_id: str | None
) -> None:
    """Put a kept agreed action on the plan if it can be, else record why it waits."""
    if review is not None:
        agreed = replace(agreed, partnership_id=review.partnership_id)
    owner = store.person(agreed.owner_id) if agreed.owner_id else None
    reasons = domain.agreed_action_reasons(agreed, owner, review, day)
    if reasons or review is None or owner is None:
        store.save_agreed_action(replace(agreed, reasons=reasons))
        return
    action = domain.action_from_agreed(agreed, owner, review, day)
    store.add_action(action)
    store.save_agreed_action(replace(agreed, reasons=(), action_id=action.id))
    _announce_assigned(uow, action, review, actor_id)


def _take_up_waiting(uow: Any, store: Plans, review_id: UUID) -> None:
    """The review is known now: actions agreed for it before are taken up, or wait for better reasons."""
    review = store.review(review_id)
    for agreed in store.agreed_actions(review_id, waiting_only=True):
        if domain.REVIEW_NOT_KNOWN in agreed.reasons:
            _take_up(uow, store, agreed, review, today_in_england(), Role.SYSTEM)


def _announce_assigned(uow: Any, action: Action, review: Review, actor_id: str | None) -> None:
    _emit(
        uow,
        ActionAssigned(
            action_id=action.id,
            review_id=review.id,
            owner_id=action.owner_id,
            owner_agency_id=action.owner_agency_id,
            due_on=action.due_on,
            themes=list(action.themes),
        ),
        review,
        actor_id,
    )


def close_review(uow: Any, envelope: Envelope, plans: Plans | None = None) -> None:
    """forms closed a review (its action plan stays live until the Executive signs each action off)."""
    if envelope.review_id is not None and uow.first_delivery(envelope):
        _plans(uow, plans).close_review(envelope.review_id)


def keep_person(
    uow: Any,
    envelope: Envelope,
    person: Person,
    changed_at: datetime,
    plans: Plans | None = None,
) -> None:
    """The gateway announced a person: whom actions can be assigned to, and their name on the plan. Actions
    agreed in minutes that waited because their owner could not own actions are looked at again: the owner's
    account (or role) may have arrived after the minutes."""
    if not uow.first_delivery(envelope):
        return
    store = _plans(uow, plans)
    store.keep_person(person, changed_at)
    for agreed in store.agreed_actions_waiting_for(str(person.user_id)):
        if domain.OWNER_CANNOT_OWN in agreed.reasons:
            _take_up(uow, store, agreed, store.review(agreed.review_id), today_in_england(), Role.SYSTEM)


def keep_agency(
    uow: Any,
    envelope: Envelope,
    agency_id: UUID,
    partnership_id: UUID,
    name: str,
    changed_at: datetime,
    plans: Plans | None = None,
) -> None:
    """The gateway named an agency."""
    if uow.first_delivery(envelope):
        _plans(uow, plans).keep_agency(agency_id, partnership_id, name, changed_at)


# -- the taxonomy ------------------------------------------------------------------------------------------


def _taxonomy_view(taxonomy: domain.Taxonomy) -> Taxonomy:
    order = {"practice": 0, "notification": 1, "adult_abuse": 2, "local": 3}
    themes = sorted(
        taxonomy.themes.values(), key=lambda t: (order[t.family], t.retired_in is not None, t.label)
    )
    return Taxonomy(version=taxonomy.version, themes=[theme.view() for theme in themes])


def taxonomy(uow: Any, actor: Actor, plans: Plans | None = None) -> Taxonomy:
    """The caller's partnership's themes at the current version."""
    partnership_id = policy.check_reads_taxonomy(actor)
    return _taxonomy_view(_taxonomy(_plans(uow, plans), partnership_id))


def add_theme(uow: Any, actor: Actor, theme: AddTheme, plans: Plans | None = None) -> Taxonomy:
    """The business manager extends the taxonomy or maps a theme to a national code: a new version."""
    policy.check_manages_plan(actor, actor.partnership_id, "change the partnership's themes")
    assert actor.partnership_id is not None
    store = _plans(uow, plans)
    current = _taxonomy(store, actor.partnership_id)
    store.add_theme_change(actor.partnership_id, current.next_change(theme), actor.user_id)
    return _taxonomy_view(_taxonomy(store, actor.partnership_id))


def retire_theme(uow: Any, actor: Actor, code: str, plans: Plans | None = None) -> Taxonomy:
    """The business manager retires a theme: records that used it keep it."""
    policy.check_manages_plan(actor, actor.partnership_id, "change the partnership's themes")
    assert actor.partnership_id is not None
    store = _plans(uow, plans)
    current = _taxonomy(store, actor.partnership_id)
    store.add_theme_change(actor.partnership_id, current.retirement(code), actor.user_id)
    return _taxonomy_view(_taxonomy(store, actor.partnership_id))


# -- views -------------------------------------------------------------------------------------------------


def _lesson_view(lesson: Lesson, taxonomy: domain.Taxonomy) -> LessonView:
    return LessonView(
        id=lesson.id,
        review_id=lesson.review_id,
        finding=lesson.finding,
        themes=list(lesson.themes),
        theme_labels=[taxonomy.label(code) for code in lesson.themes],
        retired_themes=[
            code for code in lesson.themes if (t := taxonomy.themes.get(code)) is not None and t.retired_in
        ],
        source=lesson.source,  # type: ignore[arg-type]
        episode_entry_id=lesson.episode_entry_id,
        recorded_on=lesson.recorded_on,
    )


def _recommendation_view(recommendation: Recommendation) -> RecommendationView:
    return RecommendationView(
        id=recommendation.id,
        review_id=recommendation.review_id,
        text=recommendation.text,
        lesson_ids=list(recommendation.lesson_ids),
        audience=recommendation.audience,  # type: ignore[arg-type]
        agency_ids=list(recommendation.agency_ids),
        made_on=recommendation.made_on,
    )


def _action_views(plans: Plans, actor: Actor, actions: Sequence[Action], today: date) -> list[ActionView]:
    names = plans.names(action.owner_id for action in actions)
    agencies = plans.agency_names(a.owner_agency_id for a in actions if a.owner_agency_id is not None)
    reviews = plans.reviews(action.review_id for action in actions)
    return [
        ActionView(
            id=action.id,
            review_id=action.review_id,
            review_type=reviews[action.review_id].review_type if action.review_id in reviews else "",
            review_began_on=reviews[action.review_id].began_on if action.review_id in reviews else None,
            recommendation_id=action.recommendation_id,
            source=action.source,  # type: ignore[arg-type]
            description=action.description,
            owner_id=action.owner_id,
            owner_name=names.get(action.owner_id, "Unknown person"),
            owner_agency_id=action.owner_agency_id,
            owner_agency_name=agencies.get(action.owner_agency_id, "") if action.owner_agency_id else "",
            due_on=action.due_on,
            success_measure=action.success_measure,
            status=action.shown_status(today),
            rag=action.rag(today),
            themes=list(action.themes),
            completed_on=action.completed_on,
            not_implemented_reason=action.not_implemented_reason,
            impact_check_due_on=action.impact_check_due_on,
            practice_changed=action.practice_changed,
            how_tested=action.how_tested,
            signed_off_on=action.signed_off_on,
            may_update=policy.may_update(actor, action.partnership_id, action.owner_id),
            may_sign_off=policy.may_sign_off(actor, action.partnership_id)
            and action.signed_off_on is None
            and action.status in domain.FINISHED_STATUSES,
            meeting_id=action.meeting_id,
        )
        for action in actions
    ]


def _agreed_views(store: Plans, agreed: Sequence[AgreedAction]) -> list[AgreedActionView]:
    names = store.names(a.owner_id for a in agreed if a.owner_id is not None)
    return [
        AgreedActionView(
            item_id=a.item_id,
            meeting_id=a.meeting_id,
            review_id=a.review_id,
            what=a.what,
            owner_id=a.owner_ref,
            owner_name=names.get(a.owner_id, "") if a.owner_id else "",
            due_on=a.due_on,
            agreed_on=a.agreed_on,
            reasons=list(a.reasons),
        )
        for a in agreed
    ]


def _visible_actions(actor: Actor, review: Review, actions: Iterable[Action]) -> list[Action]:
    if policy.may_read_plan(actor, review.id, review.partnership_id):
        return list(actions)
    return [a for a in actions if policy.may_see_action(actor, review.id, review.partnership_id, a.owner_id)]


def actions_of_review(
    uow: Any, actor: Actor, review_id: UUID, plans: Plans | None = None, today: date | None = None
) -> list[ActionSummary]:
    """A review's actions the caller may see, soonest due first: all of them for a reader of its plan, their
    own for an action owner; NotFound for anyone else."""
    store = _plans(uow, plans)
    review = store.review(review_id)
    if review is None:
        raise NotFound("No such review")
    visible = _visible_actions(actor, review, store.actions_of_review(review_id))
    if not visible and not policy.may_read_plan(actor, review_id, review.partnership_id):
        raise NotFound("No such review")
    day = today or today_in_england()
    return [action.summary(day) for action in domain.in_order(visible)]


def _warnings(
    store: Plans, review: Review, lessons: Sequence[Lesson], taxonomy: domain.Taxonomy, today: date
) -> list[RecurringWarning]:
    themes = {theme for lesson in lessons for theme in lesson.themes}
    if not themes:
        return []
    others = [a for a in store.actions_of_partnership(review.partnership_id) if a.review_id != review.id]
    began = store.reviews(a.review_id for a in others)
    earlier = [(a, began[a.review_id].began_on) for a in others if a.review_id in began]
    return [
        RecurringWarning(
            theme=theme,
            theme_label=taxonomy.label(theme),
            earlier_review_id=action.review_id,
            action_id=action.id,
            action_description=action.description,
            status=action.shown_status(today),
        )
        for theme, action in domain.recurring_warnings(review.id, review.began_on, themes, earlier, today)
    ]


def plan_of_review(
    uow: Any, actor: Actor, review_id: UUID, plans: Plans | None = None, today: date | None = None
) -> ReviewPlan:
    """A review's lessons, recommendations and actions, and the recurring-theme warnings."""
    store = _plans(uow, plans)
    review = _readable_review(store, actor, review_id)
    day = today or today_in_england()
    taxonomy = _taxonomy(store, review.partnership_id)
    lessons = store.lessons(review.id)
    return ReviewPlan(
        review_id=review.id,
        lessons=[_lesson_view(lesson, taxonomy) for lesson in lessons],
        recommendations=[_recommendation_view(r) for r in store.recommendations(review.id)],
        actions=_action_views(store, actor, domain.in_order(store.actions_of_review(review.id)), day),
        warnings=_warnings(store, review, lessons, taxonomy, day),
        may_record=policy.may_record_learning(actor, review.id, review.partnership_id),
        may_assign=policy.manages_plan(actor, review.partnership_id),
        to_be_assigned=_agreed_views(
            store, [a for a in store.agreed_actions(review.id) if a.action_id is None]
        ),
    )


# -- lessons and recommendations ---------------------------------------------------------------------------


def record_lesson(
    uow: Any, actor: Actor, command: RecordLesson, plans: Plans | None = None, today: date | None = None
) -> LessonView:
    """A lesson of a review, tagged with current themes of the partnership's taxonomy."""
    store = _plans(uow, plans)
    review = _review_of_learning(store, actor, command.review_id)
    policy.check_records_learning(actor, review.id, review.partnership_id)
    taxonomy = _taxonomy(store, review.partnership_id)
    problems = domain.Problems("The lesson")
    if not command.finding.strip():
        problems.add("finding", "Enter what was learned")
    try:
        themes = taxonomy.check_choice(command.themes, "The lesson")
    except Exception as refused:
        problems.found.extend(getattr(refused, "problems", []))
        themes = []
    if command.source == "chronology_episode" and command.episode_entry_id is None:
        problems.add("episode_entry_id", "Choose the key practice episode the lesson comes from")
    problems.raise_any()
    lesson = Lesson(
        id=uuid.uuid4(),
        review_id=review.id,
        partnership_id=review.partnership_id,
        finding=command.finding.strip(),
        themes=tuple(themes),
        taxonomy_version=taxonomy.version,
        source=command.source,
        episode_entry_id=command.episode_entry_id,
        recorded_on=today or today_in_england(),
        recorded_by=actor.user_id,
    )
    store.add_lesson(lesson)
    _emit(uow, LessonRecorded(lesson_id=lesson.id, review_id=review.id, themes=themes), review, actor.user_id)
    return _lesson_view(lesson, taxonomy)


def make_recommendation(
    uow: Any, actor: Actor, command: MakeRecommendation, plans: Plans | None = None, today: date | None = None
) -> RecommendationView:
    """A recommendation drawing on lessons of its review."""
    store = _plans(uow, plans)
    review = _review_of_learning(store, actor, command.review_id)
    policy.check_records_learning(actor, review.id, review.partnership_id)
    text = domain.check_recommendation(
        command.text, command.lesson_ids, {lesson.id for lesson in store.lessons(review.id)}
    )
    if command.audience == "agency" and not command.agency_ids:
        raise domain.refuse(
            "The recommendation", "agency_ids", "Choose the agencies the recommendation is to"
        )
    recommendation = Recommendation(
        id=uuid.uuid4(),
        review_id=review.id,
        text=text,
        lesson_ids=tuple(dict.fromkeys(command.lesson_ids)),
        audience=command.audience,
        agency_ids=tuple(command.agency_ids),
        made_on=today or today_in_england(),
        made_by=actor.user_id,
    )
    store.add_recommendation(recommendation)
    _emit(
        uow,
        RecommendationMade(
            recommendation_id=recommendation.id,
            review_id=review.id,
            lesson_ids=list(recommendation.lesson_ids),
            audience=recommendation.audience,
        ),
        review,
        actor.user_id,
    )
    return _recommendation_view(recommendation)


# -- actions -----------------------------------------------------------------------------------------------


def assign_action(
    uow: Any, actor: Actor, command: AssignAction, plans: Plans | None = None, today: date | None = None
) -> ActionView:
    """The business manager assigns an action: every problem named at once, nothing stored unless none."""
    store = _plans(uow, plans)
    review = _readable_review(store, actor, command.review_id)
    policy.check_manages_plan(actor, review.partnership_id, "assign actions")
    day = today or today_in_england()
    owner = store.person(command.owner_id) if command.owner_id else None
    recommendations = {r.id: r for r in store.recommendations(review.id)}
    recommendation = recommendations.get(command.recommendation_id) if command.recommendation_id else None
    agreed = store.agreed_action(command.agreed_item_id, for_update=True) if command.agreed_item_id else None
    problems = domain.new_action_problems(
        description=command.description,
        success_measure=command.success_measure,
        owner_id=command.owner_id,
        owner_known=owner is not None and domain.may_own_actions(owner, review.partnership_id),
        due_on=command.due_on,
        review_began=review.began_on,
        today=day,
        recommendation_id=command.recommendation_id,
        source=command.source,
        recommendation_known=recommendation is not None,
    )
    taxonomy = _taxonomy(store, review.partnership_id)
    if command.themes:
        try:
            taxonomy.check_choice(command.themes, "The action")
        except Exception as refused:
            problems.found.extend(getattr(refused, "problems", []))
    if command.agreed_item_id is not None and (
        agreed is None or agreed.review_id != review.id or agreed.action_id is not None
    ):
        problems.add(
            "agreed_item_id", "Choose an action agreed in this review's meetings, still to be assigned"
        )
    problems.raise_any()
    assert owner is not None and command.due_on is not None
    lesson_themes: list[str] = []
    if recommendation is not None:
        lessons = {lesson.id: lesson for lesson in store.lessons(review.id)}
        lesson_themes = [
            t for lid in recommendation.lesson_ids if lid in lessons for t in lessons[lid].themes
        ]
    action = Action(
        id=uuid.uuid4(),
        review_id=review.id,
        partnership_id=review.partnership_id,
        owner_id=owner.user_id,
        due_on=command.due_on,
        description=command.description.strip(),
        success_measure=command.success_measure.strip(),
        recommendation_id=command.recommendation_id,
        source=command.source,
        owner_agency_id=owner.agency_id,
        themes=tuple(dict.fromkeys([*lesson_themes, *command.themes])),
        assigned_on=day,
    )
    if agreed is not None:  # the business manager completes an action agreed in a meeting
        action = replace(action, id=agreed.item_id, source="meeting", meeting_id=agreed.meeting_id)
        store.save_agreed_action(replace(agreed, action_id=action.id))
    store.add_action(action)
    _announce_assigned(uow, action, review, actor.user_id)
    return _action_views(store, actor, [action], day)[0]


def _seen_action(
    store: Plans, actor: Actor, action_id: UUID, *, for_update: bool = False
) -> tuple[Action, Review]:
    action = store.action(action_id, for_update=for_update)
    review = store.review(action.review_id) if action else None
    if (
        action is None
        or review is None
        or not policy.may_see_action(actor, review.id, review.partnership_id, action.owner_id)
    ):
        raise NotFound("No such action")
    return action, review


def update_action(
    uow: Any, actor: Actor, command: UpdateAction, plans: Plans | None = None, today: date | None = None
) -> ActionView:
    """A progress update by the owner or the business manager, and the events its new status causes."""
    store = _plans(uow, plans)
    action, review = _seen_action(store, actor, command.action_id, for_update=True)
    policy.check_updates(actor, review.partnership_id, action.owner_id)
    day = today or today_in_england()
    was_finished = action.signed_off_on is not None or action.status in domain.FINISHED_STATUSES
    changed = action.updated(
        command.status,
        command.note,
        command.reason,
        day,
        actor.user_id,
        may_reopen_closed=policy.may_reopen_closed(actor, review.partnership_id),
    )
    store.save_action(changed, changed.updates[0])
    facts: list[EventData] = [
        ActionUpdated(
            action_id=changed.id,
            review_id=review.id,
            owner_id=changed.owner_id,
            status=changed.shown_status(day),
            rag=changed.rag(day),
        )
    ]
    if changed.status == "completed" and action.status != "completed":
        assert changed.completed_on is not None and changed.impact_check_due_on is not None
        facts.append(
            ActionCompleted(
                action_id=changed.id,
                review_id=review.id,
                owner_id=changed.owner_id,
                completed_on=changed.completed_on,
                impact_check_due_on=changed.impact_check_due_on,
            )
        )
    elif changed.status == "not_implemented" and action.status != "not_implemented":
        facts.append(
            ActionNotImplemented(action_id=changed.id, review_id=review.id, owner_id=changed.owner_id)
        )
    elif was_finished and changed.status in domain.OPEN_STATUSES:
        facts.append(
            ActionReopened(
                action_id=changed.id, review_id=review.id, owner_id=changed.owner_id, due_on=changed.due_on
            )
        )
    for fact in facts:
        _emit(uow, fact, review, actor.user_id)
    return _action_views(store, actor, [changed], day)[0]


def record_impact(
    uow: Any, actor: Actor, command: RecordImpact, plans: Plans | None = None, today: date | None = None
) -> ActionView:
    """The impact check of a completed action (its owner or the business manager)."""
    store = _plans(uow, plans)
    action, review = _seen_action(store, actor, command.action_id, for_update=True)
    policy.check_updates(actor, review.partnership_id, action.owner_id)
    changed = action.with_impact(command.practice_changed, command.how_tested)
    store.save_action(changed)
    return _action_views(store, actor, [changed], today or today_in_england())[0]


def sign_off(
    uow: Any, actor: Actor, action_id: UUID, plans: Plans | None = None, today: date | None = None
) -> ActionView:
    """The Executive signs an action off: it is closed."""
    store = _plans(uow, plans)
    action, review = _seen_action(store, actor, action_id, for_update=True)
    policy.check_signs_off(actor, review.partnership_id)
    day = today or today_in_england()
    changed = action.signed_off(day, actor.user_id)
    store.save_action(changed)
    _emit(
        uow,
        ActionSignedOff(action_id=changed.id, review_id=review.id, signed_off_on=day),
        review,
        actor.user_id,
    )
    return _action_views(store, actor, [changed], day)[0]


def _evidence_view(evidence: domain.Evidence, names: dict[UUID, str]) -> EvidenceView:
    return EvidenceView(
        id=evidence.id,
        filename=evidence.filename,
        kind_label=FileKind(evidence.kind).label,
        size_bytes=evidence.size_bytes,
        added_on=evidence.added_on,
        added_by=names.get(UUID(evidence.added_by), "") if _is_uuid(evidence.added_by) else "",
    )


def add_evidence(
    uow: Any,
    actor: Actor,
    command: AddEvidence,
    plans: Plans | None = None,
    files: FileStore | None = None,
    today: date | None = None,
) -> EvidenceView:
    """A file of evidence for an action, from its owner or the business manager: checked again here by the
    kernel's checker (the gateway checked it where it arrived) and stored with its record, or not at all."""
    store = _plans(uow, plans)
    action, review = _seen_action(store, actor, command.action_id)
    policy.check_updates(actor, review.partnership_id, action.owner_id)
    if action.signed_off_on is not None:
        raise domain.refuse("The evidence", "file", "This action is signed off and closed: reopen it first")
    try:
        content = base64.b64decode(command.content_base64, validate=True)
    except ValueError:
        raise domain.refuse("The evidence", "file", "The file could not be read: choose it again") from None
    checked = check_upload(content, command.filename, max_bytes=actions_settings().max_evidence_bytes)
    files = files if files is not None else file_store(Base.metadata, uow.session)
    evidence = domain.Evidence(
        id=uuid.uuid4(),
        action_id=action.id,
        filename=checked.filename,
        kind=checked.kind.value,
        media_type=checked.media_type,
        size_bytes=checked.size_bytes,
        sha256=checked.sha256,
        file_key=files.put(content),
        added_on=today or today_in_england(),
        added_by=actor.user_id,
    )
    store.add_evidence(evidence)
    return _evidence_view(evidence, store.names([UUID(actor.user_id)] if _is_uuid(actor.user_id) else []))


def evidence_file(
    uow: Any,
    actor: Actor,
    action_id: UUID,
    evidence_id: UUID,
    plans: Plans | None = None,
    files: FileStore | None = None,
) -> EvidenceFile:
    """A piece of evidence, for whoever may see its action."""
    store = _plans(uow, plans)
    action, _ = _seen_action(store, actor, action_id)
    evidence = store.evidence(evidence_id)
    if evidence is None or evidence.action_id != action.id:
        raise NotFound("No such file")
    files = files if files is not None else file_store(Base.metadata, uow.session)
    content = files.get(evidence.file_key, evidence.sha256)
    return EvidenceFile(
        filename=evidence.filename,
        media_type=evidence.media_type,
        content_base64=base64.b64encode(content).decode(),
    )


def action_detail(
    uow: Any, actor: Actor, action_id: UUID, plans: Plans | None = None, today: date | None = None
) -> ActionDetail:
    """One action, its updates and its evidence, for its owner or a reader of its review's plan."""
    store = _plans(uow, plans)
    action, _ = _seen_action(store, actor, action_id)
    evidence = store.evidence_of(action.id)
    authors = [u.written_by for u in action.updates] + [e.added_by for e in evidence]
    names = store.names(UUID(who) for who in authors if _is_uuid(who))
    return ActionDetail(
        evidence=[_evidence_view(e, names) for e in evidence],
        action=_action_views(store, actor, [action], today or today_in_england())[0],
        updates=[
            ProgressView(
                written_on=u.written_on,
                written_by=names.get(UUID(u.written_by), "Unknown person") if _is_uuid(u.written_by) else "",
                status=u.status,
                note=u.note,
                reason=u.reason,
            )
            for u in action.updates
        ],
    )


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def list_actions(
    uow: Any, actor: Actor, query: ActionFilter, plans: Plans | None = None, today: date | None = None
) -> list[ActionView]:
    """Actions across the caller's reviews that pass the filters; only their own for an action owner (and
    for anyone asking for `mine`)."""
    if actor.partnership_id is None or not actor.has_case_role():
        raise NotFound("No such partnership")
    store = _plans(uow, plans)
    day = today or today_in_england()
    held = store.actions_of_partnership(actor.partnership_id)
    reviews = store.reviews(a.review_id for a in held)
    visible = [
        a
        for a in held
        if a.review_id in reviews
        and (
            (query.mine and actor.user_id == str(a.owner_id))
            or (
                not query.mine
                and policy.may_see_action(actor, a.review_id, reviews[a.review_id].partnership_id, a.owner_id)
            )
        )
    ]
    chosen = [
        a
        for a in visible
        if domain.matches(
            a,
            day,
            agency_id=query.agency_id,
            owner_id=query.owner_id,
            theme=query.theme,
            status=query.status,
            due_by=query.due_by,
        )
    ]
    return _action_views(store, actor, domain.in_order(chosen), day)


def owners(uow: Any, actor: Actor, plans: Plans | None = None) -> list[PersonChoice]:
    """Whom the business manager may assign an action to."""
    policy.check_manages_plan(actor, actor.partnership_id, "assign actions")
    assert actor.partnership_id is not None
    store = _plans(uow, plans)
    people = [
        p for p in store.people(actor.partnership_id) if domain.may_own_actions(p, actor.partnership_id)
    ]
    agencies = store.agency_names(p.agency_id for p in people if p.agency_id)
    return [
        PersonChoice(
            user_id=p.user_id,
            display_name=p.display_name,
            agency_id=p.agency_id,
            agency_name=agencies.get(p.agency_id, "") if p.agency_id else "",
        )
        for p in people
    ]


def recurring_themes(
    uow: Any, actor: Actor, plans: Plans | None = None, today: date | None = None
) -> list[ThemeCount]:
    """Themes by year across the partnership's reviews, most reviews first."""
    partnership_id = policy.check_sees_partnership_learning(actor)
    store = _plans(uow, plans)
    taxonomy = _taxonomy(store, partnership_id)
    lessons = [
        domain.TaggedLesson(lesson.review_id, lesson.themes, lesson.recorded_on.year)
        for lesson in store.lessons_of_partnership(partnership_id)
    ]
    open_by_theme: dict[str, int] = {}
    for action in store.actions_of_partnership(partnership_id):
        if action.is_open() or (action.status == "not_implemented" and action.signed_off_on is None):
            for theme in action.themes:
                open_by_theme[theme] = open_by_theme.get(theme, 0) + 1
    return [
        ThemeCount(
            theme=theme,
            theme_label=taxonomy.label(theme),
            year=year,
            reviews=reviews,
            lessons=count,
            open_actions=open_actions,
        )
        for theme, year, reviews, count, open_actions in domain.theme_counts(lessons, open_by_theme)
    ]


def report(
    uow: Any,
    actor: Actor,
    kind: str,
    file_format: str,
    partnership_name: str,
    titles: dict[UUID, str],
    plans: Plans | None = None,
    today: date | None = None,
) -> ReportFile:
    """A document from every action plan of the caller's partnership, as Word or PDF."""
    partnership_id = policy.check_sees_partnership_learning(actor)
    store = _plans(uow, plans)
    day = today or today_in_england()
    lessons = store.lessons_of_partnership(partnership_id)
    actions = store.actions_of_partnership(partnership_id)
    review_ids = sorted({lesson.review_id for lesson in lessons} | {a.review_id for a in actions}, key=str)
    reviews = [
        documents.ReviewLearning(
            review_id,
            titles.get(review_id, "A review"),
            [lesson for lesson in lessons if lesson.review_id == review_id],
            store.recommendations(review_id),
            [a for a in actions if a.review_id == review_id],
        )
        for review_id in review_ids
    ]
    reviews.sort(key=lambda r: r.title)
    if kind == "quarterly_update":
        names = store.names(a.owner_id for a in actions)
        agencies = store.agency_names(a.owner_agency_id for a in actions if a.owner_agency_id)
        built = documents.quarterly_update(partnership_name, reviews, names, agencies, day)
        stem = f"action-plan-update-{day.isoformat()}"
    else:
        taxonomy = _taxonomy(store, partnership_id)
        labels = {code: theme.label for code, theme in taxonomy.themes.items()}
        briefs = store.briefs_of_partnership(partnership_id)
        shared = [
            f"{titles.get(b.review_id, 'A review')}: learning brief '{b.title}' published "
            f"{b.published_on:%-d %B %Y}; sent {s} times, acknowledged {a} times, "
            f"used in {t} training or practitioner events reaching {p} people"
            for b in sorted(briefs, key=lambda b: b.published_on)
            for s, a, t, p in [b.counts()]
        ]
        built = documents.yearly_report_section(partnership_name, reviews, labels, day, shared)
        stem = f"yearly-report-reviews-{documents.reporting_year_of(day)[0].year}"
    content = documents.write_docx(built) if file_format == "docx" else documents.write_pdf(built)
    return ReportFile(
        filename=f"{stem}.{file_format}",
        media_type=documents.DOCX if file_format == "docx" else documents.PDF,
        content_base64=base64.b64encode(content).decode(),
    )


# -- learning briefs and dissemination ---------------------------------------------------------------------


def _brief_view(brief: domain.LearningBrief) -> BriefView:
    sent, acknowledged, training, people = brief.counts()
    return BriefView(
        id=brief.id,
        review_id=brief.review_id,
        title=brief.title,
        published_on=brief.published_on,
        dissemination=[
            DisseminationView(kind=d.kind, to_whom=d.to_whom, on=d.on, people=d.people)  # type: ignore[arg-type]
            for d in brief.dissemination
        ],
        sent=sent,
        acknowledged=acknowledged,
        training_events=training,
        people_trained=people,
    )


def briefs_of_review(uow: Any, actor: Actor, review_id: UUID, plans: Plans | None = None) -> list[BriefView]:
    """A review's learning briefs, for readers of its plan."""
    store = _plans(uow, plans)
    review = _readable_review(store, actor, review_id)
    return [_brief_view(brief) for brief in store.briefs(review.id)]


def record_brief(
    uow: Any, actor: Actor, command: RecordBrief, plans: Plans | None = None, today: date | None = None
) -> BriefView:
    """The business manager records the review's learning brief."""
    store = _plans(uow, plans)
    review = _readable_review(store, actor, command.review_id)
    policy.check_manages_plan(actor, review.partnership_id, "record learning briefs")
    domain.check_brief(command.title, command.published_on, today or today_in_england()).raise_any()
    assert command.published_on is not None
    brief = domain.LearningBrief(
        uuid.uuid4(), review.id, review.partnership_id, command.title.strip(), command.published_on
    )
    store.add_brief(brief, actor.user_id)
    return _brief_view(brief)


def record_dissemination(
    uow: Any,
    actor: Actor,
    command: RecordDissemination,
    plans: Plans | None = None,
    today: date | None = None,
) -> BriefView:
    """The business manager records how a brief's learning travelled."""
    store = _plans(uow, plans)
    review = _readable_review(store, actor, command.review_id)
    policy.check_manages_plan(actor, review.partnership_id, "record how learning was shared")
    briefs = {brief.id: brief for brief in store.briefs(review.id)}
    brief = briefs.get(command.brief_id) if command.brief_id else None
    domain.check_dissemination(
        brief is not None,
        command.kind,
        command.to_whom,
        command.on,
        command.people,
        today or today_in_england(),
    ).raise_any()
    assert brief is not None and command.kind is not None and command.on is not None
    spread = domain.Dissemination(
        command.kind,
        command.to_whom.strip(),
        command.on,
        command.people if command.kind == "training" else None,
    )
    store.add_dissemination(brief.id, spread, actor.user_id)
    return _brief_view(
        domain.LearningBrief(**{**brief.__dict__, "dissemination": (*brief.dissemination, spread)})
    )


# -- the timer ---------------------------------------------------------------------------------------------


def announce_due_and_overdue(uow: Any, plans: Plans | None = None, today: date | None = None) -> int:
    """Publish `action_due` on an open action's due day and `action_overdue` the day after, once each per due
    date. The rows are locked FOR UPDATE SKIP LOCKED, so the timer of every running process may fire and each
    action is announced by one."""
    store = _plans(uow, plans)
    day = today or today_in_england()
    picked = store.to_announce(day, ANNOUNCE_BATCH)
    reviews = store.reviews(action.review_id for action, _, _ in picked)
    for action, due, overdue in picked:
        review = reviews.get(action.review_id)
        if review is None:
            continue
        if due:
            _emit(
                uow,
                ActionDue(
                    action_id=action.id, review_id=review.id, owner_id=action.owner_id, due_on=action.due_on
                ),
                review,
                Role.SYSTEM,
            )
        if overdue:
            _emit(
                uow,
                ActionOverdue(
                    action_id=action.id, review_id=review.id, owner_id=action.owner_id, due_on=action.due_on
                ),
                review,
                Role.SYSTEM,
            )
        store.announced(action.id, action.due_on if due else None, action.due_on if overdue else None)
    return len(picked)
