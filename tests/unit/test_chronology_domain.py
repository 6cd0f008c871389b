"""The rules of the merged chronology and of who may see what in it, without a database or a broker."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from services.chronology import domain, policy
from services.kernel.errors import Forbidden, NotFound
from services.kernel.identity import Actor, Role

PARTNERSHIP, OTHER = uuid.uuid4(), uuid.uuid4()
REVIEW = uuid.uuid4()
POLICE, HEALTH = uuid.uuid4(), uuid.uuid4()
CHILD = domain.Person(uuid.uuid4(), "Child A", "Amy Northcote", ("Aimee Northcote",))
MOTHER = domain.Person(uuid.uuid4(), "Mother", "Beth Northcote")


def actor(
    *roles: str, agency: uuid.UUID | None = None, member: bool = True, partnership=PARTNERSHIP
) -> Actor:
    return Actor(
        user_id=str(uuid.uuid4()),
        partnership_id=partnership,
        agency_id=agency,
        roles=frozenset(roles),
        reviews=frozenset({REVIEW}) if member else frozenset(),
    )


def test_a_cursor_names_the_same_place_and_a_forged_one_starts_again() -> None:
    place = domain.Place(datetime(2016, 5, 22, 14, 30), 1, 12345, date(2016, 6, 30))
    assert domain.Place.from_cursor(place.cursor()) == place
    assert domain.Place.from_cursor("not-a-cursor") is None
    assert domain.Place.from_cursor("") is None


def test_names_become_pseudonyms_as_whole_words_longest_first() -> None:
    hide = domain.Pseudonymiser([CHILD, MOTHER])
    assert hide("Amy Northcote seen with Beth at home") == "Child A seen with Mother at home"
    assert hide("aimee northcote missed her appointment") == "Child A missed her appointment"
    # A part of a name inside another word is left alone.
    assert hide("Amyloid test") == "Amyloid test"
    assert hide(None) is None
    assert domain.Pseudonymiser([])("Amy") == "Amy"


def test_names_in_an_entry_match_the_register_by_any_spelling() -> None:
    ids, unmatched = domain.matched_people(
        ["child a", "Aimee  Northcote", "Jo Bloggs", "Mother"], [CHILD, MOTHER]
    )
    assert ids == [CHILD.id, MOTHER.id]
    assert unmatched == ["Jo Bloggs"]
    assert domain.spellings([CHILD])["amy northcote"] == "Child A"


def test_a_gap_is_shown_only_when_longer_than_the_threshold() -> None:
    assert domain.gap_days(None, date(2020, 1, 1)) is None
    assert domain.gap_days(date(2020, 1, 1), date(2020, 2, 1)) is None
    assert domain.gap_days(date(2020, 1, 1), date(2020, 6, 1)) == 152


def test_the_chronology_is_read_by_deciders_and_members_and_not_by_others() -> None:
    policy.check_reads(actor(Role.BUSINESS_MANAGER, member=False), REVIEW, PARTNERSHIP)
    policy.check_reads(actor(Role.INDEPENDENT_REVIEWER), REVIEW, PARTNERSHIP)
    policy.check_reads(actor(Role.AGENCY_AUTHOR, agency=POLICE), REVIEW, PARTNERSHIP)
    refused = [
        actor(Role.BUSINESS_MANAGER, partnership=OTHER),
        actor(Role.AGENCY_AUTHOR, agency=POLICE, member=False),
        actor(Role.ACTION_OWNER),
        actor(Role.PARTNERSHIP_ADMIN),
        actor(Role.NATIONAL_ANALYST),
    ]
    for caller in refused:
        with pytest.raises(NotFound):
            policy.check_reads(caller, REVIEW, PARTNERSHIP)
    with pytest.raises(NotFound):
        policy.check_reads(actor(Role.BUSINESS_MANAGER), REVIEW, None)  # a review not known here


def test_an_agency_reads_and_names_only_its_own_entries() -> None:
    author = actor(Role.AGENCY_AUTHOR, agency=POLICE)
    assert policy.agency_scope(author) == POLICE
    assert policy.names_for(author) == POLICE
    assert policy.agency_scope(actor(Role.SAFEGUARDING_PARTNER)) is None
    assert policy.names_for(actor(Role.SAFEGUARDING_PARTNER)) is False
    assert policy.names_for(actor(Role.SUBGROUP_MEMBER)) is False
    assert policy.names_for(actor(Role.BUSINESS_MANAGER)) is True
    assert policy.names_for(actor(Role.INDEPENDENT_REVIEWER)) is True


def test_only_an_asked_agencys_people_upload_and_only_for_their_own_agency() -> None:
    assert policy.uploading_agency(actor(Role.AGENCY_LEAD, agency=POLICE), [POLICE, HEALTH]) == POLICE
    with pytest.raises(Forbidden, match="not been asked"):
        policy.uploading_agency(actor(Role.AGENCY_AUTHOR, agency=POLICE), [HEALTH])
    with pytest.raises(Forbidden, match="author or safeguarding lead"):
        policy.uploading_agency(actor(Role.BUSINESS_MANAGER), [POLICE])
    with pytest.raises(NotFound):
        policy.check_owns_upload(actor(Role.AGENCY_AUTHOR, agency=HEALTH), POLICE, "someone")


def test_a_date_known_only_to_the_month_or_year_hides_no_gap():
    assert domain.contact_until(date(2016, 1, 1), date(2016, 12, 31), "year", None) == date(2016, 1, 1)
    assert domain.contact_until(date(2016, 5, 1), date(2016, 5, 31), "month", None) == date(2016, 5, 1)
    assert domain.contact_until(date(2016, 5, 2), date(2016, 5, 2), "day", date(2016, 9, 1)) == date(
        2016, 9, 1
    )
