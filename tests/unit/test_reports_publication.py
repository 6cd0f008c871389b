"""The publication copy's pure rules (services/reports/publication.py): every real name replaced by the
person's pseudonym, and the check that lists each place a real name, a date of birth, an address or postcode,
a school, an NHS number or a case record number is left. Synthetic people only."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.reports.contract import RegisterPerson, SectionText, TextBlock
from services.reports.publication import (
    anonymised,
    anonymised_sections,
    dates_in,
    findings,
    nhs_number_is_valid,
)

REVIEW = uuid.uuid4()
CHILD = RegisterPerson(
    review_id=REVIEW,
    pseudonym="Child A",
    role_in_family="Subject child",
    name="Amelia Rose Thornbury",
    also_known_as=["Millie Thornbury"],
    born_on=date(2019, 3, 3),
    address="12 Acacia Avenue, Northtown",
    postcode="NT1 4ZZ",
    school="Oakfield Primary School",
    nhs_number="999 000 1006",
    record_numbers=["SC-204417"],
)
MOTHER = RegisterPerson(
    review_id=REVIEW,
    pseudonym="Mother",
    role_in_family="Mother",
    name="Karen Thornbury",
    born_on=date(1990, 11, 21),
)
PARTNER = RegisterPerson(
    review_id=REVIEW, pseudonym="", role_in_family="Mother's partner", name="Dean O'Hara"
)
PEOPLE = [CHILD, MOTHER, PARTNER]


def _copy(*texts: str) -> list[SectionText]:
    return [
        SectionText(
            section_id=uuid.uuid4(),
            key="incident",
            title="The incident",
            blocks=[TextBlock(kind="paragraph", text=text) for text in texts],
        )
    ]


def _found(*texts: str) -> list[tuple[int, str, str]]:
    return [(f.block, f.found, f.kind) for f in findings(_copy(*texts), PEOPLE)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Amelia Rose Thornbury was seen.", "Child A was seen."),
        ("amelia rose thornbury was seen.", "Child A was seen."),
        ("AMELIA was seen.", "Child A was seen."),
        ("Amelia's school", "Child A's school"),
        ("Amelia Rose was seen; Amelia Thornbury too.", "Child A was seen; Child A too."),
        ("Millie Thornbury, known as Millie.", "Child A, known as Child A."),
        ("Karen said", "Mother said"),
        ("Karen Thornbury's flat", "Mother's flat"),
        ("Dean O'Hara and Mr O'Hara", "Mother's partner and Mr Mother's partner"),
        ("Dean  O'Hara (two spaces)", "Mother's partner (two spaces)"),
        ("Ameliaville is a place; Karenina a novel.", "Ameliaville is a place; Karenina a novel."),
    ],
)
def test_every_form_of_a_real_name_is_replaced_by_the_pseudonym_or_the_role(text: str, expected: str) -> None:
    assert anonymised(text, PEOPLE) == expected


def test_a_surname_several_people_share_is_left_for_a_person_to_decide_and_the_check_finds_it() -> None:
    text = anonymised("Ms Thornbury spoke to the school.", PEOPLE)
    assert text == "Ms Thornbury spoke to the school."
    assert _found(text) == [(1, "Thornbury", "real_name")]


def test_a_pseudonym_put_in_is_not_replaced_again() -> None:
    people = [
        *PEOPLE,
        RegisterPerson(review_id=REVIEW, pseudonym="Adult 1", role_in_family="Uncle", name="Child"),
    ]
    assert anonymised("Karen met Child.", people) == "Mother met Adult 1."


def test_sections_keep_their_titles_and_block_kinds() -> None:
    copy = anonymised_sections(
        [
            SectionText(
                section_id=uuid.uuid4(),
                key="child",
                title="The child",
                blocks=[
                    TextBlock(kind="heading", text="Amelia", level=3),
                    TextBlock(kind="list_item", text="Karen"),
                ],
            )
        ],
        PEOPLE,
    )
    assert copy[0].title == "The child"
    assert [(b.kind, b.text, b.level) for b in copy[0].blocks] == [
        ("heading", "Child A", 3),
        ("list_item", "Mother", None),
    ]


@pytest.mark.parametrize(
    "written",
    [
        "3 March 2019",
        "3rd March 2019",
        "03 March 2019",
        "3 Mar 2019",
        "3rd of March, 2019",
        "March 3, 2019",
        "March 3rd 2019",
        "03/03/2019",
        "3/3/2019",
        "3/3/19",
        "03.03.2019",
        "03-03-2019",
        "2019-03-03",
        "2019/03/03",
        "3 MARCH 2019",
    ],
)
def test_a_date_of_birth_is_found_in_every_usual_written_form(written: str) -> None:
    assert _found(f"Child A was born on {written} at home.") == [(1, written, "date_of_birth")]


def test_other_dates_are_not_dates_of_birth() -> None:
    assert _found("Seen on 4 March 2019, 2019-03-04 and 03/04/2019; 31/02/2019 is no date.") == []
    assert [day for _, day in dates_in("31/02/2019 and 1 Smarch 2019")] == []


def test_the_mothers_date_of_birth_is_found_too_and_says_whose() -> None:
    found = findings(_copy("Mother (born 21/11/1990) said"), PEOPLE)
    assert [(f.found, f.kind_label, f.pseudonym) for f in found] == [
        ("21/11/1990", "Date of birth", "Mother")
    ]


@pytest.mark.parametrize(
    ("text", "found", "kind"),
    [
        ("They lived at 12 Acacia Avenue then.", "12 Acacia Avenue", "address"),
        ("They lived on acacia   avenue then.", "acacia   avenue", "address"),
        ("Postcode NT1 4ZZ.", "NT1 4ZZ", "postcode"),
        ("Postcode nt14zz.", "nt14zz", "postcode"),
        ("She went to Oakfield Primary School.", "Oakfield Primary School", "school"),
        ("She went to Oakfield Primary.", "Oakfield Primary", "school"),
        ("NHS number 999 000 1006.", "999 000 1006", "nhs_number"),
        ("NHS number 999-000-1006.", "999-000-1006", "nhs_number"),
        ("Record SC-204417 was opened.", "SC-204417", "record_number"),
        ("Record sc 204417 was opened.", "sc 204417", "record_number"),
    ],
)
def test_addresses_postcodes_schools_and_record_identifiers_are_found(
    text: str, found: str, kind: str
) -> None:
    assert _found(text) == [(1, found, kind)]


def test_a_valid_nhs_number_not_in_the_register_is_still_found_and_other_numbers_are_not() -> None:
    assert nhs_number_is_valid("9990001014")
    assert not nhs_number_is_valid("9990001015")
    assert _found("An NHS number 999 000 1014 was on the letter.") == [(1, "999 000 1014", "nhs_number")]
    assert _found("Call 999 000 1015.") == []


def test_the_town_alone_and_common_words_are_not_findings() -> None:
    assert _found("The family moved within Northtown. The avenue was quiet. The school was told.") == []


def test_each_place_is_listed_once_in_the_order_of_the_text_with_its_block_number() -> None:
    found = _found(
        "Child A was well.",
        "Amelia Thornbury, born 3 March 2019, attends Oakfield Primary School.",
        "Karen's partner came.",
    )
    assert found == [
        (2, "Amelia Thornbury", "real_name"),
        (2, "3 March 2019", "date_of_birth"),
        (2, "Oakfield Primary School", "school"),
        (3, "Karen", "real_name"),
    ]


def test_a_clean_copy_has_no_findings() -> None:
    built = anonymised_sections(_copy("Amelia Rose Thornbury lived with Karen and Dean O'Hara."), PEOPLE)
    assert findings(built, PEOPLE) == []
    assert built[0].blocks[0].text == "Child A lived with Mother and Mother's partner."
