"""The reports service's pure parts: templates, assigning sections, who may read and change what (policy.py),
and a section's Yjs text (merging updates, compaction's merge, reading blocks)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from uuid import UUID

import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from services.kernel.errors import Forbidden, InvalidRequest, NotFound
from services.kernel.identity import Actor
from services.reports import domain, policy, yjs_text
from services.reports.contract import KIND_LABELS, Assignment, NewDocument

HOLDER, OTHER = uuid.uuid4(), uuid.uuid4()
REVIEW = uuid.uuid4()
POLICE, HEALTH, SCHOOL = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def person(
    *roles: str,
    user: str = "u-1",
    partnership: UUID | None = HOLDER,
    agency: UUID | None = None,
    reviews: tuple[UUID, ...] = (REVIEW,),
) -> Actor:
    return Actor(
        user_id=user,
        partnership_id=partnership,
        agency_id=agency,
        roles=frozenset(roles),
        reviews=frozenset(reviews),
    )


def a_report(kind: str = "overview_report", agency: UUID | None = None) -> domain.Document:
    return domain.begin(
        NewDocument(review_id=REVIEW, kind=kind, agency_id=agency),  # type: ignore[arg-type]
        partnership_id=HOLDER,
        created_by="bm",
        now=NOW,
    )


# -- templates and assignment --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KIND_LABELS))
def test_a_document_begins_with_its_kinds_sections_in_order(kind: str) -> None:
    agency = POLICE if kind == "agency_report" else None
    document = a_report(kind, agency)
    assert [s.key for s in document.sections] == [t.key for t in domain.TEMPLATES[kind]]
    assert [s.position for s in document.sections] == list(range(len(document.sections)))
    assert document.title == KIND_LABELS[kind]
    assert len({s.id for s in document.sections}) == len(document.sections)


def test_the_rapid_review_report_holds_what_the_panel_expects() -> None:
    keys = {s.key for s in domain.TEMPLATES["rapid_review_report"]}
    assert {"key_practice_episodes", "lived_experience", "immediate_actions", "decision", "sign_off"} <= keys


def test_an_agency_reports_sections_are_all_its_agencys_to_write() -> None:
    document = a_report("agency_report", POLICE)
    assert {s.assigned_agency_id for s in document.sections} == {POLICE}


def test_an_agency_report_must_name_its_agency_and_no_other_kind_may() -> None:
    with pytest.raises(ValueError, match="Choose the agency"):
        NewDocument(review_id=REVIEW, kind="agency_report")
    with pytest.raises(ValueError, match="Only an agency report"):
        NewDocument(review_id=REVIEW, kind="overview_report", agency_id=POLICE)


def test_a_section_is_assigned_to_a_person_and_an_agency_and_shared_with_others() -> None:
    document = a_report()
    section = document.sections[2]
    domain.assign(
        document,
        section.id,
        Assignment(
            assigned_user_id="p-1", assigned_agency_id=POLICE, shared_with_agency_ids=[HEALTH, POLICE]
        ),
        agencies={POLICE, HEALTH},
        people={"p-1"},
    )
    assert (section.assigned_user_id, section.assigned_agency_id) == ("p-1", POLICE)
    # The writing agency is not listed again among those it is shared with.
    assert section.shared_with_agency_ids == [HEALTH]


def test_an_assignment_to_strangers_is_refused_naming_each_problem() -> None:
    document = a_report()
    with pytest.raises(InvalidRequest) as refused:
        domain.assign(
            document,
            document.sections[0].id,
            Assignment(assigned_user_id="nobody", assigned_agency_id=SCHOOL, shared_with_agency_ids=[SCHOOL]),
            agencies={POLICE},
            people={"p-1"},
        )
    assert [p["field"] for p in refused.value.problems] == [
        "assigned_user_id",
        "assigned_agency_id",
        "shared_with_agency_ids",
    ]
    assert document.sections[0].assigned_agency_id is None


def test_an_agency_reports_sections_cannot_be_given_to_another_agency() -> None:
    document = a_report("agency_report", POLICE)
    with pytest.raises(InvalidRequest, match="assignment"):
        domain.assign(
            document,
            document.sections[0].id,
            Assignment(assigned_agency_id=HEALTH),
            agencies={POLICE, HEALTH},
            people=set(),
        )


def test_assigning_a_section_of_another_document_is_not_found() -> None:
    with pytest.raises(NotFound):
        domain.assign(a_report(), uuid.uuid4(), Assignment(), agencies=set(), people=set())


# -- policy --------------------------------------------------------------------------------------------------


def shared_report() -> domain.Document:
    """Section 0 the police's, shared with health; section 1 health's; section 2 a named person's."""
    document = a_report()
    first, second, third = document.sections[:3]
    first.assigned_agency_id, first.shared_with_agency_ids = POLICE, [HEALTH]
    second.assigned_agency_id = HEALTH
    third.assigned_user_id = "named-author"
    return document


def accesses(actor: Actor, document: domain.Document) -> list[str | None]:
    return [policy.section_access(actor, document, s) for s in document.sections[:4]]


@pytest.mark.parametrize(
    "actor",
    [
        person("business_manager", reviews=()),
        person("independent_reviewer"),
    ],
)
def test_the_business_manager_and_the_reviewer_edit_every_section(actor: Actor) -> None:
    assert accesses(actor, shared_report()) == ["edit"] * 4
    assert policy.writes_all(actor, REVIEW, HOLDER)


def test_an_agency_edits_its_own_sections_reads_what_is_shared_and_sees_nothing_else() -> None:
    document = shared_report()
    police = person("agency_lead", agency=POLICE)
    health = person("agency_author", agency=HEALTH)
    assert accesses(police, document) == ["edit", None, None, None]
    assert accesses(health, document) == ["read", "edit", None, None]
    assert not policy.writes_all(police, REVIEW, HOLDER)


def test_a_person_named_on_a_section_edits_it_and_nothing_more() -> None:
    named = person("subgroup_member", user="named-author")
    assert accesses(named, shared_report()) == [None, None, "edit", None]


@pytest.mark.parametrize(
    "actor",
    [
        person("agency_lead", agency=POLICE, reviews=()),  # not a member of the review
        person("independent_reviewer", reviews=()),  # appointed to another review
        person("business_manager", partnership=OTHER),  # another partnership's
        person("agency_lead", agency=POLICE, partnership=OTHER),
        person("safeguarding_partner", reviews=()),
        person("regional_analyst", partnership=None, reviews=()),
        person("partnership_admin"),
        person("data_protection_officer"),
        person(user="named-author"),  # named on a section but with no case role
        person("subgroup_member"),  # a member of the review with no section of their own
    ],
)
def test_nobody_without_a_part_reads_any_section(actor: Actor) -> None:
    document = shared_report()
    assert accesses(actor, document) == [None] * 4
    with pytest.raises(NotFound, match="No such document"):
        policy.check_reads_document(actor, document)


def test_a_shared_section_may_be_read_but_not_changed() -> None:
    document = shared_report()
    health = person("agency_author", agency=HEALTH)
    with pytest.raises(Forbidden, match="to read"):
        policy.check_edits_section(health, document, document.sections[0])
    with pytest.raises(NotFound, match="No such section"):
        policy.check_edits_section(health, document, document.sections[3])


def test_only_the_reviews_business_manager_or_reviewer_may_begin_or_assign() -> None:
    with pytest.raises(Forbidden, match="business manager or independent reviewer"):
        policy.check_writes_all(person("agency_lead", agency=POLICE), REVIEW, HOLDER, "assign sections")
    policy.check_writes_all(person("independent_reviewer"), REVIEW, HOLDER, "assign sections")


# -- a section's Yjs text ------------------------------------------------------------------------------------


def typed(doc: Doc, tag: str, text: str, **attributes: str) -> bytes:
    """Append an element with text to the doc's fragment, as TipTap does; returns the update it made."""
    before = doc.get_state()
    element = doc.get(yjs_text.FRAGMENT, type=XmlFragment).children.append(XmlElement(tag, attributes))
    element.children.append(XmlText(text))
    return doc.get_update(before)


def test_the_text_reads_as_blocks_in_order() -> None:
    doc: Doc = Doc()
    typed(doc, "heading", "Findings", level="3")
    typed(doc, "paragraph", "Information was not shared.")
    typed(doc, "paragraph", "   ")
    listing = doc.get(yjs_text.FRAGMENT, type=XmlFragment).children.append(XmlElement("bulletList"))
    item = listing.children.append(XmlElement("listItem"))
    item.children.append(XmlElement("paragraph")).children.append(XmlText("Health visitor"))
    typed(doc, "blockquote", "In the family's words")
    blocks = yjs_text.blocks(doc.get_update())
    assert [(b.kind, b.text, b.level) for b in blocks] == [
        ("heading", "Findings", 3),
        ("paragraph", "Information was not shared.", None),
        ("list_item", "Health visitor", None),
        ("quote", "In the family's words", None),
    ]


def test_merged_updates_hold_the_same_text_as_the_updates_applied_one_by_one() -> None:
    doc: Doc = Doc()
    updates = [typed(doc, "paragraph", f"Line {n}") for n in range(5)]
    snapshot = yjs_text.merged(updates[:3])
    compacted = yjs_text.merged([snapshot, *updates[3:], updates[1]])  # a repeat is harmless
    assert [b.text for b in yjs_text.blocks(compacted)] == [f"Line {n}" for n in range(5)]
    assert yjs_text.blocks(yjs_text.merged([])) == []


def test_updates_that_are_not_yjs_are_refused_naming_which() -> None:
    good = base64.b64encode(typed(Doc(), "paragraph", "ok")).decode()
    with pytest.raises(InvalidRequest) as refused:
        yjs_text.decoded([good, base64.b64encode(b"\x07not yjs").decode()])
    assert refused.value.problems == [{"field": "updates_base64.1", "message": "This is not a Yjs update"}]
    with pytest.raises(InvalidRequest):
        yjs_text.decoded(["not base64!"])
