"""Learning into change on the real system, through the gateway's pages as the demo's people: the demo's
toddler review has actions in every status (one overdue, one not implemented with its reason); the infant's
review warns of them by its recurring theme; the action owner sees and updates only their own actions and is
chased for the overdue one; bad input is refused naming each field with nothing stored; the Executive signs
off; analysts see none of it.
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import date, timedelta

import pytest

from services.kernel.calendar import today_in_england
from tests.e2e.helpers import SignedIn, sign_in, wait_for
from tests.support.system import SystemEnv

MANAGER = "business.manager@northbridge.example"
EXECUTIVE = "executive@northbridge.example"
OWNER = "action.owner@northbridge.example"
POLICE_LEAD = "police.lead@northbridge.example"
ANALYST = "national.analyst@analysts.example"
EASTMOOR_MANAGER = "business.manager@eastmoor.example"
TODDLER = "NB-2025-031 toddler, neglect"
INFANT = "NB-2026-014 infant, serious harm"


def review_id(person: SignedIn, title: str) -> str:
    reviews = person.client.get("/api/reviews").json()
    return next(str(r["id"]) for r in reviews if r["title"] == title)


def action_ids(page: str) -> list[str]:
    return re.findall(r'data-action-id="([0-9a-f-]{36})"', page)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture(scope="module")
def manager(system: SystemEnv) -> SignedIn:
    return sign_in(system, MANAGER)


@pytest.fixture(scope="module")
def toddler(manager: SignedIn) -> str:
    return review_id(manager, TODDLER)


@pytest.fixture(scope="module")
def infant(manager: SignedIn) -> str:
    return review_id(manager, INFANT)


def test_the_demo_plan_has_an_action_in_every_status_and_the_table_agrees(
    manager: SignedIn, toddler: str
) -> None:
    tree = manager.client.get(f"/reviews/{toddler}/plan")
    assert tree.status_code == 200, tree.text[:500]
    words = text_of(tree.text)
    assert "Lesson 1" in words and "Lesson 2" in words and "Recommendation to the partnership" in words
    table = manager.client.get(f"/reviews/{toddler}/plan?view=table")
    statuses = re.findall(r'<strong class="govuk-tag [^"]+">([^<]+)</strong>', table.text)
    for status in ("Not started", "On track", "At risk", "Overdue", "Completed", "Closed", "Not implemented"):
        assert status in statuses, f"no action {status!r} in the demo's plan: {statuses}"
    assert statuses.count("Overdue") == 1


def test_a_new_review_with_a_recurring_theme_warns_of_the_earlier_reviews_open_actions(
    manager: SignedIn, infant: str
) -> None:
    page = manager.client.get(f"/reviews/{infant}/plan")
    assert page.status_code == 200
    warning = re.search(r'id="recurring-warning".*?</div>\s*</div>', page.text, re.S)
    assert warning, "the infant's plan shows no recurring-theme warning"
    words = text_of(warning.group(0))
    assert "Information sharing" in words and TODDLER in words
    assert f"({TODDLER}, not implemented)" in words and f"({TODDLER}, on track)" in words
    themes = manager.client.get("/themes")
    assert "Recurring" in themes.text and "Information sharing" in themes.text


def test_the_action_owner_sees_and_updates_only_their_own_actions(
    system: SystemEnv, manager: SignedIn, toddler: str
) -> None:
    owner = sign_in(system, OWNER)
    mine = owner.client.get("/actions/mine")
    assert mine.status_code == 200
    own = set(action_ids(mine.text))
    everything = set(action_ids(manager.client.get(f"/reviews/{toddler}/plan?view=table").text))
    theirs = everything - own
    assert own and theirs
    assert set(action_ids(owner.client.get("/actions").text)) == own
    assert owner.client.get(f"/reviews/{toddler}/plan").status_code == 403
    other = sorted(theirs)[0]
    assert owner.client.get(f"/actions/{other}").status_code == 404
    refused = owner.post_form(f"/actions/{other}/progress", {"status": "at_risk", "note": "Not mine"})
    assert refused.status_code == 404
    overdue = next(
        a for a in sorted(own) if "Overdue" in text_of(owner.client.get(f"/actions/{a}").text).split("RAG")[0]
    )
    # A progress update with no note is refused naming the field; nothing is stored.
    no_note = owner.post_form(f"/actions/{overdue}/progress", {"status": "on_track", "note": ""})
    assert no_note.status_code == 422
    assert 'href="#note"' in no_note.text and "Enter what has been done" in no_note.text
    done = owner.post_form(
        f"/actions/{overdue}/progress", {"status": "on_track", "note": "Four teams briefed"}
    )
    assert done.status_code == 303
    page = owner.client.get(f"/actions/{overdue}")
    assert "Four teams briefed" in page.text
    # Overdue is worked out, never typed: on track as typed, still overdue by its date.
    assert "Overdue" in text_of(page.text).split("RAG")[0]


def test_the_owner_is_chased_for_the_overdue_action(system: SystemEnv) -> None:
    owner = sign_in(system, OWNER)
    wait_for(
        lambda: "An action from a review is overdue" in owner.client.get("/notifications").text,
        timeout=90,
        message="the overdue chaser in the action owner's messages",
    )


def test_bad_actions_are_refused_naming_each_field_with_nothing_stored(
    manager: SignedIn, infant: str
) -> None:
    before = action_ids(manager.client.get(f"/reviews/{infant}/plan?view=table").text)
    empty = manager.post_form(f"/reviews/{infant}/actions", {"answers": "rapid_review"})
    assert empty.status_code == 422
    for field in ("description", "owner_id", "due_on", "success_measure"):
        assert f'href="#{field}"' in empty.text, f"{field} is not named"
    owner = re.search(r'<option value="([0-9a-f-]{36})"[^>]*>Max Demo-Owner', empty.text)
    assert owner, "the action owner is not offered as an owner"
    too_far = today_in_england() + timedelta(days=5 * 366 + 2)
    long_ago = date(2000, 1, 1)
    for due, words in ((too_far, "within 5 years"), (long_ago, "on or after the day the review began")):
        answer = manager.post_form(
            f"/reviews/{infant}/actions",
            {
                "answers": "rapid_review",
                "description": "Check the plan",
                "owner_id": owner.group(1),
                "due_on-day": str(due.day),
                "due_on-month": str(due.month),
                "due_on-year": str(due.year),
                "success_measure": "Checked",
            },
        )
        assert answer.status_code == 422 and words in answer.text
    no_lesson = manager.post_form(f"/reviews/{infant}/recommendations", {"text": "Do better"})
    assert no_lesson.status_code == 422 and "Choose at least one lesson" in no_lesson.text
    bad_theme = manager.post_form(
        f"/reviews/{infant}/lessons", {"finding": "Something", "themes": "not_a_theme"}
    )
    assert bad_theme.status_code == 422 and "is not a theme" in html.unescape(bad_theme.text)
    assert action_ids(manager.client.get(f"/reviews/{infant}/plan?view=table").text) == before


def test_only_the_executive_signs_off_and_the_action_is_closed(
    system: SystemEnv, manager: SignedIn, infant: str
) -> None:
    plan = manager.client.get(f"/reviews/{infant}/plan")
    owner = re.search(r'<option value="([0-9a-f-]{36})"[^>]*>Pat Demo-Police', plan.text)
    assert owner
    due = today_in_england() + timedelta(days=30)
    assigned = manager.post_form(
        f"/reviews/{infant}/actions",
        {
            "answers": "rapid_review",
            "description": "Check every open case of the same team",
            "owner_id": owner.group(1),
            "due_on-day": str(due.day),
            "due_on-month": str(due.month),
            "due_on-year": str(due.year),
            "success_measure": "All open cases checked",
        },
    )
    assert assigned.status_code == 303, assigned.text[:800]
    table = manager.client.get(f"/reviews/{infant}/plan?view=table").text
    action = next(a for a in action_ids(table) if "Check every open case" in table.split(a, 1)[1][:300])
    police = sign_in(system, POLICE_LEAD)
    assert (
        police.post_form(
            f"/actions/{action}/progress", {"status": "completed", "note": "All checked"}
        ).status_code
        == 303
    )
    assert manager.post_form(f"/actions/{action}/sign-off").status_code == 403
    executive = sign_in(system, EXECUTIVE)
    early = executive.post_form(f"/actions/{action}/sign-off")
    assert early.status_code == 422 and "impact check" in early.text
    impact = police.post_form(
        f"/actions/{action}/impact", {"practice_changed": "yes", "how_tested": "Dip sample of ten cases"}
    )
    assert impact.status_code == 303
    assert executive.post_form(f"/actions/{action}/sign-off").status_code == 303
    assert "Closed" in text_of(executive.client.get(f"/actions/{action}").text)
    reopened = police.post_form(f"/actions/{action}/progress", {"status": "on_track", "note": "Again"})
    assert reopened.status_code == 409


@pytest.mark.parametrize("email", [ANALYST, EASTMOOR_MANAGER])
def test_analysts_and_another_partnership_see_none_of_it(system: SystemEnv, email: str, toddler: str) -> None:
    person = sign_in(system, email)
    assert person.client.get(f"/reviews/{toddler}/plan").status_code in (403, 404)
    if email == ANALYST:
        assert person.client.get("/actions").status_code == 403
        assert person.client.get("/themes").status_code == 403
    else:
        assert action_ids(person.client.get("/actions").text) == []


def test_the_quarterly_update_and_the_yearly_section_are_built_as_word_and_pdf(system: SystemEnv) -> None:
    import io

    from docx import Document

    executive = sign_in(system, EXECUTIVE)
    page = executive.client.get("/actions/reports")
    assert page.status_code == 200 and "data-build-document" in page.text
    word = executive.client.get("/actions/reports/download?kind=quarterly_update&format=docx")
    assert word.status_code == 200, word.text[:300]
    assert "attachment" in word.headers["content-disposition"]
    document = Document(io.BytesIO(word.content))
    text = "\n".join(
        [p.text for p in document.paragraphs]
        + [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    )
    assert "Action plan update to the Executive" in text and TODDLER in text
    assert "No provider could meet the data-sharing requirements" in text
    yearly = executive.client.get("/actions/reports/download?kind=yearly_report&format=pdf")
    assert yearly.status_code == 200 and yearly.content.startswith(b"%PDF-")
    assert sign_in(system, OWNER).client.get("/actions/reports/download").status_code == 403


def test_the_learning_brief_and_how_it_was_shared_are_recorded_and_counted(
    manager: SignedIn, toddler: str
) -> None:
    page = text_of(manager.client.get(f"/reviews/{toddler}/plan").text)
    assert "Seeing the whole household" in page
    assert (
        "Sent 1 times, acknowledged 2 times, used in 1 training or practitioner events reaching 46 people"
        in page
    )
    refused = manager.post_form(f"/reviews/{toddler}/dissemination", {"kind": "training"})
    assert refused.status_code == 422
    for field in ("brief_id", "to_whom", "on", "people"):
        assert f'href="#{field}"' in refused.text, f"{field} is not named"


def test_evidence_is_checked_where_it_arrives_and_read_back_by_those_who_see_the_action(
    system: SystemEnv, manager: SignedIn, infant: str
) -> None:
    from tests.unit.test_uploads import a_pdf

    owner = sign_in(system, OWNER)
    mine = action_ids(owner.client.get("/actions/mine").text)
    action = next(a for a in mine if "Safety plan for the sibling" in owner.client.get(f"/actions/{a}").text)
    csrf = owner.csrf()
    refused = owner.client.post(
        f"/actions/{action}/evidence",
        data={"csrf_token": csrf},
        files={"file": ("notes.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")},
    )
    assert refused.status_code == 422 and 'href="#file"' in refused.text
    added = owner.client.post(
        f"/actions/{action}/evidence",
        data={"csrf_token": csrf},
        files={"file": ("safety-plan-review.pdf", a_pdf(), "application/pdf")},
    )
    assert added.status_code == 303, added.text[:500]
    page = manager.client.get(f"/actions/{action}").text
    link = re.search(rf'href="(/actions/{action}/evidence/[0-9a-f-]{{36}})"', page)
    assert link and "safety-plan-review.pdf" in page
    download = manager.client.get(link.group(1))
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF-") and "attachment" in download.headers["content-disposition"]
    # The review's police lead reads its plan, evidence included; another partnership reads none of it.
    assert sign_in(system, POLICE_LEAD).client.get(link.group(1)).status_code == 200
    assert sign_in(system, EASTMOOR_MANAGER).client.get(link.group(1)).status_code == 404


def test_the_rapid_review_meetings_immediate_actions_are_shown_to_be_assigned(
    manager: SignedIn, toddler: str
) -> None:
    page = manager.client.get(f"/reviews/{toddler}/plan").text
    assert 'id="rapid-review-actions"' in page and "Immediate safeguarding actions agreed" in page
    assert "An immediate action of the rapid review" in page


def test_a_partnership_extends_its_taxonomy_and_a_retired_theme_cannot_be_chosen(
    manager: SignedIn, infant: str
) -> None:
    code = f"local_{uuid.uuid4().hex[:8]}"
    added = manager.post_form(
        "/themes", {"code": code, "label": "County lines", "national_code": "panel:efh"}
    )
    assert added.status_code == 303
    assert "County lines" in manager.client.get("/themes").text
    assert manager.post_form("/themes", {"code": "Not A Code", "label": "x"}).status_code == 422
    retired = manager.post_form("/themes/retire", {"code": code})
    assert retired.status_code == 303
    refused = manager.post_form(f"/reviews/{infant}/lessons", {"finding": "Something", "themes": code})
    assert refused.status_code == 422 and "is retired" in html.unescape(refused.text)


def test_analysts_see_the_actions_only_as_counts_on_the_dashboard(system: SystemEnv) -> None:
    from tests.e2e.helpers import DEMO

    analyst = sign_in(system, ANALYST)
    northbridge = DEMO.partnership("NBSCP").id

    def counted() -> str | None:
        page = analyst.client.get(f"/dashboard?partnership_id={northbridge}")
        table = re.search(r'<table class="govuk-table" id="action-counts">.*?</table>', page.text, re.S)
        return text_of(table.group(0)) if table and "Not implemented 1" in text_of(table.group(0)) else None

    words = wait_for(counted, timeout=60, message="the action counts on the analyst's dashboard")
    assert "Overdue" in words and "Signed off and closed" in words
    assert not action_ids(analyst.client.get(f"/dashboard?partnership_id={northbridge}").text)
