"""Synthetic national data: England's serious incident notifications and what follows them, as the events the
services publish, for the national view's demo and `make bench-analytics`.

Pure and deterministic: the same `seed`, size and `until` date give the same partnerships, the same events
and the same event ids (so seeding twice adds nothing: every consumer's inbox skips an id it has seen).
Nothing here is about a real person or case: partnerships are "Synthetic partnership 001", agencies are
named after them, owners of actions are ids only, and events carry codes, dates and ids, never free text.

The shapes are England's, as the Child Safeguarding Practice Review Panel's annual reports describe them
(NATIONAL_SHAPE below): about 150 partnerships in 9 regions; 340 to 540 notifications a year; about a quarter
lead to a local review; over half involve neglect; about a third of the children are under one. The flow of
each review follows services/forms/review_types/child_safeguarding.yml: its stages, steps and deadlines
(tests/unit/test_synthetic.py holds the two together).
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from gateway.contract import AgencyChanged
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
from services.forms.contract import (
    ChildCategories,
    DeadlineChanged,
    DecisionMade,
    PanelResponded,
    ReturnRequested,
    ReturnSubmitted,
    ReviewClosed,
    ReviewOpened,
    ReviewPaused,
    ReviewPublished,
    ReviewResumed,
    SinSubmitted,
    StageChanged,
    StepCompleted,
)
from services.kernel.calendar import ENGLAND, add_calendar_months, add_working_days, working_days_between
from services.kernel.events import Envelope, EventData

# Who the events say acted: the seeder, never a person.
SEEDER = "system:seed-synthetic"
NAMESPACE = uuid.UUID("5b0e7f52-2c1d-4e8a-9a57-6d3c1b9e0f41")
REVIEW_TYPE = "child_safeguarding"

# The nine regions of England and roughly how many safeguarding children partnerships each has (about 150 in
# all, London's boroughs the most): synthetic partnerships are spread over them in these proportions.
REGIONS_OF_ENGLAND: tuple[tuple[str, int], ...] = (
    ("North East", 12),
    ("North West", 23),
    ("Yorkshire and the Humber", 15),
    ("East Midlands", 9),
    ("West Midlands", 14),
    ("East of England", 11),
    ("London", 29),
    ("South East", 19),
    ("South West", 15),
)
ENGLAND_PARTNERSHIPS = 150
# Partnerships differ in size (population): a log-normal factor with this spread, whose mean is MEAN_SIZE.
SIZE_SPREAD = 0.45
MEAN_SIZE = math.exp(SIZE_SPREAD**2 / 2)

# Each partnership's agencies, by identity's agency types (gateway/identity.py AGENCY_TYPES).
AGENCY_TYPES = (
    "childrens_social_care",
    "police",
    "health",
    "education",
    "probation",
    "youth_justice",
    "housing",
    "voluntary_sector",
)
# The agencies every rapid review asks for a return; the others are asked when they knew the family.
CORE_AGENCIES = ("childrens_social_care", "police", "health")

# The deadlines of child_safeguarding.yml the events name: code -> (label, statutory).
DEADLINES: dict[str, tuple[str, bool]] = {
    "notification": ("Serious Incident Notification to the Panel", True),
    "letters": ("Letters to agencies", False),
    "returns": ("Agency returns due", False),
    "meeting": ("Rapid review meeting", False),
    "sign_off": ("Sign-off by the three safeguarding partners", False),
    "rapid_review": ("Rapid review report to the Panel", True),
    "panel_response": ("The Panel's response (customary)", False),
    "lcspr": ("Local review completed and sent to the Panel", True),
}
# step code -> (form, stage), as child_safeguarding.yml has them.
STEPS: dict[str, tuple[str, str]] = {
    "referral": ("referral", "referral"),
    "criteria_check": ("criteria_check", "referral"),
    "notification": ("serious_incident_notification", "notification"),
    "rapid_review": ("rapid_review_setup", "rapid_review"),
    "meeting": ("rapid_review_meeting", "rapid_review"),
    "report": ("rapid_review_report", "rapid_review"),
    "decision": ("decision", "decision"),
    "panel_submission": ("panel_submission", "decision"),
    "panel_response": ("panel_response", "decision"),
    "lcspr_setup": ("lcspr_setup", "lcspr"),
    "final_report": ("final_report", "lcspr"),
    "publication": ("publication", "publication"),
    "closure": ("closure", "closure"),
}


@dataclass(frozen=True)
class NationalShape:
    """The rates the synthetic data is drawn with. Each is a share (0 to 1) or a range, stated once here."""

    # Serious incident notifications in England a year (a year's rate is drawn in this range).
    notifications_per_year: tuple[int, int] = (380, 500)
    notify_only: float = 0.06  # a looked-after child's or care leaver's death: notified, no rapid review
    local_review: float = 0.265  # of rapid reviews: about a quarter of notifications
    national_review_suggested: float = 0.03
    neglect: float = 0.58
    physical_abuse: float = 0.38
    emotional_abuse: float = 0.2
    sexual_abuse: float = 0.09
    sin_on_time: float = 0.88
    return_on_time: float = 0.78
    nil_return: float = 0.08
    meeting_on_time: float = 0.8
    rapid_review_on_time: float = 0.8
    panel_agrees: float = 0.85
    lcspr_paused: float = 0.3
    lcspr_on_time: float = 0.45
    published: float = 0.88
    action_completed_on_time: float = 0.55
    action_completed_late: float = 0.2
    action_not_implemented: float = 0.07
    action_signed_off: float = 0.72


NATIONAL_SHAPE = NationalShape()

AGE_BANDS = (
    ("under_1", 0.33),
    ("1_to_4", 0.14),
    ("5_to_9", 0.09),
    ("10_to_15", 0.26),
    ("16_to_17", 0.16),
    ("not_known", 0.02),
)
SEXES = (("male", 0.55), ("female", 0.44), ("not_known", 0.01))
ETHNICITIES = (
    ("white", 0.68),
    ("mixed", 0.1),
    ("black", 0.09),
    ("asian", 0.08),
    ("other", 0.03),
    ("not_known", 0.02),
)
DISABILITIES = (("no", 0.8), ("yes", 0.12), ("not_known", 0.08))
NATURES = (("serious_harm", 0.6), ("death", 0.38), ("other", 0.02))
PAUSE_REASONS = (
    ("criminal_investigation", 0.55),
    ("inquest", 0.15),
    ("family_proceedings", 0.15),
    ("other_review", 0.08),
    ("single_agency_review", 0.02),
    ("other", 0.05),
)
# The Panel's practice themes (actions' taxonomy, services/actions/domain.py SEED_THEMES) a lesson is
# tagged with, and how often each comes up in a review's learning.
PRACTICE_THEMES = (
    ("information_sharing", 0.45),
    ("risk_assessment", 0.4),
    ("voice_of_the_child", 0.25),
    ("fathers_and_men", 0.18),
    ("domestic_abuse", 0.3),
    ("parental_mental_health", 0.28),
    ("substance_misuse", 0.22),
    ("race_ethnicity_culture", 0.08),
)


@dataclass(frozen=True)
class SyntheticAgency:
    """An agency of a synthetic partnership."""

    id: uuid.UUID
    agency_type: str
    name: str


@dataclass(frozen=True)
class SyntheticPartnership:
    """A synthetic partnership: fixed by its number alone (not the seed), so reseeding reuses it."""

    number: int
    region: str
    # Its share of England's notifications relative to the average partnership (its population).
    size: float

    @property
    def code(self) -> str:
        return f"SYN-{self.number:03d}"

    @property
    def name(self) -> str:
        return f"Synthetic partnership {self.number:03d}"

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"partnership:{self.code}")

    @property
    def agencies(self) -> tuple[SyntheticAgency, ...]:
        return tuple(
            SyntheticAgency(
                uuid.uuid5(NAMESPACE, f"agency:{self.code}:{agency_type}"),
                agency_type,
                f"{self.name} {agency_type.replace('_', ' ')}",
            )
            for agency_type in AGENCY_TYPES
        )


def synthetic_partnerships(count: int) -> list[SyntheticPartnership]:
    """`count` partnerships spread over England's regions in proportion. The n-th partnership is the same in
    every set: regions are handed out in turn by the Sainte-Laguë rule (each next partnership goes to the
    region with the highest weight / (2 * partnerships so far + 1)), so any first `count` are in proportion
    and a larger set only adds partnerships."""
    if count < 1:
        raise ValueError("Give at least one partnership")
    seats = dict.fromkeys((region for region, _ in REGIONS_OF_ENGLAND), 0)
    partnerships = []
    for number in range(1, count + 1):
        region = max(REGIONS_OF_ENGLAND, key=lambda pair: pair[1] / (2 * seats[pair[0]] + 1))[0]
        seats[region] += 1
        size = random.Random(f"size:{number}").lognormvariate(0, SIZE_SPREAD)
        partnerships.append(SyntheticPartnership(number, region, size))
    return partnerships


@dataclass
class _Review:
    """One review's events as they are drawn: (day, payload), put in order and timed at the end."""

    partnership: SyntheticPartnership
    id: uuid.UUID
    events: list[tuple[date, EventData]] = field(default_factory=list)

    def add(self, day: date, payload: EventData) -> None:
        self.events.append((day, payload))


@dataclass(frozen=True)
class NationalSet:
    """The partnerships, and the window: the `years` whole calendar years before `until`'s year, then that
    year up to `until`.

    Each partnership's notifications of a calendar year, and each review's events, are drawn from their own
    random stream (seed, partnership, year, review), and events after `until` are left out: so seeding later
    with the same seed gives every event seeded before again, with the same ids, and only adds what happened
    since.
    """

    partnerships: list[SyntheticPartnership]
    years: int
    until: date
    seed: int
    shape: NationalShape = NATIONAL_SHAPE

    @property
    def starts_on(self) -> date:
        """1 January of the first whole year."""
        return date(self.until.year - self.years, 1, 1)

    def events(self) -> Iterator[Envelope]:
        """Every event in publishing order: the agencies first, then each partnership's reviews."""
        yield from self.agency_events()
        for partnership in self.partnerships:
            yield from self.partnership_events(partnership)

    def agency_events(self) -> Iterator[Envelope]:
        """identity.agency_changed for every agency of every synthetic partnership, at the window's start."""
        moment = datetime.combine(self.starts_on, time(8, 0), tzinfo=ENGLAND).astimezone(UTC)
        for partnership in self.partnerships:
            for agency in partnership.agencies:
                payload = AgencyChanged(
                    agency_id=agency.id,
                    partnership_id=partnership.id,
                    name=agency.name,
                    agency_type=agency.agency_type,
                    changed_at=moment,
                )
                event_id = uuid.uuid5(NAMESPACE, f"{self.seed}:agency:{agency.id}:{self.starts_on}")
                yield _envelope(event_id, payload, moment, partnership.id, None)

    def partnership_events(self, partnership: SyntheticPartnership) -> Iterator[Envelope]:
        """The events of one partnership's reviews, each review's in the order they occurred."""
        for year in range(self.starts_on.year, self.until.year + 1):
            for index, aware_on in enumerate(self.notification_days(partnership, year)):
                if aware_on > self.until:
                    break
                rng = random.Random(f"{self.seed}:{partnership.code}:{year}:{index}")
                review = _Review(partnership, _uuid(rng))
                _draw_review(review, aware_on, rng, self.shape)
                yield from _timed(review, self.until, rng)

    def notification_days(self, partnership: SyntheticPartnership, year: int) -> list[date]:
        """The days in a calendar year the local authority became aware of each of the partnership's
        incidents (the whole year's, whatever `until` is)."""
        low, high = self.shape.notifications_per_year
        national = random.Random(f"{self.seed}:year:{year}").uniform(low, high)
        expected = national / ENGLAND_PARTNERSHIPS * partnership.size / MEAN_SIZE
        rng = random.Random(f"{self.seed}:{partnership.code}:{year}")
        first, span = date(year, 1, 1), (date(year + 1, 1, 1) - date(year, 1, 1)).days
        return sorted(first + timedelta(days=rng.randrange(span)) for _ in range(_poisson(rng, expected)))


def national_set(years: int, partnerships: int, seed: int, until: date) -> NationalSet:
    """The synthetic national data of `partnerships` partnerships: `years` whole years before `until`'s year,
    and that year to `until`."""
    if years < 1:
        raise ValueError("Give at least one year (--years)")
    if partnerships < 1 or partnerships > 999:
        raise ValueError("Give between 1 and 999 partnerships (--partnerships)")
    return NationalSet(synthetic_partnerships(partnerships), years, until, seed)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    return rng.choices([value for value, _ in weighted], weights=[weight for _, weight in weighted])[0]


def _late_by(due: date, done: date) -> int:
    return max(0, working_days_between(due, done))


def _envelope(
    event_id: uuid.UUID,
    payload: EventData,
    moment: datetime,
    partnership_id: uuid.UUID,
    review_id: uuid.UUID | None,
) -> Envelope:
    return Envelope(
        event_id=event_id,
        type=payload.event_type,
        version=payload.version,
        occurred_at=moment,
        partnership_id=partnership_id,
        review_id=review_id,
        actor_id=SEEDER,
        data=payload.model_dump(mode="json"),
    )


def _timed(review: _Review, until: date, rng: random.Random) -> Iterator[Envelope]:
    """The review's events in day order (stable: a day's events keep the order they were drawn in), each at
    a moment of its working day, strictly after the one before; none after `until`."""
    previous: datetime | None = None
    for day, payload in sorted(review.events, key=lambda pair: pair[0]):
        if day > until:
            break
        moment = datetime.combine(day, time(9, 0), tzinfo=ENGLAND).astimezone(UTC)
        if previous is not None and moment <= previous:
            moment = previous + timedelta(seconds=rng.randint(20, 900))
        else:
            moment += timedelta(seconds=rng.randint(0, 6 * 3600))
        previous = moment
        yield _envelope(_uuid(rng), payload, moment, review.partnership.id, review.id)


# -- one review ------------------------------------------------------------------------------------------


def _children(rng: random.Random, shape: NationalShape) -> list[ChildCategories]:
    count = rng.choices([1, 2, 3, 4], weights=[0.88, 0.09, 0.02, 0.01])[0]
    first_band = _pick(rng, AGE_BANDS)
    children = []
    for index in range(count):
        band = first_band if index == 0 else _pick(rng, AGE_BANDS[:-1])
        statuses: list[str] = []
        plan = rng.random()
        if plan < 0.22:
            statuses.append("child_in_need")
        elif plan < 0.38:
            statuses.append("child_protection")
        elif plan < 0.46 and band != "under_1":
            statuses.append("looked_after")
        if band in ("16_to_17", "18_and_over") and rng.random() < 0.15:
            statuses.append("care_leaver")
        children.append(
            ChildCategories(
                age_band=band,  # type: ignore[arg-type]
                sex=_pick(rng, SEXES),
                ethnicity=_pick(rng, ETHNICITIES),
                disability=_pick(rng, DISABILITIES),
                legal_status=statuses,
            )
        )
    return children


def _harm_themes(rng: random.Random, shape: NationalShape) -> list[str]:
    """The notification's categories of harm (actions' `sin_*` themes): at least one."""
    themes = [
        code
        for code, share in (
            ("sin_neglect", shape.neglect),
            ("sin_physical_abuse", shape.physical_abuse),
            ("sin_emotional_abuse", shape.emotional_abuse),
            ("sin_sexual_abuse", shape.sexual_abuse),
        )
        if rng.random() < share
    ]
    return themes or ["sin_physical_abuse"]


def _practice_themes(
    rng: random.Random, children: list[ChildCategories], harm: list[str], nature: str
) -> list[str]:
    """The Panel's practice themes a review's learning touches, from the child's age and the harm."""
    themes = [code for code, share in PRACTICE_THEMES if rng.random() < share]
    band = children[0].age_band
    if "sin_neglect" in harm:
        themes.append("neglect")
    if band == "under_1":
        themes.append("pre_birth_babies" if rng.random() < 0.5 else "safe_sleep_sudi")
        if nature == "death" and "safe_sleep_sudi" not in themes and rng.random() < 0.5:
            themes.append("safe_sleep_sudi")
    if band in ("10_to_15", "16_to_17"):
        if rng.random() < 0.45:
            themes.append("extra_familial_harm")
        if rng.random() < 0.3:
            themes.append("children_not_in_school")
    if any(child.disability == "yes" for child in children) and rng.random() < 0.6:
        themes.append("disabled_children")
    return themes or ["information_sharing"]


def _step(
    review: _Review,
    day: date,
    step: str,
    deadline: str | None = None,
    due_on: date | None = None,
    revised_due_on: date | None = None,
) -> None:
    form, stage = STEPS[step]
    late = _late_by(revised_due_on or due_on, day) if due_on is not None else None
    review.add(
        day,
        StepCompleted(
            review_id=review.id,
            review_type=REVIEW_TYPE,
            step=step,
            form=form,
            stage=stage,
            completed_on=day,
            deadline=deadline,
            due_on=due_on,
            revised_due_on=(revised_due_on or due_on) if due_on is not None else None,
            late_by_working_days=late,
        ),
    )


def _stage(review: _Review, day: date, previous: str, stage: str) -> None:
    review.add(
        day, StageChanged(review_id=review.id, review_type=REVIEW_TYPE, previous_stage=previous, stage=stage)
    )


def _deadline(
    review: _Review,
    day: date,
    code: str,
    due_on: date,
    *,
    reason: str,
    done_on: date | None = None,
    revised_due_on: date | None = None,
    previous_revised_due_on: date | None = None,
) -> None:
    label, statutory = DEADLINES[code]
    revised = revised_due_on or due_on
    if reason == "met":
        status = "late" if done_on is not None and done_on > revised else "met"
    else:
        status = "paused" if reason == "paused" else "due"
    review.add(
        day,
        DeadlineChanged(
            review_id=review.id,
            review_type=REVIEW_TYPE,
            deadline=code,
            label=label,
            statutory=statutory,
            due_on=due_on,
            revised_due_on=revised,
            previous_revised_due_on=previous_revised_due_on,
            status=status,
            reason=reason,
        ),
    )


def _on_time_or_late(
    rng: random.Random, on_time: float, earliest: date, due: date, late_days: tuple[int, int]
) -> date:
    """A working day by `due` (not before `earliest`) with chance `on_time`, else some working days late."""
    if rng.random() < on_time and earliest <= due:
        return add_working_days(earliest, rng.randint(0, max(0, working_days_between(earliest, due))))
    return add_working_days(max(due, earliest), rng.randint(*late_days))


def _draw_review(review: _Review, aware_on: date, rng: random.Random, shape: NationalShape) -> None:
    """A child safeguarding review from the referral on, as forms would announce it."""
    opened_on = aware_on + timedelta(days=rng.choice([0, 0, 0, 1, 1, 2]))
    review.add(
        opened_on,
        ReviewOpened(
            review_id=review.id,
            review_type=REVIEW_TYPE,
            stage="referral",
            opened_at=datetime.combine(opened_on, time(9, 0), tzinfo=ENGLAND).astimezone(UTC),
        ),
    )
    _step(review, opened_on, "referral")
    sin_due = add_working_days(aware_on, 5)
    _deadline(review, opened_on, "notification", sin_due, reason="started")
    notified_on = _on_time_or_late(
        rng, shape.sin_on_time, max(opened_on, add_working_days(aware_on, 1)), sin_due, (1, 7)
    )
    checked_on = opened_on + timedelta(days=rng.randint(0, max(0, (notified_on - opened_on).days)))
    _step(review, checked_on, "criteria_check")
    _stage(review, checked_on, "referral", "notification")

    children = _children(rng, shape)
    nature = _pick(rng, NATURES)
    rapid_review = rng.random() >= shape.notify_only
    _step(review, notified_on, "notification", "notification", sin_due)
    review.add(
        notified_on,
        SinSubmitted(
            review_id=review.id,
            notified_on=notified_on,
            date_aware=aware_on,
            due_on=sin_due,
            late_by_working_days=_late_by(sin_due, notified_on),
            children=len(children),
            nature=nature,
            children_categories=children,
        ),
    )
    _deadline(review, notified_on, "notification", sin_due, reason="met", done_on=notified_on)
    if not rapid_review:
        _stage(review, notified_on, "notification", "closure")
        closed_on = notified_on + timedelta(days=rng.randint(5, 40))
        _step(review, closed_on, "closure")
        review.add(closed_on, ReviewClosed(review_id=review.id, review_type=REVIEW_TYPE, closed_on=closed_on))
        return
    _stage(review, notified_on, "notification", "rapid_review")
    due = {
        code: add_working_days(notified_on, days)
        for code, days in (
            ("letters", 1),
            ("returns", 10),
            ("meeting", 12),
            ("sign_off", 14),
            ("rapid_review", 15),
        )
    }
    for code, due_on in due.items():
        _deadline(review, notified_on, code, due_on, reason="started")

    # Agencies asked for their returns, and their answers.
    letters_on = _on_time_or_late(rng, 0.9, notified_on, due["letters"], (1, 3))
    _step(review, letters_on, "rapid_review", "letters", due["letters"])
    _deadline(review, letters_on, "letters", due["letters"], reason="met", done_on=letters_on)
    agencies = [
        a for a in review.partnership.agencies if a.agency_type in CORE_AGENCIES or rng.random() < 0.45
    ]
    last_return = letters_on
    for agency in agencies:
        return_id = _uuid(rng)
        review.add(
            letters_on,
            ReturnRequested(
                review_id=review.id, return_id=return_id, agency_id=agency.id, due_on=due["returns"]
            ),
        )
        submitted_on = _on_time_or_late(
            rng, shape.return_on_time, add_working_days(letters_on, 1), due["returns"], (1, 8)
        )
        last_return = max(last_return, submitted_on)
        review.add(
            submitted_on,
            ReturnSubmitted(
                review_id=review.id,
                return_id=return_id,
                agency_id=agency.id,
                nil=rng.random() < shape.nil_return,
                due_on=due["returns"],
                late_by_working_days=_late_by(due["returns"], submitted_on),
            ),
        )
    _deadline(review, last_return, "returns", due["returns"], reason="met", done_on=last_return)

    held_on = _on_time_or_late(
        rng, shape.meeting_on_time, add_working_days(notified_on, 8), due["meeting"], (1, 5)
    )
    _step(review, held_on, "meeting", "meeting", due["meeting"])
    _deadline(review, held_on, "meeting", due["meeting"], reason="met", done_on=held_on)
    signed_on = _on_time_or_late(rng, 0.8, add_working_days(held_on, 1), due["sign_off"], (1, 5))
    _step(review, signed_on, "report", "sign_off", due["sign_off"])
    _deadline(review, signed_on, "sign_off", due["sign_off"], reason="met", done_on=signed_on)
    _stage(review, signed_on, "rapid_review", "decision")

    harm = _harm_themes(rng, shape)
    practice = _practice_themes(rng, children, harm, nature)
    lessons = _lessons(review, signed_on, rng, harm, practice, rng.randint(2, 4))
    agency_ids = [agency.id for agency in agencies]
    if rng.random() < 0.5:  # immediate safety actions agreed at the rapid review
        for _ in range(rng.randint(1, 2)):
            _action(review, signed_on, rng, shape, agency_ids, rng.sample(practice, 1))

    decided_on = add_working_days(signed_on, rng.randint(0, 1))
    draw = rng.random()
    outcome = (
        "lcspr"
        if draw < shape.local_review
        else "national_review_suggested"
        if draw < shape.local_review + shape.national_review_suggested
        else "no_lcspr"
    )
    _step(review, decided_on, "decision")
    review.add(
        decided_on,
        DecisionMade(review_id=review.id, review_type=REVIEW_TYPE, outcome=outcome, decided_on=decided_on),
    )
    lcspr_due = add_calendar_months(decided_on, 6)
    if outcome == "lcspr":
        _deadline(review, decided_on, "lcspr", lcspr_due, reason="started")

    sent_on = _on_time_or_late(rng, shape.rapid_review_on_time, decided_on, due["rapid_review"], (1, 10))
    _step(review, sent_on, "panel_submission", "rapid_review", due["rapid_review"])
    _deadline(review, sent_on, "rapid_review", due["rapid_review"], reason="met", done_on=sent_on)
    response_due = add_working_days(sent_on, 10)
    _deadline(review, sent_on, "panel_response", response_due, reason="started")
    received_on = add_working_days(sent_on, rng.randint(5, 20))
    agrees = {"lcspr": 0.92, "no_lcspr": shape.panel_agrees - 0.05, "national_review_suggested": 0.6}[outcome]
    response = (
        "agrees" if rng.random() < agrees else ("questions" if rng.random() < 0.75 else "national_review")
    )
    review.add(
        received_on,
        PanelResponded(
            review_id=review.id,
            review_type=REVIEW_TYPE,
            response=response,
            local_decision=outcome,
            received_on=received_on,
        ),
    )
    _step(review, received_on, "panel_response", "panel_response", response_due)
    _deadline(review, received_on, "panel_response", response_due, reason="met", done_on=received_on)
    if outcome != "lcspr":
        _stage(review, received_on, "decision", "closure")
        closed_on = received_on + timedelta(days=rng.randint(3, 45))
        _step(review, closed_on, "closure")
        review.add(closed_on, ReviewClosed(review_id=review.id, review_type=REVIEW_TYPE, closed_on=closed_on))
        return
    _local_review(review, rng, shape, decided_on, received_on, lcspr_due, lessons, harm, practice, agency_ids)


def _local_review(
    review: _Review,
    rng: random.Random,
    shape: NationalShape,
    decided_on: date,
    received_on: date,
    lcspr_due: date,
    lessons: list[uuid.UUID],
    harm: list[str],
    practice: list[str],
    agency_ids: list[uuid.UUID],
) -> None:
    """The LCSPR: set up, perhaps paused for a parallel process, the final report, publication, closure."""
    _stage(review, received_on, "decision", "lcspr")
    set_up_on = decided_on + timedelta(days=rng.randint(10, 40))
    _step(review, set_up_on, "lcspr_setup")
    revised = lcspr_due
    if rng.random() < shape.lcspr_paused:
        starts_on = set_up_on + timedelta(days=rng.randint(20, 100))
        ends_on = starts_on + timedelta(days=rng.randint(30, 240))
        pause_id = _uuid(rng)
        reason = _pick(rng, PAUSE_REASONS)
        review.add(
            starts_on,
            ReviewPaused(
                review_id=review.id, pause_id=pause_id, reason=reason, starts_on=starts_on, ends_on=None
            ),
        )
        _deadline(review, starts_on, "lcspr", lcspr_due, reason="paused", previous_revised_due_on=lcspr_due)
        revised = lcspr_due + (ends_on - starts_on)
        review.add(ends_on, ReviewResumed(review_id=review.id, pause_id=pause_id, ends_on=ends_on))
        _deadline(
            review,
            ends_on,
            "lcspr",
            lcspr_due,
            reason="resumed",
            revised_due_on=revised,
            previous_revised_due_on=lcspr_due,
        )
    earliest = max(set_up_on + timedelta(days=60), revised - timedelta(days=70))
    if rng.random() < shape.lcspr_on_time and earliest <= revised:
        report_on = earliest + timedelta(days=rng.randint(0, (revised - earliest).days))
    else:
        report_on = max(revised, earliest) + timedelta(days=rng.randint(10, 220))
    _step(review, report_on, "final_report", "lcspr", lcspr_due, revised)
    _deadline(review, report_on, "lcspr", lcspr_due, reason="met", done_on=report_on, revised_due_on=revised)
    _stage(review, report_on, "lcspr", "publication")
    lessons += _lessons(review, report_on, rng, harm, practice, rng.randint(2, 5))
    for _ in range(rng.randint(3, 6)):
        recommendation_id = _uuid(rng)
        review.add(
            report_on,
            RecommendationMade(
                recommendation_id=recommendation_id,
                review_id=review.id,
                lesson_ids=rng.sample(lessons, min(len(lessons), rng.randint(1, 3))),
                audience=rng.choices(["partnership", "agency", "national"], weights=[0.7, 0.25, 0.05])[0],
            ),
        )
        for _ in range(rng.randint(1, 2)):
            _action(
                review,
                report_on + timedelta(days=rng.randint(7, 45)),
                rng,
                shape,
                agency_ids,
                rng.sample(practice, 1),
            )
    published = rng.random() < shape.published
    decided = add_working_days(report_on, rng.randint(7, 50))
    _step(review, decided, "publication")
    review.add(
        decided,
        ReviewPublished(
            review_id=review.id,
            review_type=REVIEW_TYPE,
            published=published,
            published_on=decided if published else None,
        ),
    )
    _stage(review, decided, "publication", "closure")
    closed_on = decided + timedelta(days=rng.randint(1, 30))
    _step(review, closed_on, "closure")
    review.add(closed_on, ReviewClosed(review_id=review.id, review_type=REVIEW_TYPE, closed_on=closed_on))


def _lessons(
    review: _Review, day: date, rng: random.Random, harm: list[str], practice: list[str], count: int
) -> list[uuid.UUID]:
    """Lessons recorded on a day: the first of a review's tagged with its harm categories too."""
    lesson_ids = []
    first = not any(isinstance(payload, LessonRecorded) for _, payload in review.events)
    for index in range(count):
        themes = rng.sample(practice, min(len(practice), rng.randint(1, 3)))
        if first and index == 0:
            themes = harm + themes
        lesson_id = _uuid(rng)
        lesson_ids.append(lesson_id)
        review.add(day, LessonRecorded(lesson_id=lesson_id, review_id=review.id, themes=themes))
    return lesson_ids


def _action(
    review: _Review,
    assigned_on: date,
    rng: random.Random,
    shape: NationalShape,
    agency_ids: list[uuid.UUID],
    themes: list[str],
) -> None:
    """An action assigned to an owner (an id: the synthetic data has no people) and what became of it."""
    action_id, owner_id = _uuid(rng), _uuid(rng)
    due_on = assigned_on + timedelta(days=rng.randint(60, 365))
    review.add(
        assigned_on,
        ActionAssigned(
            action_id=action_id,
            review_id=review.id,
            owner_id=owner_id,
            owner_agency_id=rng.choice(agency_ids),
            due_on=due_on,
            themes=themes,
        ),
    )
    draw = rng.random()
    ids = {"action_id": action_id, "review_id": review.id}
    overdue = ActionOverdue(**ids, owner_id=owner_id, due_on=due_on)
    finished_on: date | None = None
    if draw < shape.action_completed_on_time:
        finished_on = assigned_on + timedelta(days=rng.randint(14, max(14, (due_on - assigned_on).days)))
    elif draw < shape.action_completed_on_time + shape.action_completed_late:
        review.add(due_on + timedelta(days=1), overdue)
        finished_on = due_on + timedelta(days=rng.randint(10, 180))
    elif draw < shape.action_completed_on_time + shape.action_completed_late + shape.action_not_implemented:
        stopped_on = assigned_on + timedelta(days=rng.randint(30, max(30, (due_on - assigned_on).days)))
        review.add(stopped_on, ActionNotImplemented(**ids, owner_id=owner_id))
        if rng.random() < 0.5:
            signed_on = stopped_on + timedelta(days=rng.randint(20, 90))
            review.add(signed_on, ActionSignedOff(**ids, signed_off_on=signed_on))
        return
    else:
        review.add(due_on + timedelta(days=1), overdue)
        return
    if rng.random() < 0.03:  # reopened: the impact check found practice had not changed
        review.add(
            finished_on,
            ActionCompleted(
                **ids,
                owner_id=owner_id,
                completed_on=finished_on,
                impact_check_due_on=finished_on + timedelta(days=90),
            ),
        )
        reopened_on = finished_on + timedelta(days=rng.randint(20, 60))
        due_on = reopened_on + timedelta(days=90)
        review.add(reopened_on, ActionReopened(**ids, owner_id=owner_id, due_on=due_on))
        finished_on = reopened_on + timedelta(days=rng.randint(14, 90))
    review.add(
        finished_on,
        ActionCompleted(
            **ids,
            owner_id=owner_id,
            completed_on=finished_on,
            impact_check_due_on=finished_on + timedelta(days=90),
        ),
    )
    if rng.random() < shape.action_signed_off:
        signed_on = finished_on + timedelta(days=rng.randint(30, 120))
        review.add(signed_on, ActionSignedOff(**ids, signed_off_on=signed_on))
