"""The rules of learning into change: themes, lessons, recommendations and the action plan. Pure Python: no
broker, no database. Every refusal names its field (InvalidRequest's problems) in words a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import cast
from uuid import UUID

from services.actions.contract import (
    ActionStatus,
    ActionSummary,
    AddTheme,
    PracticeChanged,
    Rag,
    SettableStatus,
    ThemeFamily,
    ThemeView,
)
from services.kernel.errors import Conflict, InvalidRequest

# Statuses of an action that is still being worked on: past its due date, such an action is overdue.
OPEN_STATUSES: frozenset[str] = frozenset({"not_started", "on_track", "at_risk"})
FINISHED_STATUSES: frozenset[str] = frozenset({"completed", "not_implemented"})
# A due date further ahead than this is not a plan anyone will monitor.
MAX_YEARS_AHEAD = 5
# The impact check falls due this long after completion (did practice change, and how was it tested).
IMPACT_CHECK_AFTER = timedelta(days=90)
# Amber: an action not started with its due date this close, or with no update for this long.
AMBER_WITHIN = timedelta(days=28)
STALE_AFTER = timedelta(days=90)

STATUS_WORDS: dict[str, str] = {
    "not_started": "Not started",
    "on_track": "On track",
    "at_risk": "At risk",
    "overdue": "Overdue",
    "completed": "Completed",
    "not_implemented": "Not implemented",
    "closed": "Closed",
}


class Problems:
    """Problems found in one request, each naming its field; raised together as one InvalidRequest."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.found: list[dict[str, str]] = []

    def add(self, field_name: str, message: str) -> None:
        self.found.append({"field": field_name, "message": message})

    def raise_any(self) -> None:
        if self.found:
            raise InvalidRequest(f"{self.what} has problems", problems=self.found)


def refuse(what: str, field_name: str, message: str) -> InvalidRequest:
    """One problem as an InvalidRequest."""
    return InvalidRequest(f"{what} has problems", problems=[{"field": field_name, "message": message}])


# -- the themes taxonomy -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """A theme for tagging lessons: a stable code, its words, its family and the national code it maps to."""

    code: str
    label: str
    family: ThemeFamily
    national_code: str | None = None
    added_in: int = 1
    retired_in: int | None = None

    def view(self) -> ThemeView:
        return ThemeView(
            code=self.code,
            label=self.label,
            family=self.family,
            national_code=self.national_code,
            added_in=self.added_in,
            retired_in=self.retired_in,
        )


def _seed(family: ThemeFamily, prefix: str, *themes: tuple[str, str]) -> list[Theme]:
    return [Theme(code, label, family, f"{prefix}:{code}") for code, label in themes]


# Version 1 of every partnership's taxonomy (DOMAIN.md "Themes"): the Panel's practice themes, the
# categories of harm a Serious Incident Notification records, and the Care Act 2014 abuse types. The
# national codes are `list:code`; a partnership maps a theme of its own to one with `add_theme`.
SEED_THEMES: tuple[Theme, ...] = tuple(
    _seed(
        "practice",
        "panel",
        ("information_sharing", "Information sharing"),
        ("risk_assessment", "Risk assessment and decision-making"),
        ("voice_of_the_child", "The voice of the child"),
        ("fathers_and_men", "Working with fathers and men"),
        ("domestic_abuse", "Domestic abuse"),
        ("parental_mental_health", "Parental mental health"),
        ("substance_misuse", "Substance misuse"),
        ("neglect", "Neglect"),
        ("extra_familial_harm", "Extra-familial harm"),
        ("children_not_in_school", "Children not in school"),
        ("disabled_children", "Disabled children"),
        ("race_ethnicity_culture", "Race, ethnicity and culture"),
        ("safe_sleep_sudi", "Safe sleep and sudden unexpected death in infancy"),
        ("pre_birth_babies", "Pre-birth and vulnerable babies"),
    )
    + _seed(
        "notification",
        "sin",
        ("sin_physical_abuse", "Notification: physical abuse"),
        ("sin_sexual_abuse", "Notification: sexual abuse"),
        ("sin_emotional_abuse", "Notification: emotional abuse"),
        ("sin_neglect", "Notification: neglect"),
    )
    + _seed(
        "adult_abuse",
        "care_act",
        ("adult_physical", "Adults: physical abuse"),
        ("adult_domestic", "Adults: domestic abuse"),
        ("adult_sexual", "Adults: sexual abuse"),
        ("adult_psychological", "Adults: psychological abuse"),
        ("adult_financial", "Adults: financial or material abuse"),
        ("adult_modern_slavery", "Adults: modern slavery"),
        ("adult_discriminatory", "Adults: discriminatory abuse"),
        ("adult_organisational", "Adults: organisational abuse"),
        ("adult_neglect", "Adults: neglect and acts of omission"),
        ("adult_self_neglect", "Adults: self-neglect"),
    )
)


@dataclass(frozen=True)
class ThemeChange:
    """One change of a partnership's taxonomy, making its version `version`: a theme added (or re-mapped to a
    national code), or retired."""

    version: int
    code: str
    label: str = ""
    national_code: str | None = None
    retired: bool = False


@dataclass(frozen=True)
class Taxonomy:
    """A partnership's themes at a version: the seed, then its changes in order."""

    version: int
    themes: dict[str, Theme]

    @classmethod
    def of(cls, changes: Iterable[ThemeChange]) -> Taxonomy:
        themes = {theme.code: theme for theme in SEED_THEMES}
        version = 1
        for change in sorted(changes, key=lambda c: c.version):
            version = change.version
            known = themes.get(change.code)
            if change.retired and known is not None:
                themes[change.code] = replace(known, retired_in=change.version)
            elif known is not None:
                themes[change.code] = replace(
                    known, label=change.label or known.label, national_code=change.national_code
                )
            elif not change.retired:
                themes[change.code] = Theme(
                    change.code, change.label, "local", change.national_code, change.version
                )
        return cls(version, themes)

    def label(self, code: str) -> str:
        theme = self.themes.get(code)
        return theme.label if theme else code

    def check_choice(self, codes: Sequence[str], what: str, field_name: str = "themes") -> list[str]:
        """The codes, each once, if every one is a current theme; else InvalidRequest naming the field."""
        problems = Problems(what)
        if not codes:
            problems.add(field_name, "Choose at least one theme")
        for code in codes:
            theme = self.themes.get(code)
            if theme is None:
                problems.add(field_name, f"'{code[:60]}' is not a theme of the partnership's taxonomy")
            elif theme.retired_in is not None:
                problems.add(field_name, f"The theme '{theme.label}' is retired: choose a current theme")
        problems.raise_any()
        return list(dict.fromkeys(codes))

    def next_change(self, theme: AddTheme) -> ThemeChange:
        """The change adding (or re-mapping) a theme; InvalidRequest naming `code` for a retired one."""
        known = self.themes.get(theme.code)
        if known is not None and known.retired_in is not None:
            raise refuse("The theme", "code", f"The theme '{known.label}' is retired: use a new code")
        return ThemeChange(self.version + 1, theme.code, theme.label, theme.national_code)

    def retirement(self, code: str) -> ThemeChange:
        """The change retiring a theme; InvalidRequest naming `code` for one not there or already retired."""
        known = self.themes.get(code)
        if known is None:
            raise refuse("The theme", "code", "That is not a theme of the partnership's taxonomy")
        if known.retired_in is not None:
            raise refuse("The theme", "code", f"The theme '{known.label}' is already retired")
        return ThemeChange(self.version + 1, code, retired=True)


# -- lessons and recommendations ---------------------------------------------------------------------------


def check_finding(finding: str, what: str = "The lesson") -> str:
    """The lesson's words, trimmed; InvalidRequest naming `finding` when there are none."""
    cleaned = finding.strip()
    if not cleaned:
        raise refuse(what, "finding", "Enter what was learned")
    return cleaned


def check_recommendation(text: str, lesson_ids: Sequence[UUID], lessons_of_review: set[UUID]) -> str:
    """A recommendation must say something and draw on at least one lesson of its own review."""
    problems = Problems("The recommendation")
    if not text.strip():
        problems.add("text", "Enter the recommendation")
    if not lesson_ids:
        problems.add("lesson_ids", "Choose at least one lesson the recommendation draws on")
    elif any(lesson_id not in lessons_of_review for lesson_id in lesson_ids):
        problems.add("lesson_ids", "Choose lessons of this review")
    problems.raise_any()
    return text.strip()


# -- actions -----------------------------------------------------------------------------------------------


def check_due_on(due_on: date | None, review_began: date, today: date, problems: Problems) -> None:
    """A due date is required, not before the review began and no more than five years ahead."""
    if due_on is None:
        problems.add("due_on", "Enter the date the action is due")
    elif due_on < review_began:
        problems.add(
            "due_on",
            f"The due date must be on or after the day the review began, {review_began:%-d %B %Y}",
        )
    elif due_on > _years_after(today, MAX_YEARS_AHEAD):
        problems.add("due_on", f"The due date must be within {MAX_YEARS_AHEAD} years of today")


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class ProgressUpdate:
    """One progress update of an action."""

    written_on: date
    written_by: str
    status: SettableStatus
    note: str
    reason: str = ""


@dataclass(frozen=True)
class Action:
    """An action of a review's action plan. `status` is what was last typed; what a list shows (overdue,
    closed) and the RAG rating are worked out for a day by `shown_status` and `rag`."""

    id: UUID
    review_id: UUID
    partnership_id: UUID
    owner_id: UUID
    due_on: date
    status: SettableStatus = "not_started"
    description: str = ""
    success_measure: str = ""
    recommendation_id: UUID | None = None
    source: str = "recommendation"
    owner_agency_id: UUID | None = None
    themes: tuple[str, ...] = ()
    assigned_on: date | None = None
    last_update_on: date | None = None
    completed_on: date | None = None
    not_implemented_reason: str = ""
    practice_changed: PracticeChanged | None = None
    how_tested: str = ""
    signed_off_on: date | None = None
    signed_off_by: str | None = None
    updates: tuple[ProgressUpdate, ...] = field(default=())
    meeting_id: UUID | None = None

    # -- worked out, never typed

    def is_open(self) -> bool:
        return self.signed_off_on is None and self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        return self.is_open() and self.due_on < today

    def shown_status(self, today: date) -> ActionStatus:
        if self.signed_off_on is not None:
            return "closed"
        if self.is_overdue(today):
            return "overdue"
        return cast(ActionStatus, self.status)

    def rag(self, today: date) -> Rag:
        """Red: overdue or not implemented. Amber: at risk, not started close to its date, or no update for a
        long while. Complete: completed or closed. Green otherwise."""
        shown = self.shown_status(today)
        if shown in ("completed", "closed"):
            return "complete"
        if shown in ("overdue", "not_implemented"):
            return "red"
        last = self.last_update_on or self.assigned_on
        if (
            shown == "at_risk"
            or (shown == "not_started" and self.due_on - today <= AMBER_WITHIN)
            or (last is not None and today - last > STALE_AFTER)
        ):
            return "amber"
        return "green"

    @property
    def impact_check_due_on(self) -> date | None:
        return self.completed_on + IMPACT_CHECK_AFTER if self.completed_on else None

    def summary(self, today: date) -> ActionSummary:
        return ActionSummary(
            id=self.id, review_id=self.review_id, due_on=self.due_on, status=self.shown_status(today)
        )

    # -- changes

    def updated(
        self, status: SettableStatus, note: str, reason: str, today: date, by: str, *, may_reopen_closed: bool
    ) -> Action:
        """The action after a progress update. A finished or closed action set to an open status is reopened
        and needs a reason; so does `not_implemented`. A closed action is reopened only by whoever may sign it
        off or manages the plan (`may_reopen_closed`)."""
        problems = Problems("The progress update")
        reopening = status in OPEN_STATUSES and (
            self.signed_off_on is not None or self.status in FINISHED_STATUSES
        )
        if self.signed_off_on is not None and not reopening:
            raise Conflict("This action is signed off and closed: reopen it, with a reason, to change it")
        if self.signed_off_on is not None and not may_reopen_closed:
            raise Conflict(
                "This action is signed off: only the business manager or the Executive may reopen it"
            )
        if not note.strip():
            problems.add("note", "Enter what has been done since the last update")
        if reopening and not reason.strip():
            problems.add("reason", "Enter why the action is reopened")
        if status == "not_implemented" and not reason.strip():
            problems.add("reason", "Enter why the action will not be implemented")
        problems.raise_any()
        update = ProgressUpdate(today, by, status, note.strip(), reason.strip())
        return replace(
            self,
            status=status,
            last_update_on=today,
            completed_on=today if status == "completed" else (None if reopening else self.completed_on),
            not_implemented_reason=reason.strip() if status == "not_implemented" else "",
            practice_changed=None if reopening else self.practice_changed,
            how_tested="" if reopening else self.how_tested,
            signed_off_on=None,
            signed_off_by=None,
            updates=(update, *self.updates),
        )

    def with_impact(self, practice_changed: PracticeChanged, how_tested: str) -> Action:
        """The impact check of a completed action; InvalidRequest naming `status` or `how_tested`."""
        if self.status != "completed" or self.signed_off_on is not None:
            raise refuse(
                "The impact check",
                "status",
                "Only a completed action, not yet signed off, has an impact check",
            )
        if not how_tested.strip():
            raise refuse("The impact check", "how_tested", "Say how the change in practice was tested")
        return replace(self, practice_changed=practice_changed, how_tested=how_tested.strip())

    def signed_off(self, today: date, by: str) -> Action:
        """Closed by the Executive: a completed action with its impact check, or one not implemented."""
        if self.signed_off_on is not None:
            raise Conflict("This action is already signed off")
        if self.status == "completed" and self.practice_changed is None:
            raise refuse("The sign-off", "impact", "Record the impact check before the action is signed off")
        if self.status not in FINISHED_STATUSES:
            raise refuse(
                "The sign-off", "status", "Only a completed action, or one not implemented, can be signed off"
            )
        return replace(self, signed_off_on=today, signed_off_by=by)


def new_action_problems(
    *,
    description: str,
    success_measure: str,
    owner_id: UUID | None,
    owner_known: bool,
    due_on: date | None,
    review_began: date,
    today: date,
    recommendation_id: UUID | None,
    source: str,
    recommendation_known: bool,
) -> Problems:
    """What is wrong with a new action (nothing stored unless this is empty)."""
    problems = Problems("The action")
    if not description.strip():
        problems.add("description", "Enter what is to be done")
    if owner_id is None:
        problems.add("owner_id", "Choose who owns the action")
    elif not owner_known:
        problems.add("owner_id", "Choose an owner from the partnership's people")
    check_due_on(due_on, review_began, today, problems)
    if not success_measure.strip():
        problems.add("success_measure", "Enter how success will be measured")
    if source == "recommendation" and recommendation_id is None:
        problems.add("recommendation_id", "Choose the recommendation the action answers")
    elif recommendation_id is not None and not recommendation_known:
        problems.add("recommendation_id", "Choose a recommendation of this review")
    return problems


# -- actions agreed in approved minutes ----------------------------------------------------------------------

# Why an action agreed in a meeting waits for the business manager rather than joining the plan at once.
REVIEW_NOT_KNOWN = "The action plan does not know the review yet"
OWNER_CANNOT_OWN = "The owner named in the minutes cannot own actions of the partnership"


@dataclass(frozen=True)
class AgreedAction:
    """An action arising in a meeting's approved minutes (meetings.action_agreed), kept once per action item.
    It joins the plan as an action of source "meeting" (`action_id`) when its owner may own actions and its
    due date is allowed; otherwise it waits "to be assigned", with the reasons, until the business manager
    completes it. Never dropped: minutes are the record of what was agreed."""

    item_id: UUID
    meeting_id: UUID
    review_id: UUID
    partnership_id: UUID
    what: str
    owner_ref: str | None
    due_on: date | None
    agreed_on: date
    reasons: tuple[str, ...] = ()
    action_id: UUID | None = None

    @property
    def owner_id(self) -> UUID | None:
        """The owner named in the minutes as a user id; None for a guest without an account or nobody."""
        try:
            return UUID(self.owner_ref) if self.owner_ref else None
        except ValueError:
            return None


def agreed_action_reasons(
    agreed: AgreedAction, owner: Person | None, review: Review | None, today: date
) -> tuple[str, ...]:
    """Why the agreed action cannot join the plan as it stands (nothing when it can): the review is not known,
    the owner is nobody the partnership's actions can be assigned to, or the due date is missing or not
    allowed (as `check_due_on` rules for an action typed in)."""
    if review is None:
        return (REVIEW_NOT_KNOWN,)
    problems = Problems("The action")
    if not agreed.what.strip():
        problems.add("description", "The minutes do not say what is to be done")
    if agreed.owner_ref is None or not agreed.owner_ref.strip():
        problems.add("owner_id", "The minutes name no owner")
    elif owner is None or not may_own_actions(owner, review.partnership_id):
        problems.add("owner_id", OWNER_CANNOT_OWN)
    check_due_on(agreed.due_on, review.began_on, today, problems)
    return tuple(p["message"] for p in problems.found)


def action_from_agreed(agreed: AgreedAction, owner: Person, review: Review, today: date) -> Action:
    """The plan's action for an agreed action whose reasons are none: source "meeting", with its meeting."""
    assert agreed.due_on is not None
    return Action(
        id=agreed.item_id,
        review_id=review.id,
        partnership_id=review.partnership_id,
        owner_id=owner.user_id,
        due_on=agreed.due_on,
        description=agreed.what.strip(),
        source="meeting",
        owner_agency_id=owner.agency_id,
        assigned_on=today,
        meeting_id=agreed.meeting_id,
    )


def in_order(actions: Iterable[Action]) -> list[Action]:
    """Actions as the sub-group monitors them: soonest due first."""
    return sorted(actions, key=lambda action: (action.due_on, str(action.id)))


def matches(
    action: Action,
    today: date,
    *,
    agency_id: UUID | None = None,
    owner_id: UUID | None = None,
    theme: str | None = None,
    status: str | None = None,
    due_by: date | None = None,
) -> bool:
    """Whether an action passes a list's filters (each None is no filter)."""
    return (
        (agency_id is None or action.owner_agency_id == agency_id)
        and (owner_id is None or action.owner_id == owner_id)
        and (theme is None or theme in action.themes)
        and (status is None or action.shown_status(today) == status)
        and (due_by is None or action.due_on <= due_by)
    )


# -- recurring themes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaggedLesson:
    """A lesson's themes, with its review and the year it was recorded: what recurrence is counted from."""

    review_id: UUID
    themes: tuple[str, ...]
    year: int


def recurring_warnings(
    review_id: UUID,
    review_began: date,
    themes_of_review: set[str],
    earlier: Iterable[tuple[Action, date]],
    today: date,
) -> list[tuple[str, Action]]:
    """For each theme of this review, the actions of reviews begun before it (each with its review's start)
    on the same theme that are still open (overdue included) or were not implemented."""
    warnings: list[tuple[str, Action]] = []
    for action, began in earlier:
        if action.review_id == review_id or began > review_began:
            continue
        if action.signed_off_on is not None and action.status != "not_implemented":
            continue
        if not (action.is_open() or action.status == "not_implemented"):
            continue
        for theme in sorted(themes_of_review.intersection(action.themes)):
            warnings.append((theme, action))
    return sorted(warnings, key=lambda w: (w[0], w[1].due_on))


def theme_counts(
    lessons: Iterable[TaggedLesson], open_actions_by_theme: dict[str, int]
) -> list[tuple[str, int, int, int, int]]:
    """(theme, year, reviews, lessons, open actions) for each theme and year, themes most reviews first."""
    reviews: dict[tuple[str, int], set[UUID]] = {}
    lesson_count: dict[tuple[str, int], int] = {}
    for lesson in lessons:
        for theme in lesson.themes:
            reviews.setdefault((theme, lesson.year), set()).add(lesson.review_id)
            lesson_count[(theme, lesson.year)] = lesson_count.get((theme, lesson.year), 0) + 1
    rows = [
        (theme, year, len(ids), lesson_count[(theme, year)], open_actions_by_theme.get(theme, 0))
        for (theme, year), ids in reviews.items()
    ]
    return sorted(rows, key=lambda row: (-row[2], row[0], row[1]))


def recurs(lessons: Iterable[TaggedLesson]) -> set[str]:
    """The themes carried by lessons of two or more reviews."""
    by_theme: dict[str, set[UUID]] = {}
    for lesson in lessons:
        for theme in lesson.themes:
            by_theme.setdefault(theme, set()).add(lesson.review_id)
    return {theme for theme, ids in by_theme.items() if len(ids) >= 2}


# -- what the plan holds besides actions -------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """A review as the service knows it from forms: who holds it and the day it began."""

    id: UUID
    partnership_id: UUID
    began_on: date
    review_type: str = ""


@dataclass(frozen=True)
class Person:
    """Someone with an account in a partnership, as the gateway announced them."""

    user_id: UUID
    partnership_id: UUID | None
    agency_id: UUID | None
    display_name: str
    roles: tuple[str, ...] = ()
    active: bool = True


# Whom an action can be assigned to: people with a part in the partnership's work on cases.
ASSIGNABLE_ROLES = frozenset(
    {"action_owner", "agency_lead", "business_manager", "safeguarding_partner", "subgroup_member"}
)


def may_own_actions(person: Person, partnership_id: UUID) -> bool:
    """An active person of the partnership in a role that owns actions."""
    return (
        person.active
        and person.partnership_id == partnership_id
        and bool(ASSIGNABLE_ROLES.intersection(person.roles))
    )


@dataclass(frozen=True)
class Lesson:
    """A lesson of a review, tagged with themes of the taxonomy version it was recorded under."""

    id: UUID
    review_id: UUID
    partnership_id: UUID
    finding: str
    themes: tuple[str, ...]
    taxonomy_version: int
    source: str
    episode_entry_id: UUID | None
    recorded_on: date
    recorded_by: str


@dataclass(frozen=True)
class Recommendation:
    """A recommendation of a review and the lessons it draws on."""

    id: UUID
    review_id: UUID
    text: str
    lesson_ids: tuple[UUID, ...]
    audience: str
    agency_ids: tuple[UUID, ...]
    made_on: date
    made_by: str


# -- learning briefs and dissemination ---------------------------------------------------------------------


@dataclass(frozen=True)
class Dissemination:
    """A brief sent to someone, acknowledged by them, or used in training (with how many took part)."""

    kind: str
    to_whom: str
    on: date
    people: int | None = None


@dataclass(frozen=True)
class LearningBrief:
    """A review's learning brief and how its learning travelled."""

    id: UUID
    review_id: UUID
    partnership_id: UUID
    title: str
    published_on: date
    dissemination: tuple[Dissemination, ...] = ()

    def counts(self) -> tuple[int, int, int, int]:
        """(sent, acknowledged, training events, people trained): what the yearly report counts."""
        return (
            sum(1 for d in self.dissemination if d.kind == "sent"),
            sum(1 for d in self.dissemination if d.kind == "acknowledged"),
            sum(1 for d in self.dissemination if d.kind == "training"),
            sum(d.people or 0 for d in self.dissemination if d.kind == "training"),
        )


def check_brief(title: str, published_on: date | None, today: date) -> Problems:
    """A brief needs a title and the day it was published, not in the future."""
    problems = Problems("The learning brief")
    if not title.strip():
        problems.add("title", "Enter the learning brief's title")
    if published_on is None:
        problems.add("published_on", "Enter the date the learning brief was published")
    elif published_on > today:
        problems.add("published_on", "The date the learning brief was published must be today or in the past")
    return problems


def check_dissemination(
    brief_known: bool, kind: str | None, to_whom: str, on: date | None, people: int | None, today: date
) -> Problems:
    """A dissemination record names its brief, what happened, to or with whom, when (not in the future), and
    for training how many people took part."""
    problems = Problems("The dissemination")
    if not brief_known:
        problems.add("brief_id", "Choose the learning brief")
    if kind is None:
        problems.add("kind", "Choose whether the brief was sent, acknowledged or used in training")
    if not to_whom.strip():
        problems.add("to_whom", "Enter to whom it was sent, who acknowledged it, or the training or event")
    if on is None:
        problems.add("on", "Enter the date")
    elif on > today:
        problems.add("on", "The date must be today or in the past")
    if kind == "training" and people is None:
        problems.add("people", "Enter how many people took part")
    return problems


@dataclass(frozen=True)
class Evidence:
    """A file of evidence of an action, as the upload checker found it; its bytes are in the file store."""

    id: UUID
    action_id: UUID
    filename: str
    kind: str
    media_type: str
    size_bytes: int
    sha256: str
    file_key: str
    added_on: date
    added_by: str
