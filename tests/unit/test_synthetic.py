"""The synthetic national data (caserev/synthetic.py): England's shapes, the same data for the same seed,
every event its contract's, and nothing that could be a person or a case."""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from caserev import synthetic
from caserev.cli import main
from caserev.synthetic import NATIONAL_SHAPE, national_set, synthetic_partnerships
from gateway.contract import AgencyChanged
from gateway.identity import AGENCY_TYPES
from services.actions import contract as actions_contract
from services.actions.domain import SEED_THEMES
from services.forms import contract as forms_contract
from services.kernel.events import Envelope, EventData

ROOT = Path(__file__).resolve().parents[2]
UNTIL = date(2026, 11, 30)


def _contract_types() -> dict[str, type[EventData]]:
    types: dict[str, type[EventData]] = {AgencyChanged.event_type: AgencyChanged}
    for module in (forms_contract, actions_contract):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, EventData) and hasattr(value, "event_type"):
                types[value.event_type] = value
    return types


@pytest.fixture(scope="module")
def england() -> list[Envelope]:
    """Ten years of England: 150 partnerships."""
    return list(national_set(10, 150, 1, UNTIL).events())


@pytest.fixture(scope="module")
def small() -> list[Envelope]:
    return list(national_set(2, 12, 5, UNTIL).events())


def _of(events: list[Envelope], event_type: str) -> list[Envelope]:
    return [e for e in events if e.type == event_type]


# -- England's shapes ----------------------------------------------------------------------------------------


def test_england_has_between_340_and_540_notifications_in_every_whole_year(england) -> None:
    per_year = Counter(
        date.fromisoformat(e.data["date_aware"]).year for e in _of(england, "forms.sin_submitted")
    )
    whole_years = range(UNTIL.year - 10, UNTIL.year)
    assert set(per_year) == {*whole_years, UNTIL.year}, per_year
    assert all(340 <= per_year[year] <= 540 for year in whole_years), per_year


def test_about_a_quarter_of_notifications_lead_to_a_local_review(england) -> None:
    notifications = len(_of(england, "forms.sin_submitted"))
    local = sum(1 for e in _of(england, "forms.decision_made") if e.data["outcome"] == "lcspr")
    assert 0.2 <= local / notifications <= 0.3, local / notifications


def test_over_half_of_notifications_involve_neglect(england) -> None:
    neglect = {
        e.data["review_id"]
        for e in _of(england, "actions.lesson_recorded")
        if "sin_neglect" in e.data["themes"]
    }
    notified = {e.data["review_id"] for e in _of(england, "forms.sin_submitted")}
    # Reviews notified in the last weeks have not had their rapid review yet: they are left out.
    recent = {
        e.data["review_id"]
        for e in _of(england, "forms.sin_submitted")
        if (UNTIL - date.fromisoformat(e.data["notified_on"])).days < 60
    }
    share = len(neglect) / len(notified - recent)
    assert 0.5 < share < 0.65, share


def test_about_a_third_of_the_children_are_under_one(england) -> None:
    children = [c for e in _of(england, "forms.sin_submitted") for c in e.data["children_categories"]]
    under_one = sum(1 for c in children if c["age_band"] == "under_1")
    assert 0.28 <= under_one / len(children) <= 0.38, under_one / len(children)
    assert all(
        e.data["children"] == len(e.data["children_categories"]) for e in _of(england, "forms.sin_submitted")
    )


def test_rates_of_lateness_pauses_agreement_and_outcomes_are_realistic(england) -> None:
    sins = _of(england, "forms.sin_submitted")
    late_sins = sum(1 for e in sins if e.data["late_by_working_days"])
    assert 0.05 <= late_sins / len(sins) <= 0.2
    returns = _of(england, "forms.return_submitted")
    late_returns = sum(1 for e in returns if e.data["late_by_working_days"])
    assert 0.12 <= late_returns / len(returns) <= 0.35
    responses = _of(england, "forms.panel_responded")
    agrees = sum(1 for e in responses if e.data["response"] == "agrees")
    assert 0.75 <= agrees / len(responses) <= 0.95
    local = sum(1 for e in _of(england, "forms.decision_made") if e.data["outcome"] == "lcspr")
    paused = len(_of(england, "forms.review_paused"))
    assert 0.15 <= paused / local <= 0.45
    assigned = len(_of(england, "actions.action_assigned"))
    completed = len({e.data["action_id"] for e in _of(england, "actions.action_completed")})
    not_implemented = len(_of(england, "actions.action_not_implemented"))
    assert 0.55 <= completed / assigned <= 0.85
    assert 0.03 <= not_implemented / assigned <= 0.12
    assert _of(england, "actions.action_overdue")


def test_partnerships_spread_over_the_nine_regions_of_england_in_proportion() -> None:
    partnerships = synthetic_partnerships(150)
    regions = Counter(p.region for p in partnerships)
    weights = dict(synthetic.REGIONS_OF_ENGLAND)
    total = sum(weights.values())
    assert set(regions) == set(weights)
    for region, count in regions.items():
        assert abs(count - 150 * weights[region] / total) <= 1, (region, count)
    assert len({p.code for p in partnerships}) == len({p.id for p in partnerships}) == 150
    # A small set spans several regions, so that a regional view holds more than one partnership.
    assert len({p.region for p in synthetic_partnerships(30)}) == 9


# -- determinism ---------------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_events_and_ids(small) -> None:
    again = list(national_set(2, 12, 5, UNTIL).events())
    assert [e.model_dump(mode="json") for e in again] == [e.model_dump(mode="json") for e in small]


def test_another_seed_gives_other_events_but_the_same_partnerships(small) -> None:
    other = list(national_set(2, 12, 6, UNTIL).events())
    assert {e.event_id for e in other}.isdisjoint({e.event_id for e in small})
    assert {e.partnership_id for e in other} == {e.partnership_id for e in small}


def test_a_larger_set_keeps_the_smaller_sets_partnerships_and_their_events(small) -> None:
    larger = national_set(2, 20, 5, UNTIL)
    assert larger.partnerships[:12] == national_set(2, 12, 5, UNTIL).partnerships
    first = larger.partnerships[0]
    assert [e.event_id for e in small if e.partnership_id == first.id and e.review_id] == [
        e.event_id for e in larger.partnership_events(first)
    ]


def test_seeding_later_gives_every_earlier_event_again_and_only_adds(small) -> None:
    earlier = [e.model_dump(mode="json") for e in national_set(2, 12, 5, date(2026, 6, 30)).events()]
    later = [e.model_dump(mode="json") for e in small]
    assert len(later) > len(earlier)
    ids = {e["event_id"] for e in later}
    assert all(e["event_id"] in ids for e in earlier)
    by_id = {e["event_id"]: e for e in later}
    assert all(by_id[e["event_id"]] == e for e in earlier)


def test_bad_sizes_are_refused_saying_what_to_give() -> None:
    with pytest.raises(ValueError, match="at least one year"):
        national_set(0, 10, 1, UNTIL)
    with pytest.raises(ValueError, match="partnerships"):
        national_set(1, 0, 1, UNTIL)


def test_the_command_refuses_a_years_of_zero_with_a_message(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["seed-synthetic", "--years", "0", "--partnerships", "3"])
    assert exited.value.code == 2
    assert "'0' is not a whole number of 1 or more" in capsys.readouterr().err


# -- contracts and content -----------------------------------------------------------------------------------


def test_every_event_validates_against_its_contract(small) -> None:
    types = _contract_types()
    for envelope in small:
        payload_type = types[envelope.type]
        assert envelope.version == payload_type.version
        again = Envelope.model_validate_json(envelope.model_dump_json())
        assert again.payload(payload_type).model_dump(mode="json") == envelope.data


UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
AGENCY_NAME = re.compile(r"^Synthetic partnership \d{3} [a-z ]+$")


def _strings(value: object, key: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _strings(v, k)]
    if isinstance(value, list):
        return [pair for v in value for pair in _strings(v, key)]
    return [(key, value)] if isinstance(value, str) else []


def _is_date(text: str) -> bool:
    try:
        (date if len(text) == 10 else datetime).fromisoformat(text)
    except ValueError:
        return False
    return True


def test_no_event_carries_free_text_or_a_persons_name(small) -> None:
    labels = {label for label, _ in synthetic.DEADLINES.values()}
    for envelope in small:
        assert envelope.actor_id == synthetic.SEEDER
        for key, text in _strings(envelope.data):
            allowed = (
                UUID_TEXT.match(text)
                or CODE.match(text)
                or _is_date(text)
                or (key == "label" and text in labels)
                or (envelope.type == "identity.agency_changed" and key == "name" and AGENCY_NAME.match(text))
            )
            assert allowed, f"{envelope.type}.{key} = {text!r} is not an id, a code, a date or a fixed label"


def test_themes_are_the_actions_services_taxonomy_and_agencies_identitys_types(small) -> None:
    codes = {theme.code for theme in SEED_THEMES}
    used = {
        t
        for e in small
        if e.type in ("actions.lesson_recorded", "actions.action_assigned")
        for t in e.data["themes"]
    }
    assert used and used <= codes, used - codes
    assert {e.data["agency_type"] for e in _of(small, "identity.agency_changed")} <= set(AGENCY_TYPES)


def test_steps_stages_and_deadlines_are_those_of_the_child_safeguarding_review_type() -> None:
    definition = yaml.safe_load((ROOT / "services/forms/review_types/child_safeguarding.yml").read_text())
    steps = {step["code"]: (step["form"], step["stage"]) for step in definition["steps"]}
    assert steps == synthetic.STEPS
    deadlines = {
        code: (rule["label"], bool(rule.get("statutory", False)))
        for code, rule in definition["deadlines"].items()
    }
    assert deadlines == synthetic.DEADLINES


def test_each_reviews_events_occur_in_order_within_the_window_and_follow_its_stages(small) -> None:
    national = national_set(2, 12, 5, UNTIL)
    by_review: dict[uuid.UUID, list[Envelope]] = defaultdict(list)
    for envelope in small:
        if envelope.review_id is not None:
            by_review[envelope.review_id].append(envelope)
    assert by_review
    for events in by_review.values():
        moments = [e.occurred_at for e in events]
        assert moments == sorted(moments) and len(set(moments)) == len(moments)
        assert events[0].type == "forms.review_opened"
        assert national.starts_on <= moments[0].date() and moments[-1].date() <= UNTIL
        stage = "referral"
        for change in (e for e in events if e.type == "forms.stage_changed"):
            assert change.data["previous_stage"] == stage
            stage = change.data["stage"]


def test_every_notification_is_a_rapid_review_or_notified_only_and_reviews_close(england) -> None:
    shape = NATIONAL_SHAPE
    decided = {e.data["review_id"] for e in _of(england, "forms.decision_made")}
    notified = {e.data["review_id"] for e in _of(england, "forms.sin_submitted")}
    closed = {e.data["review_id"] for e in _of(england, "forms.review_closed")}
    assert decided <= notified
    assert 0.85 <= len(closed) / len(notified) <= 0.99  # the recent ones are still open
    assert 1 - shape.notify_only - 0.05 <= len(decided) / len(notified) <= 1 - shape.notify_only + 0.02
