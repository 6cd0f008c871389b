"""The rules of the analytics read models. Pure Python: no broker, no database.

Every read model is a projection: a pure function from one event to the facts it states, each a row of one
of the projection's tables, keyed. Events arrive out of order (competing workers, retries, a replay from the
dead letters) and sometimes twice, so a row is kept only if its fact occurred later than the one held (by
`occurred_at`, then by event id, so that two events of the same instant agree too): the event that occurred
last wins whatever order they arrive in, and the same event twice changes nothing. So replaying the event
store in any order, from scratch, gives the same rows as the live service holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from gateway.contract import AgencyChanged, PartnershipChanged
from services.actions.contract import (
    ActionAssigned,
    ActionCompleted,
    ActionNotImplemented,
    ActionOverdue,
    ActionReopened,
    ActionSignedOff,
    LessonRecorded,
    RecommendationMade,
)
from services.analytics.contract import ActionCount, ReviewCount
from services.forms.contract import (
    DeadlineChanged,
    DecisionMade,
    PanelResponded,
    ReturnExtended,
    ReturnRequested,
    ReturnSubmitted,
    ReviewClosed,
    ReviewOpened,
    ReviewPaused,
    ReviewPublished,
    ReviewRestated,
    ReviewResumed,
    SinSubmitted,
    StageChanged,
    StepCompleted,
)
from services.kernel.events import Envelope, EventData

# -- facts and projections ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """A row one event states of a projection's table: its key, its values, as of when the event occurred.

    A fact replaces the row held under its key only if it `supersedes` it."""

    table: str
    key: tuple[tuple[str, Any], ...]
    values: dict[str, Any]
    as_of: datetime
    event_id: UUID

    @property
    def order(self) -> tuple[datetime, UUID]:
        """Which of two facts of one key wins: the later, and of the same instant the greater event id."""
        return (self.as_of, self.event_id)

    def supersedes(self, held: Fact | None) -> bool:
        """Whether this fact replaces the one held (or nothing is held yet)."""
        return held is None or held.order < self.order

    def row(self) -> dict[str, Any]:
        """The whole row as stored: key, values, and the order columns."""
        return {**dict(self.key), **self.values, "as_of": self.as_of, "event_id": self.event_id}


def latest(facts: Iterable[Fact]) -> dict[tuple[str, tuple[tuple[str, Any], ...]], Fact]:
    """Of many facts, the one that wins under each table and key (a batch reduced before it is stored)."""
    held: dict[tuple[str, tuple[tuple[str, Any], ...]], Fact] = {}
    for fact in facts:
        where = (fact.table, fact.key)
        if fact.supersedes(held.get(where)):
            held[where] = fact
    return held


@dataclass(frozen=True)
class Projection:
    """A read model: the tables it owns (dropped and refilled by a rebuild) and the facts of each event."""

    name: str
    description: str
    tables: tuple[str, ...]
    handles: frozenset[str]
    facts: Callable[[Envelope, EventData], list[Fact]] = field(compare=False)

    def facts_of(self, envelope: Envelope, payload: EventData | None = None) -> list[Fact]:
        """The facts this projection takes from an event (none for an event it does not handle); its payload
        is read as its contract type unless it is handed in already read."""
        if envelope.type not in self.handles:
            return []
        data = payload_of(envelope) if payload is None else payload
        return [fact for fact in self.facts(envelope, data) if fact.table in self.tables]


def _fact(envelope: Envelope, table: str, key: dict[str, Any], **values: Any) -> Fact:
    return Fact(table, tuple(key.items()), values, envelope.occurred_at, envelope.event_id)


# -- the projections, each a pure function of one event and its payload -------------------------------------

# The contract type of each event analytics takes, as its publisher declares it: a payload that is not one
# is refused (pydantic's ValidationError), and the event goes to the dead letters with the reason.
CONTRACTS: dict[str, type[EventData]] = {
    kind.event_type: kind
    for kind in (
        ReviewOpened,
        StageChanged,
        ReviewRestated,
        SinSubmitted,
        StepCompleted,
        DecisionMade,
        PanelResponded,
        ReviewPublished,
        ReviewClosed,
        DeadlineChanged,
        ReturnRequested,
        ReturnExtended,
        ReturnSubmitted,
        ReviewPaused,
        ReviewResumed,
        LessonRecorded,
        RecommendationMade,
        ActionAssigned,
        ActionReopened,
        ActionOverdue,
        ActionCompleted,
        ActionNotImplemented,
        ActionSignedOff,
        PartnershipChanged,
        AgencyChanged,
    )
}


def payload_of(envelope: Envelope) -> EventData:
    """The event's data as its contract type (ValidationError if it is not one)."""
    return cast(EventData, envelope.payload(CONTRACTS[envelope.type]))


def _review_stage(envelope: Envelope, data: EventData) -> list[Fact]:
    """Where a review is: opened at its first stage, moved on, restated after an upgrade."""
    if envelope.partnership_id is None or not isinstance(data, ReviewOpened | StageChanged | ReviewRestated):
        return []
    return [
        _fact(
            envelope,
            "review_stage",
            {"review_id": data.review_id},
            partnership_id=envelope.partnership_id,
            review_type=data.review_type,
            stage=data.stage,
        )
    ]


# The milestones of a review's funnel and life, and the event that marks each.
LOCAL_REVIEW_OUTCOMES = frozenset({"lcspr", "review"})
RAPID_REVIEW_FORM = "rapid_review_setup"


def _milestone_of(data: EventData, occurred_at: datetime) -> tuple[str, date, str | None, str | None] | None:
    """The milestone an event marks: (name, date, outcome, detail), or None."""
    if isinstance(data, ReviewOpened):
        return ("opened", data.opened_at.date(), data.review_type, None)
    if isinstance(data, SinSubmitted):
        return ("notified", data.notified_on, data.nature, None)
    if isinstance(data, StepCompleted) and data.form == RAPID_REVIEW_FORM:
        return ("rapid_review", data.completed_on, None, None)
    if isinstance(data, DecisionMade):
        local = "local_review" if data.outcome in LOCAL_REVIEW_OUTCOMES else "no_local_review"
        return ("decided", data.decided_on, data.outcome, local)
    if isinstance(data, PanelResponded):
        return ("panel", data.received_on, data.response, data.local_decision)
    if isinstance(data, ReviewPublished):
        outcome = "published" if data.published else "not_published"
        return ("published", data.published_on or occurred_at.date(), outcome, None)
    if isinstance(data, ReviewClosed):
        return ("closed", data.closed_on, None, None)
    return None


def _milestones(envelope: Envelope, data: EventData) -> list[Fact]:
    """The dated milestones of a review: opened, notified (with the nature of the incident), rapid review
    begun, decided (with the outcome), the Panel's response (with the local decision), published, closed."""
    marked = _milestone_of(data, envelope.occurred_at)
    if envelope.partnership_id is None or marked is None:
        return []
    name, on, outcome, detail = marked
    return [
        _fact(
            envelope,
            "review_milestone",
            {"review_id": getattr(data, "review_id"), "milestone": name},  # noqa: B009 (every one has it)
            partnership_id=envelope.partnership_id,
            on_date=on,
            outcome=outcome,
            detail=detail,
        )
    ]


def _children(envelope: Envelope, data: EventData) -> list[Fact]:
    """The children of a notification, in categories only (one row each), with its date and nature."""
    if envelope.partnership_id is None or not isinstance(data, SinSubmitted):
        return []
    return [
        _fact(
            envelope,
            "notified_child",
            {"review_id": data.review_id, "ordinal": ordinal},
            partnership_id=envelope.partnership_id,
            notified_on=data.notified_on,
            nature=data.nature,
            age_band=child.age_band,
            sex=child.sex,
            ethnicity=child.ethnicity,
            disability=child.disability,
            legal_status=sorted(child.legal_status),
        )
        for ordinal, child in enumerate(data.children_categories)
    ]


def _deadlines(envelope: Envelope, data: EventData) -> list[Fact]:
    """Each deadline of a review: its standing (from deadline_changed), and how it was met (from the step
    that met it: its statutory and revised dates, and the working days late)."""
    if envelope.partnership_id is None or not isinstance(data, DeadlineChanged | StepCompleted):
        return []
    if isinstance(data, StepCompleted) and not (data.deadline and data.due_on):
        return []
    key = {"review_id": data.review_id, "deadline": data.deadline}
    common = {
        "partnership_id": envelope.partnership_id,
        "review_type": data.review_type,
        "due_on": data.due_on,
        "revised_due_on": data.revised_due_on,
    }
    if isinstance(data, DeadlineChanged):
        standing = {"label": data.label, "statutory": data.statutory, "status": data.status}
        return [_fact(envelope, "deadline_standing", key, **common, **standing)]
    late = data.late_by_working_days or 0
    return [
        _fact(envelope, "deadline_met", key, **common, met_on=data.completed_on, late_by_working_days=late)
    ]


def _returns(envelope: Envelope, data: EventData) -> list[Fact]:
    """Each agency's return: when it is due (asked for, extended), and when it came in and how late."""
    if envelope.partnership_id is None or not isinstance(
        data, ReturnRequested | ReturnExtended | ReturnSubmitted
    ):
        return []
    key = {"return_id": data.return_id}
    common = {
        "partnership_id": envelope.partnership_id,
        "review_id": data.review_id,
        "agency_id": data.agency_id,
    }
    if isinstance(data, ReturnSubmitted):
        return [
            _fact(
                envelope,
                "return_submitted",
                key,
                **common,
                submitted_on=envelope.occurred_at.date(),
                due_on=data.due_on,
                late_by_working_days=data.late_by_working_days,
                nil=data.nil,
            )
        ]
    return [_fact(envelope, "return_due", key, **common, due_on=data.due_on)]


def _recorded(envelope: Envelope, data: EventData) -> list[Fact]:
    """A lesson of a review with its theme codes (never its words), dated when it was recorded; a
    recommendation with how many lessons it draws on and its audience (never its words), dated when made."""
    if envelope.partnership_id is None:
        return []
    common = {"partnership_id": envelope.partnership_id, "review_id": getattr(data, "review_id", None)}
    on = envelope.occurred_at.date()
    if isinstance(data, LessonRecorded):
        themes = sorted(set(data.themes))
        return [
            _fact(envelope, "lesson", {"lesson_id": data.lesson_id}, **common, recorded_on=on, themes=themes)
        ]
    if isinstance(data, RecommendationMade):
        key = {"recommendation_id": data.recommendation_id}
        lessons, audience = len(data.lesson_ids), data.audience
        return [
            _fact(envelope, "recommendation", key, **common, made_on=on, lessons=lessons, audience=audience)
        ]
    return []


def _pauses(envelope: Envelope, data: EventData) -> list[Fact]:
    """Each pause of a review's clock for a parallel process: its reason code and dates (an end that a later
    resumption records wins, being later)."""
    if envelope.partnership_id is None or not isinstance(data, ReviewPaused | ReviewResumed):
        return []
    key = {"pause_id": data.pause_id}
    common = {"partnership_id": envelope.partnership_id, "review_id": data.review_id}
    if isinstance(data, ReviewPaused):
        return [
            _fact(
                envelope,
                "review_pause",
                key,
                **common,
                reason=data.reason,
                starts_on=data.starts_on,
                ends_on=data.ends_on,
            )
        ]
    return [_fact(envelope, "review_pause_end", key, **common, ends_on=data.ends_on)]


# The state each of the actions service's events leaves an action in (an update that is not one of these
# leaves it where it was). Overdue comes from the service's timer; a later completion supersedes it.
ACTION_STATES = {
    ActionAssigned.event_type: "open",
    ActionReopened.event_type: "open",
    ActionOverdue.event_type: "overdue",
    ActionCompleted.event_type: "completed",
    ActionNotImplemented.event_type: "not_implemented",
    ActionSignedOff.event_type: "closed",
}
ACTION_STATE_ORDER = ("open", "overdue", "completed", "not_implemented", "closed")


def _actions(envelope: Envelope, data: EventData) -> list[Fact]:
    """Where each action stands (its state, the latest event winning), and, from its assignment, its
    owner's agency, its due date and its themes."""
    state = ACTION_STATES.get(envelope.type)
    action_id = getattr(data, "action_id", None)
    if state is None or envelope.partnership_id is None or action_id is None:
        return []
    key = {"action_id": action_id}
    facts = [_fact(envelope, "action_state", key, partnership_id=envelope.partnership_id, state=state)]
    if isinstance(data, ActionAssigned):
        facts.append(
            _fact(
                envelope,
                "action_plan",
                key,
                partnership_id=envelope.partnership_id,
                review_id=data.review_id,
                owner_agency_id=data.owner_agency_id,
                due_on=data.due_on,
                themes=sorted(set(data.themes)),
            )
        )
    return facts


def _directory(envelope: Envelope, data: EventData) -> list[Fact]:
    """Partnerships (code, name, region) and agencies (their type only) from the gateway's identity events."""
    if isinstance(data, PartnershipChanged):
        return [
            _fact(
                envelope,
                "partnership",
                {"partnership_id": data.partnership_id},
                code=data.code,
                name=data.name,
                region=data.region,
            )
        ]
    if isinstance(data, AgencyChanged):
        return [
            _fact(
                envelope,
                "agency",
                {"agency_id": data.agency_id},
                partnership_id=data.partnership_id,
                agency_type=data.agency_type,
            )
        ]
    return []


def _types(*kinds: Any) -> frozenset[str]:
    return frozenset(kind.event_type for kind in kinds)


PROJECTIONS: dict[str, Projection] = {
    projection.name: projection
    for projection in (
        Projection(
            "review_stages",
            "where each review is: its type and stage",
            ("review_stage",),
            _types(ReviewOpened, StageChanged, ReviewRestated),
            _review_stage,
        ),
        Projection(
            "milestones",
            "each review's dated milestones: notified, rapid review, decision, the Panel, published, closed",
            ("review_milestone",),
            _types(
                ReviewOpened,
                SinSubmitted,
                StepCompleted,
                DecisionMade,
                PanelResponded,
                ReviewPublished,
                ReviewClosed,
            ),
            _milestones,
        ),
        Projection(
            "children",
            "the children of each notification, in categories only",
            ("notified_child",),
            _types(SinSubmitted),
            _children,
        ),
        Projection(
            "deadlines",
            "each deadline of each review: its standing, and how it was met",
            ("deadline_standing", "deadline_met"),
            _types(DeadlineChanged, StepCompleted),
            _deadlines,
        ),
        Projection(
            "returns",
            "each agency's return: when due, when in and how late",
            ("return_due", "return_submitted"),
            _types(ReturnRequested, ReturnExtended, ReturnSubmitted),
            _returns,
        ),
        Projection(
            "pauses",
            "each pause of a review's clock: its reason code and dates",
            ("review_pause", "review_pause_end"),
            _types(ReviewPaused, ReviewResumed),
            _pauses,
        ),
        Projection("lessons", "lessons and their themes", ("lesson",), _types(LessonRecorded), _recorded),
        Projection(
            "recommendations",
            "recommendations: how many lessons each draws on, and its audience",
            ("recommendation",),
            _types(RecommendationMade),
            _recorded,
        ),
        Projection(
            "actions",
            "each action's state, its owner's agency, due date and themes",
            ("action_state", "action_plan"),
            frozenset(ACTION_STATES),
            _actions,
        ),
        Projection(
            "directory",
            "partnerships' names and regions, agencies' types",
            ("partnership", "agency"),
            _types(PartnershipChanged, AgencyChanged),
            _directory,
        ),
    )
}

# Every event type some projection takes: the events analytics subscribes to and keeps in its store.
HANDLED_EVENTS = frozenset().union(*(projection.handles for projection in PROJECTIONS.values()))


def facts_of(envelope: Envelope, projections: Iterable[Projection] | None = None) -> list[Fact]:
    """Every fact the projections (all, unless named) take from one event, its payload read once as its
    contract type (ValidationError if it is not one)."""
    chosen = PROJECTIONS.values() if projections is None else projections
    payload = payload_of(envelope)
    return [fact for projection in chosen for fact in projection.facts_of(envelope, payload)]


def projections_named(name: str | None) -> list[Projection]:
    """The projection of that name, or all of them (None); a name that is none of them is refused."""
    if name is None:
        return list(PROJECTIONS.values())
    if name not in PROJECTIONS:
        raise KeyError(f"No projection {name!r}: choose one of {', '.join(PROJECTIONS)}")
    return [PROJECTIONS[name]]


# -- the old counts' answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageCount:
    """How many reviews of a type are at a stage (in whatever partnerships were asked about)."""

    review_type: str
    stage: str
    count: int


def review_counts(partnership_id: UUID | None, counts: Iterable[StageCount]) -> list[ReviewCount]:
    """The counts as the contract answers them: for one partnership, or summed (`partnership_id` None)."""
    return [
        ReviewCount(partnership_id=partnership_id, review_type=c.review_type, stage=c.stage, count=c.count)
        for c in counts
    ]


def action_counts(partnership_id: UUID | None, counts: Iterable[tuple[str, int]]) -> list[ActionCount]:
    """The counts in the order of an action's life."""
    held = dict(counts)
    return [
        ActionCount(partnership_id=partnership_id, state=state, count=held.get(state, 0))
        for state in ACTION_STATE_ORDER
    ]
