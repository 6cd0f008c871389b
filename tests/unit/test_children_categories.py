"""The children of a notification as forms publishes them for figures: categories only, the age band worked
out on the day of the incident, and the Panel's response with the local decision."""

from __future__ import annotations

from datetime import date

import pytest

from services.forms import domain
from services.forms.contract import FORMS, PanelResponded, SinSubmitted
from tests.unit.test_review_types import (
    EXECUTIVE,
    child,
    decision,
    of_type,
    save_and_complete,
    sin_answers,
    walk_child,
)


def d(iso: str) -> date:
    return date.fromisoformat(iso)


@pytest.mark.parametrize(
    ("born", "incident", "band"),
    [
        ("2024-03-02", "2025-03-01", "under_1"),  # the day before the first birthday
        ("2024-03-01", "2025-03-01", "1_to_4"),  # the first birthday itself
        ("2020-03-02", "2025-03-01", "1_to_4"),
        ("2020-03-01", "2025-03-01", "5_to_9"),
        ("2015-03-01", "2025-03-01", "10_to_15"),
        ("2009-03-02", "2025-03-01", "10_to_15"),
        ("2009-03-01", "2025-03-01", "16_to_17"),
        ("2007-03-01", "2025-03-01", "18_and_over"),
        ("2024-02-29", "2025-02-28", "under_1"),  # a leap-day birthday counts from 1 March
        ("2024-02-29", "2025-03-01", "1_to_4"),
        ("2025-03-02", "2025-03-01", "not_known"),  # born after the incident: a typing mistake, not a band
    ],
)
def test_age_band_is_worked_out_from_the_date_of_birth_on_the_day_of_the_incident(born, incident, band):
    assert domain.age_band(None, d(born), d(incident)) == band


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "under_1"),
        (1, "1_to_4"),
        (4, "1_to_4"),
        (5, "5_to_9"),
        (15, "10_to_15"),
        (17, "16_to_17"),
        (18, "18_and_over"),
        (None, "not_known"),
    ],
)
def test_age_band_falls_back_on_the_age_given_when_there_is_no_date_of_birth(age, band):
    assert domain.age_band(age, None, d("2025-03-01")) == band


def test_a_date_of_birth_wins_over_an_age_that_disagrees_with_it():
    assert domain.age_band(7, d("2024-06-01"), d("2025-03-01")) == "under_1"


def test_children_categories_carry_no_name_date_of_birth_or_exact_age():
    answers = sin_answers(children=0)
    answers["children"] = [
        child(age_years=None, date_of_birth="2024-05-05", legal_status=["looked_after", "child_in_need"]),
        child(sex="male", age_years=12, ethnicity="mixed", disability="yes", legal_status=[]),
    ]
    first, second = domain.children_categories(
        FORMS["serious_incident_notification"].model_validate(answers).model_dump()
    )
    assert first.model_dump() == {
        "age_band": "under_1",
        "sex": "female",
        "ethnicity": "white",
        "disability": "no",
        "legal_status": ["child_in_need", "looked_after"],
    }
    assert (second.age_band, second.sex, second.ethnicity, second.disability, second.legal_status) == (
        "10_to_15",
        "male",
        "mixed",
        "yes",
        [],
    )


def test_sin_submitted_carries_each_childs_categories():
    _, done = walk_child()
    [sin] = of_type(done["notification"].events, SinSubmitted)
    assert [c.age_band for c in sin.children_categories] == ["under_1", "under_1"]
    assert len(sin.children_categories) == sin.children
    dumped = sin.model_dump(mode="json")
    assert "date_of_birth" not in str(dumped) and "age_years" not in str(dumped)


def test_panel_response_announces_the_panels_answer_beside_the_local_decision():
    state, done = walk_child()
    [responded] = of_type(done["panel_response"].events, PanelResponded)
    assert (responded.review_id, responded.review_type) == (state.id, "child_safeguarding")
    assert (responded.response, responded.local_decision, responded.received_on) == (
        "agrees",
        "lcspr",
        d("2025-04-08"),
    )


def test_no_other_step_announces_a_panel_response():
    _, done = walk_child()
    for step, completion in done.items():
        if step != "panel_response":
            assert not of_type(completion.events, PanelResponded), step


def test_local_decision_is_none_before_the_partners_decide():
    state, _ = walk_child(until="decision")
    assert domain.local_decision(state) is None
    save_and_complete(state, "decision", decision("no_lcspr"), "2025-03-26", EXECUTIVE)
    assert domain.local_decision(state) == "no_lcspr"
