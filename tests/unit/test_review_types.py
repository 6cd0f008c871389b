"""Every shipped review type walked from its first step to closure through the rules
(services/forms/domain.py), the refusals on the way, and a review type defined in data alone.

The answers are built through the form models of `contract.FORMS` and stored as JSON, as the service does.
Every date is in 2025, so in the past whatever the real today.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.forms import definitions, domain
from services.forms.contract import (
    FORMS,
    DeadlineChanged,
    DecisionMade,
    ReviewClosed,
    ReviewPublished,
    SinSubmitted,
    StageChanged,
    StepCompleted,
    today_in_england,
)
from services.forms.definitions import DefinitionError, ReviewTypeDef
from services.kernel.errors import Conflict, Forbidden, InvalidRequest
from services.kernel.events import EventData
from services.kernel.identity import Actor

PARTNERSHIP = uuid.uuid4()
MANAGER = Actor(user_id="bm-1", partnership_id=PARTNERSHIP, roles=frozenset({"business_manager"}))
EXECUTIVE = Actor(user_id="ex-1", partnership_id=PARTNERSHIP, roles=frozenset({"executive"}))
PARTNER = Actor(user_id="sp-1", partnership_id=PARTNERSHIP, roles=frozenset({"safeguarding_partner"}))
OTHER_MANAGER = Actor(user_id="bm-2", partnership_id=uuid.uuid4(), roles=frozenset({"business_manager"}))


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def on(iso: str) -> datetime:
    """Midday of a day, in UTC (the same day in England)."""
    return datetime.combine(d(iso), datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)


def form(name: str, **answers: Any) -> dict[str, Any]:
    """Answers as the page posts them: checked by the step's own form model, then as JSON."""
    return FORMS[name].model_validate(answers).model_dump(mode="json")


def new_state(definition: ReviewTypeDef | str) -> domain.ReviewState:
    if isinstance(definition, str):
        definition = definitions.review_types()[definition]
    return domain.ReviewState(
        id=uuid.uuid4(), partnership_id=PARTNERSHIP, definition=definition, figures={}, steps={}
    )


def save(state: domain.ReviewState, step: str, answers: dict[str, Any], actor: Actor = MANAGER) -> None:
    record = state.steps.get(step)
    saved, _ = domain.save_step(state, step, answers, actor, record.version if record else 0)
    state.steps[step] = saved


def complete(state: domain.ReviewState, step: str, day: str, actor: Actor = MANAGER) -> domain.Completion:
    return domain.complete_step(state, step, actor, state.steps[step].version, on(day))


def save_and_complete(
    state: domain.ReviewState, step: str, answers: dict[str, Any], day: str, actor: Actor = MANAGER
) -> domain.Completion:
    save(state, step, answers, actor)
    return complete(state, step, day, actor)


def statuses(state: domain.ReviewState, day: str = "2025-12-01") -> dict[str, str]:
    return {s.step.code: s.status for s in domain.plan(state, d(day)).steps}


def of_type(events: list[EventData], kind: type[EventData]) -> list[Any]:
    return [event for event in events if isinstance(event, kind)]


def deadline_reasons(events: list[EventData]) -> dict[str, str]:
    return {event.deadline: event.reason for event in of_type(events, DeadlineChanged)}


# -- valid answers for each form -----------------------------------------------------------------------------


def referral(aware: str = "2025-03-03", incident: str = "2025-03-01") -> dict[str, Any]:
    return form(
        "referral",
        referring_organisation="Northshire Police",
        referrer_role="Detective inspector",
        incident_date=incident,
        date_aware=aware,
        nature="serious_harm",
        summary="Infant A (4 months) admitted with injuries; known to health visiting.",
        senior_lead_agreed=True,
    )


def criteria(met: bool = True, **changes: Any) -> dict[str, Any]:
    answers = {
        "abuse_or_neglect": "suspected" if met else "not_suspected",
        "abuse_or_neglect_rationale": "Injuries unexplained by the carers' account.",
        "harm": "seriously_harmed" if met else "neither",
        "harm_rationale": "Fractures needing hospital treatment.",
        "looked_after_child_death": False,
        "care_leaver_death": False,
    }
    return form("criteria_check", **{**answers, **changes})


def child(**changes: Any) -> dict[str, Any]:
    answers = {
        "sex": "female",
        "age_years": 0,
        "ethnicity": "white",
        "disability": "no",
        "legal_status": ["child_in_need"],
        "placement": "with_parents",
    }
    return {**answers, **changes}


def sin_answers(children: int = 1, notified: str = "2025-03-07") -> dict[str, Any]:
    return {
        "notifying_local_authority": "Northshire County Council",
        "notifier_role": "Head of service",
        "incident_date": "2025-03-01",
        "date_aware": "2025-03-03",
        "notified_on": notified,
        "nature": "serious_harm",
        "children": [child() for _ in range(children)],
        "known_to_agencies": True,
        "agencies_known": "Health visiting; GP",
        "case_outline": "Infant A admitted with injuries; parents' account inconsistent.",
        "police_investigation": "yes",
        "threshold_met": "yes",
    }


def sin(children: int = 1) -> dict[str, Any]:
    return form("serious_incident_notification", **sin_answers(children))


def rapid_review_setup() -> dict[str, Any]:
    agencies = [{"agency_id": str(uuid.uuid4()), "name": "Health visiting"}]
    return form("rapid_review_setup", agencies=agencies, letters_sent_on="2025-03-10")


def meeting() -> dict[str, Any]:
    return form(
        "rapid_review_meeting",
        held_on="2025-03-21",
        immediate_safety_actions="Sibling safety plan agreed.",
        learning="Information sharing between GP and health visiting.",
    )


def report() -> dict[str, Any]:
    return form(
        "rapid_review_report",
        lived_experience="Infant A's days were spent mostly in one room.",
        learning_under_way="Health visiting audit begun.",
        local_authority_signed_on="2025-03-24",
        police_signed_on="2025-03-24",
        health_signed_on="2025-03-25",
    )


def decision(outcome: str = "lcspr", **changes: Any) -> dict[str, Any]:
    answers = {
        "outcome": outcome,
        "rationale": "Criteria met; learning beyond single agencies.",
        "decided_on": "2025-03-26",
    }
    if outcome == "no_lcspr":
        answers["alternative_learning"] = "Multi-agency audit of pre-birth assessment."
    return form("decision", **{**answers, **changes})


def panel_submission() -> dict[str, Any]:
    return form("panel_submission", sent_on="2025-03-27", copied_to_ofsted_and_dfe=True)


def panel_response() -> dict[str, Any]:
    return form("panel_response", received_on="2025-04-08", response="agrees")


def lcspr_setup(ticked: bool = True, **changes: Any) -> dict[str, Any]:
    checklist = (
        "review_group_formed",
        "practitioner_group_formed",
        "family_informed",
        "terms_of_reference_agreed",
        "chronology_template_issued",
    )
    answers = {
        "lead_reviewer": "Independent reviewer (appointed)",
        "lead_reviewer_appointed_on": "2025-04-10",
        **dict.fromkeys(checklist, ticked),
    }
    return form("lcspr_setup", **{**answers, **changes})


def final_report(sent: str = "2025-09-01") -> dict[str, Any]:
    return form("final_report", sent_on=sent, recipients="The Panel and the Secretary of State for Education")


def publication(published: str = "2025-09-10") -> dict[str, Any]:
    return form(
        "publication", decision="publish", published_on=published, address="https://example.org/lcspr"
    )


def closure(closed: str = "2025-09-30") -> dict[str, Any]:
    return form("closure", closed_on=closed)


def record(done: str) -> dict[str, Any]:
    return form("record", done_on=done, note="Done.")


def review_decision(outcome: str = "review", decided: str = "2025-03-20") -> dict[str, Any]:
    return form(
        "review_decision", outcome=outcome, rationale="Criteria of the statute met.", decided_on=decided
    )


# -- the child safeguarding review, whole --------------------------------------------------------------------

# (step, answers, day completed, actor, stage after it). Dates in 2025: aware Mon 3 Mar, SIN Fri 7 Mar.
CHILD_WALK: list[tuple[str, Callable[[], dict[str, Any]], str, Actor, str]] = [
    ("referral", referral, "2025-03-03", MANAGER, "referral"),
    ("criteria_check", criteria, "2025-03-05", PARTNER, "notification"),
    ("notification", lambda: sin(children=2), "2025-03-07", MANAGER, "rapid_review"),
    ("rapid_review", rapid_review_setup, "2025-03-10", MANAGER, "rapid_review"),
    ("meeting", meeting, "2025-03-21", MANAGER, "rapid_review"),
    ("report", report, "2025-03-25", MANAGER, "decision"),
    ("decision", decision, "2025-03-26", EXECUTIVE, "decision"),
    ("panel_submission", panel_submission, "2025-03-27", MANAGER, "decision"),
    ("panel_response", panel_response, "2025-04-08", MANAGER, "lcspr"),
    ("lcspr_setup", lcspr_setup, "2025-04-15", MANAGER, "lcspr"),
    ("final_report", final_report, "2025-09-01", MANAGER, "publication"),
    ("publication", publication, "2025-09-10", EXECUTIVE, "closure"),
    ("closure", closure, "2025-09-30", MANAGER, "closed"),
]


def walk_child(until: str | None = None) -> tuple[domain.ReviewState, dict[str, domain.Completion]]:
    """A child safeguarding review completed step by step up to (not including) `until`."""
    state = new_state("child_safeguarding")
    done: dict[str, domain.Completion] = {}
    for step, answers, day, actor, _ in CHILD_WALK:
        if step == until:
            break
        done[step] = save_and_complete(state, step, answers(), day, actor)
    return state, done


def test_child_safeguarding_review_walks_from_referral_to_closure_through_its_stages():
    state = new_state("child_safeguarding")
    assert domain.plan(state, d("2025-03-03")).stage == "referral"
    for step, answers, day, actor, stage in CHILD_WALK:
        completion = save_and_complete(state, step, answers(), day, actor)
        assert completion.stage == stage, f"after '{step}' the review must be at stage {stage!r}"
        assert completion.record.completed_on == d(day) and completion.record.completed_by == actor.user_id
    assert completion.closed
    assert set(statuses(state).values()) == {"completed"}, "every step of the full path is completed"


def test_every_completion_announces_step_completed_and_each_stage_change():
    _, done = walk_child()
    for step, completion in done.items():
        completed = of_type(completion.events, StepCompleted)
        assert [e.step for e in completed] == [step], f"'{step}' must announce exactly one StepCompleted"
    changes = [(e.previous_stage, e.stage) for c in done.values() for e in of_type(c.events, StageChanged)]
    assert changes == [
        ("referral", "notification"),
        ("notification", "rapid_review"),
        ("rapid_review", "decision"),
        ("decision", "lcspr"),
        ("lcspr", "publication"),
        ("publication", "closure"),
        ("closure", "closed"),
    ]


def test_notification_announces_the_sin_with_the_children_count_and_its_timeliness():
    _, done = walk_child()
    [sin] = of_type(done["notification"].events, SinSubmitted)
    # Aware Mon 3 Mar 2025: 4-7 Mar (1-4), Mon 10 Mar (5). Sent Fri 7 Mar: on time.
    assert (sin.children, sin.nature, sin.due_on, sin.late_by_working_days) == (
        2,
        "serious_harm",
        d("2025-03-10"),
        0,
    )
    assert sin.notified_on == d("2025-03-07") and sin.date_aware == d("2025-03-03")


def test_decision_publication_and_closure_announce_their_facts():
    state, done = walk_child()
    [decided] = of_type(done["decision"].events, DecisionMade)
    assert (decided.outcome, decided.decided_on, decided.review_type) == (
        "lcspr",
        d("2025-03-26"),
        "child_safeguarding",
    )
    [published] = of_type(done["publication"].events, ReviewPublished)
    assert (published.published, published.published_on) == (True, d("2025-09-10"))
    [closed] = of_type(done["closure"].events, ReviewClosed)
    assert (closed.review_id, closed.closed_on) == (state.id, d("2025-09-30"))


def test_deadline_changed_says_started_when_a_clock_starts_and_met_when_it_is_met():
    _, done = walk_child()
    assert deadline_reasons(done["referral"].events) == {"notification": "started"}
    # The SIN is met, and the rapid review clocks start from its date (the returns only once they are asked).
    assert deadline_reasons(done["notification"].events) == {
        "notification": "met",
        "letters": "started",
        "meeting": "started",
        "sign_off": "started",
        "rapid_review": "started",
    }
    assert deadline_reasons(done["decision"].events) == {"lcspr": "started"}
    assert deadline_reasons(done["panel_submission"].events) == {
        "rapid_review": "met",
        "panel_response": "started",
    }
    assert deadline_reasons(done["final_report"].events) == {"lcspr": "met"}
    [started] = of_type(done["referral"].events, DeadlineChanged)
    assert (started.due_on, started.revised_due_on, started.statutory) == (
        d("2025-03-10"),
        d("2025-03-10"),
        True,
    )


def test_lcspr_deadline_is_six_months_from_the_decision():
    state, _ = walk_child(until="lcspr_setup")
    lcspr = next(s for s in domain.plan(state, d("2025-04-10")).standings if s.rule.code == "lcspr")
    # Decided 26 Mar 2025: due 26 Sep 2025.
    assert (lcspr.trigger_on, lcspr.due_on, lcspr.status) == (d("2025-03-26"), d("2025-09-26"), "due")


# -- refusals ------------------------------------------------------------------------------------------------


def test_decision_before_the_rapid_review_report_is_signed_off_is_refused_with_the_types_reason():
    state, _ = walk_child(until="report")
    with pytest.raises(InvalidRequest) as refused:
        save(state, "decision", decision(), EXECUTIVE)
    reason = "The rapid review report must be signed off before the partners decide"
    assert refused.value.message == reason, "the reason written in child_safeguarding.yml must reach the user"
    assert refused.value.problems == [{"field": "step", "message": reason}]
    assert statuses(state)["decision"] == "cannot_start"


def test_publication_before_the_final_report_is_refused_with_the_types_reason():
    state, _ = walk_child(until="final_report")
    with pytest.raises(InvalidRequest, match="must have the final report before publication"):
        save(state, "publication", publication(), EXECUTIVE)


def test_child_publication_less_than_seven_working_days_after_the_final_report_is_refused():
    state, _ = walk_child(until="publication")
    # Final report sent Mon 1 Sep 2025: 2-5 Sep (1-4), 8, 9, 10 Sep (5-7): not before Wed 10 Sep.
    save(state, "publication", publication(published="2025-09-09"), EXECUTIVE)  # a draft may hold it
    with pytest.raises(InvalidRequest) as refused:
        complete(state, "publication", "2025-09-09", EXECUTIVE)
    assert "not before 10 September 2025" in refused.value.message
    assert refused.value.problems[0]["field"] == "published_on"
    assert not state.steps["publication"].completed, "a refused completion must leave the step as it was"
    save(state, "publication", publication(published="2025-09-10"), EXECUTIVE)
    assert complete(state, "publication", "2025-09-10", EXECUTIVE).stage == "closure"


def test_dhr_publication_before_the_home_office_approval_is_refused():
    state = new_state("domestic_homicide")
    save_and_complete(state, "notification", referral(), "2025-03-03")
    save_and_complete(state, "decision", review_decision(), "2025-03-20")
    save_and_complete(state, "home_office_informed", record("2025-03-21"), "2025-03-21")
    save_and_complete(state, "final_report", final_report(), "2025-09-01")
    with pytest.raises(InvalidRequest) as refused:
        save(state, "publication", publication(), EXECUTIVE)
    assert refused.value.message == (
        "The Home Office Quality Assurance Panel must approve the report before publication"
    )


def test_completed_step_is_locked():
    state, _ = walk_child(until="criteria_check")
    with pytest.raises(Conflict, match="is locked"):
        save(state, "referral", referral(aware="2025-03-04"))
    with pytest.raises(Conflict, match="is locked"):
        domain.complete_step(state, "referral", MANAGER, state.steps["referral"].version, on("2025-03-04"))
    assert (state.steps["referral"].answers or {}).get("date_aware") == "2025-03-03"


def test_stale_version_is_a_conflict_on_save_and_on_complete():
    state = new_state("child_safeguarding")
    save(state, "referral", referral())  # version 1
    save(state, "referral", referral(aware="2025-03-04"))  # version 2: someone else saved meanwhile
    with pytest.raises(Conflict, match="reload"):
        domain.save_step(state, "referral", referral(), MANAGER, 1)
    with pytest.raises(Conflict, match="reload"):
        domain.complete_step(state, "referral", MANAGER, 1, on("2025-03-04"))
    assert not state.steps["referral"].completed


@pytest.mark.parametrize(
    ("actor", "why"),
    [
        (MANAGER, "the business manager does not decide"),
        (OTHER_MANAGER, "another partnership's business manager"),
        (
            Actor(user_id="ex-2", partnership_id=uuid.uuid4(), roles=frozenset({"executive"})),
            "another executive",
        ),
    ],
)
def test_the_child_decision_is_only_by_the_executive_or_a_safeguarding_partner(actor, why):
    state, _ = walk_child(until="decision")
    with pytest.raises(Forbidden) as refused:
        save(state, "decision", decision(), actor)
    assert "the executive or a safeguarding partner" in refused.value.message, why
    save(state, "decision", decision(), PARTNER)
    assert complete(state, "decision", "2025-03-26", PARTNER).stage == "decision"


def test_step_of_another_partnership_is_forbidden_even_to_its_business_manager():
    state = new_state("child_safeguarding")
    with pytest.raises(Forbidden):
        save(state, "referral", referral(), OTHER_MANAGER)


def test_criteria_not_met_makes_notification_and_rapid_review_not_needed_and_closure_possible_at_once():
    state = new_state("child_safeguarding")
    save_and_complete(state, "referral", referral(), "2025-03-03")
    completion = save_and_complete(state, "criteria_check", criteria(met=False), "2025-03-05", PARTNER)
    assert completion.stage == "closure"
    assert deadline_reasons(completion.events) == {}, "no clock starts when the criteria are not met"
    plan = statuses(state)
    not_needed = [code for code, status in plan.items() if status == "not_needed"]
    assert not_needed == [
        "notification",
        "rapid_review",
        "meeting",
        "report",
        "decision",
        "panel_submission",
        "panel_response",
        "lcspr_setup",
        "final_report",
        "publication",
    ]
    assert plan["closure"] == "not_started"
    with pytest.raises(InvalidRequest, match="not needed"):
        save(state, "notification", sin())
    # The notification deadline, started by the referral, is not shown once the SIN is not needed.
    assert [s.rule.code for s in domain.plan(state, d("2025-03-20")).standings] == []
    assert save_and_complete(state, "closure", closure("2025-03-06"), "2025-03-06").closed


def test_criteria_outcome_is_computed_from_the_answers_and_a_posted_outcome_is_ignored():
    state = new_state("child_safeguarding")
    save_and_complete(state, "referral", referral(), "2025-03-03")
    forged = {**criteria(met=False), "outcome": "rapid_review"}
    completion = save_and_complete(state, "criteria_check", forged, "2025-03-05", PARTNER)
    assert (completion.record.answers or {}).get("outcome") == "not_met", (
        "the outcome follows the criteria, not the post"
    )
    assert statuses(state)["notification"] == "not_needed"


def test_notify_only_needs_the_sin_but_no_rapid_review():
    state = new_state("child_safeguarding")
    save_and_complete(state, "referral", referral(), "2025-03-03")
    answers = criteria(met=False, harm="died", looked_after_child_death=True)
    save_and_complete(state, "criteria_check", answers, "2025-03-05", PARTNER)
    plan = statuses(state)
    assert (plan["notification"], plan["rapid_review"], plan["closure"]) == (
        "not_started",
        "not_needed",
        "cannot_start",
    )
    save_and_complete(state, "notification", sin(), "2025-03-07")
    assert save_and_complete(state, "closure", closure("2025-03-10"), "2025-03-10").closed


def test_no_lcspr_outcome_makes_the_local_review_steps_not_needed():
    state, _ = walk_child(until="decision")
    completion = save_and_complete(state, "decision", decision("no_lcspr"), "2025-03-26", EXECUTIVE)
    assert deadline_reasons(completion.events) == {}, "no 6-month clock when there is no local review"
    plan = statuses(state)
    assert [plan[code] for code in ("lcspr_setup", "final_report", "publication")] == ["not_needed"] * 3
    save_and_complete(state, "panel_submission", panel_submission(), "2025-03-27")
    completion = save_and_complete(state, "panel_response", panel_response(), "2025-04-08")
    assert completion.stage == "closure"
    assert save_and_complete(state, "closure", closure("2025-04-09"), "2025-04-09").closed


def test_lcspr_set_up_is_refused_until_every_box_is_ticked():
    state, _ = walk_child(until="lcspr_setup")
    save(state, "lcspr_setup", lcspr_setup(ticked=False))  # a part-done draft is saved
    with pytest.raises(InvalidRequest) as refused:
        complete(state, "lcspr_setup", "2025-04-15")
    assert [p["field"] for p in refused.value.problems] == [
        "review_group_formed",
        "practitioner_group_formed",
        "family_informed",
        "terms_of_reference_agreed",
        "chronology_template_issued",
    ], "each unticked box must be named, so the page can point at it"
    save(state, "lcspr_setup", lcspr_setup(family_informed=False))
    with pytest.raises(InvalidRequest) as refused:
        complete(state, "lcspr_setup", "2025-04-15")
    assert refused.value.problems == [
        {"field": "family_informed", "message": "Inform the family before completing the set-up"}
    ]
    save(state, "lcspr_setup", lcspr_setup())
    assert complete(state, "lcspr_setup", "2025-04-15").record.completed


def test_completing_a_step_with_nothing_saved_is_refused():
    state = new_state("child_safeguarding")
    with pytest.raises(InvalidRequest, match="Answer the questions"):
        domain.complete_step(state, "referral", MANAGER, 0, on("2025-03-03"))


def test_unknown_step_is_refused_naming_the_step():
    state = new_state("child_safeguarding")
    with pytest.raises(InvalidRequest) as refused:
        save(state, "inquest", referral())
    assert refused.value.problems[0]["field"] == "step"


def problems_of_saving(state: domain.ReviewState, step: str, answers: dict[str, Any], actor: Actor = MANAGER):
    with pytest.raises(InvalidRequest) as refused:
        save(state, step, answers, actor)
    assert step not in state.steps or not state.steps[step].answers, "nothing is stored from refused answers"
    return {p["field"]: p["message"] for p in refused.value.problems}


def test_sin_with_five_children_is_refused_on_the_children_field():
    state, _ = walk_child(until="notification")
    problems = problems_of_saving(state, "notification", sin_answers(children=5))
    assert problems == {"children": "No more than 4 allowed"}, "one SIN covers up to 4 children"


def test_date_in_the_future_is_refused():
    tomorrow = (today_in_england() + timedelta(days=1)).isoformat()
    state = new_state("child_safeguarding")
    answers = {**referral(), "date_aware": tomorrow}
    problems = problems_of_saving(state, "referral", answers)
    assert problems == {"date_aware": "Date the local authority became aware must be today or in the past"}


def test_decision_without_rationale_is_refused():
    state, _ = walk_child(until="decision")
    answers = {"outcome": "lcspr", "decided_on": "2025-03-26"}
    assert problems_of_saving(state, "decision", answers, EXECUTIVE) == {
        "rationale": "Enter the rationale, against the criteria"
    }
    blank = {**answers, "rationale": "   "}
    assert problems_of_saving(state, "decision", blank, EXECUTIVE) == {
        "rationale": "Enter the rationale, against the criteria"
    }


def test_oversized_text_is_refused():
    state = new_state("child_safeguarding")
    answers = {**referral(), "summary": "x" * 5001}
    assert problems_of_saving(state, "referral", answers) == {"summary": "Must be 5000 characters or fewer"}
    save(state, "referral", {**referral(), "summary": "x" * 5000})  # the limit itself is allowed


def test_an_answer_that_is_not_a_question_of_the_form_is_refused():
    state = new_state("child_safeguarding")
    problems = problems_of_saving(state, "referral", {**referral(), "child_name": "anything"})
    assert problems == {"child_name": "This is not a question of the form: remove it"}


# -- the safeguarding adults review and the domestic homicide review -----------------------------------------


def test_safeguarding_adults_review_walks_from_referral_to_closure():
    state = new_state("safeguarding_adults")
    walk = [
        ("referral", referral(), "2025-03-03", MANAGER, "referral"),
        ("acknowledgement", record("2025-03-05"), "2025-03-05", MANAGER, "decision"),
        ("decision", review_decision(), "2025-03-20", EXECUTIVE, "review"),
        ("final_report", final_report(), "2025-09-01", MANAGER, "publication"),
        ("publication", publication(), "2025-09-10", MANAGER, "closure"),
        ("closure", closure(), "2025-09-30", MANAGER, "closed"),
    ]
    done = {}
    for step, answers, day, actor, stage in walk:
        done[step] = save_and_complete(state, step, answers, day, actor)
        assert done[step].stage == stage, f"after '{step}' the SAR must be at stage {stage!r}"
    # Acknowledgement: 5 working days from Mon 3 Mar 2025 = Mon 10 Mar; done Wed 5 Mar.
    assert deadline_reasons(done["referral"].events) == {"acknowledgement": "started"}
    assert deadline_reasons(done["acknowledgement"].events) == {"acknowledgement": "met"}
    # Review: 6 months from the decision of 20 Mar 2025 = 20 Sep 2025; sent 1 Sep.
    [review] = of_type(done["decision"].events, DeadlineChanged)
    assert (review.deadline, review.due_on, review.reason) == ("review", d("2025-09-20"), "started")
    assert of_type(done["decision"].events, DecisionMade)[0].outcome == "review"
    assert of_type(done["publication"].events, ReviewPublished) and of_type(
        done["closure"].events, ReviewClosed
    )


def test_safeguarding_adults_review_with_no_review_decided_closes_after_the_decision():
    state = new_state("safeguarding_adults")
    save_and_complete(state, "referral", referral(), "2025-03-03")
    save_and_complete(state, "acknowledgement", record("2025-03-05"), "2025-03-05")
    completion = save_and_complete(state, "decision", review_decision("no_review"), "2025-03-20", PARTNER)
    assert completion.stage == "closure"
    assert (statuses(state)["final_report"], statuses(state)["publication"]) == ("not_needed", "not_needed")
    assert save_and_complete(state, "closure", closure("2025-03-21"), "2025-03-21").closed


def test_domestic_homicide_review_walks_from_notification_to_closure():
    state = new_state("domestic_homicide")
    walk = [
        ("notification", referral(), "2025-03-03", MANAGER, "decision"),
        ("decision", review_decision(), "2025-03-20", EXECUTIVE, "decision"),
        ("home_office_informed", record("2025-03-21"), "2025-03-21", MANAGER, "review"),
        ("final_report", final_report(), "2025-09-01", MANAGER, "quality_assurance"),
        ("quality_assurance", record("2025-10-15"), "2025-10-15", MANAGER, "publication"),
        ("publication", publication("2025-10-20"), "2025-10-20", EXECUTIVE, "closure"),
        ("closure", closure("2025-10-31"), "2025-10-31", MANAGER, "closed"),
    ]
    done = {}
    for step, answers, day, actor, stage in walk:
        done[step] = save_and_complete(state, step, answers, day, actor)
        assert done[step].stage == stage, f"after '{step}' the DHR must be at stage {stage!r}"
    # Decision: 1 month from becoming aware on 3 Mar 2025 = 3 Apr 2025; decided 20 Mar.
    [started] = of_type(done["notification"].events, DeadlineChanged)
    assert (started.deadline, started.due_on, started.reason) == ("decision", d("2025-04-03"), "started")
    assert deadline_reasons(done["decision"].events) == {"decision": "met", "review": "started"}
    assert of_type(done["publication"].events, ReviewPublished)[0].published


def test_dhr_decision_is_not_for_an_agency_lead():
    state = new_state("domestic_homicide")
    save_and_complete(state, "notification", referral(), "2025-03-03")
    lead = Actor(user_id="al-1", partnership_id=PARTNERSHIP, roles=frozenset({"agency_lead"}))
    with pytest.raises(Forbidden):
        save(state, "decision", review_decision(), lead)


def test_every_shipped_type_ends_with_a_closure_step_and_starts_with_no_prerequisite():
    for code, definition in definitions.review_types().items():
        assert definition.steps[0].after == (), f"{code}: the first step must be startable"
        assert definition.steps[-1].form == "closure", f"{code}: the last step closes the review"


# -- a review type defined in data alone ---------------------------------------------------------------------

LEARNING_REVIEW = {
    "code": "learning_review",
    "label": "Learning review",
    "stages": [
        {"code": "opening", "label": "Opening"},
        {"code": "learning", "label": "Learning event"},
        {"code": "closure", "label": "Closure"},
    ],
    "deadlines": {
        "learning_event": {"label": "Learning event held", "working_days": 10, "from": "opened.done_on"},
        "completion": {"label": "Review completed", "months": 2, "from": "opened.done_on", "pausable": True},
    },
    "steps": [
        {"code": "opened", "label": "Open the learning review", "form": "record", "stage": "opening"},
        {
            "code": "learning_event",
            "label": "Hold the learning event",
            "form": "record",
            "stage": "learning",
            "after": [{"step": "opened", "reason": "Open the learning review first"}],
            "deadline": "learning_event",
            "done_on": "done_on",
        },
        {
            "code": "closure",
            "label": "Close the learning review",
            "form": "closure",
            "stage": "closure",
            "after": ["learning_event"],
            "deadline": "completion",
            "done_on": "closed_on",
        },
    ],
}


def write_type(directory: Path, name: str, content: dict[str, Any]) -> None:
    (directory / name).write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")


def test_new_review_type_defined_only_in_data_is_walked_by_the_same_rules(tmp_path):
    write_type(tmp_path, "learning_review.yml", LEARNING_REVIEW)
    loaded = definitions.load(tmp_path)
    assert list(loaded) == ["learning_review"]
    state = new_state(loaded["learning_review"])

    assert domain.plan(state, d("2025-06-02")).stage == "opening"
    with pytest.raises(InvalidRequest, match="Open the learning review first"):
        save(state, "learning_event", record("2025-06-10"))

    opened = save_and_complete(state, "opened", record("2025-06-02"), "2025-06-02")
    assert opened.stage == "learning"
    started = {e.deadline: (e.due_on, e.reason) for e in of_type(opened.events, DeadlineChanged)}
    # Opened Mon 2 Jun 2025: 3-6 Jun (1-4), 9-13 (5-9), Mon 16 Jun (10). Two months: 2 Aug 2025.
    assert started == {
        "learning_event": (d("2025-06-16"), "started"),
        "completion": (d("2025-08-02"), "started"),
    }

    held = save_and_complete(state, "learning_event", record("2025-06-12"), "2025-06-12")
    assert held.stage == "closure" and deadline_reasons(held.events) == {"learning_event": "met"}
    closed = save_and_complete(state, "closure", closure("2025-07-31"), "2025-07-31")
    assert closed.closed and closed.stage == "closed"
    assert deadline_reasons(closed.events) == {"completion": "met"}
    assert of_type(closed.events, ReviewClosed)[0].review_type == "learning_review"


def test_a_review_type_file_of_a_code_already_used_is_refused(tmp_path):
    write_type(tmp_path, "a.yml", LEARNING_REVIEW)
    write_type(tmp_path, "b.yml", LEARNING_REVIEW)
    with pytest.raises(DefinitionError, match="already used"):
        definitions.load(tmp_path)


def test_broken_review_type_is_refused_whole_with_every_problem_listed(tmp_path):
    broken = {
        "code": "broken",
        "label": "Broken review",
        "stages": [{"code": "only", "label": "Only"}],
        "deadlines": {
            # default 20 above the maximum 15
            "too_long": {"working_days": 20, "maximum": 15, "from": "opened.completed_on"},
            # summary is text, not a date
            "from_text": {"working_days": 5, "from": "opened.summary"},
        },
        "steps": [
            {"code": "opened", "form": "referral", "stage": "only"},
            {"code": "early", "form": "record", "stage": "only", "after": ["late"]},
            {"code": "late", "form": "record", "stage": "only", "after": ["opened"]},
            {"code": "mystery", "form": "questionnaire", "stage": "only", "after": ["opened"]},
        ],
    }
    write_type(tmp_path, "broken.yml", broken)
    with pytest.raises(DefinitionError) as refused:
        definitions.load(tmp_path)
    problems = refused.value.problems
    expected = [
        "deadline too_long: the default 20 must lie between minimum and maximum",
        "step early: comes after 'late', which is not an earlier step",
        "step mystery: no form 'questionnaire'",
        "deadline from_text: 'summary' is not a date of the form referral",
    ]
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (
            f"{fragment!r} not among the problems: {problems}"
        )
    assert len(problems) == len(expected), f"exactly the four mistakes, each once: {problems}"
    assert str(refused.value).startswith("broken.yml: "), "the message names the file to fix"


def test_a_definition_naming_a_role_nobody_holds_or_a_figure_that_is_not_a_number_is_refused(tmp_path):
    broken = {
        "code": "sloppy",
        "label": "Sloppy review",
        "stages": [{"code": "only", "label": "Only"}, {"label": "No code"}],
        "deadlines": {"soon": {"working_days": "five", "from": "opened.completed_on"}},
        "steps": [{"code": "opened", "form": "record", "stage": "only", "by": ["buisness_manager"]}],
    }
    write_type(tmp_path, "sloppy.yml", broken)
    with pytest.raises(DefinitionError) as refused:
        definitions.load(tmp_path)
    problems = refused.value.problems
    for fragment in (
        "every stage needs a code",
        "deadline soon: working_days, minimum and maximum must be whole numbers",
        "step opened: by names roles nobody can hold: buisness_manager",
    ):
        assert any(fragment in problem for problem in problems), f"{fragment!r} not in {problems}"


def test_a_good_file_beside_a_broken_one_does_not_load_either(tmp_path):
    write_type(tmp_path, "a_good.yml", LEARNING_REVIEW)
    write_type(tmp_path, "b_broken.yml", {**LEARNING_REVIEW, "code": "other", "stages": []})
    with pytest.raises(DefinitionError) as refused:
        definitions.load(tmp_path)
    assert all("is not one of the stages" in problem for problem in refused.value.problems)


@pytest.fixture
def deployment_types(tmp_path, monkeypatch):
    """A deployment directory of review types named by CASEREV_REVIEW_TYPES_DIR, read afresh."""
    from services.kernel.config import reset_settings

    monkeypatch.setenv("CASEREV_REVIEW_TYPES_DIR", str(tmp_path))
    reset_settings()
    definitions.review_types.cache_clear()
    yield tmp_path
    monkeypatch.delenv("CASEREV_REVIEW_TYPES_DIR")
    reset_settings()
    definitions.review_types.cache_clear()


def test_a_deployment_adds_a_review_type_with_a_file_in_its_own_directory(deployment_types):
    write_type(deployment_types, "learning.yml", LEARNING_REVIEW)
    offered = definitions.review_types()
    assert "learning_review" in offered, "the deployment's file is offered beside the shipped types"
    assert {"child_safeguarding", "safeguarding_adults", "domestic_homicide"} <= set(offered)


def test_a_deployment_cannot_redefine_a_shipped_review_type(deployment_types):
    write_type(deployment_types, "child.yml", {**LEARNING_REVIEW, "code": "child_safeguarding"})
    with pytest.raises(DefinitionError) as refused:
        definitions.review_types()
    assert "already defined by Case Review" in str(refused.value)


# -- one more agency, after the rapid review has begun ------------------------------------------------------

SCHOOL = (uuid.uuid4(), "Northbridge Academy")


def test_one_more_agency_is_asked_with_the_others_or_given_at_least_five_working_days():
    state, _ = walk_child(until="meeting")
    # Notified Fri 7 Mar 2025: returns due on day 10, Fri 21 Mar.
    early = domain.ask_another_agency(state, SCHOOL, [], MANAGER, d("2025-03-10"))
    assert (early.agency_name, early.status, early.due_on) == (
        "Northbridge Academy",
        "requested",
        d("2025-03-21"),
    )
    # Asked on Wed 19 Mar, two working days before the others' date: five working days, Wed 26 Mar.
    late = domain.ask_another_agency(state, SCHOOL, [], MANAGER, d("2025-03-19"))
    assert late.due_on == d("2025-03-26"), "an agency asked late still gets five working days"


def test_asking_one_more_agency_is_refused_before_the_returns_are_asked_twice_or_by_anyone_else():
    before, _ = walk_child(until="rapid_review")
    with pytest.raises(InvalidRequest, match="first step"):
        domain.ask_another_agency(before, SCHOOL, [], MANAGER, d("2025-03-10"))
    state, _ = walk_child(until="meeting")
    with pytest.raises(InvalidRequest, match="already been asked"):
        domain.ask_another_agency(state, SCHOOL, [SCHOOL[0]], MANAGER, d("2025-03-10"))
    with pytest.raises(Forbidden):
        domain.ask_another_agency(state, SCHOOL, [], EXECUTIVE, d("2025-03-10"))


def test_the_notification_starts_with_what_the_referral_holds() -> None:
    state = new_state("child_safeguarding")
    state.steps["referral"] = domain.StepRecord(
        "referral",
        {
            "incident_date": "2026-11-02",
            "date_aware": "2026-11-03",
            "nature": "serious_harm",
            "summary": "Seen",
        },
    )
    notification = state.definition.step("notification")
    assert notification is not None
    assert domain.prefill(state, notification) == {
        "incident_date": "2026-11-02",
        "date_aware": "2026-11-03",
        "nature": "serious_harm",
        "case_outline": "Seen",
    }, "the notification should start with the referral's dates, nature and outline"


def test_a_prefill_naming_what_no_form_asks_is_refused(tmp_path):
    broken = {
        "code": "prefilled",
        "label": "Prefilled review",
        "stages": [{"code": "only", "label": "Only"}],
        "steps": [
            {"code": "opened", "form": "referral", "stage": "only"},
            {
                "code": "notified",
                "form": "serious_incident_notification",
                "stage": "only",
                "after": ["opened"],
                "prefill": {"no_such_question": "opened.summary", "case_outline": "opened.no_such_answer"},
            },
        ],
    }
    write_type(tmp_path, "prefilled.yml", broken)
    with pytest.raises(DefinitionError) as refused:
        definitions.load(tmp_path)
    problems = " | ".join(refused.value.problems)
    assert "prefill names 'no_such_question'" in problems, problems
    assert "prefill takes opened.no_such_answer" in problems, problems
