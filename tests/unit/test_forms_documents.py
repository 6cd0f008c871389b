"""The Word documents assembled from a review: the rapid review report and the Serious Incident Notification.

Every case below is invented: the case reference, the agencies and the answers.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import docx
import pytest
from docx.document import Document

from services.forms import documents
from services.forms.contract import (
    Addendum,
    AgencyReturnAnswers,
    Child,
    ChronologyEpisode,
    DeadlineView,
    Decision,
    InvitedAgency,
    KeyPracticeEpisode,
    RapidReviewMeeting,
    RapidReviewReport,
    RapidReviewSetup,
    ReturnView,
    ReviewFile,
    SeriousIncidentNotification,
    StepView,
)

PARTNERSHIP = uuid.uuid4()
REVIEW_ID = uuid.uuid4()
CASE = "NB-2026-014"
PARTNERSHIP_NAME = "Northborough Safeguarding Children Partnership"
TODAY = date(2026, 11, 19)

SIN = SeriousIncidentNotification(
    notifying_local_authority="Northborough Council",
    notifier_role="Head of Safeguarding",
    incident_date=date(2026, 10, 27),
    date_aware=date(2026, 10, 29),
    notified_on=date(2026, 11, 2),
    nature="serious_harm",
    children=[
        Child(
            sex="female",
            date_of_birth=date(2025, 3, 14),
            ethnicity="black",
            disability="no",
            legal_status=["child_protection"],
            placement="with_parents",
        ),
        Child(
            sex="male", age_years=4, ethnicity="mixed", disability="yes", placement="with_family_or_friends"
        ),
    ],
    known_to_agencies=True,
    agencies_known="Health visiting, children's social care, police",
    case_outline="Child A, aged 19 months, was admitted to hospital with a head injury.\nSibling B is safe.",
    police_investigation="yes",
    other_local_authorities="Southmoor Council",
    threshold_met="yes",
)
SETUP = RapidReviewSetup(
    agencies=[InvitedAgency(agency_id=uuid.uuid4(), name="Northborough Children's Services")],
    letters_sent_on=date(2026, 11, 3),
    meeting_planned_on=date(2026, 11, 18),
)
MEETING = RapidReviewMeeting(
    held_on=date(2026, 11, 18),
    immediate_safety_actions="Sibling B placed with maternal grandmother under a safety plan.",
    learning="Information about the father's history was not shared with health visiting.",
)
REPORT = RapidReviewReport(
    lived_experience="Child A's days were spent mostly indoors; her cultural heritage was not explored.",
    learning_under_way="Health visiting now checks police records at the birth visit.",
    parallel_processes="Criminal investigation by the police.",
    local_authority_signed_on=date(2026, 11, 19),
    police_signed_on=date(2026, 11, 19),
    health_signed_on=date(2026, 11, 18),
)
DECISION = Decision(
    outcome="no_lcspr",
    rationale="The learning is already clear and single-agency reviews are under way.",
    alternative_learning="A multi-agency learning event in January.",
    decided_on=date(2026, 11, 19),
)


def step(code: str, form: str, model: Any = None, status: str = "completed", **fields: Any) -> StepView:
    return StepView(
        code=code,
        label=fields.pop("label", code.replace("_", " ").capitalize()),
        stage="rapid_review",
        form=form,
        status=status,  # type: ignore[arg-type]
        completed_on=date(2026, 11, 18) if status == "completed" else None,
        answers=model.model_dump(mode="json") if model is not None else None,
        **fields,
    )


def deadline(code: str, label: str, due: date | None, status: str, **fields: Any) -> DeadlineView:
    return DeadlineView(
        code=code,
        label=label,
        statutory=fields.pop("statutory", False),
        step=fields.pop("step", None),
        basis="Working Together to Safeguard Children 2023",
        trigger_on=date(2026, 11, 2) if due else None,
        due_on=due,
        revised_due_on=due,
        done_on=fields.pop("done_on", None),
        status=status,  # type: ignore[arg-type]
        **fields,
    )


def review_file(*, signed_off: bool = False, decided: bool = False, **changes: Any) -> ReviewFile:
    """A child safeguarding review at its rapid review: notified, returns asked for, meeting held."""
    report_step = (
        step("report", "rapid_review_report", REPORT, deadline="sign_off")
        if signed_off
        # A draft of the report, saved but not signed off: not a record yet.
        else step("report", "rapid_review_report", REPORT, "in_progress", deadline="sign_off")
    )
    decision_step = (
        step("decision", "decision", DECISION)
        if decided
        else step("decision", "decision", status="cannot_start", label="Decision on a local review")
    )
    fields: dict[str, Any] = {
        "id": REVIEW_ID,
        "partnership_id": PARTNERSHIP,
        "review_type": "child_safeguarding",
        "review_type_label": "Child safeguarding review (rapid review, then LCSPR)",
        "title": CASE,
        "stage": "rapid_review",
        "stage_label": "Rapid review",
        "opened_at": datetime(2026, 10, 29, 9, 0, tzinfo=UTC),
        "steps": [
            step(
                "notification",
                "serious_incident_notification",
                SIN,
                deadline="notification",
                label="Serious Incident Notification",
            ),
            step("rapid_review", "rapid_review_setup", SETUP, deadline="letters"),
            step("meeting", "rapid_review_meeting", MEETING, deadline="meeting"),
            report_step,
            decision_step,
        ],
        "stages": [],
        "deadlines": [
            deadline(
                "notification",
                "Serious Incident Notification to the Panel",
                date(2026, 11, 5),
                "met",
                statutory=True,
                step="notification",
                done_on=date(2026, 11, 2),
            ),
            deadline("returns", "Agency returns due", date(2026, 11, 16), "overdue", late_by_working_days=3),
            deadline(
                "meeting",
                "Rapid review meeting",
                date(2026, 11, 17),
                "late",
                step="meeting",
                done_on=date(2026, 11, 18),
                late_by_working_days=1,
            ),
            deadline(
                "lcspr", "Local review completed and sent to the Panel", None, "waiting", statutory=True
            ),
        ],
        "pauses": [],
        "returns": [],
        "next_deadline": None,
        "rag": "amber",
        "paused": False,
        "closed": False,
        "may_manage": True,
        "version": 7,
    }
    return ReviewFile.model_validate({**fields, **changes})


def agency_return(
    name: str, status: str, answers: AgencyReturnAnswers | None = None, **fields: Any
) -> ReturnView:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "review_id": REVIEW_ID,
        "review_title": CASE,
        "partnership_id": PARTNERSHIP,
        "agency_id": uuid.uuid4(),
        "agency_name": name,
        "status": status,
        "due_on": date(2026, 11, 16),
        "extended_to": None,
        "extension_reason": "",
        "submitted_at": None,
        "submitted_by": None,
        "late_by_working_days": 0,
        "overdue": False,
        "working_days_left": None,
        "version": 2,
        "answers": (answers or AgencyReturnAnswers()).model_dump(mode="json"),
        "addenda": [],
        "may_edit": False,
        "may_submit": False,
        "missing": [],
    }
    return ReturnView.model_validate({**values, **fields})


CHILDRENS_SERVICES = agency_return(
    "Northborough Children's Services",
    "submitted",
    AgencyReturnAnswers(
        author_role="Service Manager, Safeguarding",
        involvement_from=date(2025, 3, 20),
        involvement_to=date(2026, 10, 28),
        summary="Children's social care assessed the family twice after referrals from health visiting.",
        episodes=[
            KeyPracticeEpisode(
                what_happened="Referral from the health visitor about bruising in June 2026.",
                went_well="A strategy discussion was held the same day.",
                could_improve="The father was not seen during the assessment.",
            ),
            KeyPracticeEpisode(what_happened="Case closed to early help in August 2026."),
        ],
        immediate_actions="All open cases with the same allocated team were audited.",
        learning="Fathers and partners must be seen and assessed.",
        records_secured=True,
    ),
    submitted_at=datetime(2026, 11, 13, 16, 45, tzinfo=UTC),
    addenda=[
        Addendum(
            id=uuid.uuid4(),
            text="The second referral was received on 2 July 2026, not 12 July.",
            author="al-7",
            added_at=datetime(2026, 11, 17, 15, 30, tzinfo=UTC),
        )
    ],
)
DENTAL = agency_return(
    "Northborough Community Dental Service", "nil", submitted_at=datetime(2026, 11, 5, 10, 0, tzinfo=UTC)
)
POLICE = agency_return("Greater Northborough Police", "requested", extended_to=date(2026, 11, 20))
RETURNS = [CHILDRENS_SERVICES, DENTAL, POLICE]


def opened(content: bytes) -> Document:
    return docx.Document(io.BytesIO(content))


def report(**changes: Any) -> Document:
    return opened(documents.rapid_review_report(review_file(**changes), RETURNS, PARTNERSHIP_NAME, TODAY))


def notification(review: ReviewFile | None = None) -> Document:
    return opened(documents.panel_notification(review or review_file(), PARTNERSHIP_NAME, TODAY))


def paragraphs(document: Document) -> list[str]:
    return [paragraph.text for paragraph in document.paragraphs]


def rows(document: Document) -> list[tuple[str, ...]]:
    return [tuple(cell.text for cell in row.cells) for table in document.tables for row in table.rows]


def text(document: Document) -> str:
    return "\n".join(paragraphs(document) + ["\t".join(row) for row in rows(document)])


def section(document: Document, heading: str) -> list[str]:
    """The paragraphs under a top-level heading, up to the next one (tables are not paragraphs)."""
    texts = [(p.style.name if p.style is not None else "", p.text) for p in document.paragraphs]
    start = texts.index(("Heading 1", heading))
    after = texts[start + 1 :]
    end = next((i for i, (style, _) in enumerate(after) if style == "Heading 1"), len(after))
    return [words for _, words in after[:end] if words]


# -- the rapid review report -------------------------------------------------------------------------------


def test_report_is_marked_official_sensitive_on_every_page_and_titled_with_the_case_reference():
    document = report()
    page = document.sections[0]
    assert page.header.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    assert page.footer.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    title = document.paragraphs[0]
    assert (title.style.name if title.style else None, title.text) == ("Title", CASE)
    assert document.core_properties.title == CASE
    assert "python-docx" not in (document.core_properties.author, document.core_properties.comments)


def test_report_has_every_section_in_order_even_those_not_recorded_yet():
    headings = [p.text for p in report().paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings == [
        "Partnership and authorities",
        "Serious Incident Notification",
        "Meeting dates",
        "The children",
        "The incident",
        "Agencies involved",
        "Key practice episodes from the chronology",
        "The child's lived experience",
        "Immediate safeguarding actions",
        "Learning and actions already under way",
        "Parallel processes",
        "Decision and rationale",
        "Sign-off by the three safeguarding partners",
        "Timeliness",
    ]


def test_report_gives_the_partnership_authorities_and_notification_dates_with_whether_the_deadline_was_met():
    found = rows(report())
    for row in [
        ("Safeguarding partnership", PARTNERSHIP_NAME),
        ("Notifying local authority", "Northborough Council"),
        ("Other local authorities involved", "Southmoor Council"),
        ("Case reference", CASE),
        ("Date of the incident", "27 October 2026"),
        ("Date the local authority became aware", "29 October 2026"),
        ("Date of notification", "2 November 2026"),
        ("Notification due", "5 November 2026"),
        ("Notified within the deadline?", "Yes"),
        ("Date the letters to agencies were sent", "3 November 2026"),
        ("Date of the meeting", "18 November 2026"),
    ]:
        assert row in found, f"{row} missing from the report's tables"


def test_report_describes_each_child_in_the_forms_own_words():
    document = report()
    assert "Number of children: 2" in paragraphs(document)
    found = rows(document)
    for row in [
        ("Sex", "Female"),
        ("Date of birth", "14 March 2025"),
        ("Ethnicity", "Black, Black British, Caribbean or African"),
        ("Legal status", "Child protection plan"),
        ("Where the child lived", "With parents"),
        ("Age in years", "4"),
        ("Ethnicity", "Mixed or multiple ethnic groups"),
        ("Disabled?", "Yes"),
        ("Legal status", "None"),
        ("Where the child lived", "With family or friends"),
    ]:
        assert row in found, f"{row} missing: child labels must come from the Child model's choices"
    codes = {"female", "black", "child_protection", "with_parents", "mixed", "yes"}
    assert not codes & {value for row in found for value in row}, "raw choice codes leaked into the report"


def test_report_gives_the_incident_with_its_labelled_nature_and_case_outline():
    document = report()
    assert ("Nature of the incident", "The child was seriously harmed") in rows(document)
    assert ("Is there a police investigation?", "Yes") in rows(document)
    incident = section(document, "The incident")
    assert incident == [
        "Brief case outline",
        "Child A, aged 19 months, was admitted to hospital with a head injury.",
        "Sibling B is safe.",
    ]


def test_report_states_a_nil_return_and_a_return_not_received_with_its_due_date():
    document = report()
    found = rows(document)
    assert ("Status", "No involvement (nil return)") in found
    assert ("Recorded on", "5 November 2026") in found
    assert ("Status", "Not received") in found
    assert ("Due", "20 November 2026 (extended from 16 November 2026)") in found
    assert "Returns asked for: 3. Submitted: 1. Nil returns: 1. Not received: 1." in paragraphs(document)


def test_report_shows_a_submitted_return_with_its_episodes_as_a_table_and_its_addendum():
    document = report()
    found = rows(document)
    for row in [
        ("Status", "Submitted on 13 November 2026"),
        ("Author's role", "Service Manager, Safeguarding"),
        ("Period of involvement", "20 March 2025 to 28 October 2026"),
        ("The agency's records about the child and family are secured", "Yes"),
        ("What happened", "What went well", "What could have been better"),
        (
            "Referral from the health visitor about bruising in June 2026.",
            "A strategy discussion was held the same day.",
            "The father was not seen during the assessment.",
        ),
        ("Case closed to early help in August 2026.", "Not given", "Not given"),
    ]:
        assert row in found, f"{row} missing from the submitted return"
    agencies = section(document, "Agencies involved")
    assert "Single-agency learning" in agencies
    assert "Fathers and partners must be seen and assessed." in agencies
    addendum = agencies.index("Added by al-7 on 17 November 2026 at 15:30")
    assert agencies[addendum + 1] == "The second referral was received on 2 July 2026, not 12 July."


def test_report_uses_a_saved_draft_and_says_so_and_not_recorded_yet_where_there_are_no_answers():
    document = report()
    assert REPORT.lived_experience in text(document), "a saved draft is what the manager finishes"
    assert any(
        line.startswith("DRAFT: includes answers saved but not yet confirmed in: Report")
        for line in text(document).splitlines()
    ), "the draft sections are named"
    assert section(document, "Decision and rationale") == [
        "Not recorded yet: the step “Decision on a local review” is not completed."
    ]


def test_report_lists_every_deadline_with_its_timeliness():
    found = rows(report())
    header = found.index(("Deadline", "Due", "Revised due", "Status", "Late by"))
    assert found[header + 1 : header + 5] == [
        (
            "Serious Incident Notification to the Panel (statutory)",
            "5 November 2026",
            "5 November 2026",
            "Met",
            "—",
        ),
        ("Agency returns due", "16 November 2026", "16 November 2026", "Overdue", "3 working days"),
        ("Rapid review meeting", "17 November 2026", "17 November 2026", "Late", "1 working day"),
        ("Local review completed and sent to the Panel (statutory)", "—", "—", "Not started", "—"),
    ]


def test_report_of_a_signed_off_and_decided_review_gives_the_decision_and_the_three_sign_offs():
    document = report(signed_off=True, decided=True)
    found = rows(document)
    for row in [
        (
            "What have the safeguarding partners decided?",
            "No local review: the learning is taken forward another way",
        ),
        ("Date of the decision", "19 November 2026"),
        ("Date the local authority signed off", "19 November 2026"),
        ("Date the police signed off", "19 November 2026"),
        ("Date the integrated care board signed off", "18 November 2026"),
    ]:
        assert row in found, f"{row} missing from a decided review's report"
    assert section(document, "Decision and rationale") == [
        "Rationale, against the criteria",
        DECISION.rationale,
        "How will the learning be taken forward?",
        DECISION.alternative_learning,
    ]
    assert section(document, "The child's lived experience") == [REPORT.lived_experience]
    assert section(document, "Learning and actions already under way") == [
        "Learning identified so far",
        MEETING.learning,
        "Learning and actions already under way",
        REPORT.learning_under_way,
    ]
    assert section(document, "Immediate safeguarding actions") == [
        "Immediate safeguarding actions agreed",
        MEETING.immediate_safety_actions,
    ]
    assert "Not recorded yet" not in text(document)


def test_report_says_not_needed_for_a_step_the_review_skipped():
    review = review_file()
    skipped = [
        s.model_copy(update={"status": "not_needed", "answers": None}) if s.form == "decision" else s
        for s in review.steps
    ]
    content = documents.rapid_review_report(
        review.model_copy(update={"steps": skipped}), [], PARTNERSHIP_NAME, TODAY
    )
    assert section(opened(content), "Decision and rationale") == ["Not needed for this review."]


def test_report_before_the_notification_says_what_is_missing():
    review = review_file(steps=[], deadlines=[])
    document = opened(documents.rapid_review_report(review, [], PARTNERSHIP_NAME, TODAY))
    assert ("Notifying local authority", "Not recorded yet") in rows(document)
    assert section(document, "The children") == ["Not recorded yet."]
    assert section(document, "Agencies involved") == ["Not recorded yet."]
    assert section(document, "Timeliness") == ["This review has no deadlines."]


def test_text_a_word_document_cannot_hold_is_dropped_rather_than_failing_the_download():
    outline = SIN.model_copy(update={"case_outline": "Seen by the GP\x07 on 1 October."})
    review = review_file()
    steps = [
        s.model_copy(update={"answers": outline.model_dump(mode="json")})
        if s.form == "serious_incident_notification"
        else s
        for s in review.steps
    ]
    document = notification(review.model_copy(update={"steps": steps}))
    assert ("Brief case outline", "Seen by the GP on 1 October.") in rows(document)


# -- the Serious Incident Notification ---------------------------------------------------------------------


def test_notification_asks_every_question_of_the_form_by_its_title():
    document = notification()
    found = "\n".join(paragraphs(document) + [label for label, *_ in rows(document)])
    for name, field in SeriousIncidentNotification.model_fields.items():
        assert field.title and field.title in found, f"the notification lacks the question of {name!r}"
    for name, field in Child.model_fields.items():
        assert field.title and field.title in found, f"the notification lacks the child's {name!r}"


def test_notification_gives_the_answers_in_the_forms_words():
    document = notification()
    assert document.sections[0].header.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    found = rows(document)
    for row in [
        ("Notifier's role", "Head of Safeguarding"),
        ("Date of notification", "2 November 2026"),
        ("Nature of the incident", "The child was seriously harmed"),
        ("Were the children known to agencies?", "Yes"),
        ("Which agencies knew the children?", "Health visiting, children's social care, police"),
        ("Is the rapid review threshold considered met?", "Yes"),
        ("Ethnicity", "Black, Black British, Caribbean or African"),
        ("Disabled?", "Yes"),
    ]:
        assert row in found, f"{row} missing from the notification"


def test_notification_not_yet_recorded_says_so_for_every_question():
    review = review_file()
    steps = [s.model_copy(update={"status": "not_started", "answers": None}) for s in review.steps]
    document = notification(review.model_copy(update={"steps": steps}))
    found = {row[0]: row[1] for row in rows(document)}
    assert found["Notifying local authority"] == "Not recorded yet"
    assert found["Is the rapid review threshold considered met?"] == "Not recorded yet"
    assert "Northborough Council" not in text(document)


def test_notification_drawn_from_a_draft_is_marked_draft():
    review = review_file()
    steps = [s.model_copy(update={"status": "in_progress"}) for s in review.steps]
    document = notification(review.model_copy(update={"steps": steps}))
    assert "Northborough Council" in text(document)
    assert "DRAFT: includes answers saved but not yet confirmed" in text(document)


@pytest.mark.parametrize("slug", sorted(documents.KINDS))
def test_every_kind_builds_a_word_document_titled_with_the_case_reference(slug):
    title, form, build = documents.KINDS[slug]
    document = opened(build(review_file(), RETURNS, PARTNERSHIP_NAME, TODAY, []))
    assert title and form
    assert document.paragraphs[0].text == CASE


def test_a_review_draws_only_the_documents_its_forms_make():
    assert documents.kinds_of({"referral", "serious_incident_notification"}) == ["panel-notification"]
    assert documents.kinds_of({"referral", "dhr_decision"}) == [], "a DHR has no rapid review report"
    assert documents.kinds_of({"rapid_review_report", "serious_incident_notification"}) == [
        "rapid-review-report",
        "panel-notification",
    ]


def test_report_lists_the_chronologys_key_practice_episodes_in_its_own_section():
    episodes = [
        ChronologyEpisode(
            date_typed="04/04/2021",
            source="Northbridge Police: PNC/3",
            what_happened="Strategy discussion held with social care",
            learning="No health presence at the strategy discussion",
        )
    ]
    document = opened(
        documents.rapid_review_report(review_file(), RETURNS, PARTNERSHIP_NAME, TODAY, episodes)
    )
    assert (
        "04/04/2021",
        "Northbridge Police: PNC/3",
        "Strategy discussion held with social care",
        "No health presence at the strategy discussion",
    ) in rows(document)
    without = opened(documents.rapid_review_report(review_file(), RETURNS, PARTNERSHIP_NAME, TODAY))
    assert section(without, "Key practice episodes from the chronology") == [
        "No key practice episode has been tagged in the merged chronology yet."
    ]
