"""The rules of learning into change (services/actions/domain.py and policy.py): the themes taxonomy, lessons,
recommendations, actions with worked-out status and RAG, sign-off and reopening, and every bad input of
the issue refused naming its field."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest

from services.actions import domain, policy
from services.actions.contract import AddTheme
from services.actions.domain import Action, TaggedLesson, Taxonomy, ThemeChange
from services.kernel.errors import Conflict, Forbidden, InvalidRequest, NotFound
from services.kernel.identity import Actor

TODAY = date(2027, 3, 10)
BEGAN = date(2026, 9, 1)
PARTNERSHIP, OTHER = uuid.uuid4(), uuid.uuid4()
REVIEW = uuid.uuid4()
OWNER = uuid.uuid4()


def fields_of(error: InvalidRequest) -> list[str]:
    return [problem["field"] for problem in error.problems]


def an_action(**changes: object) -> Action:
    action = Action(
        id=uuid.uuid4(),
        review_id=REVIEW,
        partnership_id=PARTNERSHIP,
        owner_id=OWNER,
        due_on=date(2027, 6, 30),
        description="Audit multi-agency referrals",
        success_measure="95% of referrals shared within a day",
        assigned_on=date(2027, 1, 5),
        themes=("information_sharing",),
    )
    return replace(action, **changes)  # type: ignore[arg-type]


# -- themes ------------------------------------------------------------------------------------------------


def test_the_seed_taxonomy_has_the_panel_themes_notification_categories_and_care_act_abuse_types() -> None:
    taxonomy = Taxonomy.of([])
    families = {theme.family for theme in taxonomy.themes.values()}
    assert taxonomy.version == 1
    assert families == {"practice", "notification", "adult_abuse"}
    assert taxonomy.themes["voice_of_the_child"].national_code == "panel:voice_of_the_child"
    assert taxonomy.themes["adult_self_neglect"].family == "adult_abuse"


def test_a_partnership_extends_and_maps_its_taxonomy_each_change_a_new_version() -> None:
    first = Taxonomy.of([])
    added = first.next_change(AddTheme(code="county_lines", label="County lines", national_code="panel:efh"))
    second = Taxonomy.of([added])
    assert second.version == 2
    assert second.themes["county_lines"].family == "local"
    assert second.themes["county_lines"].national_code == "panel:efh"


def test_a_retired_theme_stays_named_but_cannot_be_chosen_again() -> None:
    taxonomy = Taxonomy.of([ThemeChange(2, "neglect", retired=True)])
    assert taxonomy.themes["neglect"].retired_in == 2
    assert taxonomy.label("neglect") == "Neglect"
    with pytest.raises(InvalidRequest) as refused:
        taxonomy.check_choice(["neglect"], "The lesson")
    assert fields_of(refused.value) == ["themes"]
    assert "retired" in refused.value.problems[0]["message"]
    with pytest.raises(InvalidRequest):
        taxonomy.retirement("neglect")


def test_a_theme_not_in_the_taxonomy_is_refused_naming_themes() -> None:
    with pytest.raises(InvalidRequest) as refused:
        Taxonomy.of([]).check_choice(["made_up_theme"], "The lesson")
    assert fields_of(refused.value) == ["themes"]
    assert "not a theme" in refused.value.problems[0]["message"]


def test_a_lesson_needs_a_theme_and_words() -> None:
    with pytest.raises(InvalidRequest) as refused:
        Taxonomy.of([]).check_choice([], "The lesson")
    assert fields_of(refused.value) == ["themes"]
    with pytest.raises(InvalidRequest) as refused:
        domain.check_finding("   ")
    assert fields_of(refused.value) == ["finding"]


# -- recommendations ---------------------------------------------------------------------------------------


def test_a_recommendation_with_no_lesson_is_refused_naming_lesson_ids() -> None:
    with pytest.raises(InvalidRequest) as refused:
        domain.check_recommendation("Share referrals the same day", [], {uuid.uuid4()})
    assert fields_of(refused.value) == ["lesson_ids"]


def test_a_recommendation_drawing_on_another_reviews_lesson_is_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        domain.check_recommendation("Share referrals", [uuid.uuid4()], {uuid.uuid4()})
    assert fields_of(refused.value) == ["lesson_ids"]


# -- a new action ------------------------------------------------------------------------------------------


def new_action(**given: object) -> domain.Problems:
    arguments: dict[str, object] = {
        "description": "Audit referrals",
        "success_measure": "Audit shows 95%",
        "owner_id": OWNER,
        "owner_known": True,
        "due_on": date(2027, 6, 30),
        "review_began": BEGAN,
        "today": TODAY,
        "recommendation_id": uuid.uuid4(),
        "source": "recommendation",
        "recommendation_known": True,
    }
    arguments.update(given)
    return domain.new_action_problems(**arguments)  # type: ignore[arg-type]


def test_a_whole_action_has_no_problems() -> None:
    assert new_action().found == []


@pytest.mark.parametrize(
    ("given", "field", "words"),
    [
        ({"owner_id": None}, "owner_id", "Choose who owns the action"),
        ({"owner_known": False}, "owner_id", "partnership's people"),
        ({"due_on": None}, "due_on", "Enter the date the action is due"),
        ({"due_on": date(2026, 8, 31)}, "due_on", "on or after the day the review began, 1 September 2026"),
        ({"due_on": date(2032, 3, 11)}, "due_on", "within 5 years of today"),
        ({"success_measure": " "}, "success_measure", "how success will be measured"),
        ({"description": ""}, "description", "what is to be done"),
        ({"recommendation_id": None}, "recommendation_id", "recommendation the action answers"),
        ({"recommendation_known": False}, "recommendation_id", "recommendation of this review"),
    ],
)
def test_a_bad_new_action_is_refused_naming_the_field(
    given: dict[str, object], field: str, words: str
) -> None:
    problems = new_action(**given)
    assert [p["field"] for p in problems.found] == [field]
    assert words in problems.found[0]["message"]
    with pytest.raises(InvalidRequest):
        problems.raise_any()


def test_a_due_date_exactly_five_years_ahead_and_the_first_day_of_the_review_are_allowed() -> None:
    assert new_action(due_on=date(2032, 3, 10)).found == []
    assert new_action(due_on=BEGAN).found == []


def test_a_rapid_review_immediate_action_needs_no_recommendation() -> None:
    assert new_action(recommendation_id=None, source="rapid_review").found == []


# -- status and RAG, worked out ----------------------------------------------------------------------------


def test_overdue_is_worked_out_from_the_due_date_never_typed() -> None:
    action = an_action(status="on_track", due_on=date(2027, 3, 9))
    assert action.shown_status(TODAY) == "overdue"
    assert action.rag(TODAY) == "red"
    assert action.shown_status(date(2027, 3, 9)) == "on_track"


@pytest.mark.parametrize(
    ("changes", "rag"),
    [
        ({"status": "on_track", "last_update_on": date(2027, 3, 1)}, "green"),
        ({"status": "at_risk"}, "amber"),
        ({"status": "not_started", "due_on": date(2027, 3, 20)}, "amber"),
        ({"status": "on_track", "last_update_on": date(2026, 11, 1)}, "amber"),
        ({"status": "not_implemented", "not_implemented_reason": "Service decommissioned"}, "red"),
        ({"status": "completed", "completed_on": date(2027, 3, 1)}, "complete"),
    ],
)
def test_rag_is_worked_out_from_dates_and_updates(changes: dict[str, object], rag: str) -> None:
    assert an_action(**changes).rag(TODAY) == rag


def test_a_completed_action_is_not_overdue_and_its_impact_check_falls_due_later() -> None:
    done = an_action().updated("completed", "Audit done", "", TODAY, "u", may_reopen_closed=False)
    assert done.completed_on == TODAY
    assert done.impact_check_due_on == date(2027, 6, 8)
    assert done.shown_status(date(2028, 1, 1)) == "completed"


# -- progress, impact, sign-off, reopening -----------------------------------------------------------------


def test_a_progress_update_needs_a_note() -> None:
    with pytest.raises(InvalidRequest) as refused:
        an_action().updated("on_track", " ", "", TODAY, "u", may_reopen_closed=False)
    assert fields_of(refused.value) == ["note"]


def test_not_implemented_needs_its_reason() -> None:
    with pytest.raises(InvalidRequest) as refused:
        an_action().updated("not_implemented", "Stopped", "", TODAY, "u", may_reopen_closed=False)
    assert fields_of(refused.value) == ["reason"]
    stopped = an_action().updated(
        "not_implemented", "Stopped", "Funding withdrawn", TODAY, "u", may_reopen_closed=False
    )
    assert stopped.not_implemented_reason == "Funding withdrawn"


def test_a_completed_action_reopened_without_a_reason_is_refused_naming_reason() -> None:
    done = an_action(status="completed", completed_on=TODAY)
    with pytest.raises(InvalidRequest) as refused:
        done.updated("on_track", "More to do", "", TODAY, "u", may_reopen_closed=False)
    assert fields_of(refused.value) == ["reason"]
    reopened = done.updated("on_track", "More to do", "Audit found gaps", TODAY, "u", may_reopen_closed=False)
    assert reopened.completed_on is None and reopened.status == "on_track"


def test_sign_off_needs_the_impact_check_and_closes_the_action() -> None:
    done = an_action(status="completed", completed_on=TODAY)
    with pytest.raises(InvalidRequest) as refused:
        done.signed_off(TODAY, "exec")
    assert fields_of(refused.value) == ["impact"]
    with pytest.raises(InvalidRequest) as refused:
        done.with_impact("yes", "")
    assert fields_of(refused.value) == ["how_tested"]
    closed = done.with_impact("yes", "Case audit of 20 referrals").signed_off(TODAY, "exec")
    assert closed.shown_status(TODAY) == "closed"
    assert closed.rag(TODAY) == "complete"
    with pytest.raises(Conflict):
        closed.signed_off(TODAY, "exec")


def test_an_open_action_cannot_be_signed_off() -> None:
    with pytest.raises(InvalidRequest) as refused:
        an_action(status="on_track").signed_off(TODAY, "exec")
    assert fields_of(refused.value) == ["status"]


def test_a_closed_action_is_reopened_only_with_a_reason_and_by_whoever_may() -> None:
    closed = an_action(status="not_implemented", not_implemented_reason="r", signed_off_on=TODAY)
    with pytest.raises(Conflict):
        closed.updated("completed", "done after all", "", TODAY, "u", may_reopen_closed=True)
    with pytest.raises(Conflict):
        closed.updated("on_track", "again", "New funding", TODAY, "u", may_reopen_closed=False)
    reopened = closed.updated("on_track", "again", "New funding", TODAY, "u", may_reopen_closed=True)
    assert reopened.signed_off_on is None and reopened.shown_status(TODAY) == "on_track"


# -- recurring themes --------------------------------------------------------------------------------------


def test_a_new_review_is_warned_of_open_or_not_implemented_actions_on_its_themes_from_earlier_reviews() -> (
    None
):
    earlier = uuid.uuid4()
    open_one = an_action(review_id=earlier, themes=("information_sharing",), status="on_track")
    dropped = an_action(review_id=earlier, themes=("information_sharing",), status="not_implemented")
    done = an_action(review_id=earlier, themes=("information_sharing",), status="completed")
    other_theme = an_action(review_id=earlier, themes=("neglect",))
    warnings = domain.recurring_warnings(
        REVIEW,
        BEGAN,
        {"information_sharing"},
        [(a, date(2025, 1, 1)) for a in (open_one, dropped, done, other_theme)],
        TODAY,
    )
    assert {action.id for _, action in warnings} == {open_one.id, dropped.id}


def test_a_theme_recurs_when_lessons_of_two_reviews_carry_it() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    lessons = [
        TaggedLesson(first, ("information_sharing", "neglect"), 2026),
        TaggedLesson(second, ("information_sharing",), 2027),
        TaggedLesson(second, ("information_sharing",), 2027),
    ]
    assert domain.recurs(lessons) == {"information_sharing"}
    rows = domain.theme_counts(lessons, {"information_sharing": 2})
    assert ("information_sharing", 2027, 1, 2, 2) in rows


# -- who may ----------------------------------------------------------------------------------------------


def actor(
    *roles: str, user: str = "someone", partnership: uuid.UUID | None = PARTNERSHIP, member: bool = False
) -> Actor:
    return Actor(
        user_id=user,
        partnership_id=partnership,
        roles=frozenset(roles),
        reviews=frozenset({REVIEW} if member else set()),
    )


def test_an_action_owner_sees_and_updates_only_their_own_actions() -> None:
    owner = actor("action_owner", user=str(OWNER), member=True)
    assert policy.may_see_action(owner, REVIEW, PARTNERSHIP, OWNER)
    assert not policy.may_see_action(owner, REVIEW, PARTNERSHIP, uuid.uuid4())
    assert not policy.may_read_plan(owner, REVIEW, PARTNERSHIP)
    policy.check_updates(owner, PARTNERSHIP, OWNER)
    with pytest.raises(Forbidden, match="owner or the business manager"):
        policy.check_updates(owner, PARTNERSHIP, uuid.uuid4())


def test_someone_else_changing_a_status_is_refused_and_the_business_manager_is_not() -> None:
    with pytest.raises(Forbidden):
        policy.check_updates(actor("executive"), PARTNERSHIP, OWNER)
    policy.check_updates(actor("business_manager"), PARTNERSHIP, OWNER)
    with pytest.raises(Forbidden):
        policy.check_updates(actor("business_manager", partnership=OTHER), PARTNERSHIP, OWNER)


@pytest.mark.parametrize(
    "role", ["regional_analyst", "national_analyst", "partnership_admin", "data_protection_officer"]
)
def test_analysts_and_administrators_see_none_of_the_plan(role: str) -> None:
    with pytest.raises(NotFound):
        policy.check_reads_plan(actor(role, member=True), REVIEW, PARTNERSHIP)
    with pytest.raises(NotFound):
        policy.check_sees_partnership_learning(actor(role))


def test_only_the_executive_signs_off() -> None:
    policy.check_signs_off(actor("executive"), PARTNERSHIP)
    with pytest.raises(Forbidden):
        policy.check_signs_off(actor("business_manager"), PARTNERSHIP)
