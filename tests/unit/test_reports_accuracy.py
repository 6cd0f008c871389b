"""Factual accuracy of a version, the family's comments and the partners' sign-off: the rules (accuracy.py)
and who may do what (policy.py), without a broker or a database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.kernel.errors import Conflict, Forbidden, InvalidRequest, NotFound
from services.reports import accuracy, domain, policy
from services.reports.contract import AccuracyAnswer, Assignment, FamilyCommentsEntry, SectionComment
from tests.unit.test_reports_domain import HEALTH, HOLDER, OTHER, POLICE, REVIEW, SCHOOL, a_report, person

NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
TODAY = date(2027, 1, 4)
NAMES = {POLICE: "Police", HEALTH: "Health", SCHOOL: "Schools"}
VERSION = uuid.uuid4()


def checked_report() -> domain.Document:
    """An overview report: section 0 the police's (shared with health), section 1 health's."""
    document = a_report()
    domain.assign(
        document,
        document.sections[0].id,
        Assignment(assigned_agency_id=POLICE, shared_with_agency_ids=[HEALTH]),
        agencies=NAMES,
        people=[],
    )
    domain.assign(
        document, document.sections[1].id, Assignment(assigned_agency_id=HEALTH), agencies=NAMES, people=[]
    )
    return document


def a_round(document: domain.Document, **changes: object) -> accuracy.AccuracyRound:
    arguments: dict[str, object] = {
        "version_id": VERSION,
        "version_locked": False,
        "rounds": [],
        "due_on": None,
        "agency_ids": [],
        "agency_names": NAMES,
        "opened_by": "bm",
        "now": NOW,
        "today": TODAY,
    }
    return accuracy.open_round(document, **{**arguments, **changes})  # type: ignore[arg-type]


def test_a_round_asks_the_agencies_of_the_sections_by_ten_working_days_each_checking_its_own() -> None:
    document = checked_report()
    round_ = a_round(document)
    assert round_.due_on == date(2027, 1, 18)  # 10 working days after Monday 4 January 2027
    checks = {r.agency_id: r.section_ids for r in round_.requests}
    assert checks == {
        POLICE: [document.sections[0].id],
        HEALTH: [document.sections[0].id, document.sections[1].id],
    }
    assert round_.counts(TODAY) == {"confirmed": 0, "disputed": 0, "not_answered": 2, "overdue": 0}


def test_a_round_refuses_a_date_not_after_today_and_an_agency_with_nothing_to_check() -> None:
    document = checked_report()
    with pytest.raises(InvalidRequest) as past:
        a_round(document, due_on=TODAY)
    assert past.value.problems[0]["field"] == "due_on"
    with pytest.raises(InvalidRequest) as nothing:
        a_round(document, agency_ids=[SCHOOL])
    assert "Schools has no section" in nothing.value.problems[0]["message"]
    with pytest.raises(InvalidRequest):
        a_round(document, agency_ids=[uuid.uuid4()])  # not of the partnership
    with pytest.raises(InvalidRequest):
        a_round(a_report())  # no section is any agency's


def test_one_round_is_open_at_a_time_and_a_locked_version_takes_none() -> None:
    document = checked_report()
    first = a_round(document)
    with pytest.raises(Conflict):
        a_round(document, rounds=[first])
    accuracy.close(first, by="bm", now=NOW)
    assert a_round(document, rounds=[first]).open
    with pytest.raises(Conflict):
        a_round(document, version_locked=True)


def test_an_agency_confirms_or_disputes_its_own_sections_and_may_change_until_the_round_closes() -> None:
    document = checked_report()
    round_ = a_round(document)
    theirs = document.sections[1].id
    accuracy.answer(round_, HEALTH, AccuracyAnswer(answer="confirmed"), by="h", now=NOW)
    disputed = AccuracyAnswer(
        answer="disputed", comments=[SectionComment(section_id=theirs, text="Wrong date")]
    )
    changed = accuracy.answer(round_, HEALTH, disputed, by="h", now=NOW)
    assert changed.answer == "disputed" and [c.text for c in changed.comments] == ["Wrong date"]
    # The police may not comment on health's section, and an agency not asked may not answer.
    police_on_health = AccuracyAnswer(
        answer="disputed", comments=[SectionComment(section_id=theirs, text="x")]
    )
    with pytest.raises(InvalidRequest):
        accuracy.answer(round_, POLICE, police_on_health, by="p", now=NOW)
    with pytest.raises(Forbidden):
        accuracy.answer(round_, SCHOOL, AccuracyAnswer(answer="confirmed"), by="s", now=NOW)
    unanswered = accuracy.close(round_, by="bm", now=NOW)
    assert [r.agency_id for r in unanswered] == [POLICE]
    with pytest.raises(Conflict):
        accuracy.answer(round_, HEALTH, AccuracyAnswer(answer="confirmed"), by="h", now=NOW)


def test_a_dispute_needs_a_comment_and_a_confirmation_has_none() -> None:
    with pytest.raises(ValueError, match="at least one section"):
        AccuracyAnswer(answer="disputed")
    with pytest.raises(ValueError, match="no comments"):
        AccuracyAnswer(answer="confirmed", comments=[SectionComment(section_id=uuid.uuid4(), text="x")])


def test_an_unanswered_check_is_overdue_the_day_after_it_was_due() -> None:
    round_ = a_round(checked_report())
    after = round_.due_on + timedelta(days=1)
    assert round_.counts(round_.due_on)["overdue"] == 0
    assert round_.counts(after)["overdue"] == 2
    accuracy.answer(round_, POLICE, AccuracyAnswer(answer="confirmed"), by="p", now=NOW)
    assert round_.counts(after) == {"confirmed": 1, "disputed": 0, "not_answered": 1, "overdue": 1}


def test_the_family_was_shown_a_version_on_a_day_not_in_the_future_nor_before_it_was_named() -> None:
    entry = FamilyCommentsEntry(shown_on=TODAY, comments="They asked for a change", response="Made")
    kept = accuracy.record_family(VERSION, entry, named_at=NOW, today=TODAY, by="bm", now=NOW)
    assert (kept.shown_on, kept.comments, kept.response) == (TODAY, "They asked for a change", "Made")
    for shown_on in (TODAY + timedelta(days=1), TODAY - timedelta(days=1)):
        with pytest.raises(InvalidRequest):
            accuracy.record_family(
                VERSION, FamilyCommentsEntry(shown_on=shown_on), named_at=NOW, today=TODAY, by="bm", now=NOW
            )


def test_three_partners_each_sign_once_and_the_third_completes_the_sign_off() -> None:
    signatures: list[accuracy.SignOff] = []
    for user, agency in (("a", POLICE), ("b", HEALTH)):
        signatures.append(
            accuracy.sign(
                signatures, version_id=VERSION, version_locked=False, user_id=user, agency_id=agency, now=NOW
            )
        )
        assert not accuracy.complete(signatures)
    # A delegate of a partner that has signed adds nothing: one signature per partner.
    with pytest.raises(Conflict):
        accuracy.sign(
            signatures, version_id=VERSION, version_locked=False, user_id="c", agency_id=POLICE, now=NOW
        )
    signatures.append(
        accuracy.sign(
            signatures, version_id=VERSION, version_locked=False, user_id="d", agency_id=None, now=NOW
        )
    )
    assert accuracy.complete(signatures)
    with pytest.raises(Conflict):
        accuracy.sign(
            signatures, version_id=VERSION, version_locked=True, user_id="e", agency_id=SCHOOL, now=NOW
        )


def test_who_checks_and_who_signs_off() -> None:
    document = checked_report()
    police_lead = person("agency_lead", agency=POLICE)
    assert policy.checks_accuracy_for(police_lead, document) == POLICE
    assert policy.checks_accuracy_for(person("agency_author", agency=HEALTH), document) == HEALTH
    # Not a member of the review, another partnership, or not agency people: no part in checking.
    assert policy.checks_accuracy_for(person("agency_lead", agency=POLICE, reviews=()), document) is None
    assert (
        policy.checks_accuracy_for(person("agency_lead", agency=POLICE, partnership=OTHER), document) is None
    )
    assert policy.checks_accuracy_for(person("subgroup_member", agency=POLICE), document) is None
    # Partners of the partnership sign off; not an agency lead, the manager, another partnership's partner.
    assert policy.signs_off(person("safeguarding_partner", reviews=()), HOLDER)
    assert not policy.signs_off(police_lead, HOLDER)
    assert not policy.signs_off(person("business_manager"), HOLDER)
    assert not policy.signs_off(person("safeguarding_partner", partnership=OTHER), HOLDER)
    # The sign-off page: the manager and the partners; anyone else finds no such version.
    assert policy.check_sees_sign_off(person("business_manager"), document) is document
    assert policy.check_sees_sign_off(person("safeguarding_partner", reviews=()), document) is document
    for stranger in (police_lead, person("executive"), person("safeguarding_partner", partnership=OTHER)):
        with pytest.raises(NotFound):
            policy.check_sees_sign_off(stranger, document)
    assert document.review_id == REVIEW
