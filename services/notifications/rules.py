"""The rules as data (rules.yml): tracked due dates and the messages events and dates cause. Pure Python.

A file is read whole; each rule or track with a problem (an event no service publishes, an unknown
recipient, a placeholder the trigger cannot fill, bounds that do not hold) is kept with its problems
and is not active, so one bad rule never stops the service nor the other rules.

The problems name events and fields, for the operator's log. The settings page says why a rule is not
active in plain words, and never names an event (`Rule.problem_in_words`): a rule that only waits for a
part of Case Review still to come (its events, or its track's, published by no service yet) starts working
when that part is added; any other problem is a mistake in the rules file, for the support team to fix.
"""

from __future__ import annotations

import importlib
import inspect
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from services.kernel.config import SERVICE_NAMES
from services.kernel.events import EventData

DEFAULT_RULES_FILE = Path(__file__).with_name("rules.yml")

URGENCIES = ("normal", "urgent", "statutory")
ROLE_RECIPIENTS = {
    "business_manager": "The business manager",
    "executive": "The Executive",
    "safeguarding_partners": "The safeguarding partners",
    "agency_lead": "The agency's safeguarding lead",
    "agency_safeguarding_partner": "The agency's safeguarding partner (else the partnership's)",
}
# The people a `user:<field>` recipient names, in the words of the settings page (never the field's name).
PERSON_RECIPIENTS = {
    "invitee_ids": "The people invited to the meeting",
    "owner_id": "The person the action is assigned to",
    "mentioned_user_ids": "The people mentioned in the comment",
}
SOME_PERSON = "The person it is about"
EFFECTS = ("open", "move", "pause", "close")
TRACK_WORDS = {
    "return": "a return",
    "statutory_deadline": "a statutory deadline",
    "action": "an action",
    "accuracy_check": "an agency's factual-accuracy check",
}
# The parts of Case Review still to come, by the prefix of their events, in the words of the settings page:
# a rule waiting only for their events "starts working when <part> are added to Case Review". An event no
# service publishes under any other prefix is a mistake in the rules file (a misspelt name, say).
PARTS_TO_COME = {
    "meetings": "review meetings",
    "actions": "actions from reviews",
    "reports": "review reports",
}
MISTAKE_WORDS = (
    "The rule is set up wrongly in the rules file, so it sends nothing. "
    "Ask your Case Review support team to correct it"
)
# Placeholders every message may use, whatever triggers it.
COMMON_PLACEHOLDERS = frozenset({"agency", "review_id", "subject", "label", "due_on"})
DATE_PLACEHOLDERS = frozenset({"working_days", "days", "days_overdue"})


@cache
def known_events() -> dict[str, type[EventData]]:
    """Every event type the contract modules define: the services' and identity's (the gateway's)."""
    modules = [f"services.{name}.contract" for name in SERVICE_NAMES] + ["services.kernel.identity"]
    found: dict[str, type[EventData]] = {}
    for name in modules:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, EventData) and value is not EventData:
                event_type = getattr(value, "event_type", None)
                if isinstance(event_type, str):
                    found[event_type] = value
    return found


@dataclass(frozen=True)
class TrackEffect:
    """What one event does to a tracked due date."""

    effect: str | None  # fixed effect, or None when `effect_by` decides
    effect_field: str | None
    effect_by: Mapping[str, str]
    due: str | None
    agency: str | None
    user: str | None
    label: str | None
    # The event field listing the subjects it applies to, instead of the track's one subject (a round closed
    # closes each agency's request left unanswered).
    subjects: str | None = None

    def effect_of(self, data: Mapping[str, Any]) -> str | None:
        """open, move, pause or close for this event's data (None: the event changes nothing)."""
        if self.effect is not None:
            return self.effect
        value = data.get(self.effect_field or "")
        return self.effect_by.get(str(value)) if value is not None else None


@dataclass(frozen=True)
class Track:
    """A kind of due date the service follows (an agency's return, a statutory deadline, an action)."""

    code: str
    subject: str
    only_if: Mapping[str, Any]
    events: Mapping[str, TrackEffect]
    closed_by_review: tuple[str, ...]
    problems: tuple[str, ...] = ()
    # The events it follows of parts of Case Review still to come (each is one of its problems).
    waiting_for: tuple[str, ...] = ()

    @property
    def only_waiting(self) -> bool:
        """Not active only because its events are still to come: it starts working once they exist."""
        return bool(self.problems) and len(self.problems) == len(self.waiting_for)

    def counts(self, data: Mapping[str, Any]) -> bool:
        """Whether the event's data is about a date of this track (its `only_if` holds)."""
        return all(data.get(key) == value for key, value in self.only_if.items())


@dataclass(frozen=True)
class Rule:
    """One rule: an event or a date relative to a tracked due date, whom to tell, and the words."""

    code: str
    label: str
    kind: str
    urgency: str
    event: str | None
    track: str | None
    before: bool
    after: bool
    every: bool
    days: int | None
    min_days: int | None
    max_days: int | None
    to: tuple[str, ...]
    link: str
    title: str
    body: str
    attachment: str | None
    problems: tuple[str, ...] = ()
    # The events, its own or its track's, of parts of Case Review still to come; `waiting_only`: its
    # problems are only these, so it starts working once they exist.
    waiting_for: tuple[str, ...] = ()
    waiting_only: bool = False

    @property
    def active(self) -> bool:
        return not self.problems

    @property
    def bounds(self) -> tuple[int, int] | None:
        """The days a partnership may choose (a rule without days: None)."""
        if self.days is None:
            return None
        low = self.min_days if self.min_days is not None else self.days
        high = self.max_days if self.max_days is not None else self.days
        return low, high

    @property
    def problem_in_words(self) -> str | None:
        """Why the rule is not active, for the settings page (None when it is), naming no event: when the
        part of Case Review it waits for is added, else that the rules file has a mistake."""
        if not self.problems:
            return None
        if not self.waiting_only:
            return MISTAKE_WORDS
        parts = dict.fromkeys(PARTS_TO_COME[_part_of(event)] for event in self.waiting_for)
        return f"Starts working when {' and '.join(parts)} are added to Case Review"

    @property
    def statutory(self) -> bool:
        return self.urgency == "statutory"

    @property
    def fixed_timing(self) -> bool:
        """Always sent at once: statutory and urgent kinds cannot wait for a digest."""
        return self.urgency in ("statutory", "urgent")

    def trigger(self, days: int | None) -> str:
        """When the rule fires, in words for the settings page, with the partnership's figure."""
        if self.event:
            return "When it happens"
        what = TRACK_WORDS.get(self.track or "", "the date")
        count = f"{days} working day{'' if days == 1 else 's'}"
        if self.before:
            return f"{count} before {what} is due"
        if self.every:
            return f"Each working day from {count} after {what} was due"
        return f"{count} after {what} was due"

    def recipients_in_words(self) -> list[str]:
        return [
            ROLE_RECIPIENTS.get(who) or PERSON_RECIPIENTS.get(who.removeprefix("user:"), SOME_PERSON)
            for who in self.to
        ]


@dataclass(frozen=True)
class RuleBook:
    """The rules and tracks of a deployment, with what is wrong with any of them."""

    tracks: Mapping[str, Track]
    rules: tuple[Rule, ...]
    problems: tuple[str, ...] = field(default=())
    kind_labels: Mapping[str, str] = field(default_factory=dict)

    def rule(self, code: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.code == code), None)

    def active_rules(self) -> list[Rule]:
        return [rule for rule in self.rules if rule.active]

    def events_handled(self) -> list[str]:
        """Event types the service must subscribe to: those named by active rules and sound tracks."""
        wanted: set[str] = set()
        for rule in self.active_rules():
            if rule.event:
                wanted.add(rule.event)
        for track in self.tracks.values():
            if not track.problems:
                wanted.update(track.events)
                wanted.update(track.closed_by_review)
        return sorted(wanted)

    def event_rules(self, event_type: str) -> list[Rule]:
        return [rule for rule in self.active_rules() if rule.event == event_type]

    def date_rules(self, track: str) -> list[Rule]:
        return [rule for rule in self.active_rules() if rule.track == track]

    def kinds(self) -> dict[str, tuple[str, bool]]:
        """Each kind of message: its label (from `kinds`, else its first rule's) and whether its timing is
        fixed."""
        kinds: dict[str, tuple[str, bool]] = {}
        for rule in self.rules:
            label, fixed = kinds.get(rule.kind, (self.kind_labels.get(rule.kind, rule.label), False))
            kinds[rule.kind] = (label, fixed or rule.fixed_timing)
        return kinds


def _part_of(event_type: str) -> str:
    return event_type.split(".", 1)[0]


def _to_come(event_type: str, events: Mapping[str, type[EventData]]) -> bool:
    """An event no service publishes yet, of a part of Case Review still to come."""
    return event_type not in events and _part_of(event_type) in PARTS_TO_COME


def _placeholders(text: str) -> set[str]:
    return {name.split(".")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def _event_fields(event_type: str, events: Mapping[str, type[EventData]]) -> set[str]:
    model = events.get(event_type)
    return set(model.model_fields) if model is not None else set()


def _read_track(code: str, raw: Any, events: Mapping[str, type[EventData]]) -> Track:
    problems: list[str] = []
    waiting: list[str] = []
    if not isinstance(raw, dict):
        return Track(code, "", {}, {}, (), (f"track {code}: must be a mapping",))
    subject = str(raw.get("subject") or "")
    if not subject:
        problems.append(f"track {code}: give `subject`, the event field naming what is due")
    effects: dict[str, TrackEffect] = {}
    for event_type, spec in (raw.get("events") or {}).items():
        spec = spec or {}
        if event_type not in events:
            problems.append(f"track {code}: no service publishes the event {event_type} (yet)")
            if _to_come(event_type, events):
                waiting.append(event_type)
            continue
        fields = _event_fields(event_type, events)
        by = dict(spec.get("effect_by") or {})
        effect_field = by.pop("field", None)
        effect = spec.get("effect")
        if effect is None and effect_field is None:
            problems.append(f"track {code}, {event_type}: give `effect` or `effect_by`")
        for value in [effect, *by.values()]:
            if value is not None and value not in EFFECTS:
                problems.append(
                    f"track {code}, {event_type}: unknown effect {value!r} (use {', '.join(EFFECTS)})"
                )
        for key in ("due", "agency", "user", "label", "subjects"):
            if spec.get(key) and spec[key] not in fields:
                problems.append(f"track {code}, {event_type}: the event has no field {spec[key]!r}")
        if subject and subject not in fields and not spec.get("subjects"):
            problems.append(f"track {code}, {event_type}: the event has no field {subject!r}")
        if effect_field and effect_field not in fields:
            problems.append(f"track {code}, {event_type}: the event has no field {effect_field!r}")
        effects[event_type] = TrackEffect(
            effect=effect,
            effect_field=effect_field,
            effect_by={str(k): str(v) for k, v in by.items()},
            due=spec.get("due"),
            agency=spec.get("agency"),
            user=spec.get("user"),
            label=spec.get("label"),
            subjects=spec.get("subjects"),
        )
    closed_by = tuple(raw.get("closed_by_review") or ())
    for event_type in closed_by:
        if event_type not in events:
            problems.append(f"track {code}: no service publishes the event {event_type} (yet)")
            if _to_come(event_type, events):
                waiting.append(event_type)
    return Track(
        code=code,
        subject=subject,
        only_if=dict(raw.get("only_if") or {}),
        events=effects,
        closed_by_review=closed_by,
        problems=tuple(problems),
        waiting_for=tuple(waiting),
    )


def _int_or_none(raw: Mapping[str, Any], key: str, problems: list[str], code: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.append(f"rule {code}: `{key}` must be a whole number of working days")
        return None
    return value


def _read_rule(raw: Any, tracks: Mapping[str, Track], events: Mapping[str, type[EventData]]) -> Rule:
    if not isinstance(raw, dict):
        raw = {}
    code = str(raw.get("code") or "")
    problems: list[str] = []
    waiting: list[str] = []
    # Problems that merely wait for events to come: a rule with only these starts working once they exist.
    waits = 0
    if not code:
        problems.append("a rule has no `code`")
    on, track = raw.get("event"), raw.get("track")
    before, after, every = bool(raw.get("before")), bool(raw.get("after")), bool(raw.get("every"))
    urgency = str(raw.get("urgency") or "normal")
    if urgency not in URGENCIES:
        problems.append(f"rule {code}: urgency must be one of {', '.join(URGENCIES)}")
    days = _int_or_none(raw, "days", problems, code)
    min_days = _int_or_none(raw, "min_days", problems, code)
    max_days = _int_or_none(raw, "max_days", problems, code)
    placeholders = set(COMMON_PLACEHOLDERS)
    if bool(on) == bool(track):
        problems.append(f"rule {code}: give either `event` or `track` (a due date), not both")
    elif on:
        if on not in events:
            problems.append(f"rule {code}: no service publishes the event {on} (yet)")
            if _to_come(on, events):
                waiting.append(on)
                waits += 1
        placeholders |= _event_fields(on, events)
    else:
        if track not in tracks:
            problems.append(f"rule {code}: unknown track {track!r}")
        elif tracks[track].problems:
            problems.append(f"rule {code}: its track {track} is not active")
            if tracks[track].only_waiting:
                waiting.extend(tracks[track].waiting_for)
                waits += 1
        if before == after:
            problems.append(f"rule {code}: a date rule is `before: true` or `after: true`")
        if days is None:
            problems.append(f"rule {code}: a date rule needs `days`")
        placeholders |= DATE_PLACEHOLDERS
    if days is not None:
        low = min_days if min_days is not None else days
        high = max_days if max_days is not None else days
        if not low <= days <= high:
            problems.append(f"rule {code}: days {days} is outside {low} to {high}")
    to = tuple(str(who) for who in raw.get("to") or ())
    if not to:
        problems.append(f"rule {code}: say whom to tell (`to`)")
    for who in to:
        if who.startswith("user:"):
            name = who.removeprefix("user:")
            if on in events:
                named = name in _event_fields(on, events)
            elif track in tracks and not tracks[track].problems:
                named = any(effect.user == name for effect in tracks[track].events.values())
            else:
                named = True  # the trigger's own problem is reported already
            if not named:
                problems.append(f"rule {code}: nothing gives the person in {name!r}")
        elif who not in ROLE_RECIPIENTS:
            problems.append(f"rule {code}: unknown recipient {who!r}")
    words = {key: str(raw.get(key) or "") for key in ("title", "body", "link")}
    for key, text in words.items():
        if not text:
            problems.append(f"rule {code}: give the `{key}`")
            continue
        try:
            unknown = _placeholders(text) - placeholders
        except ValueError:
            problems.append(f"rule {code}: the {key} has a broken {{placeholder}}")
            continue
        if unknown and (not on or on in events):
            problems.append(f"rule {code}: the {key} uses {', '.join(sorted(unknown))}, which it cannot fill")
    if words["link"] and not words["link"].startswith("/"):
        problems.append(f"rule {code}: the link must be a page of this site, starting with /")
    return Rule(
        code=code,
        label=str(raw.get("label") or code),
        kind=str(raw.get("kind") or code),
        urgency=urgency,
        event=on,
        track=track,
        before=before,
        after=after,
        every=every,
        days=days,
        min_days=min_days,
        max_days=max_days,
        to=to,
        link=words["link"],
        title=words["title"],
        body=" ".join(words["body"].split()),
        attachment=raw.get("attachment"),
        problems=tuple(problems),
        waiting_for=tuple(waiting),
        waiting_only=bool(problems) and len(problems) == waits,
    )


def read_rules(raw: Mapping[str, Any], events: Mapping[str, type[EventData]] | None = None) -> RuleBook:
    """The rule book of a parsed file; every problem is kept with its rule or track, never raised."""
    events = known_events() if events is None else events
    problems: list[str] = []
    tracks = {code: _read_track(code, spec, events) for code, spec in (raw.get("tracks") or {}).items()}
    rules: list[Rule] = []
    seen: set[str] = set()
    for spec in raw.get("rules") or ():
        rule = _read_rule(spec, tracks, events)
        if rule.code in seen:
            twice = f"rule {rule.code} is defined twice"
            rule = Rule(**{**rule.__dict__, "problems": (*rule.problems, twice), "waiting_only": False})
        seen.add(rule.code)
        rules.append(rule)
    for rule in rules:
        problems.extend(rule.problems)
    for track in tracks.values():
        problems.extend(track.problems)
    labels = {str(kind): str(label) for kind, label in (raw.get("kinds") or {}).items()}
    return RuleBook(tracks=tracks, rules=tuple(rules), problems=tuple(problems), kind_labels=labels)


def load_rules(path: Path | None = None) -> RuleBook:
    """Read a rules file (the built-in one by default). A file that is not YAML mapping raises ValueError."""
    path = path or DEFAULT_RULES_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a rules file is a mapping with `tracks` and `rules`")
    return read_rules(raw)
