"""What others may know of the actions service: lessons, themes, recommendations and the action plan log,
the RPCs that answer them and the events it publishes (exchange `actions.events`).

The chain is lesson -> recommendation -> action -> progress, impact check and the Executive's sign-off.
Statuses are typed by people except `overdue` and `closed`, which the service works out (overdue from the
due date, closed from the sign-off); the RAG rating is always worked out (services/actions/domain.py).
Events carry identifiers, dates and codes: never a lesson's words, a note or a reason.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from services.kernel.events import EventData
from services.kernel.identity import Actor
from services.kernel.remote import Refused, RemoteService, found_by_id

SERVICE = "actions"

# An id that is not an id reads as "No such ...", as the id of one the caller may not see does.
ReviewId = Annotated[UUID, found_by_id("review")]
ActionId = Annotated[UUID, found_by_id("action")]

# What a person may set. `overdue` is never typed: it is a not-finished action past its due date.
SettableStatus = Literal["not_started", "on_track", "at_risk", "completed", "not_implemented"]
# What a list shows: the settable statuses, `overdue` (worked out) and `closed` (signed off).
ActionStatus = Literal[
    "not_started", "on_track", "at_risk", "overdue", "completed", "not_implemented", "closed"
]
Rag = Literal["red", "amber", "green", "complete"]
ThemeFamily = Literal["practice", "notification", "adult_abuse", "local"]
LessonSource = Literal["review", "rapid_review", "chronology_episode", "meeting"]
ActionSource = Literal["recommendation", "rapid_review", "meeting"]
Audience = Literal["partnership", "agency", "national"]
PracticeChanged = Literal["yes", "partly", "no"]

ShortText = Annotated[str, Field(max_length=300)]
LongText = Annotated[str, Field(max_length=4000)]


# -- themes ------------------------------------------------------------------------------------------------


class ThemeView(BaseModel):
    """A theme of the partnership's taxonomy: its stable code, words, family and national code.

    A retired theme (`retired_in` the taxonomy version that retired it) stays on the records that used it and
    cannot be chosen again."""

    code: str
    label: str
    family: ThemeFamily
    national_code: str | None
    added_in: int
    retired_in: int | None


class Taxonomy(BaseModel):
    """The partnership's themes at its current taxonomy version."""

    version: int
    themes: list[ThemeView]


class AddTheme(BaseModel):
    """A partnership's own theme (or a new mapping of one to a national code)."""

    code: Annotated[str, Field(min_length=2, max_length=60, pattern=r"^[a-z][a-z0-9_]*$")]
    label: Annotated[str, Field(min_length=2, max_length=120)]
    national_code: Annotated[str | None, Field(max_length=40)] = None


# -- lessons and recommendations ---------------------------------------------------------------------------


class RecordLesson(BaseModel):
    """A lesson of a review, tagged with one or more themes; from a key practice episode of the chronology
    when `episode_entry_id` names one."""

    review_id: UUID
    finding: LongText = ""
    themes: Annotated[list[str], Field(max_length=20)] = []
    source: LessonSource = "review"
    episode_entry_id: UUID | None = None


class LessonView(BaseModel):
    """A lesson as the plan shows it; `retired_themes` are those of its themes retired since."""

    id: UUID
    review_id: UUID
    finding: str
    themes: list[str]
    theme_labels: list[str]
    retired_themes: list[str]
    source: LessonSource
    episode_entry_id: UUID | None
    recorded_on: date


class MakeRecommendation(BaseModel):
    """A recommendation of a review, drawing on at least one of its lessons, to the partnership, to named
    agencies or to the nation."""

    review_id: UUID
    text: LongText = ""
    lesson_ids: Annotated[list[UUID], Field(max_length=50)] = []
    audience: Audience = "partnership"
    agency_ids: Annotated[list[UUID], Field(max_length=30)] = []


class RecommendationView(BaseModel):
    """A recommendation with the lessons it draws on."""

    id: UUID
    review_id: UUID
    text: str
    lesson_ids: list[UUID]
    audience: Audience
    agency_ids: list[UUID]
    made_on: date


# -- actions -----------------------------------------------------------------------------------------------


class AssignAction(BaseModel):
    """An action answering a recommendation (or a rapid review's immediate action, or one agreed in a
    meeting): who owns it, by when, and how success will be measured. Owner and due date are required; the
    service names each missing field rather than the validator."""

    review_id: UUID
    recommendation_id: UUID | None = None
    source: ActionSource = "recommendation"
    description: LongText = ""
    owner_id: UUID | None = None
    due_on: date | None = None
    success_measure: LongText = ""
    themes: Annotated[list[str], Field(max_length=20)] = []
    # An action agreed in approved minutes that waits to be assigned: completing it takes it up (source
    # "meeting", with its meeting) and it waits no more.
    agreed_item_id: UUID | None = None


class UpdateAction(BaseModel):
    """A progress update: the status now, what was done, and the reason where one is needed (not
    implemented, or reopening a finished action)."""

    action_id: UUID
    status: SettableStatus
    note: LongText = ""
    reason: LongText = ""


class RecordImpact(BaseModel):
    """The impact check of a completed action: did practice change, and how was that tested."""

    action_id: UUID
    practice_changed: PracticeChanged
    how_tested: LongText = ""


class ProgressView(BaseModel):
    """One progress update of an action."""

    written_on: date
    written_by: str
    status: SettableStatus
    note: str
    reason: str


class ActionView(BaseModel):
    """An action as lists and its page show it; `status` and `rag` are worked out for `today`."""

    id: UUID
    review_id: UUID
    review_type: str
    review_began_on: date | None
    recommendation_id: UUID | None
    source: ActionSource
    description: str
    owner_id: UUID
    owner_name: str
    owner_agency_id: UUID | None
    owner_agency_name: str
    due_on: date
    success_measure: str
    status: ActionStatus
    rag: Rag
    themes: list[str]
    completed_on: date | None
    not_implemented_reason: str
    impact_check_due_on: date | None
    practice_changed: PracticeChanged | None
    how_tested: str
    signed_off_on: date | None
    may_update: bool
    may_sign_off: bool
    # The meeting whose approved minutes agreed the action (source "meeting").
    meeting_id: UUID | None = None


# The largest file of evidence accepted, by the gateway where it arrives and by the service.
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


class AddEvidence(BaseModel):
    """A file that shows an action's progress (checked by the kernel's upload checker where it arrives and
    again here)."""

    action_id: UUID
    filename: Annotated[str, Field(max_length=300)] = ""
    # The bytes, base64 (a third more): a little over the limit still reaches the checker, which names it.
    content_base64: Annotated[str, Field(max_length=(MAX_EVIDENCE_BYTES + 1024 * 1024) * 4 // 3 + 4)] = ""


class EvidenceView(BaseModel):
    """A piece of evidence of an action: its name, kind, size and when and by whom it was added."""

    id: UUID
    filename: str
    kind_label: str
    size_bytes: int
    added_on: date
    added_by: str


class EvidenceFile(BaseModel):
    """A piece of evidence with its bytes (base64), to download."""

    filename: str
    media_type: str
    content_base64: str


class ActionDetail(BaseModel):
    """An action with its progress updates, newest first, and its evidence."""

    action: ActionView
    updates: list[ProgressView]
    evidence: list[EvidenceView] = []


class RecurringWarning(BaseModel):
    """A theme of this review with actions still open or not implemented from an earlier review."""

    theme: str
    theme_label: str
    earlier_review_id: UUID
    action_id: UUID
    action_description: str
    status: ActionStatus


class AgreedActionView(BaseModel):
    """An action agreed in a meeting's approved minutes that is not on the plan yet: it waits for the business
    manager to assign it, for the `reasons` given (no owner who can own actions, a due date missing or not
    allowed). `owner_id` is whom the minutes named (a user id, or a guest's id of the meeting's own)."""

    item_id: UUID
    meeting_id: UUID
    review_id: UUID
    what: str
    owner_id: str | None
    owner_name: str
    due_on: date | None
    agreed_on: date
    reasons: list[str]


class ReviewPlan(BaseModel):
    """A review's plan: its lessons, recommendations and actions; and the warnings that a theme of its
    lessons still has open or not-implemented actions from an earlier review."""

    review_id: UUID
    lessons: list[LessonView]
    recommendations: list[RecommendationView]
    actions: list[ActionView]
    warnings: list[RecurringWarning]
    may_record: bool
    may_assign: bool
    # Actions agreed in approved minutes still to be assigned (each agreed action is here or in `actions`).
    to_be_assigned: list[AgreedActionView] = []


class ActionFilter(BaseModel):
    """Which actions across the caller's reviews: by agency, owner, theme, status, due by."""

    agency_id: UUID | None = None
    owner_id: UUID | None = None
    theme: Annotated[str | None, Field(max_length=60)] = None
    status: ActionStatus | None = None
    due_by: date | None = None
    mine: bool = False


class PersonChoice(BaseModel):
    """Someone of the partnership an action can be assigned to."""

    user_id: UUID
    display_name: str
    agency_id: UUID | None
    agency_name: str


class ThemeCount(BaseModel):
    """How many reviews' lessons carried a theme in a year, and how many actions on it are still open."""

    theme: str
    theme_label: str
    year: int
    reviews: int
    lessons: int
    open_actions: int


class ActionSummary(BaseModel):
    """One action as a review's summary lists it: when it is due and where it stands (no names)."""

    id: UUID
    review_id: UUID
    due_on: date | None
    status: ActionStatus


# -- learning briefs and dissemination ---------------------------------------------------------------------

DisseminationKind = Literal["sent", "acknowledged", "training"]


class RecordBrief(BaseModel):
    """A learning brief of a review (always written, published or not)."""

    review_id: UUID
    title: Annotated[str, Field(max_length=300)] = ""
    published_on: date | None = None


class RecordDissemination(BaseModel):
    """How a brief's learning travelled: sent to someone, acknowledged by them, or used in training or an
    event (with how many people took part)."""

    review_id: UUID
    brief_id: UUID | None = None
    kind: DisseminationKind | None = None
    to_whom: Annotated[str, Field(max_length=300)] = ""
    on: date | None = None
    people: Annotated[int | None, Field(ge=0, le=100_000)] = None


class DisseminationView(BaseModel):
    """One record of a brief's dissemination."""

    kind: DisseminationKind
    to_whom: str
    on: date
    people: int | None


class BriefView(BaseModel):
    """A learning brief with its dissemination and the counts the yearly report gives."""

    id: UUID
    review_id: UUID
    title: str
    published_on: date
    dissemination: list[DisseminationView]
    sent: int
    acknowledged: int
    training_events: int
    people_trained: int


RecordBriefArg = Annotated[RecordBrief, Refused("The learning brief has problems")]
AddEvidenceArg = Annotated[AddEvidence, Refused("The evidence has problems")]
EvidenceId = Annotated[UUID, found_by_id("file")]
RecordDisseminationArg = Annotated[RecordDissemination, Refused("The dissemination has problems")]


ReportKind = Literal["quarterly_update", "yearly_report"]
ReportFormat = Literal["docx", "pdf"]
# The titles of the partnership's reviews, as forms has them (the actions service keeps no titles).
ReviewTitles = Annotated[dict[UUID, Annotated[str, Field(max_length=300)]], Field(max_length=5000)]


class ReportFile(BaseModel):
    """A document built from the action plans: its file name, media type and bytes (base64)."""

    filename: str
    media_type: str
    content_base64: str


# -- events ------------------------------------------------------------------------------------------------


class LessonRecorded(EventData):
    """A lesson of a review was recorded with its themes."""

    event_type: ClassVar[str] = "actions.lesson_recorded"

    lesson_id: UUID
    review_id: UUID
    themes: list[str]


class RecommendationMade(EventData):
    """A recommendation drawing on lessons of a review was made."""

    event_type: ClassVar[str] = "actions.recommendation_made"

    recommendation_id: UUID
    review_id: UUID
    lesson_ids: list[UUID]
    audience: str


class ActionAssigned(EventData):
    """An action was assigned to an owner, due by `due_on` (notifications tracks it)."""

    event_type: ClassVar[str] = "actions.action_assigned"

    action_id: UUID
    review_id: UUID
    owner_id: UUID
    owner_agency_id: UUID | None
    due_on: date
    themes: list[str]


class ActionUpdated(EventData):
    """A progress update changed an action's status."""

    event_type: ClassVar[str] = "actions.action_updated"

    action_id: UUID
    review_id: UUID
    owner_id: UUID
    status: str
    rag: str


class ActionDue(EventData):
    """An unfinished action reached its due date."""

    event_type: ClassVar[str] = "actions.action_due"

    action_id: UUID
    review_id: UUID
    owner_id: UUID
    due_on: date


class ActionOverdue(EventData):
    """An unfinished action passed its due date."""

    event_type: ClassVar[str] = "actions.action_overdue"

    action_id: UUID
    review_id: UUID
    owner_id: UUID
    due_on: date


class ActionCompleted(EventData):
    """An action was completed; its impact check is due on `impact_check_due_on`."""

    event_type: ClassVar[str] = "actions.action_completed"

    action_id: UUID
    review_id: UUID
    owner_id: UUID
    completed_on: date
    impact_check_due_on: date


class ActionNotImplemented(EventData):
    """An action was recorded as not implemented (the reason is kept with the action, not in the event)."""

    event_type: ClassVar[str] = "actions.action_not_implemented"

    action_id: UUID
    review_id: UUID
    owner_id: UUID


class ActionReopened(EventData):
    """A finished action was reopened with a reason; it is due again by `due_on`."""

    event_type: ClassVar[str] = "actions.action_reopened"

    action_id: UUID
    review_id: UUID
    owner_id: UUID
    due_on: date


class ActionSignedOff(EventData):
    """The Executive signed an action off: it is closed."""

    event_type: ClassVar[str] = "actions.action_signed_off"

    action_id: UUID
    review_id: UUID
    signed_off_on: date


# -- the RPCs ----------------------------------------------------------------------------------------------

RecordLessonArg = Annotated[RecordLesson, Refused("The lesson has problems")]
MakeRecommendationArg = Annotated[MakeRecommendation, Refused("The recommendation has problems")]
AssignActionArg = Annotated[AssignAction, Refused("The action has problems")]
UpdateActionArg = Annotated[UpdateAction, Refused("The progress update has problems")]
RecordImpactArg = Annotated[RecordImpact, Refused("The impact check has problems")]
AddThemeArg = Annotated[AddTheme, Refused("The theme has problems")]
ActionFilterArg = Annotated[ActionFilter, Refused("The filter has problems")]


class Actions(RemoteService):
    """Lessons, themes, recommendations and the action plan of each review.

    The service implements each with the same signature (services/actions/service.py);
    tests/unit/test_contracts.py proves the two agree. A review the caller may not read the plan of is not
    found; an action owner reads and updates only the actions they own; analysts read none of it.
    """

    service = SERVICE

    async def actions_of_review(self, actor: Actor, review_id: ReviewId) -> list[ActionSummary]:
        """A review's actions, soonest due first (those the caller may see); NotFound for a review the caller
        may not see."""
        raise NotImplementedError

    async def taxonomy(self, actor: Actor) -> Taxonomy:
        """The caller's partnership's themes at the current version, retired ones included and marked."""
        raise NotImplementedError

    async def add_theme(self, actor: Actor, theme: AddThemeArg) -> Taxonomy:
        """Add a partnership theme, or map one to a national code (the business manager): a new version."""
        raise NotImplementedError

    async def retire_theme(self, actor: Actor, code: ShortText) -> Taxonomy:
        """Retire a theme (the business manager): it stays on the records that used it; a new version."""
        raise NotImplementedError

    async def plan_of_review(self, actor: Actor, review_id: ReviewId) -> ReviewPlan:
        """A review's lessons, recommendations and actions, with recurring-theme warnings."""
        raise NotImplementedError

    async def record_lesson(self, actor: Actor, lesson: RecordLessonArg) -> LessonView:
        """Record a lesson of a review (its business manager or independent reviewer); InvalidRequest naming
        `finding` or `themes` (a theme not in the taxonomy, or retired)."""
        raise NotImplementedError

    async def make_recommendation(
        self, actor: Actor, recommendation: MakeRecommendationArg
    ) -> RecommendationView:
        """Make a recommendation (its business manager or independent reviewer); one with no lesson of the
        review is refused naming `lesson_ids`."""
        raise NotImplementedError

    async def assign_action(self, actor: Actor, action: AssignActionArg) -> ActionView:
        """Assign an action (the business manager); refused naming `owner_id`, `due_on` (missing, before the
        review began, more than five years ahead), `description`, `success_measure` or `recommendation_id`."""
        raise NotImplementedError

    async def update_action(self, actor: Actor, update: UpdateActionArg) -> ActionView:
        """A progress update by the action's owner or the business manager (Forbidden to anyone else);
        `reason` is required for not implemented and for reopening a finished action."""
        raise NotImplementedError

    async def record_impact(self, actor: Actor, impact: RecordImpactArg) -> ActionView:
        """Record the impact check of a completed action (its owner or the business manager)."""
        raise NotImplementedError

    async def add_evidence(self, actor: Actor, evidence: AddEvidenceArg) -> EvidenceView:
        """Add a file of evidence to an action (its owner or the business manager); a file not of an
        accepted kind, too big, damaged or unsafe is refused naming `file`, and nothing is stored."""
        raise NotImplementedError

    async def evidence_file(self, actor: Actor, action_id: ActionId, evidence_id: EvidenceId) -> EvidenceFile:
        """A piece of evidence to download (whoever may see the action)."""
        raise NotImplementedError

    async def sign_off(self, actor: Actor, action_id: ActionId) -> ActionView:
        """The Executive signs off a completed action with its impact check, or one not implemented."""
        raise NotImplementedError

    async def action(self, actor: Actor, action_id: ActionId) -> ActionDetail:
        """One action with its updates; NotFound unless the caller owns it or may read its review's plan."""
        raise NotImplementedError

    async def actions(self, actor: Actor, query: ActionFilterArg) -> list[ActionView]:
        """Actions across the caller's reviews (or only their own, `mine`), filtered, soonest due first."""
        raise NotImplementedError

    async def owners(self, actor: Actor) -> list[PersonChoice]:
        """The people of the caller's partnership an action can be assigned to (the business manager)."""
        raise NotImplementedError

    async def briefs_of_review(self, actor: Actor, review_id: ReviewId) -> list[BriefView]:
        """A review's learning briefs with their dissemination (readers of its plan)."""
        raise NotImplementedError

    async def record_brief(self, actor: Actor, brief: RecordBriefArg) -> BriefView:
        """Record a review's learning brief (the business manager); refused naming `title` or
        `published_on`."""
        raise NotImplementedError

    async def record_dissemination(self, actor: Actor, dissemination: RecordDisseminationArg) -> BriefView:
        """Record to whom a brief was sent, an acknowledgement, or training that used it (the business
        manager); refused naming `brief_id`, `kind`, `to_whom`, `on` or `people`."""
        raise NotImplementedError

    async def report(
        self,
        actor: Actor,
        kind: ReportKind,
        file_format: ReportFormat,
        partnership_name: ShortText,
        titles: ReviewTitles,
    ) -> ReportFile:
        """The quarterly update to the Executive, or the yearly report's section on reviews, as Word or PDF,
        built from every action plan of the caller's partnership (its deciders)."""
        raise NotImplementedError

    async def recurring_themes(self, actor: Actor) -> list[ThemeCount]:
        """Themes by year across the partnership's reviews (its deciders): a theme in two or more reviews
        recurs."""
        raise NotImplementedError
