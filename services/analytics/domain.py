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
from typing import Any
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
from services.kernel.events import Envelope

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
    facts: Callable[[Envelope], list[Fact]] = field(compare=False)

    def facts_of(self, envelope: Envelope) -> list[Fact]:
        """The facts this projection takes from an event (none for an event it does not handle)."""
        if envelope.type not in self.handles:
            return []
        return [fact for fact in self.facts(envelope) if fact.table in self.tables]


def _fact(envelope: Envelope, table: str, key: dict[str, Any], **values: Any) -> Fact:
    return Fact(table, tuple(key.items()), values, envelope.occurred_at, envelope.event_id)


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# -- the projections, each a pure function of one event -----------------------------------------------------


def _review_stage(envelope: Envelope) -> list[Fact]:
    """Where a review is: opened at its first stage, moved on, restated after an upgrade."""
    if envelope.partnership_id is None:
        return []
    review_id, data = envelope.data["review_id"], envelope.data
    return [
        _fact(
            envelope,
            "review_stage",
            {"review_id": UUID(str(review_id))},
            partnership_id=envelope.partnership_id,
            review_type=data["review_type"],
            stage=data["stage"],
        )
    ]


# The milestones of a review's funnel and life, and the event that marks each.
LOCAL_REVIEW_OUTCOMES = frozenset({"lcspr", "review"})
RAPID_REVIEW_FORM = "rapid_review_setup"


def _milestones(envelope: Envelope) -> list[Fact]:
    """The dated milestones of a review: opened, notified (with the nature of the incident), rapid review
    begun, decided (with the outcome), the Panel's response (with the local decision), published, closed."""
    if envelope.partnership_id is None:
        return []
    data = envelope.data
    review = {"review_id": UUID(str(data["review_id"]))}

    def milestone(name: str, on: Any, outcome: str | None = None, detail: str | None = None) -> Fact:
        return _fact(
            envelope,
            "review_milestone",
            {**review, "milestone": name},
            partnership_id=envelope.partnership_id,
            on_date=_day(on),
            outcome=outcome,
            detail=detail,
        )

    kind = envelope.type
    if kind == ReviewOpened.event_type:
        return [milestone("opened", data["opened_at"], data["review_type"])]
    if kind == SinSubmitted.event_type:
        return [milestone("notified", data["notified_on"], data["nature"])]
    if kind == StepCompleted.event_type and data.get("form") == RAPID_REVIEW_FORM:
        return [milestone("rapid_review", data["completed_on"])]
    if kind == DecisionMade.event_type:
        local = "local_review" if data["outcome"] in LOCAL_REVIEW_OUTCOMES else "no_local_review"
        return [milestone("decided", data["decided_on"], data["outcome"], local)]
    if kind == PanelResponded.event_type:
        return [milestone("panel", data["received_on"], data["response"], data.get("local_decision"))]
    if kind == ReviewPublished.event_type:
        outcome = "published" if data["published"] else "not_published"
        return [milestone("published", data.get("published_on") or envelope.occurred_at, outcome)]
    if kind == ReviewClosed.event_type:
        return [milestone("closed", data["closed_on"])]
    return []


def _children(envelope: Envelope) -> list[Fact]:
    """The children of a notification, in categories only (one row each), with its date and nature."""
    if envelope.partnership_id is None:
        return []
    data = envelope.data
    review_id = UUID(str(data["review_id"]))
    return [
        _fact(
            envelope,
            "notified_child",
            {"review_id": review_id, "ordinal": ordinal},
            partnership_id=envelope.partnership_id,
            notified_on=_day(data["notified_on"]),
            nature=data["nature"],
            age_band=child["age_band"],
            sex=child["sex"],
            ethnicity=child["ethnicity"],
            disability=child["disability"],
            legal_status=sorted(child.get("legal_status") or []),
        )
        for ordinal, child in enumerate(data.get("children_categories") or [])
    ]


def _deadlines(envelope: Envelope) -> list[Fact]:
    """Each deadline of a review: its standing (from deadline_changed), and how it was met (from the step
    that met it: its statutory and revised dates, and the working days late)."""
    if envelope.partnership_id is None:
        return []
    data = envelope.data
    key = {"review_id": UUID(str(data["review_id"])), "deadline": data.get("deadline")}
    if envelope.type == DeadlineChanged.event_type:
        return [
            _fact(
                envelope,
                "deadline_standing",
                key,
                partnership_id=envelope.partnership_id,
                review_type=data["review_type"],
                label=data["label"],
                statutory=bool(data["statutory"]),
                due_on=_day(data.get("due_on")),
                revised_due_on=_day(data.get("revised_due_on")),
                status=data["status"],
            )
        ]
    if envelope.type == StepCompleted.event_type and data.get("deadline") and data.get("due_on"):
        return [
            _fact(
                envelope,
                "deadline_met",
                key,
                partnership_id=envelope.partnership_id,
                review_type=data["review_type"],
                met_on=_day(data["completed_on"]),
                due_on=_day(data["due_on"]),
                revised_due_on=_day(data.get("revised_due_on")),
                late_by_working_days=int(data.get("late_by_working_days") or 0),
            )
        ]
    return []


def _returns(envelope: Envelope) -> list[Fact]:
    """Each agency's return: when it is due (asked for, extended), and when it came in and how late."""
    if envelope.partnership_id is None:
        return []
    data = envelope.data
    key = {"return_id": UUID(str(data["return_id"]))}
    common = {
        "partnership_id": envelope.partnership_id,
        "review_id": UUID(str(data["review_id"])),
        "agency_id": UUID(str(data["agency_id"])),
    }
    if envelope.type in (ReturnRequested.event_type, ReturnExtended.event_type):
        return [_fact(envelope, "return_due", key, **common, due_on=_day(data["due_on"]))]
    if envelope.type == ReturnSubmitted.event_type:
        return [
            _fact(
                envelope,
                "return_submitted",
                key,
                **common,
                submitted_on=_day(envelope.occurred_at),
                due_on=_day(data["due_on"]),
                late_by_working_days=int(data["late_by_working_days"]),
                nil=bool(data["nil"]),
            )
        ]
    return []


def _lessons(envelope: Envelope) -> list[Fact]:
    """A lesson of a review with its theme codes (never its words), dated when it was recorded."""
    if envelope.partnership_id is None:
        return []
    data = envelope.data
    return [
        _fact(
            envelope,
            "lesson",
            {"lesson_id": UUID(str(data["lesson_id"]))},
            partnership_id=envelope.partnership_id,
            review_id=UUID(str(data["review_id"])),
            recorded_on=_day(envelope.occurred_at),
            themes=sorted(set(data.get("themes") or [])),
        )
    ]


def _pauses(envelope: Envelope) -> list[Fact]:
    """Each pause of a review's clock for a parallel process: its reason code and dates (an end that a later
    resumption records wins, being later)."""
    if envelope.partnership_id is None:
        return []
    data = envelope.data
    key = {"pause_id": UUID(str(data["pause_id"]))}
    review_id = UUID(str(data["review_id"]))
    if envelope.type == ReviewPaused.event_type:
        return [
            _fact(
                envelope,
                "review_pause",
                key,
                partnership_id=envelope.partnership_id,
                review_id=review_id,
                reason=data["reason"],
                starts_on=_day(data["starts_on"]),
                ends_on=_day(data.get("ends_on")),
            )
        ]
    if envelope.type == ReviewResumed.event_type:
        return [
            _fact(
                envelope,
                "review_pause_end",
                key,
                partnership_id=envelope.partnership_id,
                review_id=review_id,
                ends_on=_day(data["ends_on"]),
            )
        ]
    return []


def _recommendations(envelope: Envelope) -> list[Fact]:
    """A recommendation of a review: how many lessons it draws on, and its audience (never its words)."""
    if envelope.partnership_id is None:
        return []
    data = envelope.data
    return [
        _fact(
            envelope,
            "recommendation",
            {"recommendation_id": UUID(str(data["recommendation_id"]))},
            partnership_id=envelope.partnership_id,
            review_id=UUID(str(data["review_id"])),
            made_on=_day(envelope.occurred_at),
            lessons=len(data.get("lesson_ids") or []),
            audience=data["audience"],
        )
    ]


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


def _actions(envelope: Envelope) -> list[Fact]:
    """Where each action stands (its state, the latest event winning), and, from its assignment, its
    owner's agency, its due date and its themes."""
    state = ACTION_STATES.get(envelope.type)
    action_id = envelope.data.get("action_id")
    if state is None or envelope.partnership_id is None or not action_id:
        return []
    key = {"action_id": UUID(str(action_id))}
    facts = [_fact(envelope, "action_state", key, partnership_id=envelope.partnership_id, state=state)]
    if envelope.type == ActionAssigned.event_type:
        data = envelope.data
        agency = data.get("owner_agency_id")
        facts.append(
            _fact(
                envelope,
                "action_plan",
                key,
                partnership_id=envelope.partnership_id,
                review_id=UUID(str(data["review_id"])),
                owner_agency_id=UUID(str(agency)) if agency else None,
                due_on=_day(data["due_on"]),
                themes=sorted(set(data.get("themes") or [])),
            )
        )
    return facts


def _directory(envelope: Envelope) -> list[Fact]:
    """Partnerships (code, name, region) and agencies (their type only) from the gateway's identity events."""
    data = envelope.data
    if envelope.type == PartnershipChanged.event_type:
        return [
            _fact(
                envelope,
                "partnership",
                {"partnership_id": UUID(str(data["partnership_id"]))},
                code=data["code"],
                name=data["name"],
                region=data.get("region"),
            )
        ]
    if envelope.type == AgencyChanged.event_type:
        return [
            _fact(
                envelope,
                "agency",
                {"agency_id": UUID(str(data["agency_id"]))},
                partnership_id=UUID(str(data["partnership_id"])),
                agency_type=data["agency_type"],
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
        Projection("lessons", "lessons and their themes", ("lesson",), _types(LessonRecorded), _lessons),
        Projection(
            "recommendations",
            "recommendations: how many lessons each draws on, and its audience",
            ("recommendation",),
            _types(RecommendationMade),
            _recommendations,
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
    """Every fact the projections (all, unless named) take from one event."""
    chosen = PROJECTIONS.values() if projections is None else projections
    return [fact for projection in chosen for fact in projection.facts_of(envelope)]


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
