"""gateway/forms_ui.py: a review's forms as pages. Questions from the form models, posted pages read back
into answers, problems tied to the inputs they are about, and answers in words."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError
from starlette.datastructures import FormData

from gateway import forms_ui
from services.forms.contract import (
    FORMS,
    LcsprSetup,
    Publication,
    RapidReviewSetup,
    RecordPause,
    Referral,
    SeriousIncidentNotification,
)

POLICE = forms_ui.Agency(str(uuid.uuid4()), "Northbridge Police")
HEALTH = forms_ui.Agency(str(uuid.uuid4()), "Northbridge Health ICB")


def posted(**fields: Any) -> FormData:
    """A posted page: `children__0__sex="male"` posts `children-0-sex`; a list posts each value."""
    items: list[tuple[str, str]] = []
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            items.append((name.replace("__", "-"), one))
    return FormData(items)


def by_id(questions: list[forms_ui.Question]) -> dict[str, forms_ui.Question]:
    found: dict[str, forms_ui.Question] = {}
    for question in questions:
        found[question.id] = question
        for group in question.groups:
            found.update(by_id(list(group.questions)))
    return found


SIN_PAGE = {
    "notifying_local_authority": "Northbridge Council",
    "notifier_role": "Head of service",
    "incident_date__day": "2",
    "incident_date__month": "3",
    "incident_date__year": "2026",
    "date_aware__day": "3",
    "date_aware__month": "3",
    "date_aware__year": "2026",
    "notified_on__day": "5",
    "notified_on__month": "3",
    "notified_on__year": "2026",
    "nature": "serious_harm",
    "children__0__sex": "female",
    "children__0__age_years": "0",
    "children__0__ethnicity": "white",
    "children__0__disability": "no",
    "children__0__legal_status": ["child_in_need", "child_protection"],
    "children__0__placement": "with_parents",
    "known_to_agencies": "yes",
    "agencies_known": "Health visiting, police",
    "case_outline": "Infant A was admitted with injuries.",
    "police_investigation": "yes",
    "threshold_met": "yes",
}


# -- questions ----------------------------------------------------------------------------------------------


def test_every_kind_of_form_has_questions_with_words() -> None:
    for kind, form in FORMS.items():
        questions = forms_ui.questions(form, [POLICE])
        assert questions, f"{kind} has no questions"
        for question in by_id(questions).values():
            assert question.label and question.label[0].isupper(), f"{kind}.{question.path} has no words"


def test_each_field_gets_the_widget_its_type_asks_for() -> None:
    questions = by_id(forms_ui.questions(SeriousIncidentNotification))
    assert questions["notifying_local_authority"].widget == "text"
    assert questions["case_outline"].widget == "textarea"
    assert questions["case_outline"].max_length == 5000
    assert questions["incident_date"].widget == "date"
    assert questions["nature"].widget == "radios"
    assert [c.label for c in questions["nature"].choices] == [
        "The child died",
        "The child was seriously harmed",
        "Other",
    ]
    assert questions["known_to_agencies"].widget == "yes_no"
    assert questions["children-0-legal_status"].widget == "checkboxes"
    assert questions["children-0-age_years"].widget == "number"
    assert questions["children-2-date_of_birth"].widget == "date"
    assert not questions["children-0-date_of_birth"].required


def test_the_children_are_four_fieldsets() -> None:
    (children,) = [q for q in forms_ui.questions(SeriousIncidentNotification) if q.key == "children"]
    assert children.widget == "repeated"
    assert [group.legend for group in children.groups] == ["Child 1", "Child 2", "Child 3", "Child 4"]
    assert children.groups[3].questions[0].id == "children-3-sex"
    assert children.groups[3].questions[0].path == "children.3.sex"


def test_a_checklist_is_ticked_and_a_question_is_answered_yes_or_no() -> None:
    setup = by_id(forms_ui.questions(LcsprSetup))
    assert setup["review_group_formed"].widget == "checkbox"
    assert setup["chronology_template_issued"].widget == "checkbox"
    publication = by_id(forms_ui.questions(Publication))
    assert publication["panel_agreed"].widget == "yes_no"  # "Has the Panel agreed ...?" is a question


def test_the_agencies_question_offers_the_partnership_agencies() -> None:
    (agencies, *_) = forms_ui.questions(RapidReviewSetup, [POLICE, HEALTH])
    assert agencies.widget == "agencies"
    assert [(c.value, c.label) for c in agencies.choices] == [
        (POLICE.id, POLICE.name),
        (HEALTH.id, HEALTH.name),
    ]
    assert forms_ui.asks_for_agencies(RapidReviewSetup)
    assert not forms_ui.asks_for_agencies(Referral)


# -- reading a posted page ----------------------------------------------------------------------------------


def test_a_posted_notification_becomes_answers_the_form_accepts() -> None:
    parsed = forms_ui.parse(SeriousIncidentNotification, posted(**SIN_PAGE))
    assert parsed.problems == []
    assert parsed.answers["incident_date"] == "2026-03-02"
    assert parsed.answers["known_to_agencies"] is True
    assert parsed.answers["children"] == [
        {
            "sex": "female",
            "age_years": "0",
            "ethnicity": "white",
            "disability": "no",
            "legal_status": ["child_in_need", "child_protection"],
            "placement": "with_parents",
        }
    ]
    notification = SeriousIncidentNotification.model_validate(parsed.answers)
    assert notification.children[0].age_years == 0


def test_empty_child_fieldsets_are_ignored_and_the_rest_keep_their_place() -> None:
    page = {k.replace("children__0", "children__2"): v for k, v in SIN_PAGE.items()}
    parsed = forms_ui.parse(SeriousIncidentNotification, posted(**page))
    assert len(parsed.answers["children"]) == 1
    # The service's "children.0" is the page's third fieldset.
    assert parsed.page_path("children.0.sex") == "children.2.sex"
    assert parsed.page_path("children") == "children"


def test_a_blank_answer_is_left_out_so_that_the_service_asks_for_it() -> None:
    parsed = forms_ui.parse(Referral, posted(referring_organisation="  ", summary=""))
    assert parsed.problems == []
    assert "referring_organisation" not in parsed.answers
    assert "incident_date" not in parsed.answers
    assert "senior_lead_agreed" not in parsed.answers


def test_a_half_date_names_the_missing_part() -> None:
    parsed = forms_ui.parse(Referral, posted(incident_date__day="4", incident_date__month="5"))
    assert parsed.problems == [
        {"field": "incident_date", "message": "Date of the incident must include a year", "parts": ["year"]}
    ]
    # Sent as a date the service refuses too, so nothing is stored while the person corrects it.
    assert parsed.answers["incident_date"] == forms_ui.UNREADABLE_DATE
    assert parsed.values["incident_date-day"] == "4"


@pytest.mark.parametrize(
    ("day", "month", "year", "part"),
    [
        ("31", "2", "2026", "day"),
        ("1", "13", "2026", "month"),
        ("x", "1", "2026", "day"),
        ("1", "1", "26", "year"),
    ],
)
def test_a_date_that_is_not_a_real_date_is_refused_by_the_page(
    day: str, month: str, year: str, part: str
) -> None:
    parsed = forms_ui.parse(
        Referral, posted(date_aware__day=day, date_aware__month=month, date_aware__year=year)
    )
    (problem,) = parsed.problems
    assert problem["field"] == "date_aware"
    assert problem["message"].startswith("Enter a real date")
    assert problem["parts"] == [part]


def test_a_fifth_child_is_refused() -> None:
    page = dict(SIN_PAGE)
    for number in range(1, 5):
        page[f"children__{number}__sex"] = "male"
    parsed = forms_ui.parse(SeriousIncidentNotification, posted(**page))
    assert [p["field"] for p in parsed.problems] == ["children"]
    assert "no more than 4 children" in parsed.problems[0]["message"]
    assert len(parsed.answers["children"]) == 5  # sent as it is, so that the service refuses it as well
    with pytest.raises(ValidationError):
        SeriousIncidentNotification.model_validate(parsed.answers)


def test_the_agencies_chosen_become_ids_and_names() -> None:
    parsed = forms_ui.parse(
        RapidReviewSetup,
        posted(
            agencies=[POLICE.id, HEALTH.id],
            letters_sent_on__day="9",
            letters_sent_on__month="3",
            letters_sent_on__year="2026",
        ),
        [POLICE, HEALTH],
    )
    assert parsed.problems == []
    assert parsed.answers["agencies"] == [
        {"agency_id": POLICE.id, "name": POLICE.name},
        {"agency_id": HEALTH.id, "name": HEALTH.name},
    ]
    assert "meeting_planned_on" not in parsed.answers


def test_an_agency_not_on_the_list_is_refused() -> None:
    parsed = forms_ui.parse(RapidReviewSetup, posted(agencies=[str(uuid.uuid4())]), [POLICE])
    assert parsed.problems == [{"field": "agencies", "message": "Choose agencies from the list"}]


def test_a_checklist_box_left_unticked_is_false() -> None:
    parsed = forms_ui.parse(LcsprSetup, posted(review_group_formed="yes"))
    assert parsed.answers["review_group_formed"] is True
    assert parsed.answers["family_informed"] is False


def test_saved_answers_fill_the_page_and_read_back_the_same() -> None:
    answers = forms_ui.parse(SeriousIncidentNotification, posted(**SIN_PAGE)).answers
    questions = forms_ui.questions(SeriousIncidentNotification)
    values = forms_ui.prefill(
        questions, SeriousIncidentNotification.model_validate(answers).model_dump(mode="json")
    )
    assert values["incident_date-day"] == "2" and values["incident_date-year"] == "2026"
    assert values["children-0-legal_status"] == ["child_in_need", "child_protection"]
    assert values["known_to_agencies"] == "yes"
    assert values["children-1-sex"] == ""
    again = forms_ui.parse(
        SeriousIncidentNotification, posted(**{k.replace("-", "__"): v for k, v in values.items()})
    )
    assert again.problems == []
    assert SeriousIncidentNotification.model_validate(
        again.answers
    ) == SeriousIncidentNotification.model_validate(answers)


# -- problems on the page -----------------------------------------------------------------------------------


def test_each_problem_links_to_its_input_in_the_order_of_the_questions() -> None:
    page = {k.replace("children__0", "children__1"): v for k, v in SIN_PAGE.items()}
    page["incident_date__year"] = ""
    parsed = forms_ui.parse(SeriousIncidentNotification, posted(**page))
    from_service = [
        {"field": "case_outline", "message": "Must be 5000 characters or fewer"},
        {"field": "children.0.ethnicity", "message": "Select one of the options"},
        {"field": "incident_date", "message": "Enter a real date"},  # the page's own message wins
        {"field": "notified_on", "message": "must be today or in the past"},
    ]
    theirs = [{**p, "field": parsed.page_path(p["field"])} for p in from_service]
    errors = forms_ui.page_errors(
        forms_ui.questions(SeriousIncidentNotification), [*parsed.problems, *theirs]
    )
    assert errors.summary == [
        {"href": "#incident_date-year", "message": "Date of the incident must include a year"},
        {"href": "#notified_on-day", "message": "Date of notification: Must be today or in the past"},
        {"href": "#children-1-ethnicity", "message": "Child 2, ethnicity: Select one of the options"},
        {"href": "#case_outline", "message": "Brief case outline: Must be 5000 characters or fewer"},
    ]
    assert errors.inline["children-1-ethnicity"] == "Select one of the options"
    assert errors.parts == {"incident_date": ["year"], "notified_on": ["day", "month", "year"]}


def test_a_problem_about_the_whole_form_links_to_its_first_question() -> None:
    errors = forms_ui.page_errors(
        forms_ui.questions(Referral),
        [{"field": "form", "message": "The date of becoming aware must be later"}],
    )
    assert errors.summary == [
        {"href": "#referring_organisation", "message": "The date of becoming aware must be later"}
    ]
    assert errors.inline == {"form": "The date of becoming aware must be later"}


def test_problems_on_the_check_page_link_back_to_the_form() -> None:
    errors = forms_ui.page_errors(
        forms_ui.questions(LcsprSetup),
        [{"field": "family_informed", "message": "Inform the family before completing the set-up"}],
        href="/reviews/r/steps/lcspr_setup",
    )
    assert errors.summary[0]["href"] == "/reviews/r/steps/lcspr_setup#family_informed"


def test_a_command_checked_by_the_page_gets_plain_words() -> None:
    with pytest.raises(ValidationError) as refused:
        RecordPause.model_validate({"reason": "holiday", "detail": "x" * 5001})
    problems = {p["field"]: p["message"] for p in forms_ui.problems_of(refused.value)}
    assert problems == {
        "reason": "Select one of the options",
        "detail": "Must be 5000 characters or fewer",
        "starts_on": "Enter the date the pause starts",
        "approved_by": "Enter who agreed the pause",
    }


# -- answers in words ---------------------------------------------------------------------------------------


def test_check_your_answers_shows_the_answers_in_words() -> None:
    answers = SeriousIncidentNotification.model_validate(
        forms_ui.parse(SeriousIncidentNotification, posted(**SIN_PAGE)).answers
    ).model_dump(mode="json")
    rows = {
        row.key: row for row in forms_ui.answer_rows(forms_ui.questions(SeriousIncidentNotification), answers)
    }
    assert rows["Date of the incident"].lines == ("2 March 2026",)
    assert rows["Nature of the incident"].lines == ("The child was seriously harmed",)
    assert rows["Were the children known to agencies?"].lines == ("Yes",)
    assert rows["Other local authorities involved"].lines == (forms_ui.NOT_ANSWERED,)
    assert rows["Child 1"].lines == (
        "Sex: Female",
        "Age in years: 0",
        "Ethnicity: White",
        "Disabled: No",
        "Legal status: Child in need plan, Child protection plan",
        "Where the child lived: With parents",
    )
    assert rows["Child 1"].target == "children-0-sex"
    assert "Child 2" not in rows


def test_the_agencies_are_shown_by_name() -> None:
    rows = forms_ui.answer_rows(
        forms_ui.questions(RapidReviewSetup, [POLICE]),
        {"agencies": [{"agency_id": POLICE.id, "name": POLICE.name}], "letters_sent_on": "2026-03-09"},
    )
    assert [(row.key, row.lines) for row in rows] == [
        ("Which agencies knew the child and family?", ("Northbridge Police",)),
        ("Date the letters to agencies were sent", ("9 March 2026",)),
        ("Date of the rapid review meeting, if set", (forms_ui.NOT_ANSWERED,)),
    ]


def test_a_day_in_words() -> None:
    assert forms_ui.day_in_words(date(2026, 5, 5)) == "5 May 2026"
    assert forms_ui.day_in_words(None) == ""
