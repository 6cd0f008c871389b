"""An agency's rapid review return (services/forms/domain.py AgencyReturn, services/forms/policy.py): drafted
by the agency, submitted once complete and locked, extended only by the business manager, read only by the
agency itself, the partnership's deciders and the review's own members."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.forms import domain, policy
from services.kernel.errors import Conflict, Forbidden, InvalidRequest
from services.kernel.identity import Actor

PARTNERSHIP = uuid.uuid4()
REVIEW = uuid.uuid4()
AGENCY = uuid.uuid4()
OTHER_AGENCY = uuid.uuid4()
# Returns asked Mon 12 Jan 2026: 10 working days, due Mon 26 Jan 2026.
DUE = date(2026, 1, 26)


def person(user_id: str, *roles: str, **changes: Any) -> Actor:
    fields = {
        "user_id": user_id,
        "partnership_id": PARTNERSHIP,
        "roles": frozenset(roles),
        "reviews": {REVIEW},
    }
    return Actor.model_validate({**fields, **changes})


LEAD = person("lead-1", "agency_lead", agency_id=AGENCY)
SECOND_LEAD = person("lead-2", "agency_lead", agency_id=AGENCY)
AUTHOR = person("author-1", "agency_author", agency_id=AGENCY)
OTHER_LEAD = person("lead-9", "agency_lead", agency_id=OTHER_AGENCY)
MANAGER = person("bm-1", "business_manager")
EXECUTIVE = person("ex-1", "executive")
PARTNER = person("sp-1", "safeguarding_partner")
REVIEWER = person("ir-1", "independent_reviewer")
SUBGROUP = person("sg-1", "subgroup_member")
OTHER_MANAGER = person("bm-2", "business_manager", partnership_id=uuid.uuid4())
# The same agency's lead, but in another partnership (an agency serves several partnerships).
LEAD_ELSEWHERE = person("lead-3", "agency_lead", agency_id=AGENCY, partnership_id=uuid.uuid4())


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def new_return(due_on: date = DUE) -> domain.AgencyReturn:
    return domain.AgencyReturn(
        id=uuid.uuid4(),
        review_id=REVIEW,
        partnership_id=PARTNERSHIP,
        agency_id=AGENCY,
        agency_name="Health visiting",
        status="requested",
        due_on=due_on,
    )


def complete_answers(**changes: Any) -> dict[str, Any]:
    answers = {
        "author_role": "Named nurse for safeguarding",
        "involvement_from": "2025-06-01",
        "involvement_to": "2026-01-05",
        "summary": "Universal health visiting: new birth visit and two contacts.",
        "episodes": [
            {"what_happened": "Missed 8-week check not followed up.", "could_improve": "Follow-up."}
        ],
        "immediate_actions": "Records reviewed; sibling's health visitor informed.",
        "learning": "None yet",
        "records_secured": True,
    }
    return {**answers, **changes}


def submitted_return() -> domain.AgencyReturn:
    agency_return = new_return()
    domain.save_return(agency_return, complete_answers(), LEAD, agency_return.version)
    domain.submit_return(agency_return, LEAD, agency_return.version, at("2026-01-20T10:00"))
    return agency_return


# -- drafting and submitting --------------------------------------------------------------------------------


def test_agency_lead_or_author_drafts_with_partial_answers():
    agency_return = new_return()
    domain.save_return(agency_return, {"author_role": "Named nurse"}, AUTHOR, 0)
    assert (agency_return.status, agency_return.version) == ("draft", 1)
    domain.save_return(agency_return, {"author_role": "Named nurse", "summary": "Two contacts."}, LEAD, 1)
    assert agency_return.answers["summary"] == "Two contacts." and agency_return.version == 2
    assert not agency_return.locked


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        # A check across two fields names the field to fix (contract.py's model validator).
        (
            {"involvement_from": "2025-06-01", "involvement_to": "2025-05-01"},
            {"involvement_to": "Involvement to must be on or after involvement from"},
        ),
        ({"summary": "x" * 5001}, {"summary": "Must be 5000 characters or fewer"}),
        ({"child_name": "anything"}, {"child_name": "This is not a question of the form: remove it"}),
        ({"involvement_from": "next Tuesday"}, {"involvement_from": "Enter a real date"}),
        (
            {"episodes": [{"went_well": "Quick referral."}]},
            {"episodes.0.what_happened": "Enter what happened"},
        ),
    ],
)
def test_a_draft_answer_given_must_be_valid(answers, problem):
    agency_return = new_return()
    with pytest.raises(InvalidRequest) as refused:
        domain.save_return(agency_return, answers, LEAD, 0)
    assert {p["field"]: p["message"] for p in refused.value.problems} == problem
    assert (agency_return.status, agency_return.version, agency_return.answers) == ("requested", 0, {}), (
        "nothing of a refused draft may be stored"
    )


def test_submission_is_refused_until_every_required_answer_is_given_naming_each():
    agency_return = new_return()
    domain.save_return(agency_return, {"author_role": "Named nurse"}, LEAD, 0)
    with pytest.raises(InvalidRequest) as refused:
        domain.submit_return(agency_return, LEAD, 1, at("2026-01-20T10:00"))
    assert [p["field"] for p in refused.value.problems] == [
        "involvement_from",
        "summary",
        "immediate_actions",
        "learning",
        "records_secured",
    ]
    assert agency_return.status == "draft" and not agency_return.locked


def test_submission_is_refused_until_the_records_are_secured():
    agency_return = new_return()
    domain.save_return(agency_return, complete_answers(records_secured=False), LEAD, 0)
    with pytest.raises(InvalidRequest) as refused:
        domain.submit_return(agency_return, LEAD, 1, at("2026-01-20T10:00"))
    assert refused.value.problems == [
        {"field": "records_secured", "message": "Confirm the agency's records are secured"}
    ]


def test_lead_submits_a_complete_return_and_it_is_locked():
    agency_return = submitted_return()
    assert (agency_return.status, agency_return.locked) == ("submitted", True)
    assert (agency_return.submitted_by, agency_return.submitted_at) == ("lead-1", at("2026-01-20T10:00"))
    assert agency_return.late_by_working_days == 0, "submitted Tue 20 Jan for Mon 26 Jan is on time"


def test_only_the_agencys_lead_submits_not_its_author():
    agency_return = new_return()
    domain.save_return(agency_return, complete_answers(), AUTHOR, 0)
    with pytest.raises(Forbidden, match="safeguarding lead"):
        domain.submit_return(agency_return, AUTHOR, 1, at("2026-01-20T10:00"))
    with pytest.raises(Forbidden):
        domain.nil_return(agency_return, AUTHOR, 1, at("2026-01-20T10:00"))


def test_submitted_return_is_locked_against_saving_and_a_second_submission():
    agency_return = submitted_return()
    version = agency_return.version
    with pytest.raises(Conflict, match=r"already submitted .*locked: add an addendum"):
        domain.save_return(agency_return, complete_answers(summary="Changed."), LEAD, version)
    with pytest.raises(Conflict, match="already submitted"):
        domain.submit_return(agency_return, LEAD, version, at("2026-01-21T10:00"))
    with pytest.raises(Conflict):
        domain.nil_return(agency_return, LEAD, version, at("2026-01-21T10:00"))
    assert agency_return.answers["summary"].startswith("Universal"), "the submitted answers are unchanged"
    assert agency_return.submitted_at == at("2026-01-20T10:00")


def test_two_leads_submitting_the_same_version_one_wins_and_the_other_is_told():
    agency_return = new_return()
    domain.save_return(agency_return, complete_answers(), LEAD, 0)
    both_read = agency_return.version
    domain.submit_return(agency_return, LEAD, both_read, at("2026-01-20T10:00"))
    with pytest.raises(Conflict) as told:
        domain.submit_return(agency_return, SECOND_LEAD, both_read, at("2026-01-20T10:01"))
    assert "already submitted on 20 January 2026 at 10:00" in told.value.message, (
        "the loser must be told when the return was submitted"
    )
    assert agency_return.submitted_by == "lead-1"


def test_stale_version_is_a_conflict():
    agency_return = new_return()
    domain.save_return(agency_return, {"author_role": "Named nurse"}, LEAD, 0)
    with pytest.raises(Conflict, match="reload"):
        domain.save_return(agency_return, {"author_role": "Someone else"}, AUTHOR, 0)
    assert agency_return.answers["author_role"] == "Named nurse"
    domain.save_return(agency_return, complete_answers(), AUTHOR, 1)
    with pytest.raises(Conflict, match="reload"):
        domain.submit_return(agency_return, LEAD, 1, at("2026-01-20T10:00"))
    assert not agency_return.locked


def test_nil_return_locks_the_return():
    agency_return = new_return()
    domain.nil_return(agency_return, LEAD, 0, at("2026-01-14T09:30"))
    assert (agency_return.status, agency_return.locked, agency_return.version) == ("nil", True, 1)
    with pytest.raises(Conflict, match="as a nil return"):
        domain.save_return(agency_return, complete_answers(), LEAD, 1)
    with pytest.raises(Conflict):
        domain.submit_return(agency_return, LEAD, 1, at("2026-01-15T09:30"))


# -- lateness and extensions --------------------------------------------------------------------------------


def test_late_return_is_late_by_working_days():
    agency_return = new_return()
    domain.save_return(agency_return, complete_answers(), LEAD, 0)
    # Due Mon 26 Jan 2026, submitted Thu 29 Jan: Tue 27 (1), Wed 28 (2), Thu 29 (3).
    domain.submit_return(agency_return, LEAD, 1, at("2026-01-29T16:00"))
    assert agency_return.late_by_working_days == 3


def test_lateness_skips_bank_holidays():
    agency_return = new_return(due_on=date(2026, 5, 22))
    # Due Fri 22 May 2026, nil return Tue 26 May: [Mon 25 May spring bank holiday], Tue 26 (1).
    domain.nil_return(agency_return, LEAD, 0, at("2026-05-26T09:00"))
    assert agency_return.late_by_working_days == 1


def test_lateness_is_counted_against_the_extended_date():
    agency_return = new_return()
    domain.extend_return(agency_return, MANAGER, date(2026, 1, 28), date(2026, 1, 20))
    domain.save_return(agency_return, complete_answers(), LEAD, agency_return.version)
    # Extended to Wed 28 Jan, submitted Mon 2 Feb: Thu 29 (1), Fri 30 (2), Mon 2 Feb (3); not 5 from 26 Jan.
    domain.submit_return(agency_return, LEAD, agency_return.version, at("2026-02-02T10:00"))
    assert agency_return.late_by_working_days == 3


def test_return_in_by_the_extended_date_is_not_late():
    agency_return = new_return()
    domain.extend_return(agency_return, MANAGER, date(2026, 1, 30), date(2026, 1, 20))
    domain.nil_return(agency_return, LEAD, agency_return.version, at("2026-01-29T10:00"))
    assert agency_return.late_by_working_days == 0


def test_extension_moves_the_due_date_and_returns_the_previous_one():
    agency_return = new_return()
    previous = domain.extend_return(agency_return, MANAGER, date(2026, 1, 30), date(2026, 1, 20))
    assert (previous, agency_return.effective_due, agency_return.version) == (DUE, date(2026, 1, 30), 1)
    previous = domain.extend_return(agency_return, MANAGER, date(2026, 2, 6), date(2026, 1, 27))
    assert (previous, agency_return.effective_due, agency_return.due_on) == (
        date(2026, 1, 30),
        date(2026, 2, 6),
        DUE,
    )


@pytest.mark.parametrize(
    ("extended_to", "why"),
    [
        (DUE, "the current due date itself"),
        (DUE - timedelta(days=1), "a date before the current due date"),
    ],
)
def test_extension_to_a_date_not_after_the_current_due_date_is_refused(extended_to, why):
    agency_return = new_return()
    with pytest.raises(InvalidRequest) as refused:
        domain.extend_return(agency_return, MANAGER, extended_to, date(2026, 1, 20))
    assert refused.value.problems[0]["field"] == "extended_to", why
    assert "after 26 January 2026" in refused.value.message
    assert agency_return.extended_to is None and agency_return.version == 0


def test_a_second_extension_must_go_beyond_the_first():
    agency_return = new_return()
    domain.extend_return(agency_return, MANAGER, date(2026, 2, 6), date(2026, 1, 20))
    with pytest.raises(InvalidRequest, match="after 6 February 2026"):
        domain.extend_return(agency_return, MANAGER, date(2026, 2, 2), date(2026, 1, 20))
    assert agency_return.effective_due == date(2026, 2, 6)


def test_extension_into_the_past_is_refused():
    agency_return = new_return()
    with pytest.raises(InvalidRequest, match="not in the past"):
        domain.extend_return(agency_return, MANAGER, date(2026, 1, 30), date(2026, 2, 2))


def test_a_locked_return_is_not_extended():
    agency_return = submitted_return()
    with pytest.raises(Conflict):
        domain.extend_return(agency_return, MANAGER, date(2026, 2, 6), date(2026, 1, 21))


@pytest.mark.parametrize(
    "actor",
    [LEAD, AUTHOR, EXECUTIVE, PARTNER, REVIEWER, OTHER_MANAGER],
    ids=lambda actor: actor.user_id,
)
def test_only_the_business_manager_of_the_partnership_extends(actor):
    agency_return = new_return()
    with pytest.raises(Forbidden, match="business manager"):
        domain.extend_return(agency_return, actor, date(2026, 1, 30), date(2026, 1, 20))
    assert agency_return.effective_due == DUE


# -- addenda ------------------------------------------------------------------------------------------------


def test_an_addendum_is_only_for_a_submitted_return():
    agency_return = new_return()
    domain.save_return(agency_return, {"author_role": "Named nurse"}, LEAD, 0)
    with pytest.raises(InvalidRequest, match="change the draft instead"):
        domain.check_may_amend(agency_return, LEAD)


@pytest.mark.parametrize("actor", [LEAD, AUTHOR], ids=lambda actor: actor.user_id)
def test_the_agencys_own_people_add_an_addendum_to_a_submitted_return(actor):
    domain.check_may_amend(submitted_return(), actor)


def test_an_addendum_to_a_nil_return_is_allowed_to_the_agency():
    agency_return = new_return()
    domain.nil_return(agency_return, LEAD, 0, at("2026-01-14T09:30"))
    domain.check_may_amend(agency_return, AUTHOR)


@pytest.mark.parametrize(
    "actor", [OTHER_LEAD, MANAGER, EXECUTIVE, REVIEWER, LEAD_ELSEWHERE], ids=lambda actor: actor.user_id
)
def test_nobody_outside_the_agency_adds_an_addendum(actor):
    with pytest.raises(Forbidden):
        domain.check_may_amend(submitted_return(), actor)


# -- who reads and writes -----------------------------------------------------------------------------------


def test_another_agencys_lead_cannot_read_write_or_submit():
    agency_return = new_return()
    assert not policy.may_read_return(OTHER_LEAD, agency_return.ownership), (
        "an agency sees its own returns only"
    )
    with pytest.raises(Forbidden):
        domain.save_return(agency_return, {"author_role": "Named nurse"}, OTHER_LEAD, 0)
    domain.save_return(agency_return, complete_answers(), LEAD, 0)
    with pytest.raises(Forbidden):
        domain.submit_return(agency_return, OTHER_LEAD, 1, at("2026-01-20T10:00"))
    with pytest.raises(Forbidden):
        domain.nil_return(agency_return, OTHER_LEAD, 1, at("2026-01-20T10:00"))
    assert agency_return.status == "draft"


def test_the_same_agencys_lead_in_another_partnership_has_no_access():
    agency_return = new_return()
    assert not policy.may_read_return(LEAD_ELSEWHERE, agency_return.ownership)
    with pytest.raises(Forbidden):
        domain.save_return(agency_return, {"author_role": "Named nurse"}, LEAD_ELSEWHERE, 0)


@pytest.mark.parametrize(
    ("actor", "reads"),
    [
        (LEAD, True),
        (AUTHOR, True),
        (MANAGER, True),
        (EXECUTIVE, True),
        (PARTNER, True),
        (REVIEWER, True),
        (SUBGROUP, True),
        (OTHER_LEAD, False),
        (OTHER_MANAGER, False),
        (person("ir-2", "independent_reviewer", reviews=set()), False),
        (person("sg-2", "subgroup_member", reviews={uuid.uuid4()}), False),
        (person("ao-1", "action_owner"), False),
        (person("ra-1", "regional_analyst"), False),
        (person("pa-1", "partnership_admin"), False),
    ],
    ids=lambda value: value.user_id if isinstance(value, Actor) else str(value),
)
def test_who_reads_a_return(actor, reads):
    assert policy.may_read_return(actor, new_return().ownership) is reads, (
        f"{actor.user_id} ({', '.join(sorted(actor.roles))}) must {'' if reads else 'not '}read the return"
    )


@pytest.mark.parametrize("actor", [MANAGER, EXECUTIVE, PARTNER, REVIEWER], ids=lambda actor: actor.user_id)
def test_readers_outside_the_agency_do_not_write_it(actor):
    with pytest.raises(Forbidden, match="agency's own"):
        domain.save_return(new_return(), {"author_role": "Named nurse"}, actor, 0)


def test_a_return_not_in_counts_working_days_left_then_working_days_overdue():
    agency_return = new_return(due_on=date(2026, 1, 23))  # a Friday
    assert domain.return_standing(agency_return, date(2026, 1, 21)) == (False, 0, 2), "Wed: Thu and Fri left"
    assert domain.return_standing(agency_return, date(2026, 1, 23)) == (False, 0, 0), "due today"
    # Tue 27 Jan: Mon 26 and Tue 27 have passed since the due date.
    assert domain.return_standing(agency_return, date(2026, 1, 27)) == (True, 2, None)
    agency_return.extended_to = date(2026, 1, 30)
    assert domain.return_standing(agency_return, date(2026, 1, 27)) == (False, 0, 3), "the extension counts"
    agency_return.status = "submitted"
    assert domain.return_standing(agency_return, date(2026, 2, 27)) == (False, 0, None), (
        "a return in is neither"
    )
