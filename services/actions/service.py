"""The actions service's entrypoints: each hands its typed arguments to a handler (contract.Actions)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from gateway.contract import AgencyChanged, PersonChanged
from services.actions import handlers
from services.actions.contract import (
    SERVICE,
    ActionDetail,
    ActionFilterArg,
    ActionId,
    ActionSummary,
    ActionView,
    AddEvidenceArg,
    AddThemeArg,
    AssignActionArg,
    BriefView,
    EvidenceFile,
    EvidenceId,
    EvidenceView,
    LessonView,
    MakeRecommendationArg,
    PersonChoice,
    RecommendationView,
    RecordBriefArg,
    RecordDisseminationArg,
    RecordImpactArg,
    RecordLessonArg,
    ReportFile,
    ReportFormat,
    ReportKind,
    ReviewId,
    ReviewPlan,
    ReviewTitles,
    ShortText,
    Taxonomy,
    ThemeCount,
    UpdateActionArg,
)
from services.actions.domain import AgreedAction, Person
from services.actions.models import Base
from services.actions.settings import actions_settings
from services.forms.contract import ReviewOpened, SinSubmitted
from services.kernel.calendar import today_in_england
from services.kernel.entrypoints import event_handler, rpc, timer
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.service_base import ServiceBase
from services.kernel.unit_of_work import Database, UnitOfWork
from services.meetings.contract import ActionAgreed


class ActionsService(ServiceBase):
    """Lessons, themes, recommendations and the action plan of each review."""

    name = SERVICE

    uow: UnitOfWork = Database(Base.metadata)  # type: ignore[assignment]

    # ------------------------------------------------------------------------------------------ reads

    @rpc
    def actions_of_review(self, actor: Actor, review_id: ReviewId) -> list[ActionSummary]:
        """A review's actions, soonest due first (those the caller may see)."""
        return handlers.actions_of_review(self.uow, actor, review_id)

    @rpc
    def plan_of_review(self, actor: Actor, review_id: ReviewId) -> ReviewPlan:
        """A review's lessons, recommendations and actions, with recurring-theme warnings."""
        return handlers.plan_of_review(self.uow, actor, review_id)

    @rpc
    def action(self, actor: Actor, action_id: ActionId) -> ActionDetail:
        """One action with its updates."""
        return handlers.action_detail(self.uow, actor, action_id)

    @rpc
    def actions(self, actor: Actor, query: ActionFilterArg) -> list[ActionView]:
        """Actions across the caller's reviews, filtered."""
        return handlers.list_actions(self.uow, actor, query)

    @rpc
    def owners(self, actor: Actor) -> list[PersonChoice]:
        """Whom an action can be assigned to."""
        return handlers.owners(self.uow, actor)

    @rpc
    def briefs_of_review(self, actor: Actor, review_id: ReviewId) -> list[BriefView]:
        """A review's learning briefs with their dissemination."""
        return handlers.briefs_of_review(self.uow, actor, review_id)

    @rpc(command=True)
    def record_brief(self, actor: Actor, brief: RecordBriefArg) -> BriefView:
        """Record a review's learning brief."""
        return handlers.record_brief(self.uow, actor, brief)

    @rpc(command=True)
    def record_dissemination(self, actor: Actor, dissemination: RecordDisseminationArg) -> BriefView:
        """Record how a brief's learning travelled."""
        return handlers.record_dissemination(self.uow, actor, dissemination)

    @rpc
    def report(
        self,
        actor: Actor,
        kind: ReportKind,
        file_format: ReportFormat,
        partnership_name: ShortText,
        titles: ReviewTitles,
    ) -> ReportFile:
        """The quarterly update or the yearly report's section, as Word or PDF."""
        return handlers.report(self.uow, actor, kind, file_format, partnership_name, titles)

    @rpc
    def recurring_themes(self, actor: Actor) -> list[ThemeCount]:
        """Themes by year across the partnership's reviews."""
        return handlers.recurring_themes(self.uow, actor)

    # ------------------------------------------------------------------------------------------ themes

    @rpc
    def taxonomy(self, actor: Actor) -> Taxonomy:
        """The partnership's themes at the current version."""
        return handlers.taxonomy(self.uow, actor)

    @rpc(command=True)
    def add_theme(self, actor: Actor, theme: AddThemeArg) -> Taxonomy:
        """Add or map a partnership theme: a new taxonomy version."""
        return handlers.add_theme(self.uow, actor, theme)

    @rpc(command=True)
    def retire_theme(self, actor: Actor, code: ShortText) -> Taxonomy:
        """Retire a theme: a new taxonomy version."""
        return handlers.retire_theme(self.uow, actor, code)

    # ------------------------------------------------------------------------------------------ changes

    @rpc(command=True)
    def record_lesson(self, actor: Actor, lesson: RecordLessonArg) -> LessonView:
        """Record a lesson of a review."""
        return handlers.record_lesson(self.uow, actor, lesson)

    @rpc(command=True)
    def make_recommendation(self, actor: Actor, recommendation: MakeRecommendationArg) -> RecommendationView:
        """Make a recommendation drawing on lessons."""
        return handlers.make_recommendation(self.uow, actor, recommendation)

    @rpc(command=True)
    def assign_action(self, actor: Actor, action: AssignActionArg) -> ActionView:
        """Assign an action."""
        return handlers.assign_action(self.uow, actor, action)

    @rpc(command=True)
    def update_action(self, actor: Actor, update: UpdateActionArg) -> ActionView:
        """A progress update."""
        return handlers.update_action(self.uow, actor, update)

    @rpc(command=True)
    def record_impact(self, actor: Actor, impact: RecordImpactArg) -> ActionView:
        """The impact check of a completed action."""
        return handlers.record_impact(self.uow, actor, impact)

    @rpc(command=True)
    def add_evidence(self, actor: Actor, evidence: AddEvidenceArg) -> EvidenceView:
        """Add a file of evidence to an action."""
        return handlers.add_evidence(self.uow, actor, evidence)

    @rpc
    def evidence_file(self, actor: Actor, action_id: ActionId, evidence_id: EvidenceId) -> EvidenceFile:
        """A piece of evidence to download."""
        return handlers.evidence_file(self.uow, actor, action_id, evidence_id)

    @rpc(command=True)
    def sign_off(self, actor: Actor, action_id: ActionId) -> ActionView:
        """The Executive signs an action off."""
        return handlers.sign_off(self.uow, actor, action_id)

    @timer(interval=actions_settings().announce_interval_s, eager=True)
    def announce_due_and_overdue(self) -> None:
        """Publish due and overdue actions once each (rows locked, so one process announces each)."""
        handlers.announce_due_and_overdue(self.uow)

    # --------------------------------------------------------------- what forms and the gateway announce

    @event_handler("forms", "review_opened")
    def hold_review(self, message: dict[str, Any]) -> None:
        """A review opened: who holds it and the day it began."""
        envelope = Envelope.model_validate(message)
        opened = envelope.payload(ReviewOpened)
        handlers.hold_review(self.uow, envelope, opened.review_type, opened.opened_at)

    @event_handler("forms", "sin_submitted")
    def note_awareness(self, message: dict[str, Any]) -> None:
        """The review's notification was sent: the review began the day the incident became known."""
        envelope = Envelope.model_validate(message)
        handlers.note_awareness(self.uow, envelope, envelope.payload(SinSubmitted).date_aware)

    @event_handler("forms", "review_closed")
    def close_review(self, message: dict[str, Any]) -> None:
        """A review closed."""
        handlers.close_review(self.uow, Envelope.model_validate(message))

    @event_handler("meetings", "action_agreed")
    def take_up_agreed_action(self, message: dict[str, Any]) -> None:
        """An action arising in approved minutes: on the review's plan, or waiting there to be assigned."""
        envelope = Envelope.model_validate(message)
        agreed = envelope.payload(ActionAgreed)
        handlers.take_up_agreed_action(
            self.uow,
            envelope,
            AgreedAction(
                item_id=agreed.action_item_id,
                meeting_id=agreed.meeting_id,
                review_id=agreed.review_id,
                # Whoever holds the review; the nil id until this service knows it (taken up then).
                partnership_id=envelope.partnership_id or UUID(int=0),
                what=agreed.what,
                owner_ref=agreed.owner_id,
                due_on=agreed.due_on,
                agreed_on=today_in_england(envelope.occurred_at),
            ),
        )

    @event_handler("identity", "person_changed")
    def keep_person(self, message: dict[str, Any]) -> None:
        """Whom actions can be assigned to, and their names."""
        envelope = Envelope.model_validate(message)
        changed = envelope.payload(PersonChanged)
        person = Person(
            changed.user_id,
            changed.partnership_id,
            changed.agency_id,
            changed.display_name,
            tuple(changed.roles),
            changed.active,
        )
        handlers.keep_person(self.uow, envelope, person, changed.changed_at)

    @event_handler("identity", "agency_changed")
    def keep_agency(self, message: dict[str, Any]) -> None:
        """An agency's name."""
        envelope = Envelope.model_validate(message)
        changed = envelope.payload(AgencyChanged)
        handlers.keep_agency(
            self.uow, envelope, changed.agency_id, changed.partnership_id, changed.name, changed.changed_at
        )
